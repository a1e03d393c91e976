/* fuzz-lib: eidgw_saml */
/*
 * fuzz_saml_response.c - SAMLResponse decode + parse + full validation
 * (saml_response_validate: base64, hardened parse, every check of the
 * table).  Threat: a hostile identity provider or browser posting anything
 * to /saml/acs.  The first input byte picks the form (raw XML or base64) and
 * a policy.  The trusted key is the hostile suite's test IdP key
 * (tests/data/saml/keys/idp-sign), so corpus seeds made from that suite
 * verify and reach every later check.  Never logs or prints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/store.h"
#include "saml/response.h"
#include "saml/xml.h"

static const char idp_pub_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+qf3iGJO2V8UBJJvVRMfTH6170V8\n"
    "WCK4eE83nDCTlB1+9XfUTga8WrtgGagNviw5AJ5ZYOsKQjEe35A2qq5VAg==\n"
    "-----END PUBLIC KEY-----\n";

static EVP_PKEY *trusted;

static enum eidgw_err
replay_ok(void *ctx, const char *id, int64_t ttl)
{
	(void)ctx; (void)id; (void)ttl;
	return EIDGW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct saml_response_expect e;
	struct saml_trust trust;
	struct saml_result res;
	enum eidgw_err rc;
	unsigned char mode;

	if (trusted == NULL) {
		if (saml_library_init() != EIDGW_OK)
			abort();
		BIO *bio = BIO_new_mem_buf(idp_pub_pem, -1);

		trusted = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		if (trusted == NULL)
			abort();
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	trust.keys = &trusted;
	trust.nkeys = 1;
	memset(&e, 0, sizeof(e));
	e.idp_entity_id = "https://idp.example.eu/metadata";
	e.idp_country = "BE";
	e.idp_trust = &trust;
	e.acs_url = "https://gw.example.org/saml/acs";
	e.sp_entity_id = "https://gw.example.org/saml/metadata";
	e.request_id = "_0123456789abcdef0123456789abcdef";
	e.requested_loa = SAML_LOA_SUBSTANTIAL;
	e.now = 1767225900;
	e.skew_s = 30;
	e.assertion_signature_only = (mode & 2) != 0;
	e.require_encryption = (mode & 4) != 0;
	e.replay_fn = replay_ok;
	if (mode & 1)
		rc = saml_response_validate((const char *)data, size, &e, &res, NULL);
	else
		rc = saml_response_validate_xml((const char *)data, size, &e, &res, NULL);
	/* An accepted identity must be complete: the natural-person MDS. */
	if (rc == EIDGW_OK && res.identity.kind == SAML_PERSON_NATURAL &&
	    (res.identity.person_identifier == NULL || res.identity.date_of_birth == NULL))
		abort();
	saml_result_clear(&res);
	return 0;
}
