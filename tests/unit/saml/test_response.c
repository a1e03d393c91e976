/*
 * Unit tests for saml/response.c: the hostile-input suite of
 * tests/data/saml/hostile (MANIFEST: file, expected code, options), the
 * result of a valid Response, LoA ordering, and the replay cache failing
 * closed.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "core/store.h"
#include "core/util.h"
#include "saml/response.h"
#include "saml/xml.h"

#include "saml_test_cert.h"

#define IDP "https://idp.example.eu/metadata"
#define ACS "https://gw.example.org/saml/acs"
#define SP "https://gw.example.org/saml/metadata"
#define REQ "_0123456789abcdef0123456789abcdef"
#define NOW 1767225900	/* 2026-01-01T00:05:00Z */

static EVP_PKEY *idp_pub, *idp_rsa_pub;
static struct eidgw_key *sp_enc, *sp_enc_bp;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(saml_library_init(), EIDGW_OK);
	idp_pub = load_pub("saml/keys/idp-sign.cert.pem");
	idp_rsa_pub = load_pub("saml/keys/idp-rsa.cert.pem");
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-enc.key.pem"),
	    NULL, 3072, &sp_enc, NULL), EIDGW_OK);
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA,
	    "saml/keys/sp-enc-bp256.key.pem"), NULL, 3072, &sp_enc_bp, NULL), EIDGW_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(idp_pub);
	EVP_PKEY_free(idp_rsa_pub);
	eidgw_key_free(sp_enc);
	eidgw_key_free(sp_enc_bp);
	return 0;
}

struct fixture {
	EVP_PKEY *keys[2];
	struct saml_trust trust;
	const struct eidgw_key *dec[2];	/* rollover: an RSA and a brainpool key */
	struct saml_response_expect e;
	struct eidgw_store *store;
};

static void
fixture_init(struct fixture *f, bool trust_rsa)
{
	memset(f, 0, sizeof(*f));
	f->keys[0] = idp_pub;
	f->keys[1] = idp_rsa_pub;
	f->trust.keys = f->keys;
	f->trust.nkeys = trust_rsa ? 2 : 1;
	f->dec[0] = sp_enc;
	f->dec[1] = sp_enc_bp;
	assert_int_equal(eidgw_store_mem_new(&f->store), EIDGW_OK);
	f->e.idp_entity_id = IDP;
	f->e.idp_country = "BE";
	f->e.idp_trust = &f->trust;
	f->e.acs_url = ACS;
	f->e.sp_entity_id = SP;
	f->e.request_id = REQ;
	f->e.requested_loa = SAML_LOA_SUBSTANTIAL;
	f->e.requested_nameid_format = SAML_NAMEID_PERSISTENT;
	f->e.now = NOW;
	f->e.skew_s = 30;
	f->e.dec_keys = f->dec;
	f->e.ndec_keys = 2;
	f->e.replay_store = f->store;
}

static void
fixture_free(struct fixture *f)
{
	eidgw_store_free(f->store);
}

static enum eidgw_err
run_b64(const char *xml, size_t len, const struct saml_response_expect *e,
    struct saml_result *res, struct eidgw_diag *d)
{
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 4 * 1024 * 1024);
	assert_int_equal(eidgw_b64_encode(&b, xml, len, false), EIDGW_OK);
	rc = saml_response_validate(b.data, b.len, e, res, d);
	eidgw_buf_free(&b);
	return rc;
}

static const char *
opt_value(char **opts, int nopts, const char *key)
{
	size_t kl = strlen(key);
	int i;

	for (i = 0; i < nopts; i++)
		if (strncmp(opts[i], key, kl) == 0 && opts[i][kl] == '=')
			return opts[i] + kl + 1;
	return NULL;
}

static bool
opt_has(char **opts, int nopts, const char *key)
{
	int i;

	for (i = 0; i < nopts; i++)
		if (strcmp(opts[i], key) == 0)
			return true;
	return false;
}

/*
 * Replays a MANIFEST of hostile inputs (file, expected code, options) under
 * dir; each must give exactly its code.  Returns the number of cases.
 */
static int
run_manifest(const char *dir)
{
	char *manifest = tl_read_data(tl_path(dir, "MANIFEST"), NULL);
	char *line, *save = NULL, *tok, *tsave;
	int ncases = 0, failures = 0;

	assert_non_null(manifest);
	for (line = strtok_r(manifest, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *file, *expect, *opts[8];
		int nopts = 0;
		struct fixture f;
		struct saml_result res;
		struct eidgw_diag d;
		enum eidgw_err rc;
		const char *v;
		char *xml;
		size_t len;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok_r(line, " ", &tsave);
		expect = strtok_r(NULL, " ", &tsave);
		assert_non_null(expect);
		while (nopts < 8 && (tok = strtok_r(NULL, " ", &tsave)) != NULL)
			opts[nopts++] = tok;
		xml = tl_read_data(tl_path(dir, file), &len);
		assert_non_null(xml);
		fixture_init(&f, opt_has(opts, nopts, "trust_rsa"));
		f.e.assertion_signature_only = opt_has(opts, nopts, "aso");
		f.e.require_encryption = opt_has(opts, nopts, "enc_required");
		f.e.require_assertion_signature = opt_has(opts, nopts, "assertion_sig_required");
		f.e.allow_rsa_oaep_mgf1p = opt_has(opts, nopts, "mgf1p");
		if ((v = opt_value(opts, nopts, "max")) != NULL)
			f.e.max_bytes = (size_t)strtoul(v, NULL, 10);
		eidgw_diag_clear(&d);
		rc = run_b64(xml, len, &f.e, &res, &d);
		if (strcmp(eidgw_err_name(rc), expect) != 0) {
			print_error("%s: got %s (%s), want %s\n", file, eidgw_err_name(rc),
			    d.reason, expect);
			failures++;
		}
		if (rc == EIDGW_OK) {
			if ((v = opt_value(opts, nopts, "name_id")) != NULL &&
			    strcmp(res.name_id, v) != 0) {
				print_error("%s: NameID read as '%s'\n", file, res.name_id);
				failures++;
			}
			if ((v = opt_value(opts, nopts, "pid")) != NULL &&
			    strcmp(res.identity.person_identifier, v) != 0) {
				print_error("%s: PersonIdentifier read as '%s'\n", file,
				    res.identity.person_identifier);
				failures++;
			}
		}
		saml_result_clear(&res);
		if (opt_has(opts, nopts, "replay")) {
			rc = run_b64(xml, len, &f.e, &res, NULL);
			if (rc != EIDGW_E_SAML_REPLAY) {
				print_error("%s: replay gave %s\n", file, eidgw_err_name(rc));
				failures++;
			}
			saml_result_clear(&res);
		}
		fixture_free(&f);
		free(xml);
		ncases++;
	}
	free(manifest);
	print_message("%s: %d cases\n", dir, ncases);
	assert_int_equal(failures, 0);
	return ncases;
}

/* Digest 2 and issue 7 "Done means": every hostile input gets its own code. */
static void
test_hostile_manifest(void **state)
{
	(void)state;
	assert_true(run_manifest("saml/hostile") >= 60);
}

/*
 * The second suite (tests/data/saml/gen_attacks.py): wrapping shapes, ID
 * games, transform / c14n / algorithm swaps, KeyInfo, namespace and
 * encoding tricks, clock edges, XML-Enc abuse and hostile plaintexts.
 */
static void
test_attack_manifest(void **state)
{
	(void)state;
	assert_true(run_manifest("saml/attacks") >= 140);
}

static void
test_valid_result(void **state)
{
	struct fixture f;
	struct saml_result res;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_OK);
	assert_string_equal(res.assertion_id, "_asrt000000000000000000000000001");
	assert_string_equal(res.response_id, "_resp000000000000000000000000001");
	assert_string_equal(res.issuer, IDP);
	assert_string_equal(res.name_id, "BE/DE/1234567890");
	assert_string_equal(res.name_id_format, SAML_NAMEID_PERSISTENT);
	assert_string_equal(res.loa, SAML_LOA_SUBSTANTIAL);
	assert_string_equal(res.status_code, SAML_STATUS_SUCCESS);
	assert_int_equal(res.authn_instant, NOW - 10);
	assert_int_equal(res.not_on_or_after, NOW + 300);
	assert_false(res.was_encrypted);
	assert_int_equal(res.identity.kind, SAML_PERSON_NATURAL);
	assert_string_equal(res.identity.person_identifier, "BE/DE/1234567890");
	assert_string_equal(res.identity.family_name.latin, "Papadopoulos");
	assert_string_equal(res.identity.family_name.nonlatin, "Παπαδόπουλος");
	assert_string_equal(res.identity.given_name.latin, "Eleni");
	assert_null(res.identity.given_name.nonlatin);
	assert_string_equal(res.identity.date_of_birth, "1970-05-31");
	saml_result_clear(&res);
	assert_null(res.name_id);
	fixture_free(&f);
	free(xml);
}

/* A country's attribute name variants are read as the eIDAS names they stand for. */
static void
test_attribute_aliases(void **state)
{
	/* a node that (wrongly) swapped the two names, declared as variants of each other */
	static const char *const from[] = {
		"http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
		"http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
		"urn:example:not-present",
	};
	static const char *const to[] = {
		"http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
		"http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
		"http://eidas.europa.eu/attributes/naturalperson/PlaceOfBirth",
	};
	struct fixture f;
	struct saml_result res;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	f.e.alias_from = from;
	f.e.alias_to = to;
	f.e.nalias = 3;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_OK);
	/* the signature still verified; each value is read under the name it stands for */
	assert_string_equal(res.identity.given_name.latin, "Papadopoulos");
	assert_string_equal(res.identity.given_name.nonlatin, "Παπαδόπουλος");
	assert_string_equal(res.identity.family_name.latin, "Eleni");
	assert_null(res.identity.place_of_birth);
	assert_string_equal(res.identity.person_identifier, "BE/DE/1234567890");
	saml_result_clear(&res);
	fixture_free(&f);
	free(xml);
}

static void
test_encrypted_result(void **state)
{
	struct fixture f;
	struct saml_result res;
	struct eidgw_diag d;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/hostile/valid-encrypted.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	f.e.require_encryption = true;
	eidgw_diag_clear(&d);
	assert_int_equal(run_b64(xml, len, &f.e, &res, &d), EIDGW_OK);
	assert_true(res.was_encrypted);
	assert_string_equal(res.identity.person_identifier, "BE/DE/1234567890");
	saml_result_clear(&res);
	/* without our key: decryption fails, one generic code */
	f.e.ndec_keys = 0;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_DECRYPT);
	saml_result_clear(&res);
	fixture_free(&f);
	free(xml);
}

static void
test_status_kept_on_error(void **state)
{
	struct fixture f;
	struct saml_result res;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/hostile/status-denied.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_STATUS_DENIED);
	assert_string_equal(res.status_code, "urn:oasis:names:tc:SAML:2.0:status:Responder");
	assert_string_equal(res.status_sub_code, "urn:oasis:names:tc:SAML:2.0:status:RequestDenied");
	assert_null(res.assertion_id);
	saml_result_clear(&res);
	fixture_free(&f);
	free(xml);
}

static enum eidgw_err
store_down(struct eidgw_store *s, const char *k, const void *v, size_t l, int64_t ttl)
{
	(void)s; (void)k; (void)v; (void)l; (void)ttl;
	return EIDGW_E_STORE_UNAVAILABLE;
}

static enum eidgw_err
replay_cb(void *ctx, const char *id, int64_t ttl)
{
	int *calls = ctx;

	assert_string_equal(id, "_asrt000000000000000000000000001");
	assert_true(ttl >= 300 && ttl <= 330);
	return (*calls)++ == 0 ? EIDGW_OK : EIDGW_E_STORE_EXISTS;
}

/* store.h: a cache that cannot answer makes validation fail, never skip. */
static void
test_replay_fail_closed(void **state)
{
	static const struct eidgw_store_ops down_ops = { .name = "down", .put_new = store_down };
	struct eidgw_store down = { &down_ops, NULL };
	struct fixture f;
	struct saml_result res;
	char *xml;
	size_t len;
	int calls = 0;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	f.e.replay_store = &down;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_STORE_UNAVAILABLE);
	assert_null(res.identity.person_identifier);
	saml_result_clear(&res);
	f.e.replay_store = NULL;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_STORE_UNAVAILABLE);
	saml_result_clear(&res);
	f.e.replay_fn = replay_cb;
	f.e.replay_ctx = &calls;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_OK);
	saml_result_clear(&res);
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_REPLAY);
	saml_result_clear(&res);
	fixture_free(&f);
	free(xml);
}

static void
test_expectation_mismatches(void **state)
{
	struct fixture f;
	struct saml_result res;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	fixture_init(&f, false);
	f.e.requested_loa = SAML_LOA_HIGH;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_LOA);
	saml_result_clear(&res);
	fixture_free(&f);
	fixture_init(&f, false);
	f.e.idp_country = "DE";
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_PID_COUNTRY);
	saml_result_clear(&res);
	fixture_free(&f);
	fixture_init(&f, false);
	f.e.requested_nameid_format = SAML_NAMEID_TRANSIENT;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_NAMEID);
	saml_result_clear(&res);
	fixture_free(&f);
	fixture_init(&f, false);
	f.e.now = NOW + 3600;	/* everything expired */
	assert_int_not_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_OK);
	saml_result_clear(&res);
	fixture_free(&f);
	fixture_init(&f, false);
	f.trust.nkeys = 0;
	assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_SIG_UNTRUSTED);
	saml_result_clear(&res);
	fixture_free(&f);
	fixture_init(&f, false);
	{
		static const char *const exact[] = { "http://eidas.europa.eu/NotNotified/LoA/high",
		    SAML_LOA_SUBSTANTIAL, SAML_LOA_HIGH };

		f.e.exact_loas = exact;
		f.e.nexact_loas = 3;
		assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_OK);
		saml_result_clear(&res);
	}
	fixture_free(&f);
	fixture_init(&f, false);
	{
		static const char *const req[] = { "http://eidas.europa.eu/attributes/naturalperson/BirthName" };

		f.e.required_attrs = req;
		f.e.nrequired_attrs = 1;
		assert_int_equal(run_b64(xml, len, &f.e, &res, NULL), EIDGW_E_SAML_ATTR_MISSING);
		saml_result_clear(&res);
	}
	fixture_free(&f);
	/* not base64 */
	fixture_init(&f, false);
	assert_int_equal(saml_response_validate("!!!!", 4, &f.e, &res, NULL), EIDGW_E_SAML_ENCODING);
	saml_result_clear(&res);
	fixture_free(&f);
	free(xml);
}

static void
test_loa_order(void **state)
{
	(void)state;
	assert_true(saml_loa_satisfies(SAML_LOA_LOW, SAML_LOA_LOW));
	assert_true(saml_loa_satisfies(SAML_LOA_LOW, SAML_LOA_HIGH));
	assert_true(saml_loa_satisfies(SAML_LOA_SUBSTANTIAL, SAML_LOA_HIGH));
	assert_false(saml_loa_satisfies(SAML_LOA_HIGH, SAML_LOA_SUBSTANTIAL));
	assert_false(saml_loa_satisfies(SAML_LOA_SUBSTANTIAL, SAML_LOA_LOW));
	/* non-notified never satisfies notified; never rounded up */
	assert_false(saml_loa_satisfies(SAML_LOA_LOW, "http://eidas.europa.eu/NotNotified/LoA/high"));
	assert_false(saml_loa_satisfies(SAML_LOA_LOW, "http://eidas.europa.eu/LoA/NotNotified/high"));
	assert_false(saml_loa_satisfies(SAML_LOA_LOW, "http://eidas.europa.eu/LoA/high "));
	assert_true(saml_loa_satisfies("http://x.example/nn", "http://x.example/nn"));
	assert_false(saml_loa_satisfies("http://x.example/nn", SAML_LOA_HIGH));
	assert_false(saml_loa_satisfies(NULL, SAML_LOA_HIGH));
	assert_false(saml_loa_satisfies(SAML_LOA_LOW, NULL));
}

/*
 * Ground truth from the EC eIDAS-Node (test resources, EUPL): Responses with
 * an ECDH-ES brainpoolP256r1 + kw-aes128/256 + AES-GCM encrypted assertion
 * whose own ECDSA signature (SHA-512 digest) verifies.  The Response-level
 * signature of these resources no longer verifies (the files were
 * reformatted after signing; xmlsec1 refuses it too), so it is removed
 * here and the weakest policy we offer ("assertion signature only") is used:
 * everything else - decryption, the assertion signature, every check, the
 * attribute profile - runs on the EC node's own bytes.
 */
static void
test_ec_node_response(void **state)
{
	static const struct {
		const char *file, *request_id;
		int64_t now;
	} files[] = {
		{ "testvectors/eidas-node/saml_ec_Brainpool_kw-aes256_encrypted_response.xml",
		  "_ITYdPKBeqqXLluXOxkzQIgyYn5-4_HPnBl8-X_dYkXOA5AwKGvpHDgcahZw.X2n",
		  1626773365 },	/* 2021-07-20T09:29:25Z */
		{ "testvectors/eidas-node/saml_ec_Brainpool_kw-aes128_encrypted_response.xml",
		  "_tGKO.XGFtf7pJezOS0kD4.QdPTOskfzKZkVgIDhoYmlHgRFnzcLDSHoLN1CrKoT",
		  1626778951 },	/* 2021-07-20T11:02:31Z */
	};
	struct eidgw_key *dec = NULL;
	const struct eidgw_key *decs[1];
	EVP_PKEY *signer = load_pub("testvectors/eidas-node/decrypted/assertion-signer.cert.pem");
	struct saml_trust trust = { &signer, 1 };
	size_t i;

	(void)state;
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA,
	    "testvectors/eidas-node/test.p12.test-ec.key.pem"), NULL, 3072, &dec, NULL), EIDGW_OK);
	decs[0] = dec;
	for (i = 0; i < EIDGW_ARRAY_LEN(files); i++) {
		struct saml_response_expect e;
		struct saml_result res;
		struct eidgw_store *store = NULL;
		struct eidgw_diag d;
		char *xml, *sig, *end;
		size_t len;

		xml = tl_read_data(files[i].file, &len);
		assert_non_null(xml);
		sig = strstr(xml, "<ds:Signature>");
		end = sig != NULL ? strstr(sig, "</ds:Signature>") : NULL;
		assert_non_null(end);
		assert_true(sig < strstr(xml, "<saml2:EncryptedAssertion"));
		end += strlen("</ds:Signature>");
		memmove(sig, end, strlen(end) + 1);
		len = strlen(xml);
		assert_int_equal(eidgw_store_mem_new(&store), EIDGW_OK);
		memset(&e, 0, sizeof(e));
		e.idp_entity_id = "http://cef-eid-build-1:8085/EidasNode/ServiceMetadata";
		e.idp_country = "CC";	/* the test node's placeholder country */
		e.idp_trust = &trust;
		e.acs_url = "http://cef-eid-build-1:8085/EidasNode/ColleagueResponse";
		e.sp_entity_id = "http://cef-eid-build-1:8085/EidasNode/ConnectorMetadata";
		e.request_id = files[i].request_id;
		e.requested_loa = SAML_LOA_LOW;
		e.now = files[i].now;
		e.skew_s = 5;
		e.dec_keys = decs;
		e.ndec_keys = 1;
		e.require_encryption = true;
		e.assertion_signature_only = true;
		e.replay_store = store;
		eidgw_diag_clear(&d);
		if (saml_response_validate_xml(xml, len, &e, &res, &d) != EIDGW_OK)
			fail_msg("%s: %s %s", files[i].file, eidgw_err_name(d.code), d.reason);
		assert_true(res.was_encrypted);
		assert_true(res.assertion_signed);
		assert_string_equal(res.loa, SAML_LOA_LOW);
		assert_string_equal(res.name_id_format, SAML_NAMEID_UNSPECIFIED);
		assert_int_equal(res.identity.kind, SAML_PERSON_BOTH);
		assert_string_equal(res.identity.person_identifier, "CC/CC/12345");
		assert_string_equal(res.identity.family_name.latin, "Garcia");
		assert_string_equal(res.identity.given_name.latin, "javier");
		assert_string_equal(res.identity.date_of_birth, "1964-12-31");
		assert_string_equal(res.identity.legal_person_identifier, "CC/CC/125457487Company");
		saml_result_clear(&res);
		/* the default policy (Response must be signed) refuses it */
		e.assertion_signature_only = false;
		assert_int_equal(saml_response_validate_xml(xml, len, &e, &res, NULL),
		    EIDGW_E_SAML_SIG_MISSING);
		saml_result_clear(&res);
		eidgw_store_free(store);
		free(xml);
	}
	eidgw_key_free(dec);
	EVP_PKEY_free(signer);
}

/*
 * The other eight EC eIDAS-Node Responses of the shared test vectors, through
 * the public API.  None can be accepted as it stands, for a documented
 * reason: their assertions are unsigned and their Response is either
 * unsigned or was reformatted after signing (its digest no longer matches;
 * xmlsec1 refuses it too).  So with the default policy the Response
 * signature check refuses them; and with the signature removed and the
 * weakest library policy ("assertion signature only") every check before
 * the assertion signature passes - parse, header, issuer, destination,
 * InResponseTo, status, decryption with the node's own key (ECDH-ES P-256
 * and brainpool, RSA-OAEP 1.1, rsa-oaep-mgf1p with opt-in) - and the refusal
 * is EIDGW_E_SAML_ASSERTION_SIG_REQUIRED, nothing earlier.
 */
static void
test_ec_node_other_responses(void **state)
{
	static const struct {
		const char *file, *key;
		bool signed_response, mgf1p;
	} files[] = {
		{ "ec-cert-encryptedAssertion.xml", "test.p12.test-ec.key.pem", false, false },
		{ "saml_ec_NistCurve_kw-aes128_encrypted_response.xml",
		  "test.p12.test-ec-nist.key.pem", false, false },
		{ "saml_ec_NistCurve_kw-aes256_encrypted_response.xml",
		  "test.p12.test-ec-nist.key.pem", false, false },
		{ "saml_rsa_rsa-oaep_encrypted_response.xml", "test.p12.test-rsa.key.pem",
		  false, false },
		{ "saml_rsa_rsa-oaep-mgf1p_encrypted_response.xml", "test.p12.test-rsa.key.pem",
		  false, true },
		{ "saml_rsa_rsa-oaep_encrypted_response_DEREncodedKeyValue.xml",
		  "test.p12.test-rsa.key.pem", true, true },
		{ "saml_response_key_agreement_kw_aes256.xml",
		  "eidasKeyStore.p12.local-ka-demo-cert.key.pem", true, false },
		{ "saml_response_key_transport_rsa-oaep.xml",
		  "eidasKeyStore.p12.local-demo-cert.key.pem", true, false },
	};
	EVP_PKEY *signer = load_pub("testvectors/eidas-node/decrypted/assertion-signer.cert.pem");
	struct saml_trust trust = { &signer, 1 };
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(files); i++) {
		struct saml_response_expect e;
		struct saml_result res;
		struct eidgw_key *dec = NULL;
		const struct eidgw_key *decs[1];
		struct eidgw_diag d;
		xmlDocPtr doc = NULL;
		xmlNodePtr root, c;
		char *xml, *acs = NULL, *irt = NULL, *issuer = NULL;
		char path[256];
		xmlChar *dump = NULL;
		int dlen = 0;
		size_t len;
		int64_t issued = 0;
		enum eidgw_err rc;

		(void)snprintf(path, sizeof(path), "testvectors/eidas-node/%s", files[i].file);
		xml = tl_read_data(path, &len);
		assert_non_null(xml);
		(void)snprintf(path, sizeof(path), "testvectors/eidas-node/%s", files[i].key);
		assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, path), NULL, 2048, &dec,
		    NULL), EIDGW_OK);
		decs[0] = dec;
		/* what the gateway would know from its request and the node's metadata */
		assert_int_equal(saml_xml_parse(xml, len, 1 << 20, &doc, NULL), EIDGW_OK);
		root = xmlDocGetRootElement(doc);
		acs = (char *)xmlGetNoNsProp(root, BAD_CAST "Destination");
		irt = (char *)xmlGetNoNsProp(root, BAD_CAST "InResponseTo");
		{
			xmlChar *t = xmlGetNoNsProp(root, BAD_CAST "IssueInstant");

			assert_int_equal(eidgw_time_parse((const char *)t, &issued), EIDGW_OK);
			xmlFree(t);
		}
		issuer = saml_xml_text(saml_xml_child(root, SAML_NS_ASSERTION, "Issuer", NULL), true);
		assert_non_null(acs);
		assert_non_null(irt);
		assert_non_null(issuer);
		memset(&e, 0, sizeof(e));
		e.idp_entity_id = issuer;
		e.idp_trust = &trust;
		e.acs_url = acs;
		e.sp_entity_id = "(not reached)";
		e.request_id = irt;
		e.requested_loa = SAML_LOA_LOW;
		e.now = issued + 1;
		e.skew_s = 5;
		e.dec_keys = decs;
		e.ndec_keys = 1;
		e.require_encryption = true;
		e.allow_rsa_oaep_mgf1p = files[i].mgf1p;
		/* default policy: the Response signature decides */
		eidgw_diag_clear(&d);
		rc = saml_response_validate_xml(xml, len, &e, &res, &d);
		if (files[i].signed_response) {
			if (rc != EIDGW_E_SAML_SIG_DIGEST)
				fail_msg("%s: %s (%s)", files[i].file, eidgw_err_name(rc), d.reason);
		} else if (rc != EIDGW_E_SAML_SIG_MISSING) {
			fail_msg("%s: %s (%s)", files[i].file, eidgw_err_name(rc), d.reason);
		}
		saml_result_clear(&res);
		/* signature removed, weakest policy: only the missing assertion signature is left */
		if ((c = saml_xml_child(root, SAML_NS_DSIG, "Signature", NULL)) != NULL) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
		xmlDocDumpMemoryEnc(doc, &dump, &dlen, "UTF-8");
		assert_non_null(dump);
		e.assertion_signature_only = true;
		eidgw_diag_clear(&d);
		rc = saml_response_validate_xml((const char *)dump, (size_t)dlen, &e, &res, &d);
		if (rc != EIDGW_E_SAML_ASSERTION_SIG_REQUIRED)
			fail_msg("%s (aso): %s (%s)", files[i].file, eidgw_err_name(rc), d.reason);
		assert_true(res.status_code != NULL);
		saml_result_clear(&res);
		/* and without the mgf1p opt-in such a key transport is refused before any RSA operation */
		if (files[i].mgf1p) {
			e.allow_rsa_oaep_mgf1p = false;
			assert_int_equal(saml_response_validate_xml((const char *)dump, (size_t)dlen,
			    &e, &res, NULL), EIDGW_E_SAML_ENC_ALG);
			saml_result_clear(&res);
		}
		xmlFree(dump);
		xmlFree(acs);
		xmlFree(irt);
		free(issuer);
		xmlFreeDoc(doc);
		eidgw_key_free(dec);
		free(xml);
	}
	EVP_PKEY_free(signer);
}

/*
 * The SAMLResponse form value as a hostile browser may post it: line-wrapped
 * base64 (CRLF or LF every 76, as senders do) is fine; non-canonical base64
 * (non-zero leftover bits), the URL-safe alphabet, padding in the middle,
 * stray characters and a value beyond the size cap are refused with their
 * codes, the huge one without decoding it.
 */
static void
test_b64_forms(void **state)
{
	struct fixture f;
	struct saml_result res;
	struct eidgw_buf b, w;
	char *xml, *big;
	size_t len, i;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	eidgw_buf_init(&b, 4 * 1024 * 1024);
	eidgw_buf_init(&w, 4 * 1024 * 1024);
	assert_int_equal(eidgw_b64_encode(&b, xml, len, false), EIDGW_OK);
	/* wrapped with CRLF every 76 characters: accepted */
	for (i = 0; i < b.len; i += 76) {
		assert_int_equal(eidgw_buf_append(&w, b.data + i, b.len - i < 76 ? b.len - i : 76),
		    EIDGW_OK);
		assert_int_equal(eidgw_buf_append(&w, "\r\n", 2), EIDGW_OK);
	}
	fixture_init(&f, false);
	assert_int_equal(saml_response_validate(w.data, w.len, &f.e, &res, NULL), EIDGW_OK);
	saml_result_clear(&res);
	fixture_free(&f);
	/*
	 * Non-canonical: one newline after the root makes the length 3k+1, so
	 * the encoding ends in "==" with four leftover bits; the canonical form
	 * is accepted, the same value with a leftover bit set is not.
	 */
	fixture_init(&f, false);
	{
		struct eidgw_buf p;
		char *x2 = malloc(len + 1);
		size_t n;

		assert_non_null(x2);
		memcpy(x2, xml, len);
		x2[len] = '\n';
		eidgw_buf_init(&p, 4 * 1024 * 1024);
		assert_int_equal(eidgw_b64_encode(&p, x2, len + 1, false), EIDGW_OK);
		n = p.len;
		assert_true(n > 3 && p.data[n - 1] == '=' && p.data[n - 2] == '=');
		assert_int_equal(saml_response_validate(p.data, p.len, &f.e, &res, NULL), EIDGW_OK);
		saml_result_clear(&res);
		fixture_free(&f);
		fixture_init(&f, false);
		/* 'g' = 0b100000: the two data bits kept, the four leftover bits now 0001 */
		assert_true(p.data[n - 3] == 'g');
		p.data[n - 3] = 'h';
		assert_int_equal(saml_response_validate(p.data, p.len, &f.e, &res, NULL),
		    EIDGW_E_SAML_ENCODING);
		saml_result_clear(&res);
		eidgw_buf_free(&p);
		free(x2);
	}
	fixture_free(&f);
	/* URL-safe alphabet, padding in the middle, a stray character */
	fixture_init(&f, false);
	assert_int_equal(saml_response_validate("PD94-bWw_", 9, &f.e, &res, NULL),
	    EIDGW_E_SAML_ENCODING);
	saml_result_clear(&res);
	assert_int_equal(saml_response_validate("PD94=bWwg", 9, &f.e, &res, NULL),
	    EIDGW_E_SAML_ENCODING);
	saml_result_clear(&res);
	assert_int_equal(saml_response_validate("PD94bWwg%3D", 11, &f.e, &res, NULL),
	    EIDGW_E_SAML_ENCODING);
	saml_result_clear(&res);
	/* only whitespace: empty after decoding */
	assert_int_equal(saml_response_validate("  \r\n ", 5, &f.e, &res, NULL),
	    EIDGW_E_SAML_XML_MALFORMED);
	saml_result_clear(&res);
	/* 8 MiB of base64: refused on its length alone */
	big = malloc(8u << 20);
	assert_non_null(big);
	memset(big, 'A', 8u << 20);
	assert_int_equal(saml_response_validate(big, 8u << 20, &f.e, &res, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	saml_result_clear(&res);
	/* just inside the base64 bound but decoding to more than max_bytes */
	f.e.max_bytes = 4096;
	assert_int_equal(saml_response_validate(big, 4096 / 3 * 4 + 4096 / 16 + 8, &f.e, &res,
	    NULL), EIDGW_E_SAML_XML_TOO_LARGE);
	saml_result_clear(&res);
	free(big);
	fixture_free(&f);
	eidgw_buf_free(&b);
	eidgw_buf_free(&w);
	free(xml);
}

/* An assertion ID seen once is refused in any later Response that carries it. */
static void
test_replay_across_responses(void **state)
{
	struct fixture f;
	struct saml_result res;
	char *a, *b;
	size_t alen, blen;

	(void)state;
	a = tl_read_data("saml/hostile/valid.xml", &alen);
	b = tl_read_data("saml/attacks/noa-inside-skew.xml", &blen);	/* same assertion ID */
	assert_non_null(a);
	assert_non_null(b);
	fixture_init(&f, false);
	assert_int_equal(run_b64(a, alen, &f.e, &res, NULL), EIDGW_OK);
	assert_string_equal(res.assertion_id, "_asrt000000000000000000000000001");
	saml_result_clear(&res);
	assert_int_equal(run_b64(b, blen, &f.e, &res, NULL), EIDGW_E_SAML_REPLAY);
	assert_null(res.identity.person_identifier);
	saml_result_clear(&res);
	fixture_free(&f);
	/* a refused message is not recorded: the valid one still passes afterwards */
	fixture_init(&f, false);
	free(b);
	b = tl_read_data("saml/attacks/noa-at-skew-edge.xml", &blen);
	assert_non_null(b);
	assert_int_equal(run_b64(b, blen, &f.e, &res, NULL), EIDGW_E_SAML_EXPIRED);
	saml_result_clear(&res);
	assert_int_equal(run_b64(a, alen, &f.e, &res, NULL), EIDGW_OK);
	saml_result_clear(&res);
	fixture_free(&f);
	free(a);
	free(b);
}

/* IssueInstant and SubjectConfirmationData at the exact edges of the clock window. */
/*
 * Clock rules on valid.xml (IssueInstant = AuthnInstant 00:04:50 =
 * 1767225890, NotOnOrAfter 00:10:00 = 1767226200 on both): the IssueInstant
 * window, NotOnOrAfter ("on or after"), the default skew, and ForceAuthn
 * (authn_not_before: an authentication older than our request less the
 * skew is a reused session).
 */
static void
test_clock_edges(void **state)
{
	static const struct {
		int64_t now;
		int skew;
		int64_t not_before;
		enum eidgw_err want;
	} cases[] = {
		{ 1767225890 - 30, 30, 0, EIDGW_OK },		/* issued exactly now + skew */
		{ 1767225890 - 31, 30, 0, EIDGW_E_SAML_ISSUE_INSTANT },
		{ 1767226200 + 29, 30, 0, EIDGW_OK },		/* NotOnOrAfter = now - skew + 1 */
		{ 1767226200 + 30, 30, 0, EIDGW_E_SAML_SC_EXPIRED },
		{ 1767226199, 0, 0, EIDGW_OK },
		{ 1767226200, 0, 0, EIDGW_E_SAML_SC_EXPIRED },	/* "on or after": the instant itself */
		{ 1767225890, -1, 0, EIDGW_OK },			/* negative skew: the 60 s default */
		{ 1767226200 + 59, -1, 0, EIDGW_OK },
		{ 1767226200 + 60, -1, 0, EIDGW_E_SAML_SC_EXPIRED },
		/* ForceAuthn */
		{ 1767225930, 30, 1767225890, EIDGW_OK },		/* authenticated as the request left */
		{ 1767225930, 30, 1767225890 + 30, EIDGW_OK },	/* within the skew */
		{ 1767225930, 30, 1767225890 + 31, EIDGW_E_SAML_AUTHN_INSTANT },	/* older session */
		{ 1767225930, 30, 1767225890 + 3600, EIDGW_E_SAML_AUTHN_INSTANT },
	};
	struct fixture f;
	struct saml_result res;
	struct eidgw_diag d;
	enum eidgw_err rc;
	char *xml;
	size_t len, i;

	(void)state;
	xml = tl_read_data("saml/hostile/valid.xml", &len);
	assert_non_null(xml);
	for (i = 0; i < EIDGW_ARRAY_LEN(cases); i++) {
		fixture_init(&f, false);
		f.e.now = cases[i].now;
		f.e.skew_s = cases[i].skew;
		f.e.authn_not_before = cases[i].not_before;
		eidgw_diag_clear(&d);
		rc = run_b64(xml, len, &f.e, &res, &d);
		if (rc != cases[i].want)
			fail_msg("case %zu: %s (%s), want %s", i, eidgw_err_name(rc), d.reason,
			    eidgw_err_name(cases[i].want));
		saml_result_clear(&res);
		fixture_free(&f);
	}
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loa_order),
		cmocka_unit_test(test_valid_result),
		cmocka_unit_test(test_attribute_aliases),
		cmocka_unit_test(test_encrypted_result),
		cmocka_unit_test(test_status_kept_on_error),
		cmocka_unit_test(test_replay_fail_closed),
		cmocka_unit_test(test_expectation_mismatches),
		cmocka_unit_test(test_hostile_manifest),
		cmocka_unit_test(test_attack_manifest),
		cmocka_unit_test(test_ec_node_response),
		cmocka_unit_test(test_ec_node_other_responses),
		cmocka_unit_test(test_b64_forms),
		cmocka_unit_test(test_replay_across_responses),
		cmocka_unit_test(test_clock_edges),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
