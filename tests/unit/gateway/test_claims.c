/* Unit tests for the eIDAS -> OIDC claim mapping beyond the core claims (gateway/src/claims.c). */
#include "testlib.h"

#include <string.h>

#include "claims.h"

static const char *
find(const struct gw_claims *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return c->v[i].json;
	return NULL;
}

static void
test_script(void **state)
{
	(void)state;
	assert_string_equal(gw_script_of("Παπαδοπούλου"), "Grek");
	assert_string_equal(gw_script_of("Иванов"), "Cyrl");
	assert_string_equal(gw_script_of("Müller Ἀθῆναι"), "Grek");	/* first non-Latin letter */
	assert_null(gw_script_of("Müller-Łukasiewicz"));	/* Latin with diacritics */
	assert_null(gw_script_of("plain"));
	assert_null(gw_script_of("\xff\xfe"));			/* not UTF-8 */
	assert_null(gw_script_of("漢字"));			/* a script we do not tag */
}

static void
test_mapping(void **state)
{
	struct saml_address addr = { 0 };
	struct saml_identity id = { 0 };
	struct gw_claims c;

	(void)state;
	id.person_identifier = (char *)"LU/BE/1";
	id.family_name.latin = (char *)"Papadopoulou";
	id.family_name.nonlatin = (char *)"Παπαδοπούλου";
	id.given_name.latin = (char *)"Eleni";
	id.gender = (char *)"Female";
	id.email_address = (char *)"e@example.org";
	id.place_of_birth = (char *)"Athens";
	id.town_of_birth = (char *)"ignored";
	id.country_of_birth = (char *)"GR";
	id.nationality = (char *)"GR";
	addr.thoroughfare = (char *)"Rue de la Gare";
	addr.locator_designator = (char *)"12";
	addr.post_code = (char *)"1611";
	addr.post_name = (char *)"Luxembourg";
	addr.admin_unit_first_line = (char *)"LU";
	id.current_address = &addr;
	assert_int_equal(gw_claims_from_saml(&id, "LU", &c), EIDGW_OK);
	assert_string_equal(find(&c, "family_name#und-Grek"), "\"Παπαδοπούλου\"");
	assert_null(find(&c, "given_name#und-Grek"));
	assert_string_equal(find(&c, "gender"), "\"female\"");
	assert_string_equal(find(&c, "email"), "\"e@example.org\"");
	assert_string_equal(find(&c, "email_verified"), "false");
	assert_string_equal(find(&c, "place_of_birth"), "{\"locality\":\"Athens\",\"country\":\"GR\"}");
	assert_string_equal(find(&c, "nationalities"), "[\"GR\"]");
	assert_string_equal(find(&c, "eidas_node_country"), "\"LU\"");
	assert_non_null(strstr(find(&c, "address"), "\"street_address\":\"Rue de la Gare 12\""));
	assert_non_null(strstr(find(&c, "address"), "\"formatted\":\"Rue de la Gare 12\\n1611\\nLuxembourg\\nLU\""));
	assert_non_null(strstr(find(&c, "address"), "\"country\":\"LU\""));
	/* nothing personal beyond what was asserted */
	assert_null(find(&c, "phone_number"));
	gw_claims_free(&c);

	/* Unspecified gender is not released */
	memset(&id, 0, sizeof(id));
	id.gender = (char *)"Unspecified";
	assert_int_equal(gw_claims_from_saml(&id, NULL, &c), EIDGW_OK);
	assert_null(find(&c, "gender"));
	assert_int_equal(c.n, 0);
	gw_claims_free(&c);
}

/* A connector's extra claims: members of one JSON object, nothing else. */
static void
test_from_json(void **state)
{
	struct gw_claims c;

	(void)state;
	assert_int_equal(gw_claims_from_json("{\"gender\":\"female\",\"address\":{\"locality\":\"Gent\"}}",
	    &c), EIDGW_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(find(&c, "gender"), "\"female\"");
	assert_string_equal(find(&c, "address"), "{\"locality\":\"Gent\"}");
	gw_claims_free(&c);
	assert_int_equal(gw_claims_from_json(NULL, &c), EIDGW_OK);
	assert_int_equal(c.n, 0);
	assert_int_equal(gw_claims_from_json("[\"gender\"]", &c), EIDGW_E_MALFORMED);
	assert_int_equal(gw_claims_from_json("{\"a\":1", &c), EIDGW_E_MALFORMED);
	assert_int_equal(gw_claims_from_json("{\"a\":1,\"a\":2}", &c), EIDGW_E_MALFORMED);
	assert_int_equal(gw_claims_from_json("{\"a1\":1,\"a2\":1,\"a3\":1,\"a4\":1,\"a5\":1,"
	    "\"a6\":1,\"a7\":1,\"a8\":1,\"a9\":1,\"b1\":1,\"b2\":1,\"b3\":1,\"b4\":1,\"b5\":1,"
	    "\"b6\":1,\"b7\":1,\"b8\":1}", &c), EIDGW_E_TOO_LARGE);
	assert_int_equal(c.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_from_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
