/*
 * Unit tests for saml/metadata.c: the EC eIDAS-Node's signed Proxy-Service
 * metadata (ground truth, RSA-PSS SHA-384), its tampered copy, expiry and
 * entity checks; an IdP metadata with two signing keys (rollover) signed
 * here; and our own SP metadata, signed and checked element by element.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/pem.h>

#include "core/keyops.h"
#include "core/util.h"
#include "saml/metadata.h"
#include "saml/response.h"
#include "saml/xml.h"

#include "saml_test_cert.h"

#define EC_ENTITY "http://localhost:8080/EidasNode/ServiceMetadata"
#define T_2020_03_20 1584662400	/* before validUntil 2020-03-21T13:33:58Z */
#define T_2020_03_22 1584835200	/* after */

static int
setup(void **state)
{
	(void)state;
	return saml_library_init() == EIDGW_OK ? 0 : -1;
}

static void
test_ec_service_metadata(void **state)
{
	X509 *signer = load_cert("saml/eidas-node-metadata/metadata-signer.cert.pem");
	EVP_PKEY *pk = X509_get_pubkey(signer);
	struct saml_trust trust = { &pk, 1 };
	struct saml_idp_metadata *m = NULL;
	struct eidgw_diag d;
	char *xml;
	size_t len;

	(void)state;
	xml = tl_read_data("saml/eidas-node-metadata/ServiceMetadata.xml", &len);
	assert_non_null(xml);
	eidgw_diag_clear(&d);
	if (saml_idp_metadata_parse(xml, len, &trust, NULL, T_2020_03_20, EC_ENTITY, &m, &d) !=
	    EIDGW_OK)
		fail_msg("EC ServiceMetadata: %s %s", eidgw_err_name(d.code), d.reason);
	assert_string_equal(m->entity_id, EC_ENTITY);
	assert_string_equal(m->sso_post, "http://cef-eid-build-1:8080/EidasNode/ColleagueRequest");
	assert_string_equal(m->sso_redirect, "http://cef-eid-build-1:8080/EidasNode/ColleagueRequest");
	assert_string_equal(m->node_country, "CA");
	assert_int_equal(m->nsigning, 1);
	assert_int_equal(m->nencryption, 1);
	assert_int_equal(m->trust.nkeys, 1);
	assert_true(m->want_authn_requests_signed);
	assert_true(m->nattributes > 20);
	assert_true(saml_idp_supports_attribute(m,
	    "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier"));
	assert_false(saml_idp_supports_attribute(m, "urn:x"));
	assert_true(m->nloas >= 1);
	saml_idp_metadata_free(m);
	m = NULL;

	/* validUntil honoured */
	assert_int_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, T_2020_03_22, EC_ENTITY,
	    &m, NULL), EIDGW_E_SAML_METADATA_EXPIRED);
	assert_null(m);
	/* the configured entity ID */
	assert_int_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, T_2020_03_20,
	    "https://other.example/md", &m, NULL), EIDGW_E_SAML_METADATA_ENTITY);
	/* only the configured signer */
	{
		X509 *other = load_cert("saml/keys/idp-rsa.cert.pem");
		EVP_PKEY *opk = X509_get_pubkey(other);
		struct saml_trust ot = { &opk, 1 };

		assert_int_not_equal(saml_idp_metadata_parse(xml, len, &ot, NULL, T_2020_03_20,
		    NULL, &m, NULL), EIDGW_OK);
		assert_null(m);
		assert_int_equal(saml_idp_metadata_parse(xml, len, NULL, NULL, T_2020_03_20,
		    NULL, &m, NULL), EIDGW_E_SAML_SIG_UNTRUSTED);
		EVP_PKEY_free(opk);
		X509_free(other);
	}
	free(xml);

	/* the tampered copy is refused */
	xml = tl_read_data("saml/eidas-node-metadata/tampered/ServiceMetadata.xml", &len);
	assert_non_null(xml);
	assert_int_not_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, T_2020_03_20, NULL,
	    &m, NULL), EIDGW_OK);
	assert_null(m);
	free(xml);
	/* Connector metadata has no IDPSSODescriptor */
	xml = tl_read_data("saml/eidas-node-metadata/ConnectorMetadata.xml", &len);
	assert_non_null(xml);
	assert_int_not_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, T_2020_03_20, NULL,
	    &m, NULL), EIDGW_OK);
	free(xml);
	EVP_PKEY_free(pk);
	X509_free(signer);
}

static char *
cert_b64(X509 *x)
{
	unsigned char *der = NULL;
	struct eidgw_buf b;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	eidgw_buf_init(&b, 65536);
	assert_int_equal(eidgw_b64_encode(&b, der, (size_t)n, false), EIDGW_OK);
	OPENSSL_free(der);
	return eidgw_buf_steal(&b, NULL);
}

/* An IdP metadata with key rollover, signed here by a "metadata signer". */
static char *
make_idp_metadata(struct eidgw_key *md_key, const char *valid_until, bool sign, size_t *lenp)
{
	X509 *c1 = load_cert("saml/keys/idp-sign.cert.pem");
	X509 *c2 = load_cert("saml/keys/idp-rsa.cert.pem");
	X509 *c3 = load_cert("saml/keys/sp-enc.cert.pem");
	char *b1 = cert_b64(c1), *b2 = cert_b64(c2), *b3 = cert_b64(c3);
	struct eidgw_buf b;
	xmlDocPtr doc = NULL;
	xmlChar *mem = NULL;
	char *out;
	int size = 0;

	eidgw_buf_init(&b, 1 << 20);
	assert_int_equal(eidgw_buf_printf(&b,
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
	    "xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
	    "xmlns:eidas=\"http://eidas.europa.eu/saml-extensions\" "
	    "xmlns:mdattr=\"urn:oasis:names:tc:SAML:metadata:attribute\" "
	    "ID=\"_md1\" entityID=\"https://idp.example.eu/metadata\" validUntil=\"%s\" "
	    "cacheDuration=\"PT6H\">"
	    "<md:Extensions><mdattr:EntityAttributes>"
	    "<saml2:Attribute Name=\"http://macedir.org/entity-category\" "
	    "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"><saml2:AttributeValue>"
	    "http://eidas.europa.eu/entity-attributes/termsofaccess/requesterid"
	    "</saml2:AttributeValue></saml2:Attribute>"
	    "<saml2:Attribute Name=\"urn:oasis:names:tc:SAML:attribute:assurance-certification\" "
	    "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">"
	    "<saml2:AttributeValue>http://eidas.europa.eu/LoA/high</saml2:AttributeValue>"
	    "</saml2:Attribute></mdattr:EntityAttributes></md:Extensions>"
	    "<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" "
	    "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
	    "<md:Extensions><eidas:NodeCountry>BE</eidas:NodeCountry></md:Extensions>"
	    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
	    "Location=\"https://idp.example.eu/sso\"/>"
	    "<saml2:Attribute Name=\"http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier\" "
	    "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\"/>"
	    "</md:IDPSSODescriptor></md:EntityDescriptor>", valid_until, b1, b2, b3), EIDGW_OK);
	if (sign) {
		assert_int_equal(saml_xml_parse(b.data, b.len, 1 << 20, &doc, NULL), EIDGW_OK);
		assert_int_equal(saml_sig_sign_enveloped(doc, xmlDocGetRootElement(doc), "ID", NULL,
		    md_key, EIDGW_SIG_ECDSA_SHA256, NULL), EIDGW_OK);
		xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
		out = strndup((const char *)mem, (size_t)size);
		*lenp = (size_t)size;
		xmlFree(mem);
		xmlFreeDoc(doc);
	} else {
		*lenp = b.len;
		out = strdup(b.data);
	}
	eidgw_buf_free(&b);
	free(b1);
	free(b2);
	free(b3);
	X509_free(c1);
	X509_free(c2);
	X509_free(c3);
	return out;
}

static void
test_idp_rollover(void **state)
{
	struct eidgw_key *md_key = NULL;
	struct saml_idp_metadata *m = NULL;
	struct eidgw_diag d;
	EVP_PKEY *pk;
	struct saml_trust trust;
	char *xml;
	size_t len;

	(void)state;
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.key.pem"),
	    tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.cert.pem"), 3072, &md_key, NULL), EIDGW_OK);
	pk = md_key->pub;
	trust.keys = &pk;
	trust.nkeys = 1;
	xml = make_idp_metadata(md_key, "2027-01-01T00:00:00Z", true, &len);
	eidgw_diag_clear(&d);
	if (saml_idp_metadata_parse(xml, len, &trust, NULL, 1767225600, "https://idp.example.eu/metadata",
	    &m, &d) != EIDGW_OK)
		fail_msg("rollover metadata: %s %s", eidgw_err_name(d.code), d.reason);
	assert_int_equal(m->nsigning, 2);
	assert_int_equal(m->trust.nkeys, 2);
	assert_int_equal(m->nencryption, 1);
	assert_string_equal(m->node_country, "BE");
	assert_string_equal(m->sso_post, "https://idp.example.eu/sso");
	assert_null(m->sso_redirect);
	assert_true(m->requester_id_required);
	assert_int_equal(m->nloas, 1);
	assert_string_equal(m->loas[0], SAML_LOA_HIGH);
	assert_int_equal(m->nattributes, 1);
	assert_int_equal(m->cache_duration_s, 6 * 3600);
	saml_idp_metadata_free(m);
	m = NULL;
	/* expired */
	assert_int_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, 1830297600, NULL, &m, NULL),
	    EIDGW_E_SAML_METADATA_EXPIRED);
	free(xml);
	/* unsigned */
	xml = make_idp_metadata(md_key, "2027-01-01T00:00:00Z", false, &len);
	assert_int_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, 1767225600, NULL, &m, NULL),
	    EIDGW_E_SAML_SIG_MISSING);
	free(xml);
	/* no validUntil: refused */
	xml = make_idp_metadata(md_key, "", true, &len);
	assert_int_equal(saml_idp_metadata_parse(xml, len, &trust, NULL, 1767225600, NULL, &m, NULL),
	    EIDGW_E_SAML_METADATA_EXPIRED);
	free(xml);
	saml_idp_metadata_free(NULL);
	eidgw_key_free(md_key);
}

static void
test_sp_metadata(void **state)
{
	static const char *const sig[] = { SAML_ALG_ECDSA_SHA256, SAML_ALG_PSS_SHA256 };
	static const char *const dig[] = { SAML_DIGEST_SHA256, SAML_DIGEST_SHA512 };
	struct saml_sp_metadata_params p;
	struct eidgw_key *k = NULL, *enc = NULL;
	struct saml_trust trust;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sp;
	EVP_PKEY *pk;
	char *xml = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.key.pem"),
	    tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.cert.pem"), 3072, &k, NULL), EIDGW_OK);
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-enc.key.pem"),
	    tl_path(EIDGW_TEST_DATA, "saml/keys/sp-enc.cert.pem"), 3072, &enc, NULL), EIDGW_OK);
	memset(&p, 0, sizeof(p));
	p.entity_id = "https://gw.example.org/saml/metadata";
	p.acs_url = "https://gw.example.org/saml/acs";
	p.node_country = "BE";
	p.signing_cert = k->cert;
	p.encryption_cert = enc->cert;
	p.signing_methods = sig;
	p.nsigning_methods = 2;
	p.digest_methods = dig;
	p.ndigest_methods = 2;
	p.application_id = "eidgw:eidgw:0.1";
	p.org_name = "Example & Co";
	p.org_display_name = "Example";
	p.org_url = "https://example.org/";
	p.contact_support_email = "support@example.org";
	p.contact_technical_email = "tech@example.org";
	p.valid_until = 1767312000;
	p.key = k;
	p.alg = EIDGW_SIG_ECDSA_SHA256;
	assert_int_equal(saml_sp_metadata_build(&p, &xml, &len, NULL), EIDGW_OK);
	assert_non_null(strstr(xml, "validUntil=\"2026-01-02T00:00:00Z\""));
	assert_non_null(strstr(xml, "AuthnRequestsSigned=\"true\""));
	assert_non_null(strstr(xml, "<eidas:NodeCountry>BE</eidas:NodeCountry>"));
	assert_non_null(strstr(xml, "use=\"encryption\""));
	assert_non_null(strstr(xml, "Example &amp; Co"));
	/* digest 1.2: no SPType in our metadata */
	assert_null(strstr(xml, "SPType"));
	assert_int_equal(saml_xml_parse(xml, len, 1 << 20, &doc, NULL), EIDGW_OK);
	root = xmlDocGetRootElement(doc);
	pk = k->pub;
	trust.keys = &pk;
	trust.nkeys = 1;
	assert_int_equal(saml_sig_verify_enveloped(doc, root, "ID", &trust, NULL, NULL), EIDGW_OK);
	/* the signature is the first child (SAML metadata schema) */
	assert_true(saml_xml_is(xmlFirstElementChild(root), SAML_NS_DSIG, "Signature"));
	sp = saml_xml_child(root, SAML_NS_METADATA, "SPSSODescriptor", NULL);
	assert_non_null(sp);
	assert_non_null(saml_xml_child(sp, SAML_NS_METADATA, "AssertionConsumerService", NULL));
	xmlFreeDoc(doc);
	free(xml);
	/* a bad country is refused */
	p.node_country = "BEL";
	assert_int_equal(saml_sp_metadata_build(&p, &xml, &len, NULL), EIDGW_E_SAML_REQUEST_PARAMS);
	assert_null(xml);
	eidgw_key_free(k);
	eidgw_key_free(enc);
}

static void
test_duration(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(saml_duration_parse("PT1H", &v), EIDGW_OK);
	assert_int_equal(v, 3600);
	assert_int_equal(saml_duration_parse("P1DT2H3M4.5S", &v), EIDGW_OK);
	assert_int_equal(v, 86400 + 7200 + 180 + 4);
	assert_int_equal(saml_duration_parse("P1Y2M", &v), EIDGW_OK);
	assert_int_equal(v, 365 * 86400 + 60 * 86400);
	assert_int_equal(saml_duration_parse("PT30M", &v), EIDGW_OK);
	assert_int_equal(v, 1800);
	assert_int_equal(saml_duration_parse("P", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("PT", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("-PT1H", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("PT1D", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("P1H", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("PT1S1M", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse("P9999999999999D", &v), EIDGW_E_MALFORMED);
	assert_int_equal(saml_duration_parse(NULL, &v), EIDGW_E_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_service_metadata),
		cmocka_unit_test(test_idp_rollover),
		cmocka_unit_test(test_sp_metadata),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
