/*
 * Mutation test (issue 7, STYLE.md lesson 12): every byte of a valid signed
 * Response (plain and encrypted) is flipped in two ways; each mutant must be
 * rejected or yield exactly the original identity.  Runs every position
 * (a few seconds); EIDGW_MUTATION_STEP=N samples every Nth byte.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "core/util.h"
#include "saml/response.h"
#include "saml/xml.h"

#include "saml_test_cert.h"

#define NOW 1767225900	/* 2026-01-01T00:05:00Z, as the hostile suite */

static EVP_PKEY *idp_pub;
static struct eidgw_key *sp_enc;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(saml_library_init(), EIDGW_OK);
	idp_pub = load_pub("saml/keys/idp-sign.cert.pem");
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-enc.key.pem"),
	    NULL, 3072, &sp_enc, NULL), EIDGW_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(idp_pub);
	eidgw_key_free(sp_enc);
	return 0;
}

static enum eidgw_err
always_new(void *ctx, const char *id, int64_t ttl)
{
	(void)ctx; (void)id; (void)ttl;
	return EIDGW_OK;
}

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_identity(const struct saml_result *a, const struct saml_result *b)
{
	const struct saml_identity *x = &a->identity, *y = &b->identity;

	return same(a->name_id, b->name_id) && same(a->name_id_format, b->name_id_format) &&
	    same(a->loa, b->loa) && same(a->assertion_id, b->assertion_id) &&
	    same(a->issuer, b->issuer) && a->authn_instant == b->authn_instant &&
	    x->kind == y->kind && same(x->person_identifier, y->person_identifier) &&
	    same(x->family_name.latin, y->family_name.latin) &&
	    same(x->family_name.nonlatin, y->family_name.nonlatin) &&
	    same(x->given_name.latin, y->given_name.latin) &&
	    same(x->given_name.nonlatin, y->given_name.nonlatin) &&
	    same(x->date_of_birth, y->date_of_birth) &&
	    same(x->legal_person_identifier, y->legal_person_identifier);
}

static void
mutate_file(const char *rel, bool encrypted)
{
	EVP_PKEY *keys[1] = { idp_pub };
	struct saml_trust trust = { keys, 1 };
	const struct eidgw_key *dec[1] = { sp_enc };
	struct saml_response_expect e;
	struct saml_result orig, res;
	const char *step_env = getenv("EIDGW_MUTATION_STEP");
	size_t len, i, step, rejected = 0, accepted = 0, k;
	char *xml;

	xml = tl_read_data(rel, &len);
	assert_non_null(xml);
	memset(&e, 0, sizeof(e));
	e.idp_entity_id = "https://idp.example.eu/metadata";
	e.idp_country = "BE";
	e.idp_trust = &trust;
	e.acs_url = "https://gw.example.org/saml/acs";
	e.sp_entity_id = "https://gw.example.org/saml/metadata";
	e.request_id = "_0123456789abcdef0123456789abcdef";
	e.requested_loa = SAML_LOA_SUBSTANTIAL;
	e.now = NOW;
	e.skew_s = 30;
	e.dec_keys = dec;
	e.ndec_keys = 1;
	e.require_encryption = encrypted;
	e.replay_fn = always_new;
	assert_int_equal(saml_response_validate_xml(xml, len, &e, &orig, NULL), EIDGW_OK);
	step = step_env != NULL ? (size_t)strtoul(step_env, NULL, 10) : 1;
	if (step == 0)
		step = 1;
	for (i = 0; i < len; i += step) {
		static const unsigned char flips[] = { 0x01, 0x80 };
		unsigned char saved = (unsigned char)xml[i];

		for (k = 0; k < EIDGW_ARRAY_LEN(flips); k++) {
			xml[i] = (char)(saved ^ flips[k]);
			if (saml_response_validate_xml(xml, len, &e, &res, NULL) == EIDGW_OK) {
				if (!same_identity(&orig, &res))
					fail_msg("%s: byte %zu ^ 0x%02x accepted with another identity",
					    rel, i, flips[k]);
				if (getenv("EIDGW_MUTATION_VERBOSE") != NULL)
					print_message("accepted: byte %zu ^ 0x%02x\n", i, flips[k]);
				accepted++;
			} else {
				assert_null(res.identity.person_identifier);
				rejected++;
			}
			saml_result_clear(&res);
		}
		xml[i] = (char)saved;
	}
	print_message("%s: %zu bytes, %zu mutants rejected, %zu accepted with the same identity\n",
	    rel, len, rejected, accepted);
	assert_true(rejected > 0);
	saml_result_clear(&orig);
	free(xml);
}

static void
test_mutation_plain(void **state)
{
	(void)state;
	mutate_file("saml/hostile/valid.xml", false);
}

static void
test_mutation_encrypted(void **state)
{
	(void)state;
	mutate_file("saml/hostile/valid-encrypted.xml", true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutation_plain),
		cmocka_unit_test(test_mutation_encrypted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
