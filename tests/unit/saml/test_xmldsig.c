/*
 * Unit tests for saml/xmldsig.c: sign/verify round trips on the eIDAS
 * algorithms, every profile rule refused with its own code, tampering, and
 * an independent check by the xmlsec1 command-line tool.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/keyops.h"
#include "core/util.h"
#include "saml/xml.h"
#include "saml/xmldsig.h"

#define TV EIDGW_TEST_DATA "/testvectors/"

static const char sample[] =
    "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_resp1\" "
    "Version=\"2.0\" IssueInstant=\"2026-11-29T09:00:00Z\">"
    "<saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">"
    "https://idp.example/metadata</saml:Issuer>\n"
    "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>"
    "</samlp:Status>\n"
    "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_assert1\" "
    "Version=\"2.0\"><saml:Issuer>https://idp.example/metadata</saml:Issuer>"
    "<saml:Subject><saml:NameID>alice@example.org</saml:NameID></saml:Subject>"
    "</saml:Assertion></samlp:Response>";

#include "saml_test_keys.h"

/* The sample, its Response signed with key/alg, sent over the wire. */
static xmlDocPtr
signed_sample(const struct eidgw_key *key, enum eidgw_sig_alg alg)
{
	struct eidgw_diag d;
	xmlDocPtr doc = parse_str(sample, sizeof(sample) - 1);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr issuer = saml_xml_child(root, SAML_NS_ASSERTION, "Issuer", NULL);

	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_sign_enveloped(doc, root, "ID", issuer, key, alg, &d), EIDGW_OK);
	return wire(doc);
}

static enum eidgw_err
verify_root(xmlDocPtr doc, EVP_PKEY *trusted, const struct saml_sig_policy *pol,
    struct eidgw_diag *d)
{
	struct saml_trust trust = { &trusted, 1 };
	struct saml_sig_policy def = { 0 };

	eidgw_diag_clear(d);
	return saml_sig_verify_enveloped(doc, xmlDocGetRootElement(doc), "ID", &trust,
	    pol != NULL ? pol : &def, d);
}

static void
roundtrip(const struct eidgw_key *key, enum eidgw_sig_alg alg)
{
	struct eidgw_diag d;
	xmlDocPtr doc = signed_sample(key, alg);
	xmlNodePtr root = xmlDocGetRootElement(doc), sig;

	/* Signature sits right after the Issuer (SAML core 5.4.1 / schema order). */
	sig = saml_xml_child(root, SAML_NS_DSIG, "Signature", NULL);
	assert_non_null(sig);
	assert_true(saml_xml_is(xmlPreviousElementSibling(sig), SAML_NS_ASSERTION, "Issuer"));
	assert_int_equal(verify_root(doc, key->pub, NULL, &d), EIDGW_OK);
	/* The generic verifier agrees. */
	{
		struct saml_trust trust = { &key->pub, 1 };
		struct saml_sig_policy pol = { 0 };

		assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d), EIDGW_OK);
	}
	xmlFreeDoc(doc);
}

static void
test_roundtrip_pss(void **state)
{
	(void)state;
	roundtrip(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA256);
	roundtrip(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA384);
	roundtrip(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA512);
}

static void
test_roundtrip_ecdsa(void **state)
{
	(void)state;
	roundtrip(K.p256, EIDGW_SIG_ECDSA_SHA256);
	roundtrip(K.p256, EIDGW_SIG_ECDSA_SHA512);
	roundtrip(K.bp256, EIDGW_SIG_ECDSA_SHA256);
	roundtrip(K.bp256, EIDGW_SIG_ECDSA_SHA384);
	/* P-384 and P-521 (r and s padded to 66 octets each). */
	{
		struct eidgw_key *p384 = load_key("w3c-xmlenc11-interop/EC-P384.key.pem", NULL);
		struct eidgw_key *p521 = load_key("w3c-xmlenc11-interop/EC-P521.key.pem", NULL);
		struct eidgw_buf sig;
		const unsigned char msg[] = "m";
		int i;

		assert_non_null(p384);
		assert_non_null(p521);
		roundtrip(p384, EIDGW_SIG_ECDSA_SHA384);
		roundtrip(p521, EIDGW_SIG_ECDSA_SHA512);
		roundtrip(p521, EIDGW_SIG_ECDSA_SHA256);
		/* Enough P-521 signatures that some r or s has leading zero octets. */
		for (i = 0; i < 64; i++) {
			struct saml_sig_policy pol = { 0 };

			eidgw_buf_init(&sig, 1024);
			assert_int_equal(saml_sig_sign_raw(p521, EIDGW_SIG_ECDSA_SHA512, msg, 1, &sig),
			    EIDGW_OK);
			assert_int_equal(sig.len, 132);
			assert_int_equal(saml_sig_verify_raw(p521->pub, EIDGW_SIG_ECDSA_SHA512, &pol,
			    msg, 1, (unsigned char *)sig.data, sig.len), EIDGW_OK);
			eidgw_buf_free(&sig);
		}
		eidgw_key_free(p384);
		eidgw_key_free(p521);
	}
}

/* Curves below 256 bits are refused (eIDAS crypto requirements). */
static void
test_small_curve_refused(void **state)
{
	EVP_PKEY *pk = EVP_EC_gen("secp224r1");
	struct eidgw_key *k = NULL;
	struct saml_sig_policy pol = { 0 };
	struct eidgw_buf sig;
	const unsigned char msg[] = "m";

	(void)state;
	assert_non_null(pk);
	assert_int_equal(eidgw_key_from_pkey(pk, NULL, &k), EIDGW_OK);
	eidgw_buf_init(&sig, 1024);
	assert_int_equal(saml_sig_sign_raw(k, EIDGW_SIG_ECDSA_SHA256, msg, 1, &sig), EIDGW_OK);
	assert_int_equal(saml_sig_verify_raw(k->pub, EIDGW_SIG_ECDSA_SHA256, &pol, msg, 1,
	    (unsigned char *)sig.data, sig.len), EIDGW_E_SAML_SIG_KEY_WEAK);
	eidgw_buf_free(&sig);
	eidgw_key_free(k);
	EVP_PKEY_free(pk);
}

/* PSS salt must be the digest length (RFC 6931); OpenSSL's default is the maximum. */
static void
test_pss_salt_length(void **state)
{
	struct eidgw_buf sig;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	const unsigned char msg[] = "x";

	(void)state;
	eidgw_buf_init(&sig, 4096);
	assert_int_equal(saml_sig_sign_raw(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA256, msg, 1, &sig),
	    EIDGW_OK);
	assert_int_equal(EVP_DigestVerifyInit(m, &pctx, EVP_sha256(), NULL, K.rsa3072->pub), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
	assert_int_equal(EVP_DigestVerify(m, (unsigned char *)sig.data, sig.len, msg, 1), 1);
	EVP_MD_CTX_free(m);
	eidgw_buf_free(&sig);
	ERR_clear_error();
}

static void
test_raw_ecdsa_rs(void **state)
{
	struct eidgw_buf sig;
	struct saml_sig_policy pol = { 0 };
	const unsigned char msg[] = "SAMLRequest=x&SigAlg=y";

	(void)state;
	eidgw_buf_init(&sig, 4096);
	assert_int_equal(saml_sig_sign_raw(K.p256, EIDGW_SIG_ECDSA_SHA256, msg, sizeof(msg), &sig),
	    EIDGW_OK);
	assert_int_equal(sig.len, 64);	/* r||s, 32 + 32 */
	assert_int_equal(saml_sig_verify_raw(K.p256->pub, EIDGW_SIG_ECDSA_SHA256, &pol, msg,
	    sizeof(msg), (unsigned char *)sig.data, sig.len), EIDGW_OK);
	sig.data[10] ^= 1;
	assert_int_equal(saml_sig_verify_raw(K.p256->pub, EIDGW_SIG_ECDSA_SHA256, &pol, msg,
	    sizeof(msg), (unsigned char *)sig.data, sig.len), EIDGW_E_SAML_SIG_INVALID);
	assert_int_equal(saml_sig_verify_raw(K.p256->pub, EIDGW_SIG_ECDSA_SHA256, &pol, msg,
	    sizeof(msg), (unsigned char *)sig.data, sig.len - 1), EIDGW_E_SAML_SIG_VALUE_FORMAT);
	/* PKCS#1 v1.5 only behind the flag. */
	assert_int_equal(saml_sig_verify_raw(K.rsa3072->pub, EIDGW_SIG_RSA_PKCS1_SHA256, &pol,
	    msg, sizeof(msg), (unsigned char *)sig.data, sig.len), EIDGW_E_SAML_SIG_ALG);
	eidgw_buf_free(&sig);
}

static void
test_tamper_content(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	xmlNodePtr nameid = find(doc->children, SAML_NS_ASSERTION, "NameID");

	(void)state;
	xmlNodeSetContent(nameid, (const xmlChar *)"alicf@example.org");	/* one byte */
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_DIGEST);
	xmlFreeDoc(doc);

	/* A flipped byte in an attribute of the signed element. */
	doc = signed_sample(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA256);
	xmlSetProp(xmlDocGetRootElement(doc), (const xmlChar *)"Version", (const xmlChar *)"2.1");
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_DIGEST);
	xmlFreeDoc(doc);
}

static void
test_tamper_signature_value(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc;

	(void)state;
	doc = signed_sample(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA512);
	flip_b64_text(find(doc->children, SAML_NS_DSIG, "SignatureValue"), 100);
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_INVALID);
	xmlFreeDoc(doc);

	doc = signed_sample(K.bp256, EIDGW_SIG_ECDSA_SHA256);
	flip_b64_text(find(doc->children, SAML_NS_DSIG, "SignatureValue"), 5);
	assert_int_equal(verify_root(doc, K.bp256->pub, NULL, &d), EIDGW_E_SAML_SIG_INVALID);
	xmlFreeDoc(doc);

	/* A changed DigestValue breaks the SignedInfo, detected as a digest mismatch first. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	flip_b64_text(find(doc->children, SAML_NS_DSIG, "DigestValue"), 0);
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_DIGEST);
	xmlFreeDoc(doc);
}

static void
test_wrapping_reference(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc;
	xmlNodePtr ref, resp, sig, a;
	struct saml_trust trust = { &K.p256->pub, 1 };
	struct saml_sig_policy pol = { 0 };

	(void)state;
	/* Reference to another element's ID. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	ref = find(doc->children, SAML_NS_DSIG, "Reference");
	xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"#_assert1");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_REFERENCE);
	xmlFreeDoc(doc);

	/*
	 * Classic wrapping: a validly signed Assertion's Signature is moved
	 * under the Response.  The Signature verifies (generic) but does not
	 * cover the Response: strict verification of the Response refuses it.
	 */
	doc = parse_str(sample, sizeof(sample) - 1);
	a = find(doc->children, SAML_NS_ASSERTION, "Assertion");
	assert_int_equal(saml_sig_sign_enveloped(doc, a, "ID",
	    saml_xml_child(a, SAML_NS_ASSERTION, "Issuer", NULL), K.p256,
	    EIDGW_SIG_ECDSA_SHA256, &d), EIDGW_OK);
	doc = wire(doc);
	a = find(doc->children, SAML_NS_ASSERTION, "Assertion");
	assert_int_equal(saml_sig_verify_enveloped(doc, a, "ID", &trust, &pol, &d), EIDGW_OK);
	resp = xmlDocGetRootElement(doc);
	sig = saml_xml_child(a, SAML_NS_DSIG, "Signature", NULL);
	xmlUnlinkNode(sig);
	assert_non_null(xmlAddChild(resp, sig));
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_REFERENCE);
	xmlFreeDoc(doc);

	/* Empty URI (whole document) is not accepted on the SAML path. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	ref = find(doc->children, SAML_NS_DSIG, "Reference");
	xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_REFERENCE);
	xmlFreeDoc(doc);
}

static void
test_two_references(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	xmlNodePtr ref = find(doc->children, SAML_NS_DSIG, "Reference");

	(void)state;
	assert_non_null(xmlAddNextSibling(ref, xmlCopyNode(ref, 1)));
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_MULTIPLE);
	xmlFreeDoc(doc);

	/* Two Signature children. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	ref = find(doc->children, SAML_NS_DSIG, "Signature");
	assert_non_null(xmlAddNextSibling(ref, xmlCopyNode(ref, 1)));
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_MULTIPLE);
	xmlFreeDoc(doc);
}

static void
test_transforms(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc;
	xmlNodePtr t, tr;

	(void)state;
	/* Missing Transforms. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	t = find(doc->children, SAML_NS_DSIG, "Transforms");
	xmlUnlinkNode(t);
	xmlFreeNode(t);
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_TRANSFORM);
	xmlFreeDoc(doc);

	/* Only the enveloped transform (c14n dropped). */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	t = find(doc->children, SAML_NS_DSIG, "Transforms");
	tr = xmlLastElementChild(t);
	xmlUnlinkNode(tr);
	xmlFreeNode(tr);
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_TRANSFORM);
	xmlFreeDoc(doc);

	/* An XSLT transform. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	tr = xmlFirstElementChild(find(doc->children, SAML_NS_DSIG, "Transforms"));
	xmlSetProp(tr, (const xmlChar *)"Algorithm",
	    (const xmlChar *)"http://www.w3.org/TR/1999/REC-xslt-19991116");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_TRANSFORM);
	xmlFreeDoc(doc);

	/* Inclusive c14n for SignedInfo is outside the SAML profile. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "CanonicalizationMethod"),
	    (const xmlChar *)"Algorithm",
	    (const xmlChar *)"http://www.w3.org/TR/2001/REC-xml-c14n-20010315");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_C14N);
	xmlFreeDoc(doc);
}

static void
test_algorithms(void **state)
{
	struct eidgw_diag d;
	struct saml_sig_policy pkcs1 = { .allow_rsa_pkcs1 = true };
	xmlDocPtr doc;

	(void)state;
	/* SHA-1 reference digest. */
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "DigestMethod"), (const xmlChar *)"Algorithm",
	    (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#sha1");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_DIGEST_ALG);
	xmlFreeDoc(doc);

	/* rsa-sha1, HMAC, MD5. */
	doc = signed_sample(K.rsa3072, EIDGW_SIG_RSA_PSS_SHA256);
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "SignatureMethod"),
	    (const xmlChar *)"Algorithm", (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#rsa-sha1");
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_ALG);
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "SignatureMethod"),
	    (const xmlChar *)"Algorithm", (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#hmac-sha1");
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_ALG);
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "SignatureMethod"),
	    (const xmlChar *)"Algorithm",
	    (const xmlChar *)"http://www.w3.org/2001/04/xmldsig-more#rsa-md5");
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_ALG);
	/* PKCS#1 v1.5 refused by default, considered (and here failing) with the flag. */
	xmlSetProp(find(doc->children, SAML_NS_DSIG, "SignatureMethod"),
	    (const xmlChar *)"Algorithm", (const xmlChar *)SAML_ALG_RSA_SHA256);
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_ALG);
	assert_int_equal(verify_root(doc, K.rsa3072->pub, &pkcs1, &d), EIDGW_E_SAML_SIG_INVALID);
	xmlFreeDoc(doc);
}

static void
test_untrusted_keyinfo(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc;

	(void)state;
	/* Signed by bp256 with its certificate in KeyInfo; we trust another key. */
	doc = signed_sample(K.bp256, EIDGW_SIG_ECDSA_SHA256);
	assert_non_null(find(doc->children, SAML_NS_DSIG, "X509Certificate"));
	assert_int_equal(verify_root(doc, K.other_p256->pub, NULL, &d), EIDGW_E_SAML_SIG_UNTRUSTED);
	/* A trusted key of another type is not even tried. */
	assert_int_equal(verify_root(doc, K.rsa3072->pub, NULL, &d), EIDGW_E_SAML_SIG_UNTRUSTED);
	/* The right key is accepted. */
	assert_int_equal(verify_root(doc, K.bp256->pub, NULL, &d), EIDGW_OK);
	xmlFreeDoc(doc);

	/* Several trusted keys of mixed types and sizes: the fitting one is found. */
	{
		struct eidgw_key *p384 = load_key("w3c-xmlenc11-interop/EC-P384.key.pem", NULL);
		EVP_PKEY *set[4];
		struct saml_trust trust = { set, 4 };
		struct saml_sig_policy pol = { 0 };

		assert_non_null(p384);
		set[0] = p384->pub;
		set[1] = K.rsa3072->pub;
		set[2] = K.other_p256->pub;
		set[3] = K.p256->pub;
		doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
		eidgw_diag_clear(&d);
		assert_int_equal(saml_sig_verify_enveloped(doc, xmlDocGetRootElement(doc), "ID",
		    &trust, &pol, &d), EIDGW_OK);
		/*
		 * Without the signer: its KeyInfo certificate names an untrusted key,
		 * not a format error from the P-384 key.
		 */
		trust.nkeys = 3;
		eidgw_diag_clear(&d);
		assert_int_equal(saml_sig_verify_enveloped(doc, xmlDocGetRootElement(doc), "ID",
		    &trust, &pol, &d), EIDGW_E_SAML_SIG_UNTRUSTED);
		xmlFreeDoc(doc);
		eidgw_key_free(p384);
	}

	/* RSA-2048 is below the eIDAS minimum unless the policy lowers it. */
	{
		struct saml_sig_policy low = { .min_rsa_bits = 2048 };

		doc = signed_sample(K.rsa2048, EIDGW_SIG_RSA_PSS_SHA256);
		assert_int_equal(verify_root(doc, K.rsa2048->pub, NULL, &d),
		    EIDGW_E_SAML_SIG_KEY_WEAK);
		assert_int_equal(verify_root(doc, K.rsa2048->pub, &low, &d), EIDGW_OK);
		xmlFreeDoc(doc);
	}
}

static void
test_duplicate_id_and_missing(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc;
	xmlNodePtr st, n;

	(void)state;
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	st = find(doc->children, SAML_NS_PROTOCOL, "Status");
	n = xmlNewChild(st, st->ns, (const xmlChar *)"StatusMessage", (const xmlChar *)"x");
	xmlSetProp(n, (const xmlChar *)"ID", (const xmlChar *)"_resp1");
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_DUPLICATE_ID);
	xmlFreeDoc(doc);

	doc = parse_str(sample, sizeof(sample) - 1);
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_E_SAML_SIG_MISSING);
	xmlFreeDoc(doc);

	/* Only ID/Id are ID attributes: signing by another attribute is refused. */
	doc = parse_str(sample, sizeof(sample) - 1);
	st = xmlDocGetRootElement(doc);
	xmlSetProp(st, (const xmlChar *)"AssertionID", (const xmlChar *)"_other");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_sign_enveloped(doc, st, "AssertionID", NULL, K.p256,
	    EIDGW_SIG_ECDSA_SHA256, &d), EIDGW_E_SAML_SIG_REFERENCE);
	assert_null(saml_xml_child(st, SAML_NS_DSIG, "Signature", NULL));	/* nothing left behind */
	xmlFreeDoc(doc);
}

/* The generic verifier: same-document references only, one XPath filter only. */
static void
test_generic_limits(void **state)
{
	struct saml_sig_policy pol = { 0 };
	struct saml_trust trust = { &K.p256->pub, 1 };
	struct eidgw_diag d;
	xmlDocPtr doc;
	xmlNodePtr sig, ref, xp;
	EVP_PKEY *pk = NULL;
	FILE *f;
	char *s;
	size_t len = 0;

	(void)state;
	doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	sig = find(doc->children, SAML_NS_DSIG, "Signature");
	ref = find(sig, SAML_NS_DSIG, "Reference");
	xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"http://127.0.0.1:1/x.xml");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d),
	    EIDGW_E_SAML_SIG_REFERENCE);
	xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"#xpointer(/)");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d),
	    EIDGW_E_SAML_SIG_REFERENCE);
	xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"#_resp1");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d), EIDGW_OK);
	xmlFreeDoc(doc);

	/* The xmlsec vector with its XPath filter verifies; another expression is refused. */
	s = tl_read_data("testvectors/xmlsec-tests/aleksey-xmldsig-01/"
	    "enveloped-sha256-rsa-pss-sha256.xml", &len);
	assert_non_null(s);
	assert_int_equal(saml_xml_parse(s, len, 1 << 20, &doc, &d), EIDGW_OK);
	free(s);
	f = fopen(TV "xmlsec-tests/keys/rsa/rsa-4096-pubkey.pem", "r");
	assert_non_null(f);
	pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pk);
	trust.keys = &pk;
	sig = find(doc->children, SAML_NS_DSIG, "Signature");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d), EIDGW_OK);
	xp = find(sig, SAML_NS_DSIG, "XPath");
	assert_non_null(xp);
	xmlNodeSetContent(xp, (const xmlChar *)"ancestor-or-self::dsig:Signature");
	eidgw_diag_clear(&d);
	assert_int_equal(saml_sig_verify_generic(doc, sig, &trust, &pol, &d),
	    EIDGW_E_SAML_SIG_TRANSFORM);
	/* The strict verifier refuses that shape outright (URI="" and XPath). */
	eidgw_diag_clear(&d);
	assert_int_not_equal(saml_sig_verify_enveloped(doc, xmlDocGetRootElement(doc), "ID",
	    &trust, &pol, &d), EIDGW_OK);
	EVP_PKEY_free(pk);
	xmlFreeDoc(doc);
}

/* The codes of the refusals above are all different: a caller can tell them apart. */
static void
test_codes_distinct(void **state)
{
	const enum eidgw_err c[] = {
		EIDGW_E_SAML_SIG_REFERENCE, EIDGW_E_SAML_SIG_MULTIPLE, EIDGW_E_SAML_SIG_TRANSFORM,
		EIDGW_E_SAML_SIG_DIGEST_ALG, EIDGW_E_SAML_SIG_ALG, EIDGW_E_SAML_SIG_UNTRUSTED,
		EIDGW_E_SAML_DUPLICATE_ID, EIDGW_E_SAML_SIG_DIGEST, EIDGW_E_SAML_SIG_INVALID,
		EIDGW_E_SAML_SIG_C14N, EIDGW_E_SAML_SIG_VALUE_FORMAT, EIDGW_E_SAML_SIG_MISSING,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(c); i++) {
		assert_string_not_equal(eidgw_err_name(c[i]), "EIDGW_E_UNKNOWN");
		for (j = i + 1; j < EIDGW_ARRAY_LEN(c); j++)
			assert_int_not_equal(c[i], c[j]);
	}
}

/* Comment injection inside signed content leaves the signature valid: the value must be read whole. */
static void
test_comment_injection_signed(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = signed_sample(K.p256, EIDGW_SIG_ECDSA_SHA256);
	xmlNodePtr nameid = find(doc->children, SAML_NS_ASSERTION, "NameID"), c;
	char *t;

	(void)state;
	/* "alice@example.org" -> "alice" <!----> "@example.org" */
	xmlNodeSetContent(nameid, (const xmlChar *)"alice");
	c = xmlNewComment((const xmlChar *)"");
	xmlAddChild(nameid, c);
	xmlAddChild(nameid, xmlNewText((const xmlChar *)"@example.org"));
	doc = wire(doc);
	assert_int_equal(verify_root(doc, K.p256->pub, NULL, &d), EIDGW_OK);
	t = saml_xml_text(find(doc->children, SAML_NS_ASSERTION, "NameID"), true);
	assert_string_equal(t, "alice@example.org");
	free(t);
	xmlFreeDoc(doc);
}

static int
run_xmlsec1(const char *dir, const char *file, const char *pub)
{
	char cmd[2048];
	int st;

	(void)snprintf(cmd, sizeof(cmd), "xmlsec1 --verify --id-attr:ID "
	    "urn:oasis:names:tc:SAML:2.0:protocol:Response --pubkey-pem %s/%s %s/%s "
	    ">%s/xmlsec1.log 2>&1", dir, pub, dir, file, dir);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Independent check: xmlsec1 (libxmlsec1 1.2.37) verifies what we sign. */
static void
test_xmlsec1_verifies_ours(void **state)
{
	static const char *keyfiles[] = {
		"eidas-node/test.p12.test-ec-nist.key.pem", "generated/keys/brainpoolP256r1.key.pem",
	};
	struct eidgw_key *nocert = NULL;
	xmlChar *mem = NULL;
	char *dir;
	FILE *f;
	size_t i;
	int len = 0;

	(void)state;
	if (access("/usr/bin/xmlsec1", X_OK) != 0) {
		print_message("xmlsec1 not installed\n");
		skip();
	}
	dir = tl_mkdtemp();
	assert_non_null(dir);
	for (i = 0; i < EIDGW_ARRAY_LEN(keyfiles); i++) {
		xmlDocPtr doc;
		xmlNodePtr nameid;

		/* Without a certificate: xmlsec1 would otherwise try to validate its chain. */
		assert_non_null(nocert = load_key(keyfiles[i], NULL));
		doc = signed_sample(nocert, EIDGW_SIG_ECDSA_SHA256);
		assert_null(find(doc->children, SAML_NS_DSIG, "KeyInfo"));
		xmlDocDumpMemory(doc, &mem, &len);
		assert_int_equal(tl_write_file(tl_path(dir, "signed.xml"), (char *)mem,
		    (size_t)len), 0);
		xmlFree(mem);
		f = fopen(tl_path(dir, "pub.pem"), "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_PUBKEY(f, nocert->pub), 1);
		fclose(f);
		assert_int_equal(run_xmlsec1(dir, "signed.xml", "pub.pem"), 0);

		/* And it refuses our document once tampered: the check can fail. */
		nameid = find(doc->children, SAML_NS_ASSERTION, "NameID");
		xmlNodeSetContent(nameid, (const xmlChar *)"mallory@example.org");
		xmlDocDumpMemory(doc, &mem, &len);
		assert_int_equal(tl_write_file(tl_path(dir, "tampered.xml"), (char *)mem,
		    (size_t)len), 0);
		xmlFree(mem);
		assert_int_not_equal(run_xmlsec1(dir, "tampered.xml", "pub.pem"), 0);
		xmlFreeDoc(doc);
		eidgw_key_free(nocert);
		nocert = NULL;
	}
	tl_rmtree(dir);
	free(dir);
}

/*
 * Every single-bit flip of a signed Response (serialised without XML
 * declaration and without KeyInfo, so every octet is covered by the
 * signature or is markup) must be refused: no flip may verify.
 */
static void
test_bit_flips(void **state)
{
	struct eidgw_key *k = load_key("eidas-node/test.p12.test-ec-nist.key.pem", NULL);
	struct saml_trust trust;
	struct saml_sig_policy pol = { 0 };
	struct eidgw_diag d;
	xmlDocPtr doc, m;
	xmlBufferPtr xb;
	char *s;
	size_t len, i;
	int bit, parsed = 0, refused = 0;

	(void)state;
	assert_non_null(k);
	trust.keys = &k->pub;
	trust.nkeys = 1;
	doc = signed_sample(k, EIDGW_SIG_ECDSA_SHA256);
	xb = xmlBufferCreate();
	assert_true(xmlNodeDump(xb, doc, xmlDocGetRootElement(doc), 0, 0) > 0);
	len = (size_t)xmlBufferLength(xb);
	s = malloc(len);
	assert_non_null(s);
	memcpy(s, xmlBufferContent(xb), len);
	xmlBufferFree(xb);
	xmlFreeDoc(doc);
	/* Unmodified, it verifies: the loop below tests flips, not a broken baseline. */
	assert_int_equal(saml_xml_parse(s, len, 1 << 20, &m, &d), EIDGW_OK);
	assert_int_equal(saml_sig_verify_enveloped(m, xmlDocGetRootElement(m), "ID", &trust,
	    &pol, &d), EIDGW_OK);
	xmlFreeDoc(m);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			s[i] ^= (char)(1 << bit);
			m = NULL;
			eidgw_diag_clear(&d);
			if (saml_xml_parse(s, len, 1 << 20, &m, &d) == EIDGW_OK) {
				parsed++;
				eidgw_diag_clear(&d);
				if (saml_sig_verify_enveloped(m, xmlDocGetRootElement(m), "ID", &trust,
				    &pol, &d) != EIDGW_OK)
					refused++;
				else
					print_message("flip at %zu bit %d verified\n", i, bit);
				xmlFreeDoc(m);
			}
			s[i] ^= (char)(1 << bit);
		}
	}
	print_message("%zu octets, %d flips parsed, %d refused\n", len, parsed, refused);
	assert_int_equal(parsed, refused);
	assert_true(parsed > 1000);	/* the loop really reached the verifier */
	free(s);
	eidgw_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_pss),
		cmocka_unit_test(test_roundtrip_ecdsa),
		cmocka_unit_test(test_small_curve_refused),
		cmocka_unit_test(test_pss_salt_length),
		cmocka_unit_test(test_raw_ecdsa_rs),
		cmocka_unit_test(test_tamper_content),
		cmocka_unit_test(test_tamper_signature_value),
		cmocka_unit_test(test_wrapping_reference),
		cmocka_unit_test(test_two_references),
		cmocka_unit_test(test_transforms),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_untrusted_keyinfo),
		cmocka_unit_test(test_duplicate_id_and_missing),
		cmocka_unit_test(test_generic_limits),
		cmocka_unit_test(test_codes_distinct),
		cmocka_unit_test(test_comment_injection_signed),
		cmocka_unit_test(test_xmlsec1_verifies_ours),
		cmocka_unit_test(test_bit_flips),
	};

	if (saml_library_init() != EIDGW_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
