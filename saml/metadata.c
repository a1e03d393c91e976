/*
 * metadata.c - SAML 2.0 metadata out (our SP, signed) and in (an IdP's,
 * verified), per the digest 5 and eIDAS Interoperability Architecture 6.
 */
#include "saml/metadata.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/err.h>

#include "core/buf.h"
#include "core/util.h"
#include "saml/attributes.h"
#include "saml/response.h"
#include "saml/xml.h"

#define NS_MDATTR "urn:oasis:names:tc:SAML:metadata:attribute"
#define NS_ALG    "urn:oasis:names:tc:SAML:metadata:algsupport"
#define ATTR_ASSURANCE "urn:oasis:names:tc:SAML:attribute:assurance-certification"
#define ATTR_ENTITY_CATEGORY "http://macedir.org/entity-category"
#define CAT_REQUESTER_ID "http://eidas.europa.eu/entity-attributes/termsofaccess/requesterid"
#define MD_LIST_MAX 256
#define MD_TEXT_MAX 2048
#define CERT_B64_MAX 16384

/* ---- out ------------------------------------------------------------------ */

static enum eidgw_err
add_cert(xmlNodePtr kd, xmlNsPtr ds, X509 *cert)
{
	unsigned char *der = NULL;
	struct eidgw_buf b64;
	xmlNodePtr ki, xd;
	enum eidgw_err rc;
	int n;

	eidgw_buf_init(&b64, CERT_B64_MAX);
	if ((n = i2d_X509(cert, &der)) <= 0)
		EIDGW_FAIL(NULL, EIDGW_E_CRYPTO, "cannot encode certificate");
	EIDGW_TRY(eidgw_b64_encode(&b64, der, (size_t)n, false));
	if ((ki = xmlNewChild(kd, ds, (const xmlChar *)"KeyInfo", NULL)) == NULL ||
	    (xd = xmlNewChild(ki, ds, (const xmlChar *)"X509Data", NULL)) == NULL ||
	    xmlNewTextChild(xd, ds, (const xmlChar *)"X509Certificate",
	    (const xmlChar *)b64.data) == NULL)
		EIDGW_FAIL(NULL, EIDGW_E_NOMEM, "out of memory");
	rc = EIDGW_OK;
out:
	OPENSSL_free(der);
	eidgw_buf_free(&b64);
	return rc;
}

static enum eidgw_err
add_key_descriptor(xmlNodePtr sp, xmlNsPtr md, xmlNsPtr ds, const char *use, X509 *cert)
{
	static const char *const enc_methods[] = { "http://www.w3.org/2009/xmlenc11#aes256-gcm",
	    "http://www.w3.org/2009/xmlenc11#aes128-gcm" };
	xmlNodePtr kd, em;
	enum eidgw_err rc;
	size_t i;

	if ((kd = xmlNewChild(sp, md, (const xmlChar *)"KeyDescriptor", NULL)) == NULL ||
	    xmlNewProp(kd, (const xmlChar *)"use", (const xmlChar *)use) == NULL)
		return EIDGW_E_NOMEM;
	EIDGW_TRY(add_cert(kd, ds, cert));
	if (strcmp(use, "encryption") == 0) {
		for (i = 0; i < EIDGW_ARRAY_LEN(enc_methods); i++)
			if ((em = xmlNewChild(kd, md, (const xmlChar *)"EncryptionMethod", NULL)) == NULL ||
			    xmlNewProp(em, (const xmlChar *)"Algorithm",
			    (const xmlChar *)enc_methods[i]) == NULL)
				return EIDGW_E_NOMEM;
	}
	rc = EIDGW_OK;
out:
	return rc;
}

static bool
md_param_ok(const char *s, bool required)
{
	size_t n;

	if (s == NULL)
		return !required;
	if ((n = strlen(s)) == 0 || n > MD_TEXT_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static xmlNodePtr
add_entity_attr(xmlNodePtr ea, xmlNsPtr saml, const char *name, const char *value)
{
	xmlNodePtr a;

	if ((a = xmlNewChild(ea, saml, (const xmlChar *)"Attribute", NULL)) == NULL ||
	    xmlNewProp(a, (const xmlChar *)"Name", (const xmlChar *)name) == NULL ||
	    xmlNewProp(a, (const xmlChar *)"NameFormat",
	    (const xmlChar *)SAML_ATTRNAME_FORMAT_URI) == NULL ||
	    xmlNewTextChild(a, saml, (const xmlChar *)"AttributeValue", (const xmlChar *)value) == NULL)
		return NULL;
	return a;
}

enum eidgw_err
saml_sp_metadata_build(const struct saml_sp_metadata_params *p, char **xml, size_t *len,
    struct eidgw_diag *d)
{
	static const char *const nameid_formats[] = { SAML_NAMEID_PERSISTENT,
	    SAML_NAMEID_TRANSIENT, SAML_NAMEID_UNSPECIFIED };
	xmlDocPtr doc = NULL;
	xmlNodePtr root, ext, ea, n, sp, spext, org, cp;
	xmlNsPtr md, ds, saml, eidas, mdattr, alg;
	xmlChar *mem = NULL;
	char *id = NULL;
	char until[32];
	enum eidgw_err rc;
	int size = 0;
	size_t i;

	*xml = NULL;
	*len = 0;
	EIDGW_CHECK(p != NULL && md_param_ok(p->entity_id, true) && md_param_ok(p->acs_url, true) &&
	    p->node_country != NULL && strlen(p->node_country) == 2 &&
	    p->signing_cert != NULL && p->encryption_cert != NULL && p->key != NULL &&
	    md_param_ok(p->application_id, false) && md_param_ok(p->org_name, false) &&
	    md_param_ok(p->org_display_name, false) && md_param_ok(p->org_url, false) &&
	    md_param_ok(p->contact_support_email, false) &&
	    md_param_ok(p->contact_technical_email, false) &&
	    p->nsigning_methods <= MD_LIST_MAX && p->ndigest_methods <= MD_LIST_MAX, d,
	    EIDGW_E_SAML_REQUEST_PARAMS, "metadata parameters missing or malformed");
	EIDGW_TRY(eidgw_random_hex("_", 16, &id));
	eidgw_time_fmt(p->valid_until, until);
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewNode(NULL, (const xmlChar *)"EntityDescriptor")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	xmlDocSetRootElement(doc, root);
	md = xmlNewNs(root, (const xmlChar *)SAML_NS_METADATA, (const xmlChar *)"md");
	ds = xmlNewNs(root, (const xmlChar *)SAML_NS_DSIG, (const xmlChar *)"ds");
	saml = xmlNewNs(root, (const xmlChar *)SAML_NS_ASSERTION, (const xmlChar *)"saml2");
	eidas = xmlNewNs(root, (const xmlChar *)SAML_NS_EIDAS, (const xmlChar *)"eidas");
	mdattr = xmlNewNs(root, (const xmlChar *)NS_MDATTR, (const xmlChar *)"mdattr");
	alg = xmlNewNs(root, (const xmlChar *)NS_ALG, (const xmlChar *)"alg");
	if (md == NULL || ds == NULL || saml == NULL || eidas == NULL || mdattr == NULL || alg == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	xmlSetNs(root, md);
	/* 5.2: entityID = metadata URL, validUntil MUST, ID for the enveloped signature. */
	if (xmlNewProp(root, (const xmlChar *)"entityID", (const xmlChar *)p->entity_id) == NULL ||
	    xmlNewProp(root, (const xmlChar *)"ID", (const xmlChar *)id) == NULL ||
	    xmlNewProp(root, (const xmlChar *)"validUntil", (const xmlChar *)until) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 5.2: entity Extensions publish protocol version and crypto capabilities. */
	if ((ext = xmlNewChild(root, md, (const xmlChar *)"Extensions", NULL)) == NULL ||
	    (ea = xmlNewChild(ext, mdattr, (const xmlChar *)"EntityAttributes", NULL)) == NULL ||
	    add_entity_attr(ea, saml, "http://eidas.europa.eu/entity-attributes/protocol-version",
	    "1.2") == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (p->application_id != NULL && add_entity_attr(ea, saml,
	    "http://eidas.europa.eu/entity-attributes/application-identifier",
	    p->application_id) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	for (i = 0; i < p->ndigest_methods; i++)
		if (!md_param_ok(p->digest_methods[i], true) ||
		    (n = xmlNewChild(ext, alg, (const xmlChar *)"DigestMethod", NULL)) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"Algorithm",
		    (const xmlChar *)p->digest_methods[i]) == NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_REQUEST_PARAMS, "bad DigestMethod");
	for (i = 0; i < p->nsigning_methods; i++)
		if (!md_param_ok(p->signing_methods[i], true) ||
		    (n = xmlNewChild(ext, alg, (const xmlChar *)"SigningMethod", NULL)) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"Algorithm",
		    (const xmlChar *)p->signing_methods[i]) == NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_REQUEST_PARAMS, "bad SigningMethod");
	/*
	 * 1.2 #3: SPType goes in each request (our RPs are mixed), so it MUST
	 * NOT be in our metadata.
	 */
	if ((sp = xmlNewChild(root, md, (const xmlChar *)"SPSSODescriptor", NULL)) == NULL ||
	    xmlNewProp(sp, (const xmlChar *)"AuthnRequestsSigned", (const xmlChar *)"true") == NULL ||
	    xmlNewProp(sp, (const xmlChar *)"WantAssertionsSigned", (const xmlChar *)"false") == NULL ||
	    xmlNewProp(sp, (const xmlChar *)"protocolSupportEnumeration",
	    (const xmlChar *)SAML_NS_PROTOCOL) == NULL ||
	    (spext = xmlNewChild(sp, md, (const xmlChar *)"Extensions", NULL)) == NULL ||
	    xmlNewTextChild(spext, eidas, (const xmlChar *)"NodeCountry",
	    (const xmlChar *)p->node_country) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 5.2: one signing and one encryption KeyDescriptor, X.509 certificates. */
	EIDGW_TRY(add_key_descriptor(sp, md, ds, "signing", p->signing_cert));
	EIDGW_TRY(add_key_descriptor(sp, md, ds, "encryption", p->encryption_cert));
	if (p->next_encryption_cert != NULL)
		EIDGW_TRY(add_key_descriptor(sp, md, ds, "encryption", p->next_encryption_cert));
	for (i = 0; i < EIDGW_ARRAY_LEN(nameid_formats); i++)
		if (xmlNewTextChild(sp, md, (const xmlChar *)"NameIDFormat",
		    (const xmlChar *)nameid_formats[i]) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if ((n = xmlNewChild(sp, md, (const xmlChar *)"AssertionConsumerService", NULL)) == NULL ||
	    xmlNewProp(n, (const xmlChar *)"Binding",
	    (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST") == NULL ||
	    xmlNewProp(n, (const xmlChar *)"Location", (const xmlChar *)p->acs_url) == NULL ||
	    xmlNewProp(n, (const xmlChar *)"index", (const xmlChar *)"0") == NULL ||
	    xmlNewProp(n, (const xmlChar *)"isDefault", (const xmlChar *)"true") == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (p->org_name != NULL && p->org_display_name != NULL && p->org_url != NULL) {
		if ((org = xmlNewChild(root, md, (const xmlChar *)"Organization", NULL)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		n = xmlNewTextChild(org, md, (const xmlChar *)"OrganizationName",
		    (const xmlChar *)p->org_name);
		if (n == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		xmlNodeSetLang(n, (const xmlChar *)"en");
		n = xmlNewTextChild(org, md, (const xmlChar *)"OrganizationDisplayName",
		    (const xmlChar *)p->org_display_name);
		if (n == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		xmlNodeSetLang(n, (const xmlChar *)"en");
		n = xmlNewTextChild(org, md, (const xmlChar *)"OrganizationURL",
		    (const xmlChar *)p->org_url);
		if (n == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		xmlNodeSetLang(n, (const xmlChar *)"en");
	}
	for (i = 0; i < 2; i++) {
		const char *mail = i == 0 ? p->contact_support_email : p->contact_technical_email;

		if (mail == NULL)
			continue;
		if ((cp = xmlNewChild(root, md, (const xmlChar *)"ContactPerson", NULL)) == NULL ||
		    xmlNewProp(cp, (const xmlChar *)"contactType",
		    (const xmlChar *)(i == 0 ? "support" : "technical")) == NULL ||
		    xmlNewTextChild(cp, md, (const xmlChar *)"EmailAddress",
		    (const xmlChar *)mail) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* 5.2: enveloped, exclusive c14n, signed with the metadata key; first child. */
	EIDGW_TRY(saml_sig_sign_enveloped(doc, root, "ID", NULL, p->key, p->alg, d));
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "cannot serialise metadata");
	if ((*xml = malloc((size_t)size + 1)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	memcpy(*xml, mem, (size_t)size);
	(*xml)[size] = '\0';
	*len = (size_t)size;
	rc = EIDGW_OK;
out:
	if (mem != NULL)
		xmlFree(mem);
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(id);
	return rc;
}

/* ---- in ------------------------------------------------------------------- */

void
saml_idp_metadata_free(struct saml_idp_metadata *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->entity_id);
	free(m->node_country);
	free(m->sso_post);
	free(m->sso_redirect);
	for (i = 0; i < m->nsigning; i++) {
		X509_free(m->signing_certs[i]);
		EVP_PKEY_free(m->signing_keys[i]);
	}
	free(m->signing_certs);
	free(m->signing_keys);
	for (i = 0; i < m->nencryption; i++)
		X509_free(m->encryption_certs[i]);
	free(m->encryption_certs);
	for (i = 0; i < m->nattributes; i++)
		free(m->attributes[i]);
	free(m->attributes);
	for (i = 0; i < m->nloas; i++)
		free(m->loas[i]);
	free(m->loas);
	free(m);
}

bool
saml_idp_supports_attribute(const struct saml_idp_metadata *m, const char *name)
{
	size_t i;

	if (m == NULL || name == NULL)
		return false;
	for (i = 0; i < m->nattributes; i++)
		if (strcmp(m->attributes[i], name) == 0)
			return true;
	return false;
}

static enum eidgw_err
str_push(char ***arr, size_t *n, char *s)
{
	char **na;

	if (s == NULL)
		return EIDGW_E_NOMEM;
	if (*n >= MD_LIST_MAX) {
		free(s);
		return EIDGW_E_SAML_METADATA;
	}
	if ((na = realloc(*arr, (*n + 1) * sizeof(*na))) == NULL) {
		free(s);
		return EIDGW_E_NOMEM;
	}
	na[(*n)++] = s;
	*arr = na;
	return EIDGW_OK;
}

static char *
md_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = strlen((const char *)v) <= MD_TEXT_MAX ? eidgw_strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

/* A KeyDescriptor's ds:KeyInfo/ds:X509Data/ds:X509Certificate. */
static enum eidgw_err
read_cert(const xmlNode *kd, X509 **out, struct eidgw_diag *d)
{
	const xmlNode *ki, *xd, *xc;
	struct eidgw_buf der;
	const unsigned char *p;
	enum eidgw_err rc;
	char *text = NULL;

	*out = NULL;
	eidgw_buf_init(&der, CERT_B64_MAX);
	ki = saml_xml_child(kd, SAML_NS_DSIG, "KeyInfo", NULL);
	xd = ki != NULL ? saml_xml_child(ki, SAML_NS_DSIG, "X509Data", NULL) : NULL;
	xc = xd != NULL ? saml_xml_child(xd, SAML_NS_DSIG, "X509Certificate", NULL) : NULL;
	EIDGW_CHECK(xc != NULL, d, EIDGW_E_SAML_METADATA, "KeyDescriptor without X509Certificate");
	text = saml_xml_text(xc, true);
	EIDGW_CHECK(text != NULL && strlen(text) <= CERT_B64_MAX &&
	    eidgw_b64_decode(&der, text, strlen(text), false) == EIDGW_OK && der.len > 0, d,
	    EIDGW_E_SAML_METADATA, "X509Certificate is not base64");
	p = (const unsigned char *)der.data;
	*out = d2i_X509(NULL, &p, (long)der.len);
	EIDGW_CHECK(*out != NULL && p == (const unsigned char *)der.data + der.len, d,
	    EIDGW_E_SAML_METADATA, "X509Certificate does not parse");
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK) {
		X509_free(*out);
		*out = NULL;
	}
	ERR_clear_error();
	free(text);
	eidgw_buf_free(&der);
	return rc;
}

static enum eidgw_err
add_signing(struct saml_idp_metadata *m, X509 *cert)
{
	X509 **nc;
	EVP_PKEY **nk, *pk;

	if (m->nsigning >= MD_LIST_MAX || (pk = X509_get_pubkey(cert)) == NULL)
		return EIDGW_E_SAML_METADATA;
	if ((nc = realloc(m->signing_certs, (m->nsigning + 1) * sizeof(*nc))) == NULL) {
		EVP_PKEY_free(pk);
		return EIDGW_E_NOMEM;
	}
	m->signing_certs = nc;
	if ((nk = realloc(m->signing_keys, (m->nsigning + 1) * sizeof(*nk))) == NULL) {
		EVP_PKEY_free(pk);
		return EIDGW_E_NOMEM;
	}
	m->signing_keys = nk;
	nc[m->nsigning] = cert;
	nk[m->nsigning] = pk;
	m->nsigning++;
	return EIDGW_OK;
}

static enum eidgw_err
add_encryption(struct saml_idp_metadata *m, X509 *cert)
{
	X509 **nc;

	if (m->nencryption >= MD_LIST_MAX)
		return EIDGW_E_SAML_METADATA;
	if ((nc = realloc(m->encryption_certs, (m->nencryption + 1) * sizeof(*nc))) == NULL)
		return EIDGW_E_NOMEM;
	m->encryption_certs = nc;
	nc[m->nencryption++] = cert;
	return EIDGW_OK;
}

static enum eidgw_err
read_key_descriptor(struct saml_idp_metadata *m, const xmlNode *kd, struct eidgw_diag *d)
{
	enum eidgw_err rc;
	X509 *cert = NULL, *dup = NULL;
	char *use = NULL;

	use = md_attr(kd, "use");
	EIDGW_CHECK(use == NULL || strcmp(use, "signing") == 0 || strcmp(use, "encryption") == 0,
	    d, EIDGW_E_SAML_METADATA, "KeyDescriptor use unknown");
	EIDGW_TRY(read_cert(kd, &cert, d));
	/* SAML metadata 2.4.1.1: no use means both. */
	if (use == NULL || strcmp(use, "signing") == 0) {
		if (use == NULL && (dup = X509_dup(cert)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		EIDGW_CHECK((rc = add_signing(m, cert)) == EIDGW_OK, d, rc, "cannot keep key");
		cert = dup;
		dup = NULL;
	}
	if (cert != NULL) {
		EIDGW_CHECK((rc = add_encryption(m, cert)) == EIDGW_OK, d, rc, "cannot keep cert");
		cert = NULL;
	}
	rc = EIDGW_OK;
out:
	X509_free(cert);
	X509_free(dup);
	free(use);
	return rc;
}

static enum eidgw_err
read_entity_attributes(struct saml_idp_metadata *m, const xmlNode *root, struct eidgw_diag *d)
{
	const xmlNode *ext, *ea, *a, *v;
	enum eidgw_err rc = EIDGW_OK;
	char *name, *val;

	if ((ext = saml_xml_child(root, SAML_NS_METADATA, "Extensions", NULL)) == NULL ||
	    (ea = saml_xml_child(ext, NS_MDATTR, "EntityAttributes", NULL)) == NULL)
		return EIDGW_OK;
	for (a = ea->children; a != NULL; a = a->next) {
		if (!saml_xml_is(a, SAML_NS_ASSERTION, "Attribute"))
			continue;
		if ((name = md_attr(a, "Name")) == NULL)
			continue;
		for (v = a->children; v != NULL; v = v->next) {
			if (!saml_xml_is(v, SAML_NS_ASSERTION, "AttributeValue"))
				continue;
			if ((val = saml_xml_text(v, true)) == NULL || strlen(val) > MD_TEXT_MAX) {
				free(val);
				continue;
			}
			if (strcmp(name, ATTR_ASSURANCE) == 0) {
				if ((rc = str_push(&m->loas, &m->nloas, val)) != EIDGW_OK)
					break;
				continue;
			}
			if (strcmp(name, ATTR_ENTITY_CATEGORY) == 0 &&
			    strcmp(val, CAT_REQUESTER_ID) == 0)
				m->requester_id_required = true;
			free(val);
		}
		free(name);
		if (rc != EIDGW_OK)
			return eidgw_diag_set(d, rc, __FILE__, __LINE__, "entity attributes");
	}
	return EIDGW_OK;
}

/* The enveloped signature must cover the whole document (Reference "" or "#rootID"). */
static enum eidgw_err
verify_metadata_signature(xmlDocPtr doc, xmlNodePtr root, const struct saml_trust *trust,
    const struct saml_sig_policy *pol, struct eidgw_diag *d)
{
	xmlNodePtr sig, si, ref;
	enum eidgw_err rc;
	char *uri = NULL, *id = NULL;
	int count = 0, nref = 0;

	sig = saml_xml_child(root, SAML_NS_DSIG, "Signature", &count);
	EIDGW_CHECK(sig != NULL, d, EIDGW_E_SAML_SIG_MISSING, "metadata is not signed");
	EIDGW_CHECK(count == 1, d, EIDGW_E_SAML_SIG_MULTIPLE, "more than one metadata signature");
	si = saml_xml_child(sig, SAML_NS_DSIG, "SignedInfo", NULL);
	ref = si != NULL ? saml_xml_child(si, SAML_NS_DSIG, "Reference", &nref) : NULL;
	EIDGW_CHECK(ref != NULL && nref == 1, d, EIDGW_E_SAML_SIG_MULTIPLE,
	    "metadata signature needs exactly one Reference");
	uri = md_attr(ref, "URI");
	id = md_attr(root, "ID");
	EIDGW_CHECK(uri != NULL && (uri[0] == '\0' || (uri[0] == '#' && id != NULL &&
	    strcmp(uri + 1, id) == 0)), d, EIDGW_E_SAML_SIG_REFERENCE,
	    "metadata signature does not cover the document");
	EIDGW_CHECK(trust != NULL && trust->nkeys > 0, d, EIDGW_E_SAML_SIG_UNTRUSTED,
	    "no metadata signing key configured");
	EIDGW_TRY(saml_sig_verify_generic(doc, sig, trust, pol, d));
out:
	free(uri);
	free(id);
	return rc;
}

enum eidgw_err
saml_duration_parse(const char *s, int64_t *out)
{
	static const struct {
		char unit;
		bool time;
		int64_t secs;
	} units[] = {
		{ 'Y', false, 365 * 86400 }, { 'M', false, 30 * 86400 }, { 'D', false, 86400 },
		{ 'H', true, 3600 }, { 'M', true, 60 }, { 'S', true, 1 },
	};
	int64_t total = 0, v;
	size_t u = 0, i, ndigits;
	bool in_time = false, any = false;

	*out = 0;
	if (s == NULL || *s++ != 'P')
		return EIDGW_E_MALFORMED;
	while (*s != '\0') {
		if (*s == 'T') {
			if (in_time)
				return EIDGW_E_MALFORMED;
			in_time = true;
			s++;
			if (*s == '\0')
				return EIDGW_E_MALFORMED;
			continue;
		}
		for (v = 0, ndigits = 0; *s >= '0' && *s <= '9'; s++, ndigits++) {
			if (ndigits >= 12)
				return EIDGW_E_MALFORMED;
			v = v * 10 + (*s - '0');
		}
		if (ndigits == 0)
			return EIDGW_E_MALFORMED;
		if (*s == '.' && in_time) {
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
			if (*s != 'S')
				return EIDGW_E_MALFORMED;
		}
		for (i = u; i < EIDGW_ARRAY_LEN(units); i++)
			if (units[i].unit == *s && units[i].time == in_time)
				break;
		if (i == EIDGW_ARRAY_LEN(units))
			return EIDGW_E_MALFORMED;
		total += v * units[i].secs;
		u = i + 1;
		any = true;
		s++;
	}
	if (!any)
		return EIDGW_E_MALFORMED;
	*out = total;
	return EIDGW_OK;
}

enum eidgw_err
saml_idp_metadata_parse(const char *xml, size_t len, const struct saml_trust *md_signers,
    const struct saml_sig_policy *pol, int64_t now, const char *expected_entity_id,
    struct saml_idp_metadata **out, struct eidgw_diag *d)
{
	struct saml_idp_metadata *m = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, idp, ext, c;
	enum eidgw_err rc;
	char *s = NULL;
	int count = 0;

	*out = NULL;
	EIDGW_CHECK(xml != NULL && len > 0, d, EIDGW_E_INVAL, "no metadata");
	EIDGW_TRY(saml_xml_parse(xml, len, SAML_METADATA_MAX_BYTES, &doc, d));
	root = xmlDocGetRootElement(doc);
	EIDGW_CHECK(root != NULL && saml_xml_is(root, SAML_NS_METADATA, "EntityDescriptor"), d,
	    EIDGW_E_SAML_METADATA, "document element is not md:EntityDescriptor");
	/* Interop Architecture 6: "Unverified metadata MUST NOT be used": verify first. */
	EIDGW_TRY(verify_metadata_signature(doc, root, md_signers, pol, d));
	if ((m = calloc(1, sizeof(*m))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	m->entity_id = md_attr(root, "entityID");
	EIDGW_CHECK(m->entity_id != NULL && m->entity_id[0] != '\0', d, EIDGW_E_SAML_METADATA,
	    "entityID missing");
	EIDGW_CHECK(expected_entity_id == NULL || strcmp(expected_entity_id, m->entity_id) == 0,
	    d, EIDGW_E_SAML_METADATA_ENTITY, "entityID is not the configured one");
	/* SAML Metadata 2.2.1 / eIDAS: validUntil honoured; without it we refuse. */
	s = md_attr(root, "validUntil");
	EIDGW_CHECK(s != NULL && eidgw_time_parse(s, &m->valid_until) == EIDGW_OK, d,
	    EIDGW_E_SAML_METADATA_EXPIRED, "validUntil missing or malformed");
	EIDGW_CHECK(now < m->valid_until, d, EIDGW_E_SAML_METADATA_EXPIRED,
	    "metadata validUntil has passed");
	free(s);
	/* SAML Metadata 4.3.1: cacheDuration tells the gateway when to refresh. */
	if ((s = md_attr(root, "cacheDuration")) != NULL)
		EIDGW_CHECK(saml_duration_parse(s, &m->cache_duration_s) == EIDGW_OK, d,
		    EIDGW_E_SAML_METADATA, "cacheDuration malformed");
	idp = saml_xml_child(root, SAML_NS_METADATA, "IDPSSODescriptor", &count);
	EIDGW_CHECK(idp != NULL && count == 1, d, EIDGW_E_SAML_METADATA,
	    "not exactly one IDPSSODescriptor");
	free(s);
	s = md_attr(idp, "WantAuthnRequestsSigned");
	m->want_authn_requests_signed = s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
	/* 5.3: NodeCountry in IDPSSODescriptor/Extensions (may be empty in test nodes). */
	if ((ext = saml_xml_child(idp, SAML_NS_METADATA, "Extensions", NULL)) != NULL &&
	    (c = saml_xml_child(ext, SAML_NS_EIDAS, "NodeCountry", NULL)) != NULL) {
		m->node_country = saml_xml_text(c, true);
		if (m->node_country != NULL && m->node_country[0] == '\0') {
			free(m->node_country);
			m->node_country = NULL;
		}
		EIDGW_CHECK(m->node_country == NULL || (strlen(m->node_country) == 2 &&
		    m->node_country[0] >= 'A' && m->node_country[0] <= 'Z' &&
		    m->node_country[1] >= 'A' && m->node_country[1] <= 'Z'), d,
		    EIDGW_E_SAML_METADATA, "NodeCountry not [A-Z][A-Z]");
	}
	for (c = idp->children; c != NULL; c = c->next) {
		if (saml_xml_is(c, SAML_NS_METADATA, "KeyDescriptor")) {
			EIDGW_TRY(read_key_descriptor(m, c, d));
		} else if (saml_xml_is(c, SAML_NS_METADATA, "SingleSignOnService")) {
			char *b = md_attr(c, "Binding"), *loc = md_attr(c, "Location");
			char **slot = NULL;

			if (b != NULL && strcmp(b, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST") == 0)
				slot = &m->sso_post;
			else if (b != NULL && strcmp(b,
			    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect") == 0)
				slot = &m->sso_redirect;
			if (slot != NULL && *slot == NULL && loc != NULL && loc[0] != '\0') {
				*slot = loc;
				loc = NULL;
			}
			free(b);
			free(loc);
		} else if (saml_xml_is(c, SAML_NS_ASSERTION, "Attribute")) {
			char *name = md_attr(c, "Name");

			if (name != NULL)
				EIDGW_CHECK((rc = str_push(&m->attributes, &m->nattributes, name)) ==
				    EIDGW_OK, d, rc, "too many attributes");
		}
	}
	EIDGW_CHECK(m->nsigning > 0, d, EIDGW_E_SAML_METADATA, "no signing certificate");
	EIDGW_CHECK(m->sso_post != NULL || m->sso_redirect != NULL, d, EIDGW_E_SAML_METADATA,
	    "no SingleSignOnService");
	EIDGW_TRY(read_entity_attributes(m, root, d));
	m->trust.keys = m->signing_keys;
	m->trust.nkeys = m->nsigning;
	*out = m;
	m = NULL;
	rc = EIDGW_OK;
out:
	free(s);
	saml_idp_metadata_free(m);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}
