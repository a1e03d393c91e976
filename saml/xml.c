/*
 * xml.c - the hardened libxml2 entry point of saml/ and a few DOM helpers.
 *
 * Why a SAX shim rather than options alone: libxml2 2.9 has no option that
 * refuses a DOCTYPE, and its depth limit (256) is far above what SAML needs.
 * We wrap the SAX2 callbacks of one parser context: internalSubset (called
 * for every DOCTYPE, before the internal subset is read) stops the parser at
 * once, so no entity is ever declared, and startElementNs counts depth.
 * Options: XML_PARSE_NONET, and never NOENT / DTDLOAD / DTDATTR / HUGE.
 */
#include "saml/xml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "core/util.h"

struct parse_guard {
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
	int depth;
	int ns_in_scope[SAML_XML_MAX_DEPTH + 1];	/* declarations in scope per depth */
	bool doctype;
	bool too_deep;
	bool too_many_ns;
};

static void
guard_internal_subset(void *vctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct parse_guard *g = ctxt->_private;

	(void)name;
	(void)ext;
	(void)sys;
	g->doctype = true;
	xmlStopParser(ctxt);
}

static void
guard_start(void *vctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attr,
    int nb_def, const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct parse_guard *g = ctxt->_private;

	if (++g->depth > SAML_XML_MAX_DEPTH) {
		g->too_deep = true;
		xmlStopParser(ctxt);
		return;
	}
	/*
	 * libxml2 resolves every prefix by a linear search of the declarations
	 * in scope, and exclusive c14n searches them again: thousands in scope
	 * (64 levels of a few hundred fit in 256 KiB) cost a noticeable part of
	 * a second per message.  SAML needs a handful; stop early.
	 */
	g->ns_in_scope[g->depth] = (g->depth > 1 ? g->ns_in_scope[g->depth - 1] : 0) +
	    (nb_ns > 0 ? nb_ns : 0);
	if (g->ns_in_scope[g->depth] > SAML_XML_MAX_NS_IN_SCOPE) {
		g->too_many_ns = true;
		xmlStopParser(ctxt);
		return;
	}
	g->start(vctx, localname, prefix, uri, nb_ns, ns, nb_attr, nb_def, attrs);
}

static void
guard_end(void *vctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = vctx;
	struct parse_guard *g = ctxt->_private;

	g->depth--;
	g->end(vctx, localname, prefix, uri);
}

/* libxml2 would print to stderr; errors are reported through diag instead. */
static void
quiet_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static bool
depth_ok(const xmlNode *n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (depth > SAML_XML_MAX_DEPTH || !depth_ok(n->children, depth + 1))
			return false;
	}
	return true;
}

/*
 * libxml2 2.9 finds a repeated attribute by comparing each attribute of a
 * start tag with every one before it, before any SAX callback runs: n
 * attributes cost n*n/2 comparisons (about 5 s of CPU for the ~26 000 that
 * fit in 256 KiB), so the SAX guard cannot stop it; the bound has to be
 * checked on the bytes.  Not a scanner, a counter: every attribute and
 * namespace declaration of a start tag has its own '=', and all of them lie
 * between the tag's '<' and the next '<' (a literal '<' cannot occur in an
 * attribute value), so the number of '=' between two '<' bounds the
 * attributes of any one tag.  Text with that many '=' between two tags
 * is refused too; SAML has none.
 */
bool
saml_xml_attrs_bounded(const char *data, size_t len)
{
	size_t i, eq = 0;

	for (i = 0; i < len; i++) {
		if (data[i] == '<')
			eq = 0;
		else if (data[i] == '=' && ++eq > SAML_XML_MAX_ATTRS)
			return false;
	}
	return true;
}

/*
 * The same bound as the SAX guard's, on a tree: for fragments parsed in the
 * context of a node (a decrypted assertion), where no guard runs.
 */
bool
saml_xml_ns_bounded(const xmlNode *n, size_t inherited)
{
	const xmlNs *ns;
	size_t k;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		k = inherited;
		for (ns = n->nsDef; ns != NULL; ns = ns->next)
			if (++k > SAML_XML_MAX_NS_IN_SCOPE)
				return false;
		if (!saml_xml_ns_bounded(n->children, k))
			return false;
	}
	return true;
}

enum eidgw_err
saml_xml_parse(const char *data, size_t len, size_t max_bytes, xmlDocPtr *out,
    struct eidgw_diag *d)
{
	xmlParserCtxtPtr ctxt = NULL;
	struct parse_guard g;
	xmlDocPtr doc = NULL;
	enum eidgw_err rc;
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	if (data == NULL || len == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_MALFORMED, "no input");
	if (len > max_bytes || len > (size_t)INT32_MAX)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "%zu bytes, limit %zu", len, max_bytes);
	if (!saml_xml_attrs_bounded(data, len))
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "more than %d attributes in one tag",
		    SAML_XML_MAX_ATTRS);
	if ((ctxt = xmlCreateMemoryParserCtxt(data, (int)len)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "parser context");
	(void)xmlCtxtUseOptions(ctxt, opts);
	ctxt->sax->error = quiet_error;
	ctxt->sax->warning = quiet_error;
	ctxt->sax->serror = quiet_structured;
	g.start = ctxt->sax->startElementNs;
	g.end = ctxt->sax->endElementNs;
	if (g.start == NULL || g.end == NULL)
		EIDGW_FAIL(d, EIDGW_E_INTERNAL, "SAX2 handlers missing");
	ctxt->sax->startElementNs = guard_start;
	ctxt->sax->endElementNs = guard_end;
	ctxt->sax->internalSubset = guard_internal_subset;
	/* Belt and braces: even if a subset were read, nothing is fetched or substituted. */
	ctxt->sax->externalSubset = NULL;
	ctxt->sax->resolveEntity = NULL;
	ctxt->_private = &g;
	(void)xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (g.doctype)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_DOCTYPE, "DOCTYPE declarations are not accepted");
	if (g.too_deep)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_DEEP, "element nesting deeper than %d",
		    SAML_XML_MAX_DEPTH);
	if (g.too_many_ns)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "more than %d namespace declarations "
		    "in scope", SAML_XML_MAX_NS_IN_SCOPE);
	if (!ctxt->wellFormed || !ctxt->nsWellFormed || doc == NULL ||
	    xmlDocGetRootElement(doc) == NULL) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);

		EIDGW_FAIL(d, EIDGW_E_SAML_XML_MALFORMED, "not well-formed: line %d: %s",
		    e != NULL ? e->line : 0, e != NULL && e->message != NULL ?
		    e->message : "parse error");
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_DOCTYPE, "document type declaration present");
	if (doc->encoding != NULL && strcasecmp((const char *)doc->encoding, "UTF-8") != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_ENCODING, "declared encoding %.40s",
		    (const char *)doc->encoding);
	/*
	 * UTF-8 is read natively; libxml2 installs a converter only for another
	 * encoding.  A UTF-16/UCS-4 byte-order mark without a declaration gets
	 * one too while doc->encoding stays NULL, so ask the input itself.
	 */
	if (ctxt->input != NULL && ctxt->input->buf != NULL &&
	    ctxt->input->buf->encoder != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_ENCODING, "input encoded as %.40s, not UTF-8",
		    ctxt->input->buf->encoder->name != NULL ?
		    ctxt->input->buf->encoder->name : "(unnamed)");
	if (!depth_ok(doc->children, 1))
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_DEEP, "element nesting deeper than %d",
		    SAML_XML_MAX_DEPTH);
	*out = doc;
	doc = NULL;
	rc = EIDGW_OK;
out:
	if (ctxt != NULL) {
		ctxt->_private = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	xmlFreeDoc(doc);
	return rc;
}

enum eidgw_err
saml_library_init(void)
{
	/*
	 * xmlsec1 is not initialised: saml/ does its XML crypto on OpenSSL
	 * directly (xmldsig.c, xmlenc.c).  Global defaults that could weaken a
	 * parse done elsewhere are switched off here too.
	 */
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet_error);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	return EIDGW_OK;
}

void
saml_library_cleanup(void)
{
	xmlCleanupParser();
}

bool
saml_xml_is(const xmlNode *node, const char *ns, const char *name)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return false;
	if (strcmp((const char *)node->name, name) != 0)
		return false;
	if (ns == NULL)
		return node->ns == NULL;
	return node->ns != NULL && node->ns->href != NULL &&
	    strcmp((const char *)node->ns->href, ns) == 0;
}

const char *
saml_xml_attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->next == NULL &&
		    a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	}
	return NULL;
}

xmlNodePtr
saml_xml_child(const xmlNode *parent, const char *ns, const char *name, int *count)
{
	xmlNodePtr c, first = NULL;
	int n = 0;

	if (parent != NULL) {
		for (c = parent->children; c != NULL; c = c->next) {
			if (!saml_xml_is(c, ns, name))
				continue;
			if (first == NULL)
				first = c;
			n++;
		}
	}
	if (count != NULL)
		*count = n;
	return first;
}

static bool
is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *
saml_xml_text(const xmlNode *node, bool trim)
{
	const xmlNode *c;
	size_t len = 0, off = 0, n, start, end;
	char *s;

	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return NULL;
	/* Two passes: size, then copy; any child element or entity makes it fail. */
	for (c = node->children; c != NULL; c = c->next) {
		switch (c->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (c->content != NULL) {
				n = strlen((const char *)c->content);
				if (n > SIZE_MAX / 2 - len)
					return NULL;
				len += n;
			}
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return NULL;
		}
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (c = node->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL) {
			n = strlen((const char *)c->content);
			memcpy(s + off, c->content, n);
			off += n;
		}
	}
	s[off] = '\0';
	if (trim) {
		start = 0;
		end = off;
		while (start < end && is_xml_space(s[start]))
			start++;
		while (end > start && is_xml_space(s[end - 1]))
			end--;
		memmove(s, s + start, end - start);
		s[end - start] = '\0';
	}
	return s;
}

/* Whether elem has an un-namespaced ID-like attribute ("ID", "Id") equal to id. */
static bool
has_id_value(const xmlNode *elem, const char *id)
{
	const xmlAttr *a;
	xmlChar *v;
	bool eq;

	for (a = elem->properties; a != NULL; a = a->next) {
		if (a->ns != NULL)
			continue;
		if (strcmp((const char *)a->name, "ID") != 0 &&
		    strcmp((const char *)a->name, "Id") != 0)
			continue;
		/*
		 * The whole value, however the tree holds it, so that no second
		 * copy of an ID can hide from the count (fail closed).
		 */
		v = xmlNodeListGetString(elem->doc, a->children, 1);
		eq = v != NULL && strcmp((const char *)v, id) == 0;
		xmlFree(v);
		if (eq)
			return true;
	}
	return false;
}

static void
find_id_walk(xmlNodePtr n, const char *id, xmlNodePtr *first, int *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (has_id_value(n, id)) {
			if (*first == NULL)
				*first = n;
			(*count)++;
		}
		find_id_walk(n->children, id, first, count);
	}
}

xmlNodePtr
saml_xml_find_id(xmlDocPtr doc, const char *id, int *count)
{
	xmlNodePtr first = NULL;
	int n = 0;

	if (doc != NULL && id != NULL && *id != '\0')
		find_id_walk(doc->children, id, &first, &n);
	if (count != NULL)
		*count = n;
	return first;
}

enum eidgw_err
saml_xml_b64(const xmlNode *elem, struct eidgw_buf *out)
{
	enum eidgw_err rc;
	char *t;

	if ((t = saml_xml_text(elem, true)) == NULL)
		return EIDGW_E_BAD_ENCODING;
	rc = eidgw_b64_decode(out, t, strlen(t), false);
	free(t);
	return rc;
}
