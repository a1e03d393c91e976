/*
 * authnrequest.c - the eIDAS AuthnRequest (digest 1.1, 1.2; eIDAS SAML
 * Message Format v1.2 section 3).
 */
#include "saml/authnrequest.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/util.h"
#include "saml/attributes.h"
#include "saml/response.h"
#include "saml/xml.h"
#include "saml/xmldsig.h"

#define PARAM_MAX 1024
#define ATTRS_MAX 64

static bool
param_ok(const char *s, bool required)
{
	size_t n;

	if (s == NULL)
		return !required;
	if ((n = strlen(s)) == 0 || n > PARAM_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static enum eidgw_err
check_params(const struct saml_authnrequest_params *p, struct eidgw_diag *d)
{
	enum eidgw_err rc;
	bool natural = false, legal = false;
	int lowest = 4;
	size_t i, j;

	EIDGW_CHECK(param_ok(p->issuer, true) && param_ok(p->destination, true) &&
	    param_ok(p->requester_id, false) && param_ok(p->provider_name, false) &&
	    param_ok(p->protocol_binding, false) && param_ok(p->nameid_format, false), d,
	    EIDGW_E_SAML_REQUEST_PARAMS, "missing or malformed request parameter");
	/* 1.2: SPType is "public" or "private". */
	EIDGW_CHECK(p->sp_type == NULL || strcmp(p->sp_type, "public") == 0 ||
	    strcmp(p->sp_type, "private") == 0, d, EIDGW_E_SAML_REQUEST_PARAMS,
	    "SPType must be public or private");
	/* 1.2: the EC node returns an error if the list is empty. */
	EIDGW_CHECK(p->attrs != NULL && p->nattrs > 0 && p->nattrs <= ATTRS_MAX, d,
	    EIDGW_E_SAML_REQUEST_PARAMS, "no requested attributes");
	for (i = 0; i < p->nattrs; i++) {
		const char *n = p->attrs[i].name;

		EIDGW_CHECK(param_ok(n, true), d, EIDGW_E_SAML_REQUEST_PARAMS,
		    "requested attribute without Name");
		/* 3.4: representative attributes MUST NOT be requested. */
		EIDGW_CHECK(strstr(n, "/representative/") == NULL, d, EIDGW_E_SAML_REQUEST_PARAMS,
		    "representative attributes must not be requested");
		if (eidgw_starts_with(n, SAML_ATTR_NATURAL))
			natural = true;
		if (eidgw_starts_with(n, SAML_ATTR_LEGAL))
			legal = true;
	}
	/* v1.4: "a request MUST NOT mix natural- and legal-person attributes". */
	EIDGW_CHECK(!(natural && legal), d, EIDGW_E_SAML_REQUEST_PARAMS,
	    "natural and legal person attributes mixed");
	if (p->nexact_loas == 0) {
		/* 1.2 #5: minimum needs exactly one notified LoA. */
		EIDGW_CHECK(saml_loa_level(p->loa) > 0, d, EIDGW_E_SAML_REQUEST_PARAMS,
		    "Comparison=minimum needs one notified LoA");
	} else {
		EIDGW_CHECK(p->exact_loas != NULL && p->nexact_loas <= 16, d,
		    EIDGW_E_SAML_REQUEST_PARAMS, "bad exact LoA list");
		for (i = 0; i < p->nexact_loas; i++) {
			EIDGW_CHECK(param_ok(p->exact_loas[i], true), d,
			    EIDGW_E_SAML_REQUEST_PARAMS, "empty LoA URI");
			for (j = 0; j < i; j++)
				EIDGW_CHECK(strcmp(p->exact_loas[i], p->exact_loas[j]) != 0, d,
				    EIDGW_E_SAML_REQUEST_PARAMS, "duplicate LoA URI");
			if (saml_loa_level(p->exact_loas[i]) > 0 &&
			    saml_loa_level(p->exact_loas[i]) < lowest)
				lowest = saml_loa_level(p->exact_loas[i]);
		}
		/* EC node: a notified level listed under exact needs all higher ones too. */
		for (i = (size_t)lowest; i <= 3; i++) {
			static const char *const lv[] = { SAML_LOA_LOW, SAML_LOA_SUBSTANTIAL,
			    SAML_LOA_HIGH };
			bool have = false;

			for (j = 0; j < p->nexact_loas; j++)
				have = have || strcmp(p->exact_loas[j], lv[i - 1]) == 0;
			EIDGW_CHECK(have, d, EIDGW_E_SAML_REQUEST_PARAMS,
			    "exact LoA list lacks a higher notified level");
		}
	}
	rc = EIDGW_OK;
out:
	return rc;
}

void
saml_authnrequest_free(struct saml_authnrequest *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->xml);
	free(r);
}

static xmlNodePtr
add_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	/* xmlNewTextChild escapes text; xmlNewChild would parse entity references. */
	return xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
}

enum eidgw_err
saml_authnrequest_build(const struct saml_authnrequest_params *p,
    struct saml_authnrequest **out, struct eidgw_diag *d)
{
	struct saml_authnrequest *r = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, issuer, ext, ras, ra, n, rac;
	xmlNsPtr samlp, saml, eidas;
	xmlChar *mem = NULL;
	char instant[32];
	enum eidgw_err rc;
	int size = 0;
	size_t i;

	*out = NULL;
	EIDGW_CHECK(p != NULL, d, EIDGW_E_INVAL, "no parameters");
	EIDGW_TRY(check_params(p, d));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 1.1: ID "_" + at least 128 random bits. */
	EIDGW_TRY(eidgw_random_hex("_", 16, &r->id));
	eidgw_time_fmt(p->now, instant);

	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewNode(NULL, (const xmlChar *)"AuthnRequest")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	xmlDocSetRootElement(doc, root);
	samlp = xmlNewNs(root, (const xmlChar *)SAML_NS_PROTOCOL, (const xmlChar *)"saml2p");
	saml = xmlNewNs(root, (const xmlChar *)SAML_NS_ASSERTION, (const xmlChar *)"saml2");
	eidas = xmlNewNs(root, (const xmlChar *)SAML_NS_EIDAS, (const xmlChar *)"eidas");
	if (samlp == NULL || saml == NULL || eidas == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	xmlSetNs(root, samlp);
	/* 1.1 table: ID, Version 2.0, IssueInstant, Destination, ForceAuthn=true, IsPassive=false. */
	if (xmlNewProp(root, (const xmlChar *)"ID", (const xmlChar *)r->id) == NULL ||
	    xmlNewProp(root, (const xmlChar *)"Version", (const xmlChar *)"2.0") == NULL ||
	    xmlNewProp(root, (const xmlChar *)"IssueInstant", (const xmlChar *)instant) == NULL ||
	    xmlNewProp(root, (const xmlChar *)"Destination", (const xmlChar *)p->destination) == NULL ||
	    xmlNewProp(root, (const xmlChar *)"ForceAuthn", (const xmlChar *)"true") == NULL ||
	    xmlNewProp(root, (const xmlChar *)"IsPassive", (const xmlChar *)"false") == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (p->provider_name != NULL && xmlNewProp(root, (const xmlChar *)"ProviderName",
	    (const xmlChar *)p->provider_name) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 1.1: ProtocolBinding "SHOULD NOT be sent"; only as a per-country quirk. */
	if (p->protocol_binding != NULL && xmlNewProp(root, (const xmlChar *)"ProtocolBinding",
	    (const xmlChar *)p->protocol_binding) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");

	/* 1.2 #1: Issuer = our metadata URL. */
	if ((issuer = add_child(root, saml, "Issuer", p->issuer)) == NULL ||
	    xmlNewProp(issuer, (const xmlChar *)"Format", (const xmlChar *)SAML_NAMEID_ENTITY) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 1.2 #3: Extensions are REQUIRED: SPType (unless in metadata), RequestedAttributes. */
	if ((ext = xmlNewChild(root, samlp, (const xmlChar *)"Extensions", NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (p->sp_type != NULL && add_child(ext, eidas, "SPType", p->sp_type) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if ((ras = xmlNewChild(ext, eidas, (const xmlChar *)"RequestedAttributes", NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	for (i = 0; i < p->nattrs; i++) {
		if ((ra = xmlNewChild(ras, eidas, (const xmlChar *)"RequestedAttribute", NULL)) == NULL ||
		    xmlNewProp(ra, (const xmlChar *)"Name", (const xmlChar *)p->attrs[i].name) == NULL ||
		    xmlNewProp(ra, (const xmlChar *)"NameFormat",
		    (const xmlChar *)SAML_ATTRNAME_FORMAT_URI) == NULL ||
		    xmlNewProp(ra, (const xmlChar *)"isRequired",
		    (const xmlChar *)(p->attrs[i].required ? "true" : "false")) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* 1.2 #4: NameIDPolicy, persistent by default, AllowCreate=true. */
	if ((n = xmlNewChild(root, samlp, (const xmlChar *)"NameIDPolicy", NULL)) == NULL ||
	    xmlNewProp(n, (const xmlChar *)"Format", (const xmlChar *)(p->nameid_format != NULL ?
	    p->nameid_format : SAML_NAMEID_PERSISTENT)) == NULL ||
	    xmlNewProp(n, (const xmlChar *)"AllowCreate", (const xmlChar *)"true") == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	/* 1.2 #5: minimum with exactly one notified LoA, or exact with the full list. */
	if ((rac = xmlNewChild(root, samlp, (const xmlChar *)"RequestedAuthnContext", NULL)) == NULL ||
	    xmlNewProp(rac, (const xmlChar *)"Comparison",
	    (const xmlChar *)(p->nexact_loas > 0 ? "exact" : "minimum")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (p->nexact_loas > 0) {
		for (i = 0; i < p->nexact_loas; i++)
			if (add_child(rac, saml, "AuthnContextClassRef", p->exact_loas[i]) == NULL)
				EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	} else if (add_child(rac, saml, "AuthnContextClassRef", p->loa) == NULL) {
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* 1.2 #6: Scoping/RequesterID identifies the relying party. */
	if (p->requester_id != NULL && !p->omit_scoping) {
		if ((n = xmlNewChild(root, samlp, (const xmlChar *)"Scoping", NULL)) == NULL ||
		    add_child(n, samlp, "RequesterID", p->requester_id) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* 1.2 #2: enveloped signature right after the Issuer. */
	if (p->key != NULL)
		EIDGW_TRY(saml_sig_sign_enveloped(doc, root, "ID", issuer, p->key, p->alg, d));
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "cannot serialise the request");
	if ((r->xml = malloc((size_t)size + 1)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	memcpy(r->xml, mem, (size_t)size);
	r->xml[size] = '\0';
	r->xml_len = (size_t)size;
	*out = r;
	r = NULL;
	rc = EIDGW_OK;
out:
	if (mem != NULL)
		xmlFree(mem);
	if (doc != NULL)
		xmlFreeDoc(doc);
	saml_authnrequest_free(r);
	return rc;
}
