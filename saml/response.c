/*
 * response.c - validation of an eIDAS SAML Response as one table of small
 * named checks (STYLE.md lesson 10), run in order by saml_response_validate;
 * the first failing check ends validation with its own error code.
 *
 * Sources of the rules: SAML 2.0 Core (saml-core-2.0-os) and Profiles
 * (saml-profiles-2.0-os 4.1.4.3, Web Browser SSO), eIDAS SAML Message Format
 * v1.2 (v1.4 text) and the digest's 2 table (checks 1-17).
 *
 * Signature wrapping is defeated by construction: the Response is the
 * document element and its signature must reference exactly it by a unique
 * ID; the one assertion we read is a direct child of that element (so it is
 * covered), or it is verified itself; no other Assertion may exist anywhere
 * in the document, no ID value may occur twice, and no ds:Signature may sit
 * anywhere but directly under the Response or under the assertion we use.
 */
#include "saml/response.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "saml/xml.h"
#include "saml/xmlenc.h"

#define SAML_ID_MAX 256
#define SAML_URI_MAX 1024
#define SAML_NAMEID_MAX 1024
#define SAML_STATUS_MSG_MAX 1024
#define REPLAY_KEY_PREFIX "saml-assertion:"

struct vctx {
	const struct saml_response_expect *e;
	struct saml_result *res;
	struct eidgw_diag *d;
	xmlDocPtr doc;
	xmlNodePtr resp;
	xmlNodePtr assertion;		/* the one assertion we read (after decryption) */
	xmlNodePtr enc_assertion;
	xmlNodePtr subject;
	xmlNodePtr conditions;
	xmlNodePtr authn_stmt;
	xmlNodePtr attr_stmt;
	char *resp_issuer;
	int64_t skew;
	int64_t max_age;
	bool response_signed;
	struct saml_sig_policy sigpol;
};

/* ---- small helpers ---------------------------------------------------- */

static char *
attr_dup(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = eidgw_strdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Compares an attribute with an expected value; absent never matches. */
static bool
attr_equals(const xmlNode *n, const char *name, const char *want)
{
	xmlChar *v;
	bool eq;

	if (want == NULL || (v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return false;
	eq = strcmp((const char *)v, want) == 0;
	xmlFree(v);
	return eq;
}

static bool
attr_present(const xmlNode *n, const char *name)
{
	return xmlHasNsProp(n, (const xmlChar *)name, NULL) != NULL;
}

/* Reads an xsd:dateTime attribute; absent gives EIDGW_E_NOT_FOUND. */
static enum eidgw_err
attr_time(const xmlNode *n, const char *name, int64_t *t)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	enum eidgw_err rc;

	*t = 0;
	if (v == NULL)
		return EIDGW_E_NOT_FOUND;
	rc = strlen((const char *)v) > 64 ? EIDGW_E_MALFORMED :
	    eidgw_time_parse((const char *)v, t);
	xmlFree(v);
	return rc;
}

/* xsd:ID is an NCName: a letter or '_' first, then name characters. */
static bool
id_valid(const char *id)
{
	size_t i, n;

	if (id == NULL || (n = strlen(id)) == 0 || n > SAML_ID_MAX)
		return false;
	if (!(id[0] == '_' || (id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= 'a' && id[0] <= 'z')))
		return false;
	for (i = 1; i < n; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Counts element descendants (and node itself) with ns/name. */
static size_t
count_desc(const xmlNode *n, const char *ns, const char *name)
{
	size_t c = 0;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (saml_xml_is(n, ns, name))
			c++;
		c += count_desc(n->children, ns, name);
	}
	return c;
}

static char *
element_text(const xmlNode *n, size_t max)
{
	char *s = saml_xml_text(n, true);

	if (s != NULL && strlen(s) > max) {
		free(s);
		return NULL;
	}
	return s;
}

/* ---- the checks ---------------------------------------------------------- */

/* Digest 2 #1 (after the hardened parse): the document element is a Response. */
static enum eidgw_err
check_root(struct vctx *v)
{
	enum eidgw_err rc;

	v->resp = xmlDocGetRootElement(v->doc);
	EIDGW_CHECK(v->resp != NULL && saml_xml_is(v->resp, SAML_NS_PROTOCOL, "Response"),
	    v->d, EIDGW_E_SAML_NOT_RESPONSE, "document element is not samlp:Response");
	rc = EIDGW_OK;
out:
	return rc;
}

struct id_ent {
	const char *val;
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_ent *)a)->val, ((const struct id_ent *)b)->val);
}

static void
collect_ids(xmlNode *n, struct id_ent *ids, size_t *count, size_t cap, bool *overflow)
{
	xmlAttr *a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (a = n->properties; a != NULL; a = a->next) {
			const char *an = (const char *)a->name;

			if (strcmp(an, "ID") != 0 && strcmp(an, "Id") != 0 &&
			    strcmp(an, "id") != 0 && strcmp(an, "AssertionID") != 0)
				continue;
			if (a->children == NULL || a->children->content == NULL)
				continue;
			if (*count >= cap) {
				*overflow = true;
				return;
			}
			ids[(*count)++].val = (const char *)a->children->content;
		}
		collect_ids(n->children, ids, count, cap, overflow);
	}
}

/* Signature wrapping defence: no ID value (ID, Id, id, AssertionID) occurs twice. */
static enum eidgw_err
check_unique_ids(struct vctx *v)
{
	enum { IDS_MAX = 4096 };
	struct id_ent *ids = NULL;
	enum eidgw_err rc;
	size_t n = 0, i;
	bool overflow = false;

	if ((ids = calloc(IDS_MAX, sizeof(*ids))) == NULL)
		EIDGW_FAIL(v->d, EIDGW_E_NOMEM, "out of memory");
	collect_ids(v->resp, ids, &n, IDS_MAX, &overflow);
	EIDGW_CHECK(!overflow, v->d, EIDGW_E_SAML_XML_TOO_LARGE, "too many ID attributes");
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (i = 1; i < n; i++)
		EIDGW_CHECK(strcmp(ids[i - 1].val, ids[i].val) != 0, v->d,
		    EIDGW_E_SAML_DUPLICATE_ID, "an ID value occurs twice");
	rc = EIDGW_OK;
out:
	free(ids);
	return rc;
}

/* Checks Version, ID and IssueInstant of a Response or Assertion. */
static enum eidgw_err
check_header(struct vctx *v, const xmlNode *n, const char *what)
{
	enum eidgw_err rc;
	int64_t t;
	char *id = NULL;

	/* SAML Core 3.2.2 / 2.3.3: Version "2.0" (the EC node rejects others). */
	EIDGW_CHECK(attr_equals(n, "Version", "2.0"), v->d, EIDGW_E_SAML_VERSION,
	    "%s Version is not 2.0", what);
	id = attr_dup(n, "ID");
	EIDGW_CHECK(id_valid(id), v->d, EIDGW_E_SAML_ID, "%s ID missing or not an NCName", what);
	EIDGW_CHECK(attr_time(n, "IssueInstant", &t) == EIDGW_OK, v->d,
	    EIDGW_E_SAML_ISSUE_INSTANT, "%s IssueInstant missing or malformed", what);
	/* Digest 2 #2: within the clock window, a small skew tolerated. */
	EIDGW_CHECK(t <= v->e->now + v->skew, v->d, EIDGW_E_SAML_ISSUE_INSTANT,
	    "%s IssueInstant is in the future", what);
	EIDGW_CHECK(t >= v->e->now - v->max_age - v->skew, v->d, EIDGW_E_SAML_ISSUE_INSTANT,
	    "%s IssueInstant is too old", what);
	rc = EIDGW_OK;
out:
	free(id);
	return rc;
}

static enum eidgw_err
check_response_header(struct vctx *v)
{
	enum eidgw_err rc;

	EIDGW_TRY(check_header(v, v->resp, "Response"));
	v->res->response_id = attr_dup(v->resp, "ID");
	v->res->in_response_to = attr_dup(v->resp, "InResponseTo");
	EIDGW_CHECK(v->res->response_id != NULL, v->d, EIDGW_E_NOMEM, "out of memory");
out:
	return rc;
}

/*
 * SAML Core 3.2.2 / 3.3.3 schema: Issuer?, ds:Signature?, Extensions?,
 * Status, (Assertion | EncryptedAssertion)*, in that order and nothing else.
 */
static enum eidgw_err
check_response_children(struct vctx *v)
{
	static const struct {
		const char *ns, *name;
		int rank;
		bool repeat;
	} order[] = {
		{ SAML_NS_ASSERTION, "Issuer", 0, false },
		{ SAML_NS_DSIG, "Signature", 1, false },
		{ SAML_NS_PROTOCOL, "Extensions", 2, false },
		{ SAML_NS_PROTOCOL, "Status", 3, false },
		{ SAML_NS_ASSERTION, "Assertion", 4, true },
		{ SAML_NS_ASSERTION, "EncryptedAssertion", 4, true },
	};
	const xmlNode *c;
	enum eidgw_err rc;
	int last = -1;
	size_t i;

	for (c = v->resp->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			const xmlChar *p = c->content;

			for (; p != NULL && *p != '\0'; p++)
				EIDGW_CHECK(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n',
				    v->d, EIDGW_E_SAML_UNEXPECTED, "text inside Response");
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < EIDGW_ARRAY_LEN(order); i++)
			if (saml_xml_is(c, order[i].ns, order[i].name))
				break;
		EIDGW_CHECK(i < EIDGW_ARRAY_LEN(order), v->d, EIDGW_E_SAML_UNEXPECTED,
		    "unexpected element in Response");
		EIDGW_CHECK(order[i].rank > last || (order[i].repeat && order[i].rank == last),
		    v->d, EIDGW_E_SAML_UNEXPECTED, "Response children out of order or repeated");
		last = order[i].rank;
	}
	rc = EIDGW_OK;
out:
	return rc;
}

/*
 * Digest 2 #6, eIDAS Message Format 2.4: "the Response MUST be signed";
 * keys only from verified metadata; the reference is the Response's own ID.
 */
static enum eidgw_err
check_response_signature(struct vctx *v)
{
	enum eidgw_err rc;

	EIDGW_CHECK(v->e->idp_trust != NULL && v->e->idp_trust->nkeys > 0, v->d,
	    EIDGW_E_SAML_SIG_UNTRUSTED, "no trusted IdP signing key configured");
	rc = saml_sig_verify_enveloped(v->doc, v->resp, "ID", v->e->idp_trust, &v->sigpol, v->d);
	if (rc == EIDGW_E_SAML_SIG_MISSING && v->e->assertion_signature_only) {
		/* National non-eIDAS scheme: the assertion signature is then mandatory. */
		if (v->d != NULL && v->d->code == EIDGW_E_SAML_SIG_MISSING)
			eidgw_diag_clear(v->d);
		v->response_signed = false;
		return EIDGW_OK;
	}
	if (rc == EIDGW_OK)
		v->response_signed = true;
out:
	return rc;
}

/* Digest 2 #5: Issuer is the IdP we sent the request to; Format entity if present. */
static enum eidgw_err
check_issuer_of(struct vctx *v, const xmlNode *parent, enum eidgw_err code, char **text_out)
{
	xmlNodePtr iss;
	enum eidgw_err rc;
	char *text = NULL;
	xmlChar *fmt;
	int count = 0;

	iss = saml_xml_child(parent, SAML_NS_ASSERTION, "Issuer", &count);
	EIDGW_CHECK(iss != NULL && count == 1, v->d, code, "Issuer missing or repeated");
	if ((fmt = xmlGetNoNsProp(iss, (const xmlChar *)"Format")) != NULL) {
		bool ok = strcmp((const char *)fmt, SAML_NAMEID_ENTITY) == 0;

		xmlFree(fmt);
		EIDGW_CHECK(ok, v->d, code, "Issuer Format is not entity");
	}
	text = element_text(iss, SAML_URI_MAX);
	EIDGW_CHECK(text != NULL && v->e->idp_entity_id != NULL &&
	    strcmp(text, v->e->idp_entity_id) == 0, v->d, code,
	    "Issuer is not the expected identity provider");
	if (text_out != NULL) {
		*text_out = text;
		text = NULL;
	}
	rc = EIDGW_OK;
out:
	free(text);
	return rc;
}

static enum eidgw_err
check_response_issuer(struct vctx *v)
{
	return check_issuer_of(v, v->resp, EIDGW_E_SAML_ISSUER, &v->resp_issuer);
}

/* Digest 2 #4, SAML Bindings 3.5.5.2: Destination present and equal to our ACS. */
static enum eidgw_err
check_destination(struct vctx *v)
{
	enum eidgw_err rc;

	EIDGW_CHECK(attr_equals(v->resp, "Destination", v->e->acs_url), v->d,
	    EIDGW_E_SAML_DESTINATION, "Destination missing or not our ACS URL");
	rc = EIDGW_OK;
out:
	return rc;
}

/* Digest 2 #3: "unsolicited responses MUST NOT be accepted". */
static enum eidgw_err
check_in_response_to(struct vctx *v)
{
	enum eidgw_err rc;

	EIDGW_CHECK(v->e->request_id != NULL && v->res->in_response_to != NULL &&
	    eidgw_ct_streq(v->res->in_response_to, v->e->request_id), v->d,
	    EIDGW_E_SAML_IN_RESPONSE_TO, "InResponseTo missing or not our request");
	rc = EIDGW_OK;
out:
	return rc;
}

/* Digest 2 #7 and 2.2: Success, or a typed error from the status codes. */
static enum eidgw_err
check_status(struct vctx *v)
{
	xmlNodePtr st, code, sub, msg;
	enum eidgw_err rc;
	const char *top, *second;
	int count = 0;

	st = saml_xml_child(v->resp, SAML_NS_PROTOCOL, "Status", &count);
	EIDGW_CHECK(st != NULL && count == 1, v->d, EIDGW_E_SAML_STATUS_MALFORMED,
	    "Status missing or repeated");
	code = saml_xml_child(st, SAML_NS_PROTOCOL, "StatusCode", &count);
	EIDGW_CHECK(code != NULL && count == 1, v->d, EIDGW_E_SAML_STATUS_MALFORMED,
	    "StatusCode missing or repeated");
	v->res->status_code = attr_dup(code, "Value");
	EIDGW_CHECK(v->res->status_code != NULL &&
	    strlen(v->res->status_code) <= SAML_URI_MAX, v->d,
	    EIDGW_E_SAML_STATUS_MALFORMED, "StatusCode without Value");
	if ((sub = saml_xml_child(code, SAML_NS_PROTOCOL, "StatusCode", NULL)) != NULL)
		v->res->status_sub_code = attr_dup(sub, "Value");
	if ((msg = saml_xml_child(st, SAML_NS_PROTOCOL, "StatusMessage", NULL)) != NULL)
		v->res->status_message = element_text(msg, SAML_STATUS_MSG_MAX);
	top = v->res->status_code;
	if (strcmp(top, SAML_STATUS_SUCCESS) == 0) {
		EIDGW_CHECK(sub == NULL, v->d, EIDGW_E_SAML_STATUS_MALFORMED,
		    "Success with a second-level code");
		rc = EIDGW_OK;
		goto out;
	}
	second = v->res->status_sub_code != NULL ? v->res->status_sub_code : "";
	if (strcmp(second, SAML_STATUS_PREFIX "AuthnFailed") == 0 ||
	    strcmp(second, SAML_STATUS_PREFIX "RequestDenied") == 0)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_DENIED, "IdP status: denied");
	if (strcmp(second, SAML_STATUS_PREFIX "NoAuthnContext") == 0)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_NO_AUTHN_CONTEXT, "IdP status: no LoA");
	if (strcmp(top, SAML_STATUS_PREFIX "Requester") == 0)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_REQUESTER, "IdP status: Requester");
	if (strcmp(top, SAML_STATUS_PREFIX "Responder") == 0)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_RESPONDER, "IdP status: Responder");
	if (strcmp(top, SAML_STATUS_PREFIX "VersionMismatch") == 0)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_VERSION, "IdP status: VersionMismatch");
	EIDGW_FAIL(v->d, EIDGW_E_SAML_STATUS_OTHER, "IdP status: not Success");
out:
	return rc;
}

/*
 * Digest 2 #8: exactly one (Encrypted)Assertion, a direct child of the
 * Response, and no other Assertion anywhere in the document.
 */
static enum eidgw_err
check_assertion_count(struct vctx *v)
{
	enum eidgw_err rc;
	int nplain = 0, nenc = 0;
	xmlNodePtr plain;

	plain = saml_xml_child(v->resp, SAML_NS_ASSERTION, "Assertion", &nplain);
	v->enc_assertion = saml_xml_child(v->resp, SAML_NS_ASSERTION, "EncryptedAssertion", &nenc);
	EIDGW_CHECK(nplain + nenc == 1, v->d, EIDGW_E_SAML_ASSERTION_COUNT,
	    "%d assertions in the Response", nplain + nenc);
	EIDGW_CHECK(count_desc(v->resp, SAML_NS_ASSERTION, "Assertion") == (size_t)nplain &&
	    count_desc(v->resp, SAML_NS_ASSERTION, "EncryptedAssertion") == (size_t)nenc,
	    v->d, EIDGW_E_SAML_ASSERTION_COUNT, "assertion outside its place");
	/* eIDAS Message Format 2.4: the assertion MUST be encrypted. */
	EIDGW_CHECK(nenc == 1 || !v->e->require_encryption, v->d, EIDGW_E_SAML_ENC_REQUIRED,
	    "plaintext assertion where encryption is required");
	v->assertion = plain;
	rc = EIDGW_OK;
out:
	return rc;
}

/* Digest 2 #9: decrypt with our keys; the result is checked like any assertion. */
static enum eidgw_err
check_decrypt(struct vctx *v)
{
	struct saml_dec_policy pol;
	enum eidgw_err rc;

	if (v->enc_assertion == NULL)
		return EIDGW_OK;
	memset(&pol, 0, sizeof(pol));
	pol.allow_rsa_oaep_mgf1p = v->e->allow_rsa_oaep_mgf1p;
	EIDGW_CHECK(v->e->dec_keys != NULL && v->e->ndec_keys > 0, v->d, EIDGW_E_SAML_DECRYPT,
	    "no decryption key configured");
	EIDGW_TRY(saml_decrypt_assertion(v->doc, v->enc_assertion, v->e->dec_keys,
	    v->e->ndec_keys, &pol, &v->assertion, v->d));
	v->enc_assertion = NULL;	/* replaced in the tree */
	v->res->was_encrypted = true;
	EIDGW_CHECK(v->assertion != NULL && v->assertion->parent == v->resp &&
	    saml_xml_is(v->assertion, SAML_NS_ASSERTION, "Assertion"), v->d,
	    EIDGW_E_SAML_ASSERTION_COUNT, "decrypted content is not one Assertion");
	EIDGW_CHECK(count_desc(v->resp, SAML_NS_ASSERTION, "Assertion") == 1 &&
	    count_desc(v->resp, SAML_NS_ASSERTION, "EncryptedAssertion") == 0, v->d,
	    EIDGW_E_SAML_ASSERTION_COUNT, "decrypted content holds more assertions");
	/* The decrypted tree brings new IDs: they must be unique too. */
	EIDGW_TRY(check_unique_ids(v));
out:
	return rc;
}

/* Digest 2 #10: the assertion's own signature, when present or required. */
static enum eidgw_err
check_assertion_signature(struct vctx *v)
{
	enum eidgw_err rc;
	int count = 0;

	(void)saml_xml_child(v->assertion, SAML_NS_DSIG, "Signature", &count);
	if (count == 0) {
		EIDGW_CHECK(!v->e->require_assertion_signature && v->response_signed, v->d,
		    EIDGW_E_SAML_ASSERTION_SIG_REQUIRED, "assertion signature required");
		rc = EIDGW_OK;
		goto out;
	}
	EIDGW_TRY(saml_sig_verify_enveloped(v->doc, v->assertion, "ID", v->e->idp_trust,
	    &v->sigpol, v->d));
	v->res->assertion_signed = true;
out:
	return rc;
}

static bool
signatures_placed(const xmlNode *n, const xmlNode *resp, const xmlNode *assertion)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (saml_xml_is(n, SAML_NS_DSIG, "Signature") && n->parent != resp &&
		    n->parent != assertion)
			return false;
		if (!signatures_placed(n->children, resp, assertion))
			return false;
	}
	return true;
}

/* Signature wrapping defence: ds:Signature only under the Response or our assertion. */
static enum eidgw_err
check_signature_placement(struct vctx *v)
{
	enum eidgw_err rc;

	EIDGW_CHECK(signatures_placed(v->resp->children, v->resp, v->assertion), v->d,
	    EIDGW_E_SAML_SIG_MULTIPLE, "a signature outside the Response and its assertion");
	rc = EIDGW_OK;
out:
	return rc;
}

/*
 * Digest 2 #11 and SAML Core 2.3.3: header and issuer of the assertion, and
 * its children: Issuer, ds:Signature?, Subject, Conditions, then exactly one
 * AuthnStatement and one AttributeStatement; Advice and other statements are
 * refused.
 */
static enum eidgw_err
check_assertion_structure(struct vctx *v)
{
	const xmlNode *c;
	enum eidgw_err rc;
	int nsubj = 0, ncond = 0, nauthn = 0, nattr = 0;

	EIDGW_TRY(check_header(v, v->assertion, "Assertion"));
	EIDGW_TRY(check_issuer_of(v, v->assertion, EIDGW_E_SAML_ASSERTION_ISSUER, NULL));
	for (c = v->assertion->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (saml_xml_is(c, SAML_NS_ASSERTION, "Issuer") ||
		    saml_xml_is(c, SAML_NS_DSIG, "Signature"))
			continue;
		if (saml_xml_is(c, SAML_NS_ASSERTION, "Subject")) {
			v->subject = (xmlNodePtr)c;
			nsubj++;
		} else if (saml_xml_is(c, SAML_NS_ASSERTION, "Conditions")) {
			v->conditions = (xmlNodePtr)c;
			ncond++;
		} else if (saml_xml_is(c, SAML_NS_ASSERTION, "AuthnStatement")) {
			v->authn_stmt = (xmlNodePtr)c;
			nauthn++;
		} else if (saml_xml_is(c, SAML_NS_ASSERTION, "AttributeStatement")) {
			v->attr_stmt = (xmlNodePtr)c;
			nattr++;
		} else {
			EIDGW_FAIL(v->d, EIDGW_E_SAML_UNEXPECTED, "unexpected element in Assertion");
		}
	}
	EIDGW_CHECK(nsubj == 1, v->d, EIDGW_E_SAML_NAMEID, "Subject missing or repeated");
	EIDGW_CHECK(ncond == 1, v->d, EIDGW_E_SAML_CONDITIONS, "Conditions missing or repeated");
	EIDGW_CHECK(nauthn == 1, v->d, EIDGW_E_SAML_AUTHN_STATEMENT,
	    "not exactly one AuthnStatement");
	EIDGW_CHECK(nattr == 1, v->d, EIDGW_E_SAML_ATTR_STATEMENT,
	    "not exactly one AttributeStatement");
	v->res->assertion_id = attr_dup(v->assertion, "ID");
	EIDGW_CHECK(v->res->assertion_id != NULL, v->d, EIDGW_E_NOMEM, "out of memory");
out:
	return rc;
}

/* Digest 2 #12: a NameID of one of the three formats (and the one requested). */
static enum eidgw_err
check_nameid(struct vctx *v)
{
	const char *want = v->e->requested_nameid_format;
	xmlNodePtr nid;
	enum eidgw_err rc;
	int count = 0;
	char *fmt = NULL;

	nid = saml_xml_child(v->subject, SAML_NS_ASSERTION, "NameID", &count);
	EIDGW_CHECK(nid != NULL && count == 1, v->d, EIDGW_E_SAML_NAMEID,
	    "NameID missing or repeated");
	EIDGW_CHECK(saml_xml_child(v->subject, SAML_NS_ASSERTION, "EncryptedID", NULL) == NULL &&
	    saml_xml_child(v->subject, SAML_NS_ASSERTION, "BaseID", NULL) == NULL, v->d,
	    EIDGW_E_SAML_NAMEID, "Subject carries another identifier");
	fmt = attr_dup(nid, "Format");
	if (fmt == NULL && (fmt = eidgw_strdup(SAML_NAMEID_UNSPECIFIED)) == NULL)
		EIDGW_FAIL(v->d, EIDGW_E_NOMEM, "out of memory");
	/* Message Format 2.2: persistent, transient, unspecified. */
	EIDGW_CHECK(strcmp(fmt, SAML_NAMEID_PERSISTENT) == 0 ||
	    strcmp(fmt, SAML_NAMEID_TRANSIENT) == 0 ||
	    strcmp(fmt, SAML_NAMEID_UNSPECIFIED) == 0, v->d, EIDGW_E_SAML_NAMEID,
	    "NameID Format not allowed");
	EIDGW_CHECK(want == NULL || strcmp(want, SAML_NAMEID_UNSPECIFIED) == 0 ||
	    strcmp(want, fmt) == 0, v->d, EIDGW_E_SAML_NAMEID,
	    "NameID Format differs from the requested one");
	/* Read whole: a comment must not truncate the value. */
	v->res->name_id = element_text(nid, SAML_NAMEID_MAX);
	EIDGW_CHECK(v->res->name_id != NULL && v->res->name_id[0] != '\0', v->d,
	    EIDGW_E_SAML_NAMEID, "NameID empty, too long or not text");
	v->res->name_id_format = fmt;
	fmt = NULL;
	rc = EIDGW_OK;
out:
	free(fmt);
	return rc;
}

/*
 * Digest 2 #13, SAML Profiles 4.1.4.2: one bearer SubjectConfirmation whose
 * data names our ACS as Recipient, our request in InResponseTo, and a
 * NotOnOrAfter still ahead; NotBefore MUST NOT be present for bearer.
 */
static enum eidgw_err
check_subject_confirmation(struct vctx *v)
{
	xmlNodePtr sc, scd;
	enum eidgw_err rc;
	int count = 0;
	int64_t t;

	sc = saml_xml_child(v->subject, SAML_NS_ASSERTION, "SubjectConfirmation", &count);
	EIDGW_CHECK(sc != NULL && count == 1, v->d, EIDGW_E_SAML_SUBJECT_CONFIRMATION,
	    "not exactly one SubjectConfirmation");
	EIDGW_CHECK(attr_equals(sc, "Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer"), v->d,
	    EIDGW_E_SAML_SUBJECT_CONFIRMATION, "SubjectConfirmation Method is not bearer");
	scd = saml_xml_child(sc, SAML_NS_ASSERTION, "SubjectConfirmationData", &count);
	EIDGW_CHECK(scd != NULL && count == 1, v->d, EIDGW_E_SAML_SUBJECT_CONFIRMATION,
	    "SubjectConfirmationData missing or repeated");
	EIDGW_CHECK(!attr_present(scd, "NotBefore"), v->d, EIDGW_E_SAML_SUBJECT_CONFIRMATION,
	    "bearer SubjectConfirmationData with NotBefore");
	EIDGW_CHECK(attr_equals(scd, "Recipient", v->e->acs_url), v->d, EIDGW_E_SAML_RECIPIENT,
	    "Recipient missing or not our ACS URL");
	EIDGW_CHECK(attr_equals(scd, "InResponseTo", v->e->request_id), v->d,
	    EIDGW_E_SAML_SC_IN_RESPONSE_TO, "SubjectConfirmationData InResponseTo mismatch");
	EIDGW_CHECK(attr_time(scd, "NotOnOrAfter", &t) == EIDGW_OK, v->d,
	    EIDGW_E_SAML_SUBJECT_CONFIRMATION, "SubjectConfirmationData NotOnOrAfter missing");
	EIDGW_CHECK(v->e->now - v->skew < t, v->d, EIDGW_E_SAML_SC_EXPIRED,
	    "SubjectConfirmationData NotOnOrAfter has passed");
	rc = EIDGW_OK;
out:
	return rc;
}

/* Digest 2 #14, SAML Core 2.5.1: validity window and our audience. */
static enum eidgw_err
check_conditions(struct vctx *v)
{
	const xmlNode *c, *a;
	enum eidgw_err rc;
	int64_t nb, noa;
	int nrestr = 0;
	bool found;
	char *aud;

	if (attr_present(v->conditions, "NotBefore")) {
		EIDGW_CHECK(attr_time(v->conditions, "NotBefore", &nb) == EIDGW_OK, v->d,
		    EIDGW_E_SAML_CONDITIONS, "NotBefore malformed");
		EIDGW_CHECK(nb <= v->e->now + v->skew, v->d, EIDGW_E_SAML_NOT_YET_VALID,
		    "assertion not yet valid");
	}
	EIDGW_CHECK(attr_time(v->conditions, "NotOnOrAfter", &noa) == EIDGW_OK, v->d,
	    EIDGW_E_SAML_CONDITIONS, "NotOnOrAfter missing or malformed");
	EIDGW_CHECK(v->e->now - v->skew < noa, v->d, EIDGW_E_SAML_EXPIRED, "assertion expired");
	v->res->not_on_or_after = noa;
	for (c = v->conditions->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (saml_xml_is(c, SAML_NS_ASSERTION, "OneTimeUse") ||
		    saml_xml_is(c, SAML_NS_ASSERTION, "ProxyRestriction"))
			continue;
		/* SAML Core 2.5.1.1: an unknown condition makes the assertion invalid. */
		EIDGW_CHECK(saml_xml_is(c, SAML_NS_ASSERTION, "AudienceRestriction"), v->d,
		    EIDGW_E_SAML_CONDITIONS, "unknown condition");
		nrestr++;
		/* SAML Core 2.5.1.4: each restriction must name us. */
		found = false;
		for (a = c->children; a != NULL && !found; a = a->next) {
			if (!saml_xml_is(a, SAML_NS_ASSERTION, "Audience"))
				continue;
			aud = element_text(a, SAML_URI_MAX);
			found = aud != NULL && v->e->sp_entity_id != NULL &&
			    strcmp(aud, v->e->sp_entity_id) == 0;
			free(aud);
		}
		EIDGW_CHECK(found, v->d, EIDGW_E_SAML_AUDIENCE, "Audience is not our entity ID");
	}
	EIDGW_CHECK(nrestr > 0, v->d, EIDGW_E_SAML_AUDIENCE, "no AudienceRestriction");
	rc = EIDGW_OK;
out:
	return rc;
}

int
saml_loa_level(const char *uri)
{
	if (uri == NULL)
		return 0;
	if (strcmp(uri, SAML_LOA_LOW) == 0)
		return 1;
	if (strcmp(uri, SAML_LOA_SUBSTANTIAL) == 0)
		return 2;
	if (strcmp(uri, SAML_LOA_HIGH) == 0)
		return 3;
	return 0;
}

bool
saml_loa_satisfies(const char *requested, const char *returned)
{
	int req = saml_loa_level(requested), got = saml_loa_level(returned);

	if (requested == NULL || returned == NULL)
		return false;
	/* Digest 2.1: never upgrade, never map non-notified to notified. */
	if (req == 0)
		return strcmp(requested, returned) == 0;
	return got != 0 && got >= req;
}

/* Digest 2 #16: one AuthnStatement with a past AuthnInstant and an acceptable LoA. */
static enum eidgw_err
check_authn_statement(struct vctx *v)
{
	xmlNodePtr ctx, ref;
	enum eidgw_err rc;
	int count = 0;
	size_t i;
	bool ok = false;

	EIDGW_CHECK(attr_time(v->authn_stmt, "AuthnInstant", &v->res->authn_instant) == EIDGW_OK,
	    v->d, EIDGW_E_SAML_AUTHN_INSTANT, "AuthnInstant missing or malformed");
	EIDGW_CHECK(v->res->authn_instant <= v->e->now + v->skew, v->d,
	    EIDGW_E_SAML_AUTHN_INSTANT, "AuthnInstant in the future");
	/* We asked for ForceAuthn: an authentication older than the request is a reused session. */
	EIDGW_CHECK(v->e->authn_not_before <= 0 ||
	    v->res->authn_instant >= v->e->authn_not_before - v->skew, v->d,
	    EIDGW_E_SAML_AUTHN_INSTANT, "AuthnInstant before our request (ForceAuthn not honoured)");
	ctx = saml_xml_child(v->authn_stmt, SAML_NS_ASSERTION, "AuthnContext", &count);
	EIDGW_CHECK(ctx != NULL && count == 1, v->d, EIDGW_E_SAML_AUTHN_STATEMENT,
	    "AuthnContext missing or repeated");
	ref = saml_xml_child(ctx, SAML_NS_ASSERTION, "AuthnContextClassRef", &count);
	EIDGW_CHECK(ref != NULL && count == 1, v->d, EIDGW_E_SAML_LOA,
	    "AuthnContextClassRef missing or repeated");
	v->res->loa = element_text(ref, SAML_URI_MAX);
	EIDGW_CHECK(v->res->loa != NULL, v->d, EIDGW_E_SAML_LOA, "AuthnContextClassRef unreadable");
	/* Interoperability Architecture: "MUST verify LoA matches or exceeds". */
	if (v->e->nexact_loas > 0) {
		for (i = 0; i < v->e->nexact_loas && !ok; i++)
			ok = v->e->exact_loas[i] != NULL &&
			    strcmp(v->e->exact_loas[i], v->res->loa) == 0;
	} else {
		ok = saml_loa_satisfies(v->e->requested_loa, v->res->loa);
	}
	EIDGW_CHECK(ok, v->d, EIDGW_E_SAML_LOA, "asserted LoA does not satisfy the request");
	rc = EIDGW_OK;
out:
	return rc;
}

/* Digest 2 #17: the attribute profile. */
static enum eidgw_err
check_attributes(struct vctx *v)
{
	xmlNodePtr n;
	xmlChar *name;
	size_t i;

	/* the country's declared name variants, on the already verified tree */
	for (n = v->attr_stmt != NULL ? v->attr_stmt->children : NULL;
	    n != NULL && v->e->nalias != 0; n = n->next) {
		if (!saml_xml_is(n, SAML_NS_ASSERTION, "Attribute") ||
		    (name = xmlGetNoNsProp(n, BAD_CAST "Name")) == NULL)
			continue;
		for (i = 0; i < v->e->nalias; i++) {
			if (strcmp((const char *)name, v->e->alias_from[i]) == 0) {
				if (xmlSetProp(n, BAD_CAST "Name", BAD_CAST v->e->alias_to[i]) == NULL) {
					xmlFree(name);
					return eidgw_diag_set(v->d, EIDGW_E_NOMEM, __FILE__, __LINE__,
					    "no memory for an attribute name variant");
				}
				break;
			}
		}
		xmlFree(name);
	}
	return saml_attributes_parse(v->attr_stmt, v->e->idp_country, v->e->required_attrs,
	    v->e->nrequired_attrs, v->e->allow_representative, &v->res->identity, v->d);
}

/*
 * Digest 2 #15: the assertion ID is new; remembered until NotOnOrAfter plus
 * the skew.  Last, so that only otherwise valid assertions are recorded.  A
 * cache that cannot answer fails the validation (store.h: fail closed).
 */
static enum eidgw_err
check_replay(struct vctx *v)
{
	struct eidgw_buf key;
	enum eidgw_err rc, r;
	int64_t ttl = v->res->not_on_or_after - v->e->now + v->skew;

	eidgw_buf_init(&key, SAML_ID_MAX + 64);
	if (ttl < 1)
		ttl = 1;
	if (v->e->replay_store != NULL) {
		EIDGW_TRY(eidgw_buf_printf(&key, "%s%s", REPLAY_KEY_PREFIX, v->res->assertion_id));
		r = v->e->replay_store->ops->put_new(v->e->replay_store, key.data, "1", 1, ttl);
	} else if (v->e->replay_fn != NULL) {
		r = v->e->replay_fn(v->e->replay_ctx, v->res->assertion_id, ttl);
	} else {
		EIDGW_FAIL(v->d, EIDGW_E_STORE_UNAVAILABLE, "no replay cache configured");
	}
	if (r == EIDGW_E_STORE_EXISTS)
		EIDGW_FAIL(v->d, EIDGW_E_SAML_REPLAY, "assertion ID seen before");
	EIDGW_CHECK(r == EIDGW_OK, v->d, EIDGW_E_STORE_UNAVAILABLE,
	    "replay cache cannot answer (%s)", eidgw_err_name(r));
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&key);
	return rc;
}

static const struct {
	const char *name;
	enum eidgw_err (*fn)(struct vctx *);
} checks[] = {
	{ "root", check_root },
	{ "unique_ids", check_unique_ids },
	{ "response_header", check_response_header },
	{ "response_children", check_response_children },
	{ "response_signature", check_response_signature },
	{ "response_issuer", check_response_issuer },
	{ "destination", check_destination },
	{ "in_response_to", check_in_response_to },
	{ "status", check_status },
	{ "assertion_count", check_assertion_count },
	{ "decrypt", check_decrypt },
	{ "assertion_signature", check_assertion_signature },
	{ "signature_placement", check_signature_placement },
	{ "assertion_structure", check_assertion_structure },
	{ "nameid", check_nameid },
	{ "subject_confirmation", check_subject_confirmation },
	{ "conditions", check_conditions },
	{ "authn_statement", check_authn_statement },
	{ "attributes", check_attributes },
	{ "replay", check_replay },
};

/* ---- entry points ------------------------------------------------------ */

void
saml_result_clear(struct saml_result *res)
{
	if (res == NULL)
		return;
	free(res->response_id);
	free(res->in_response_to);
	free(res->status_code);
	free(res->status_sub_code);
	free(res->status_message);
	free(res->assertion_id);
	free(res->issuer);
	eidgw_free_secret_str(res->name_id);
	free(res->name_id_format);
	free(res->loa);
	saml_identity_clear(&res->identity);
	memset(res, 0, sizeof(*res));
}

static void
result_drop_identity(struct saml_result *res)
{
	free(res->assertion_id);
	free(res->issuer);
	eidgw_free_secret_str(res->name_id);
	free(res->name_id_format);
	free(res->loa);
	res->assertion_id = res->issuer = res->name_id = res->name_id_format = res->loa = NULL;
	res->authn_instant = res->not_on_or_after = 0;
	res->was_encrypted = res->assertion_signed = false;
	saml_identity_clear(&res->identity);
}

enum eidgw_err
saml_response_validate_xml(const char *xml, size_t len, const struct saml_response_expect *e,
    struct saml_result *res, struct eidgw_diag *d)
{
	struct saml_response_expect ex;
	struct vctx v;
	enum eidgw_err rc;
	size_t i, max;

	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	if (e == NULL || xml == NULL)
		return eidgw_diag_set(d, EIDGW_E_INVAL, __FILE__, __LINE__, "no input");
	ex = *e;
	if (ex.now == 0)
		ex.now = eidgw_now();
	e = &ex;
	v.e = e;
	v.res = res;
	v.d = d;
	v.skew = e->skew_s >= 0 ? e->skew_s : SAML_DEFAULT_SKEW_S;
	v.max_age = e->max_age_s > 0 ? e->max_age_s : SAML_DEFAULT_MAX_AGE_S;
	v.sigpol.allow_rsa_pkcs1 = e->allow_rsa_pkcs1;
	max = e->max_bytes > 0 ? e->max_bytes : SAML_RESPONSE_MAX_BYTES;
	/* Digest 2 #1: bounded, no DTD, no network, no entities (xml.h). */
	EIDGW_TRY(saml_xml_parse(xml, len, max, &v.doc, d));
	for (i = 0; i < EIDGW_ARRAY_LEN(checks); i++)
		EIDGW_TRY(checks[i].fn(&v));
	res->issuer = v.resp_issuer;
	v.resp_issuer = NULL;
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		result_drop_identity(res);
	free(v.resp_issuer);
	if (v.doc != NULL)
		xmlFreeDoc(v.doc);
	return rc;
}

enum eidgw_err
saml_response_validate(const char *b64, size_t len, const struct saml_response_expect *e,
    struct saml_result *res, struct eidgw_diag *d)
{
	struct eidgw_buf xml;
	enum eidgw_err rc, r;
	size_t max;

	memset(res, 0, sizeof(*res));
	max = e != NULL && e->max_bytes > 0 ? e->max_bytes : SAML_RESPONSE_MAX_BYTES;
	eidgw_buf_init(&xml, max);
	EIDGW_CHECK(b64 != NULL && e != NULL, d, EIDGW_E_INVAL, "no input");
	/* base64 grows by 4/3, plus line breaks some senders insert. */
	EIDGW_CHECK(len <= max / 3 * 4 + max / 16 + 8, d, EIDGW_E_SAML_XML_TOO_LARGE,
	    "SAMLResponse too large");
	r = eidgw_b64_decode(&xml, b64, len, false);
	if (r == EIDGW_E_TOO_LARGE)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "SAMLResponse too large");
	EIDGW_CHECK(r == EIDGW_OK, d, EIDGW_E_SAML_ENCODING, "SAMLResponse is not base64");
	EIDGW_CHECK(xml.len > 0, d, EIDGW_E_SAML_XML_MALFORMED, "SAMLResponse is empty");
	rc = saml_response_validate_xml(xml.data, xml.len, e, res, d);
out:
	eidgw_buf_free(&xml);
	return rc;
}
