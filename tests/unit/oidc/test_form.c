/* Unit tests for oidc/form.c: form/query parsing and HTTP Basic credentials. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "oidc/oidc.h"

static enum eidgw_err
parse(const char *s, struct oidc_params *ps)
{
	return oidc_params_parse(s, strlen(s), ps, NULL);
}

static void
test_parse_decode(void **state)
{
	struct oidc_params ps;

	(void)state;
	assert_int_equal(parse("a=1&b=x+y%20z&c=%2F%3d&&d=%C3%A9", &ps), EIDGW_OK);
	assert_int_equal(ps.n, 4);
	assert_string_equal(oidc_params_get(&ps, "a"), "1");
	assert_string_equal(oidc_params_get(&ps, "b"), "x y z");
	assert_string_equal(oidc_params_get(&ps, "c"), "/=");
	assert_string_equal(oidc_params_get(&ps, "d"), "\xc3\xa9");
	assert_null(oidc_params_get(&ps, "e"));
	oidc_params_free(&ps);
	oidc_params_free(&ps);	/* idempotent */
	assert_int_equal(oidc_params_parse(NULL, 0, &ps, NULL), EIDGW_OK);
	assert_int_equal(ps.n, 0);
}

static void
test_parse_empty_values_omitted(void **state)
{
	struct oidc_params ps;

	(void)state;
	/* RFC 6749 §3.1: parameters without a value are treated as omitted */
	assert_int_equal(parse("a=&b&c=3", &ps), EIDGW_OK);
	assert_int_equal(ps.n, 1);
	assert_null(oidc_params_get(&ps, "a"));
	assert_null(oidc_params_get(&ps, "b"));
	assert_string_equal(oidc_params_get(&ps, "c"), "3");
	oidc_params_free(&ps);
}

static void
test_parse_duplicates(void **state)
{
	struct oidc_params ps;

	(void)state;
	assert_int_equal(parse("a=1&b=2&a=1", &ps), EIDGW_E_OIDC_PARAM_DUP);
	assert_null(ps.v);
	assert_int_equal(parse("a=&a=x", &ps), EIDGW_E_OIDC_PARAM_DUP);
	/* the same name spelled with an escape is the same parameter */
	assert_int_equal(parse("redirect_uri=x&redirect%5furi=y", &ps), EIDGW_E_OIDC_PARAM_DUP);
}

static void
test_parse_malformed(void **state)
{
	static const char *bad[] = { "a=%", "a=%4", "a=%zz", "a=%00", "=x", "%00=1", "a%=1" };
	struct oidc_params ps;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++)
		assert_int_not_equal(parse(bad[i], &ps), EIDGW_OK);
	/* too large as a whole */
	big = malloc(OIDC_MAX_QUERY + 2);
	assert_non_null(big);
	memset(big, 'a', OIDC_MAX_QUERY + 1);
	big[0] = 'x';
	big[1] = '=';
	big[OIDC_MAX_QUERY + 1] = '\0';
	assert_int_equal(parse(big, &ps), EIDGW_E_TOO_LARGE);
	/* one value above the value cap */
	big[OIDC_MAX_VALUE + 3] = '\0';
	assert_int_not_equal(parse(big, &ps), EIDGW_OK);
	free(big);
}

static void
test_parse_too_many(void **state)
{
	struct eidgw_buf b;
	struct oidc_params ps;
	int i;

	(void)state;
	eidgw_buf_init(&b, 8192);
	for (i = 0; i <= OIDC_MAX_PARAMS; i++)
		assert_int_equal(eidgw_buf_printf(&b, "p%d=1&", i), EIDGW_OK);
	assert_int_equal(parse(b.data, &ps), EIDGW_E_TOO_LARGE);
	eidgw_buf_free(&b);
}

static void
test_form_encode(void **state)
{
	struct eidgw_buf b;

	(void)state;
	eidgw_buf_init(&b, 256);
	assert_int_equal(oidc_form_encode(&b, "a b&c=d/é~-._"), EIDGW_OK);
	assert_string_equal(b.data, "a%20b%26c%3Dd%2F%C3%A9~-._");
	eidgw_buf_free(&b);
}

static void
test_basic_auth(void **state)
{
	char *id, *secret;

	(void)state;
	/* "client:secret" */
	assert_int_equal(oidc_basic_auth_parse("Basic Y2xpZW50OnNlY3JldA==", &id, &secret),
	    EIDGW_OK);
	assert_string_equal(id, "client");
	assert_string_equal(secret, "secret");
	free(id);
	eidgw_free_secret_str(secret);
	/* RFC 6749 §2.3.1: both halves form-urlencoded: "my%3Aid:p%2Bw+d" */
	assert_int_equal(oidc_basic_auth_parse("basic bXklM0FpZDpwJTJCdytk", &id, &secret),
	    EIDGW_OK);
	assert_string_equal(id, "my:id");
	assert_string_equal(secret, "p+w d");
	free(id);
	eidgw_free_secret_str(secret);
	/* other schemes are not ours */
	assert_int_equal(oidc_basic_auth_parse("Bearer abc", &id, &secret), EIDGW_E_NOT_FOUND);
	assert_int_equal(oidc_basic_auth_parse(NULL, &id, &secret), EIDGW_E_NOT_FOUND);
	assert_int_equal(oidc_basic_auth_parse("Basicx Y2xpZW50OnNlY3JldA==", &id, &secret),
	    EIDGW_E_NOT_FOUND);
	/* malformed: bad base64, no colon, empty id, bad escape */
	assert_int_equal(oidc_basic_auth_parse("Basic !!!", &id, &secret), EIDGW_E_MALFORMED);
	assert_int_equal(oidc_basic_auth_parse("Basic Y2xpZW50", &id, &secret), EIDGW_E_MALFORMED);
	assert_int_equal(oidc_basic_auth_parse("Basic OnNlY3JldA==", &id, &secret),
	    EIDGW_E_MALFORMED);
	assert_int_equal(oidc_basic_auth_parse("Basic YSUzOmI=", &id, &secret), EIDGW_E_MALFORMED);
	assert_int_equal(oidc_basic_auth_parse("Basic ", &id, &secret), EIDGW_E_MALFORMED);
	assert_null(id);
	assert_null(secret);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_decode),
		cmocka_unit_test(test_parse_empty_values_omitted),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_form_encode),
		cmocka_unit_test(test_basic_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
