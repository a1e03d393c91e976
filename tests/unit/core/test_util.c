/* Unit tests for core/: buffers, base64, constant-time compare, time. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

static void
test_buf_cap(void **state)
{
	struct eidgw_buf b;

	(void)state;
	eidgw_buf_init(&b, 8);
	assert_int_equal(eidgw_buf_puts(&b, "12345678"), EIDGW_OK);
	assert_int_equal(eidgw_buf_puts(&b, "9"), EIDGW_E_TOO_LARGE);
	assert_string_equal(b.data, "12345678");	/* untouched on failure */
	assert_int_equal(b.len, 8);
	eidgw_buf_free(&b);
	assert_null(b.data);
}

static void
test_buf_escape(void **state)
{
	struct eidgw_buf b;

	(void)state;
	eidgw_buf_init(&b, 1024);
	assert_int_equal(eidgw_buf_json_escape(&b, "a\"b\\c\n\x01"), EIDGW_OK);
	assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001");
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_buf_html_escape(&b, "<a href='x'>&\"</a>"), EIDGW_OK);
	assert_string_equal(b.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
	eidgw_buf_free(&b);
}

static void
test_b64_roundtrip(void **state)
{
	static const char *vec[][3] = {
		/* RFC 4648 section 10 */
		{ "", "", "" }, { "f", "Zg==", "Zg" }, { "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" }, { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	};
	struct eidgw_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(vec); i++) {
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_encode(&b, vec[i][0], strlen(vec[i][0]), false), EIDGW_OK);
		assert_string_equal(b.data != NULL ? b.data : "", vec[i][1]);
		eidgw_buf_free(&b);
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_encode(&b, vec[i][0], strlen(vec[i][0]), true), EIDGW_OK);
		assert_string_equal(b.data != NULL ? b.data : "", vec[i][2]);
		eidgw_buf_free(&b);
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_decode(&b, vec[i][1], strlen(vec[i][1]), false), EIDGW_OK);
		assert_string_equal(b.data, vec[i][0]);
		eidgw_buf_free(&b);
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_decode(&b, vec[i][2], strlen(vec[i][2]), true), EIDGW_OK);
		assert_string_equal(b.data, vec[i][0]);
		eidgw_buf_free(&b);
	}
}

static void
test_b64_reject(void **state)
{
	static const char *bad[] = { "Zg=", "Zm9v!", "Z", "Zg==Zg==", "Zh==", "Zm9vY===" };
	struct eidgw_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_decode(&b, bad[i], strlen(bad[i]), false),
		    EIDGW_E_BAD_ENCODING);
		eidgw_buf_free(&b);
	}
	/* whitespace inside standard base64 (SAML bindings wrap lines) is fine */
	eidgw_buf_init(&b, 64);
	assert_int_equal(eidgw_b64_decode(&b, "Zm9v\r\nYmFy", 10, false), EIDGW_OK);
	assert_string_equal(b.data, "foobar");
	eidgw_buf_free(&b);
	/* base64url: padding may be left out, but when present it must be complete */
	{
		static const char *const bad_url[] = { "AAAA==", "AAA==", "AA=", "Zm9vYg=" };
		size_t j;

		for (j = 0; j < EIDGW_ARRAY_LEN(bad_url); j++) {
			eidgw_buf_init(&b, 64);
			assert_int_equal(eidgw_b64_decode(&b, bad_url[j], strlen(bad_url[j]), true),
			    EIDGW_E_BAD_ENCODING);
			eidgw_buf_free(&b);
		}
		eidgw_buf_init(&b, 64);
		assert_int_equal(eidgw_b64_decode(&b, "Zm9vYg==", 8, true), EIDGW_OK);
		assert_string_equal(b.data, "foob");
		eidgw_buf_free(&b);
	}
	/* ... but not in base64url (JOSE) */
	eidgw_buf_init(&b, 64);
	assert_int_equal(eidgw_b64_decode(&b, "Zm9v YmFy", 9, true), EIDGW_E_BAD_ENCODING);
	eidgw_buf_free(&b);
	/* the output cap holds */
	eidgw_buf_init(&b, 3);
	assert_int_equal(eidgw_b64_decode(&b, "Zm9vYmFy", 8, false), EIDGW_E_TOO_LARGE);
	eidgw_buf_free(&b);
}

/*
 * Differential: random byte strings of every length up to 700, encoded by
 * OpenSSL (EVP_EncodeBlock), with whitespace sprinkled in, decode to the
 * same bytes; one byte changed to a non-alphabet character is refused and
 * leaves the buffer as it was; the same text as base64url decodes too.
 */
static void
test_b64_differential(void **state)
{
	unsigned char raw[700], enc[1000], ws[2000];
	struct eidgw_buf b;
	size_t n, k, m, i;
	unsigned int seed = 12345;

	(void)state;
	for (n = 0; n < sizeof(raw); n += (n < 40 ? 1 : 7)) {
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			raw[i] = (unsigned char)(seed >> 16);
		}
		k = (size_t)EVP_EncodeBlock(enc, raw, (int)n);
		/* whitespace after some characters */
		for (i = 0, m = 0; i < k; i++) {
			ws[m++] = enc[i];
			seed = seed * 1103515245u + 12345u;
			if (((seed >> 16) & 15) == 0)
				ws[m++] = (seed >> 20) & 1 ? '\n' : ' ';
		}
		eidgw_buf_init(&b, 1024);
		assert_int_equal(eidgw_b64_decode(&b, (const char *)enc, k, false), EIDGW_OK);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, raw, n);
		eidgw_buf_reset(&b);
		assert_int_equal(eidgw_b64_decode(&b, (const char *)ws, m, false), EIDGW_OK);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, raw, n);
		if (k > 0) {
			eidgw_buf_reset(&b);
			assert_int_equal(eidgw_buf_append(&b, "kept", 4), EIDGW_OK);
			ws[m / 2] = '*';
			assert_int_equal(eidgw_b64_decode(&b, (const char *)ws, m, false),
			    EIDGW_E_BAD_ENCODING);
			assert_int_equal(b.len, 4);
			assert_string_equal(b.data, "kept");
			/* base64url: the same text with - and _, padding dropped */
			for (i = 0; i < k; i++)
				enc[i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : enc[i];
			while (k > 0 && enc[k - 1] == '=')
				k--;
			eidgw_buf_reset(&b);
			assert_int_equal(eidgw_b64_decode(&b, (const char *)enc, k, true), EIDGW_OK);
			assert_int_equal(b.len, n);
			assert_memory_equal(b.data, raw, n);
		}
		eidgw_buf_free(&b);
	}
}

static void
test_ct_equal(void **state)
{
	(void)state;
	assert_true(eidgw_ct_streq("abc", "abc"));
	assert_false(eidgw_ct_streq("abc", "abd"));
	assert_false(eidgw_ct_streq("abc", "abcd"));
	assert_false(eidgw_ct_streq("abc", NULL));
	assert_true(eidgw_ct_streq(NULL, NULL));
	assert_true(eidgw_ct_equal("", 0, "", 0));
}

static void
test_time(void **state)
{
	char s[32];
	int64_t t;

	(void)state;
	eidgw_time_fmt(0, s);
	assert_string_equal(s, "1970-01-01T00:00:00Z");
	eidgw_time_fmt(1795942103, s);
	assert_string_equal(s, "2026-11-29T08:48:23Z");
	assert_int_equal(eidgw_time_parse("2026-11-29T08:48:23Z", &t), EIDGW_OK);
	assert_int_equal(t, 1795942103);
	assert_int_equal(eidgw_time_parse("2026-11-29T09:48:23.123+01:00", &t), EIDGW_OK);
	assert_int_equal(t, 1795942103);
	assert_int_equal(eidgw_time_parse("2024-02-29T00:00:00Z", &t), EIDGW_OK);
	assert_int_equal(eidgw_time_parse("2023-02-29T00:00:00Z", &t), EIDGW_E_MALFORMED);
	assert_int_equal(eidgw_time_parse("2026-11-29 08:48:23Z", &t), EIDGW_E_MALFORMED);
	assert_int_equal(eidgw_time_parse("2026-11-29T08:48:23Zjunk", &t), EIDGW_E_MALFORMED);
	assert_int_equal(eidgw_time_parse("2026-13-01T00:00:00Z", &t), EIDGW_E_MALFORMED);
	eidgw_time_fmt(-1, s);
	assert_string_equal(s, "1969-12-31T23:59:59Z");
}

static void
test_err_names(void **state)
{
	struct eidgw_diag d;

	(void)state;
	assert_string_equal(eidgw_err_name(EIDGW_E_NOMEM), "EIDGW_E_NOMEM");
	assert_int_equal(eidgw_err_category(EIDGW_E_CONFIG_SYNTAX), EIDGW_CAT_CONFIG);
	eidgw_diag_clear(&d);
	assert_int_equal(eidgw_diag_set(&d, EIDGW_E_IO, "f.c", 3, "first %d", 1), EIDGW_E_IO);
	assert_int_equal(eidgw_diag_set(&d, EIDGW_E_NOMEM, "f.c", 4, "second"), EIDGW_E_NOMEM);
	assert_string_equal(d.reason, "first 1");	/* the first failure wins */
	assert_int_equal(d.code, EIDGW_E_IO);
}

static void
test_random(void **state)
{
	char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(eidgw_random_token(32, &a), EIDGW_OK);
	assert_int_equal(eidgw_random_token(32, &b), EIDGW_OK);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(eidgw_random_hex("_", 16, &a), EIDGW_OK);
	assert_int_equal(strlen(a), 33);
	assert_int_equal(a[0], '_');
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_escape),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_b64_reject),
		cmocka_unit_test(test_b64_differential),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
