/*
 * test_interop_driver.c - the C side of tests/integration/test_pysaml2_*.sh.
 *
 *   test_interop_driver request DIR
 *       writes DIR/sp-metadata.xml (our signed SP metadata), DIR/request.xml,
 *       DIR/request.b64 (the HTTP-POST form value of a signed AuthnRequest)
 *       and DIR/request.id
 *   test_interop_driver redirect DIR
 *       writes DIR/redirect.url: an unsigned AuthnRequest in the standard
 *       HTTP-Redirect binding with a detached ECDSA-SHA256 query signature
 *   test_interop_driver validate DIR [enc]
 *       validates DIR/response.b64 against DIR/request.id as the gateway
 *       would and prints the outcome and the identity (test data only)
 *
 * Without arguments it is an ordinary cmocka unit test: request, then a
 * refusal of an absent response, in a temporary directory.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "core/store.h"
#include "core/util.h"
#include "saml/saml.h"

#define SP_ENTITY "https://gw.example.org/saml/metadata"
#define ACS "https://gw.example.org/saml/acs"
#define IDP_ENTITY "https://idp.pysaml2.test/metadata"
#define IDP_SSO "https://idp.pysaml2.test/sso"

static struct eidgw_key *
key(const char *base, bool with_cert)
{
	struct eidgw_key *k = NULL;
	char kp[512], cp[512];

	(void)snprintf(kp, sizeof(kp), "%s/saml/keys/%s.key.pem", EIDGW_TEST_DATA, base);
	(void)snprintf(cp, sizeof(cp), "%s/saml/keys/%s.cert.pem", EIDGW_TEST_DATA, base);
	if (eidgw_key_load_pem(kp, with_cert ? cp : NULL, 3072, &k, NULL) != EIDGW_OK)
		return NULL;
	return k;
}

static int
do_request(const char *dir)
{
	static const char *const sigm[] = { SAML_ALG_ECDSA_SHA256, SAML_ALG_PSS_SHA256 };
	static const char *const digm[] = { SAML_DIGEST_SHA256 };
	static const struct saml_requested_attr mds[] = {
		{ SAML_ATTR_PERSON_IDENTIFIER, true }, { SAML_ATTR_FAMILY_NAME, true },
		{ SAML_ATTR_GIVEN_NAME, true }, { SAML_ATTR_DATE_OF_BIRTH, true } };
	struct saml_sp_metadata_params mp;
	struct saml_authnrequest_params rp;
	struct saml_authnrequest *r = NULL;
	struct eidgw_key *sign = key("sp-sign", true), *enc = key("sp-enc", true);
	struct eidgw_buf b64;
	struct eidgw_diag d;
	char *md = NULL;
	size_t mdlen = 0;
	int ret = 1;

	eidgw_buf_init(&b64, 1 << 20);
	eidgw_diag_clear(&d);
	if (sign == NULL || enc == NULL)
		goto out;
	memset(&mp, 0, sizeof(mp));
	mp.entity_id = SP_ENTITY;
	mp.acs_url = ACS;
	mp.node_country = "BE";
	mp.signing_cert = sign->cert;
	mp.encryption_cert = enc->cert;
	mp.signing_methods = sigm;
	mp.nsigning_methods = 2;
	mp.digest_methods = digm;
	mp.ndigest_methods = 1;
	mp.valid_until = eidgw_now() + 86400;
	mp.key = sign;
	mp.alg = EIDGW_SIG_ECDSA_SHA256;
	if (saml_sp_metadata_build(&mp, &md, &mdlen, &d) != EIDGW_OK)
		goto out;
	memset(&rp, 0, sizeof(rp));
	rp.issuer = SP_ENTITY;
	rp.destination = IDP_SSO;
	rp.sp_type = "public";
	rp.attrs = mds;
	rp.nattrs = EIDGW_ARRAY_LEN(mds);
	rp.loa = SAML_LOA_SUBSTANTIAL;
	rp.requester_id = "https://gw.example.org/rp/demo";
	rp.now = eidgw_now();
	rp.key = sign;
	rp.alg = EIDGW_SIG_ECDSA_SHA256;
	if (saml_authnrequest_build(&rp, &r, &d) != EIDGW_OK)
		goto out;
	if (eidgw_b64_encode(&b64, r->xml, r->xml_len, false) != EIDGW_OK)
		goto out;
	if (tl_write_file(tl_path(dir, "sp-metadata.xml"), md, mdlen) != 0 ||
	    tl_write_file(tl_path(dir, "request.xml"), r->xml, r->xml_len) != 0 ||
	    tl_write_file(tl_path(dir, "request.b64"), b64.data, b64.len) != 0 ||
	    tl_write_file(tl_path(dir, "request.id"), r->id, strlen(r->id)) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "request: %s %s\n", eidgw_err_name(d.code), d.reason);
	free(md);
	saml_authnrequest_free(r);
	eidgw_key_free(sign);
	eidgw_key_free(enc);
	eidgw_buf_free(&b64);
	return ret;
}

static int
do_redirect(const char *dir)
{
	static const struct saml_requested_attr mds[] = {
		{ SAML_ATTR_PERSON_IDENTIFIER, true }, { SAML_ATTR_FAMILY_NAME, true },
		{ SAML_ATTR_GIVEN_NAME, true }, { SAML_ATTR_DATE_OF_BIRTH, true } };
	struct saml_authnrequest_params rp;
	struct saml_authnrequest *r = NULL;
	struct eidgw_key *sign = key("sp-sign", true);
	struct eidgw_diag d;
	char *url = NULL;
	int ret = 1;

	eidgw_diag_clear(&d);
	if (sign == NULL)
		goto out;
	memset(&rp, 0, sizeof(rp));
	rp.issuer = SP_ENTITY;
	rp.destination = IDP_SSO;
	rp.sp_type = "private";
	rp.attrs = mds;
	rp.nattrs = EIDGW_ARRAY_LEN(mds);
	rp.loa = SAML_LOA_HIGH;
	rp.now = eidgw_now();
	/* 3.4.4.1: no enveloped signature; the query is signed instead */
	if (saml_authnrequest_build(&rp, &r, &d) != EIDGW_OK ||
	    saml_binding_redirect_encode(IDP_SSO, "SAMLRequest", r->xml, r->xml_len, "rs-42",
	    sign, EIDGW_SIG_ECDSA_SHA256, &url, &d) != EIDGW_OK)
		goto out;
	if (tl_write_file(tl_path(dir, "redirect.url"), url, strlen(url)) != 0 ||
	    tl_write_file(tl_path(dir, "redirect.id"), r->id, strlen(r->id)) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "redirect: %s %s\n", eidgw_err_name(d.code), d.reason);
	free(url);
	saml_authnrequest_free(r);
	eidgw_key_free(sign);
	return ret;
}

static int
do_validate(const char *dir, bool enc)
{
	struct eidgw_key *dec = key("sp-enc", false);
	const struct eidgw_key *decs[1] = { dec };
	struct eidgw_store *store = NULL;
	struct saml_response_expect e;
	struct saml_result res;
	struct saml_trust trust;
	struct eidgw_diag d;
	EVP_PKEY *idp = NULL;
	X509 *x = NULL;
	FILE *f;
	char *reqid = NULL, *b64 = NULL;
	size_t blen = 0;
	enum eidgw_err rc;
	int ret = 1;

	memset(&res, 0, sizeof(res));
	eidgw_diag_clear(&d);
	reqid = tl_read_file(tl_path(dir, "request.id"), NULL);
	b64 = tl_read_file(tl_path(dir, "response.b64"), &blen);
	f = fopen(tl_path(EIDGW_TEST_DATA, "saml/keys/idp-sign.cert.pem"), "r");
	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (reqid == NULL || b64 == NULL || x == NULL || dec == NULL ||
	    (idp = X509_get_pubkey(x)) == NULL || eidgw_store_mem_new(&store) != EIDGW_OK) {
		fprintf(stderr, "validate: missing input\n");
		goto out;
	}
	/* trust: the IdP's signing key as configured, never KeyInfo */
	trust.keys = &idp;
	trust.nkeys = 1;
	memset(&e, 0, sizeof(e));
	e.idp_entity_id = IDP_ENTITY;
	e.idp_country = "BE";
	e.idp_trust = &trust;
	e.acs_url = ACS;
	e.sp_entity_id = SP_ENTITY;
	e.request_id = reqid;
	e.requested_loa = SAML_LOA_SUBSTANTIAL;
	e.requested_nameid_format = SAML_NAMEID_PERSISTENT;
	e.now = eidgw_now();
	e.skew_s = 60;
	e.dec_keys = decs;
	e.ndec_keys = 1;
	e.require_encryption = enc;
	e.allow_rsa_oaep_mgf1p = enc;	/* pysaml2 uses xmlenc 1.0 OAEP (per-country flag) */
	e.replay_store = store;
	rc = saml_response_validate(b64, blen, &e, &res, &d);
	if (rc != EIDGW_OK) {
		printf("REJECTED %s: %s\n", eidgw_err_name(rc), d.reason);
		goto out;
	}
	printf("ACCEPTED issuer=%s encrypted=%d loa=%s nameid=%s\n", res.issuer, res.was_encrypted,
	    res.loa, res.name_id);
	printf("PersonIdentifier=%s\nCurrentFamilyName=%s\nCurrentGivenName=%s\nDateOfBirth=%s\n",
	    res.identity.person_identifier, res.identity.family_name.latin,
	    res.identity.given_name.latin, res.identity.date_of_birth);
	saml_result_clear(&res);
	/* the same Response again is a replay */
	rc = saml_response_validate(b64, blen, &e, &res, NULL);
	printf("REPLAY %s\n", eidgw_err_name(rc));
	ret = rc == EIDGW_E_SAML_REPLAY ? 0 : 1;
out:
	saml_result_clear(&res);
	eidgw_store_free(store);
	EVP_PKEY_free(idp);
	X509_free(x);
	eidgw_key_free(dec);
	free(reqid);
	free(b64);
	return ret;
}

static void
test_driver_selfcheck(void **state)
{
	char *dir = tl_mkdtemp();
	char *id;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(do_request(dir), 0);
	id = tl_read_file(tl_path(dir, "request.id"), NULL);
	assert_non_null(id);
	assert_int_equal(strlen(id), 33);
	free(id);
	/* no response.b64: refused */
	assert_int_equal(do_validate(dir, false), 1);
	tl_rmtree(dir);
	free(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_selfcheck),
	};
	int ret;

	if (saml_library_init() != EIDGW_OK)
		return 2;
	if (argc >= 3 && strcmp(argv[1], "request") == 0)
		ret = do_request(argv[2]);
	else if (argc >= 3 && strcmp(argv[1], "redirect") == 0)
		ret = do_redirect(argv[2]);
	else if (argc >= 3 && strcmp(argv[1], "validate") == 0)
		ret = do_validate(argv[2], argc >= 4 && strcmp(argv[3], "enc") == 0);
	else
		ret = cmocka_run_group_tests(tests, NULL, NULL);
	saml_library_cleanup();
	return ret;
}
