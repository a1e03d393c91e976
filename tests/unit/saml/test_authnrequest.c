/*
 * Unit tests for saml/authnrequest.c: the eIDAS AuthnRequest (digest 1.1,
 * 1.2), signed (ECDSA and RSA-PSS) and unsigned, and its parameter checks.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/keyops.h"
#include "core/util.h"
#include "saml/attributes.h"
#include "saml/authnrequest.h"
#include "saml/response.h"
#include "saml/xml.h"

static struct eidgw_key *key_ec, *key_rsa;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(saml_library_init(), EIDGW_OK);
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.key.pem"),
	    tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.cert.pem"), 3072, &key_ec, NULL), EIDGW_OK);
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign-rsa.key.pem"),
	    tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign-rsa.cert.pem"), 3072, &key_rsa, NULL),
	    EIDGW_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	eidgw_key_free(key_ec);
	eidgw_key_free(key_rsa);
	return 0;
}

static const struct saml_requested_attr mds[] = {
	{ SAML_ATTR_PERSON_IDENTIFIER, true },
	{ SAML_ATTR_FAMILY_NAME, true },
	{ SAML_ATTR_GIVEN_NAME, true },
	{ SAML_ATTR_DATE_OF_BIRTH, true },
	{ SAML_ATTR_NATURAL "CurrentAddress", false },
};

static void
params_init(struct saml_authnrequest_params *p)
{
	memset(p, 0, sizeof(*p));
	p->issuer = "https://gw.example.org/saml/metadata";
	p->destination = "https://node.example.eu/EidasNode/ColleagueRequest";
	p->sp_type = "public";
	p->attrs = mds;
	p->nattrs = EIDGW_ARRAY_LEN(mds);
	p->loa = SAML_LOA_SUBSTANTIAL;
	p->requester_id = "https://gw.example.org/rp/client-1?a=1&b=<2>";
	p->provider_name = "Demo \"service\"";
	p->now = 1767225600;
	p->key = key_ec;
	p->alg = EIDGW_SIG_ECDSA_SHA256;
}

static char *
prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = v != NULL ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static void
assert_prop(xmlNodePtr n, const char *name, const char *want)
{
	char *v = prop(n, name);

	if (want == NULL) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void
check_request(const struct saml_authnrequest *r, const struct eidgw_key *signer,
    enum eidgw_sig_alg alg)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, c, ext, ras, ra, rac, sc;
	struct saml_trust trust;
	EVP_PKEY *pk;
	char *t;
	int n = 0;

	(void)alg;
	assert_int_equal(saml_xml_parse(r->xml, r->xml_len, 1 << 20, &doc, NULL), EIDGW_OK);
	root = xmlDocGetRootElement(doc);
	assert_true(saml_xml_is(root, SAML_NS_PROTOCOL, "AuthnRequest"));
	/* 1.1 */
	assert_int_equal(strlen(r->id), 33);
	assert_int_equal(r->id[0], '_');
	assert_prop(root, "ID", r->id);
	assert_prop(root, "Version", "2.0");
	assert_prop(root, "IssueInstant", "2026-01-01T00:00:00Z");
	assert_prop(root, "Destination", "https://node.example.eu/EidasNode/ColleagueRequest");
	assert_prop(root, "ForceAuthn", "true");
	assert_prop(root, "IsPassive", "false");
	assert_prop(root, "ProviderName", "Demo \"service\"");
	assert_prop(root, "ProtocolBinding", NULL);
	assert_prop(root, "AssertionConsumerServiceURL", NULL);
	/* 1.2 order: Issuer, Signature, Extensions, NameIDPolicy, RequestedAuthnContext, Scoping */
	c = xmlFirstElementChild(root);
	assert_true(saml_xml_is(c, SAML_NS_ASSERTION, "Issuer"));
	t = saml_xml_text(c, false);
	assert_string_equal(t, "https://gw.example.org/saml/metadata");
	free(t);
	c = xmlNextElementSibling(c);
	if (signer != NULL) {
		assert_true(saml_xml_is(c, SAML_NS_DSIG, "Signature"));
		c = xmlNextElementSibling(c);
	}
	assert_true(saml_xml_is(c, SAML_NS_PROTOCOL, "Extensions"));
	ext = c;
	c = xmlNextElementSibling(c);
	assert_true(saml_xml_is(c, SAML_NS_PROTOCOL, "NameIDPolicy"));
	assert_prop(c, "Format", SAML_NAMEID_PERSISTENT);
	assert_prop(c, "AllowCreate", "true");
	rac = xmlNextElementSibling(c);
	assert_true(saml_xml_is(rac, SAML_NS_PROTOCOL, "RequestedAuthnContext"));
	assert_prop(rac, "Comparison", "minimum");
	(void)saml_xml_child(rac, SAML_NS_ASSERTION, "AuthnContextClassRef", &n);
	assert_int_equal(n, 1);
	sc = xmlNextElementSibling(rac);
	assert_true(saml_xml_is(sc, SAML_NS_PROTOCOL, "Scoping"));
	t = saml_xml_text(saml_xml_child(sc, SAML_NS_PROTOCOL, "RequesterID", NULL), false);
	assert_string_equal(t, "https://gw.example.org/rp/client-1?a=1&b=<2>");
	free(t);
	assert_null(xmlNextElementSibling(sc));
	/* Extensions: SPType, RequestedAttributes */
	t = saml_xml_text(saml_xml_child(ext, SAML_NS_EIDAS, "SPType", NULL), false);
	assert_string_equal(t, "public");
	free(t);
	ras = saml_xml_child(ext, SAML_NS_EIDAS, "RequestedAttributes", NULL);
	assert_non_null(ras);
	(void)saml_xml_child(ras, SAML_NS_EIDAS, "RequestedAttribute", &n);
	assert_int_equal(n, 5);
	ra = saml_xml_child(ras, SAML_NS_EIDAS, "RequestedAttribute", NULL);
	assert_prop(ra, "Name", SAML_ATTR_PERSON_IDENTIFIER);
	assert_prop(ra, "NameFormat", SAML_ATTRNAME_FORMAT_URI);
	assert_prop(ra, "isRequired", "true");
	assert_prop(xmlLastElementChild(ras), "isRequired", "false");
	if (signer != NULL) {
		pk = signer->pub;
		trust.keys = &pk;
		trust.nkeys = 1;
		assert_int_equal(saml_sig_verify_enveloped(doc, root, "ID", &trust, NULL, NULL),
		    EIDGW_OK);
	}
	xmlFreeDoc(doc);
}

static void
test_signed_ecdsa(void **state)
{
	struct saml_authnrequest_params p;
	struct saml_authnrequest *r = NULL, *r2 = NULL;
	struct eidgw_diag d;

	(void)state;
	params_init(&p);
	eidgw_diag_clear(&d);
	if (saml_authnrequest_build(&p, &r, &d) != EIDGW_OK)
		fail_msg("%s %s", eidgw_err_name(d.code), d.reason);
	check_request(r, key_ec, p.alg);
	/* a fresh ID each time */
	assert_int_equal(saml_authnrequest_build(&p, &r2, NULL), EIDGW_OK);
	assert_string_not_equal(r->id, r2->id);
	saml_authnrequest_free(r);
	saml_authnrequest_free(r2);
	saml_authnrequest_free(NULL);
}

static void
test_signed_pss(void **state)
{
	struct saml_authnrequest_params p;
	struct saml_authnrequest *r = NULL;

	(void)state;
	params_init(&p);
	p.key = key_rsa;
	p.alg = EIDGW_SIG_RSA_PSS_SHA256;
	assert_int_equal(saml_authnrequest_build(&p, &r, NULL), EIDGW_OK);
	check_request(r, key_rsa, p.alg);
	saml_authnrequest_free(r);
}

static void
test_unsigned_and_quirks(void **state)
{
	static const char *const exact[] = { "http://eidas.europa.eu/NotNotified/LoA/substantial",
	    SAML_LOA_SUBSTANTIAL, SAML_LOA_HIGH };
	struct saml_authnrequest_params p;
	struct saml_authnrequest *r = NULL;

	(void)state;
	params_init(&p);
	p.key = NULL;
	assert_int_equal(saml_authnrequest_build(&p, &r, NULL), EIDGW_OK);
	check_request(r, NULL, EIDGW_SIG_NONE);
	assert_null(strstr(r->xml, "Signature"));
	saml_authnrequest_free(r);
	/* quirks: no Scoping even with a RequesterID; ProtocolBinding sent */
	params_init(&p);
	p.omit_scoping = true;
	p.protocol_binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
	p.sp_type = NULL;
	p.nexact_loas = 3;
	p.exact_loas = exact;
	assert_int_equal(saml_authnrequest_build(&p, &r, NULL), EIDGW_OK);
	assert_null(strstr(r->xml, "Scoping"));
	assert_null(strstr(r->xml, "SPType"));
	assert_non_null(strstr(r->xml, "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\""));
	assert_non_null(strstr(r->xml, "Comparison=\"exact\""));
	saml_authnrequest_free(r);
}

static void
test_bad_params(void **state)
{
	static const struct saml_requested_attr mixed[] = {
		{ SAML_ATTR_PERSON_IDENTIFIER, true }, { SAML_ATTR_LEGAL_NAME, true } };
	static const struct saml_requested_attr repr[] = {
		{ SAML_ATTR_NATURAL "representative/PersonIdentifier", true } };
	static const char *const exact_gap[] = { SAML_LOA_SUBSTANTIAL };
	static const char *const exact_dup[] = { SAML_LOA_HIGH, SAML_LOA_HIGH };
	struct saml_authnrequest_params p;
	struct saml_authnrequest *r = NULL;

	(void)state;
#define BAD(stmt) do { params_init(&p); stmt; \
	assert_int_equal(saml_authnrequest_build(&p, &r, NULL), EIDGW_E_SAML_REQUEST_PARAMS); \
	assert_null(r); } while (0)
	BAD(p.issuer = NULL);
	BAD(p.destination = "");
	BAD(p.destination = "https://x\n.example");
	BAD(p.sp_type = "semi");
	BAD(p.nattrs = 0);
	BAD((p.attrs = mixed, p.nattrs = 2));
	BAD((p.attrs = repr, p.nattrs = 1));
	BAD(p.loa = "http://eidas.europa.eu/NotNotified/LoA/high");
	BAD(p.loa = NULL);
	BAD((p.exact_loas = exact_gap, p.nexact_loas = 1));
	BAD((p.exact_loas = exact_dup, p.nexact_loas = 2));
#undef BAD
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_ecdsa),
		cmocka_unit_test(test_signed_pss),
		cmocka_unit_test(test_unsigned_and_quirks),
		cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
