/* fuzz-lib: eidgw_saml */
/*
 * fuzz_saml_xml - the hardened parser, the strict and generic XML-DSig
 * verifiers against a fixed trusted key, and XML decryption with a fixed
 * key (all test keys: tests/data/testvectors/generated/keys/brainpoolP256r1).
 * Threat: any byte string from the network reaching saml_xml_parse and what
 * follows it (c14n, reference resolution, base64, ECDSA/PSS decoding,
 * EncryptedKey lookup, ConcatKDF parameters, in-context plaintext parsing).
 * The target checks memory safety only (crashes, sanitizer reports, leaks);
 * verification results are not asserted.  Seeds include a response signed
 * and encrypted for the fixed keys, so the deep paths are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "core/keyops.h"
#include "saml/xml.h"
#include "saml/xmldsig.h"
#include "saml/xmlenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char trusted_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFowFAYHKoZIzj0CAQYJKyQDAwIIAQEHA0IABCUVde7/kdYBoNprd8kN6EuKWp0g\n"
    "lW8iqoYHFgpihhfBemtcIkBcl85ESpZGhFYCIOGVJsU1sYKaQPZHrpwLuoc=\n"
    "-----END PUBLIC KEY-----\n";

static const char decrypt_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGIAgEAMBQGByqGSM49AgEGCSskAwMCCAEBBwRtMGsCAQEEIAlAqogbPZ+g2Hwx\n"
    "MtdHvfktceEzobY+2zR2j7AwQ2fhoUQDQgAEJRV17v+R1gGg2mt3yQ3oS4panSCV\n"
    "byKqhgcWCmKGF8F6a1wiQFyXzkRKlkaEVgIg4ZUmxTWxgppA9keunAu6hw==\n"
    "-----END PRIVATE KEY-----\n";

static EVP_PKEY *trusted;
static unsigned long accepted;	/* successes seen; kept so results are not ignored */
static struct eidgw_key *deckey;

static EVP_PKEY *
pem_key(const char *pem, bool priv)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;

	if (b == NULL)
		return NULL;
	k = priv ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) :
	    PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	return k;
}

static void
init_once(void)
{
	EVP_PKEY *pk;

	if (trusted != NULL)
		return;
	if (saml_library_init() != EIDGW_OK || (trusted = pem_key(trusted_pem, false)) == NULL ||
	    (pk = pem_key(decrypt_pem, true)) == NULL)
		abort();
	if (eidgw_key_from_pkey(pk, NULL, &deckey) != EIDGW_OK)
		abort();
	EVP_PKEY_free(pk);
}

static void
walk(xmlDocPtr doc, xmlNodePtr n, int *budget)
{
	const struct eidgw_key *keys[1] = { deckey };
	struct saml_dec_policy dpol = { .allow_rsa_oaep_mgf1p = true };
	struct saml_trust trust = { &trusted, 1 };
	struct saml_sig_policy pol = { .min_rsa_bits = 2048 };
	struct eidgw_buf plain;
	struct eidgw_diag d;
	xmlNodePtr next;
	char *t;

	for (; n != NULL && *budget > 0; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		(*budget)--;
		eidgw_diag_clear(&d);
		if (saml_xml_is(n, SAML_NS_DSIG, "Signature")) {
			if (saml_sig_verify_generic(doc, n, &trust, &pol, &d) == EIDGW_OK)
				accepted++;
			continue;
		}
		if (saml_xml_child(n, SAML_NS_DSIG, "Signature", NULL) != NULL)
			if (saml_sig_verify_enveloped(doc, n, "ID", &trust, &pol, &d) == EIDGW_OK)
				accepted++;
		if (saml_xml_is(n, SAML_NS_XENC, "EncryptedData")) {
			eidgw_buf_init(&plain, 1 << 20);
			if (saml_decrypt(n, keys, 1, &dpol, &plain, &d) == EIDGW_OK)
				accepted++;
			eidgw_buf_free(&plain);
			continue;
		}
		if (saml_xml_is(n, SAML_NS_ASSERTION, "EncryptedAssertion")) {
			xmlNodePtr a = NULL;

			/* On success n is freed and replaced: continue with the assertion. */
			if (saml_decrypt_assertion(doc, n, keys, 1, &dpol, &a, &d) == EIDGW_OK)
				n = a;
		}
		if ((t = saml_xml_text(n, true)) != NULL)
			free(t);
		walk(doc, n->children, budget);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	int budget = 256;
	int count;

	init_once();
	eidgw_diag_clear(&d);
	if (saml_xml_parse((const char *)data, size, 1 << 20, &doc, &d) != EIDGW_OK)
		return 0;
	(void)saml_xml_find_id(doc, "_gen-ecdsa-brainpoolP256r1", &count);
	walk(doc, doc->children, &budget);
	xmlFreeDoc(doc);
	return 0;
}
