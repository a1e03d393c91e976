/*
 * c14n.c - canonical XML through libxml2's own xmlC14NExecute, driven by an
 * is-visible callback that describes the XML-DSig node set.  We never copy
 * or move nodes to canonicalise a subtree: the testvectors' pitfalls show
 * that copying loses in-scope namespace declarations, while libxml2 on the
 * document as parsed renders them as C14N 1.0 / Exclusive C14N require.
 */
#include "saml/xml.h"

#include <stdint.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/uri.h>
#include <libxml/xmlIO.h>

static bool
is_dsig_signature(const xmlNode *n)
{
	return saml_xml_is(n, SAML_NS_DSIG, "Signature");
}

/*
 * XML-DSig node sets: an attribute or namespace node is in the set when its
 * element is (libxml2 passes that element as parent).  A node is visible
 * when it lies in the apex subtree and in no excluded subtree.
 */
static int
c14n_visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	const struct saml_c14n_set *set = user;
	const xmlNode *n;
	bool in_apex;

	if (node == NULL)
		return 0;
	if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE)
		n = parent;
	else
		n = node;
	in_apex = set->apex == NULL;
	for (; n != NULL && n->type != XML_DOCUMENT_NODE; n = n->parent) {
		if (n == set->exclude)
			return 0;
		if (set->exclude_all_sigs && is_dsig_signature(n))
			return 0;
		if (n == set->apex)
			in_apex = true;
	}
	return in_apex ? 1 : 0;
}

static int
c14n_write(void *ctx, const char *p, int len)
{
	struct eidgw_buf *out = ctx;

	if (len < 0 || eidgw_buf_append(out, p, (size_t)len) != EIDGW_OK)
		return -1;
	return len;
}

/*
 * xmlC14NExecute fails on a document in which any element it walks declares
 * a namespace whose URI does not parse or is relative (C14N 1.0 section 2:
 * "implementations MUST report an operation failure"), visible or not.  The
 * walk from the apex visits only the apex and its following siblings, so the
 * same check is made here on every element of the document; without it a
 * relative URI declared on an ancestor of the apex was even rendered into
 * the octets.
 */
static bool
relative_ns_in(const xmlNode *n)
{
	const xmlNs *ns;
	xmlURIPtr uri;
	bool bad;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (ns = n->nsDef; ns != NULL; ns = ns->next) {
			if (xmlStrlen(ns->href) == 0)
				continue;
			if ((uri = xmlParseURI((const char *)ns->href)) == NULL)
				return true;
			bad = xmlStrlen((const xmlChar *)uri->scheme) == 0;
			xmlFreeURI(uri);
			if (bad)
				return true;
		}
		if (relative_ns_in(n->children))
			return true;
	}
	return false;
}

/*
 * The walk: xmlC14NExecute walks doc->children and every following sibling
 * and descendant, asking the callback about each node, and builds two sorted
 * lists per element even for elements outside the node set.  For a node set
 * with an apex that is pure overhead outside the apex (a SignedInfo is a few
 * hundred bytes of a document of many kilobytes), so the walk starts at the
 * apex instead: libxml2 is handed a document node of our own whose only
 * child is the apex.  Nothing in the tree changes; the apex keeps its real
 * parent, so every in-scope namespace and xml:* attribute that libxml2 looks
 * up (xmlSearchNs and the C14N 1.0 ancestor walk follow parent pointers) is
 * found exactly as before, and nodes outside the apex are invisible to the
 * callback either way; the apex's following siblings are still walked (and
 * are invisible).  saml_c14n_walk(..., true) keeps the whole-document walk:
 * tests/unit/saml/test_c14n.c requires both to give identical octets for
 * every element of every XML file under tests/data, in both modes.
 */
enum eidgw_err
saml_c14n_walk(xmlDocPtr doc, const struct saml_c14n_set *set, int mode, xmlChar **prefixes,
    struct eidgw_buf *out, bool whole_document)
{
	xmlOutputBufferPtr ob;
	xmlDoc from_apex;
	xmlDocPtr walk = doc;
	int r, rc;

	if (doc == NULL || set == NULL ||
	    (mode != XML_C14N_1_0 && mode != XML_C14N_EXCLUSIVE_1_0))
		return EIDGW_E_INVAL;
	if (set->apex != NULL && set->apex->doc != doc)
		return EIDGW_E_INVAL;
	if (!whole_document && set->apex != NULL && set->apex->type == XML_ELEMENT_NODE) {
		memset(&from_apex, 0, sizeof(from_apex));
		from_apex.type = XML_DOCUMENT_NODE;
		from_apex.charset = doc->charset;
		from_apex.children = (xmlNodePtr)(uintptr_t)set->apex;
		from_apex.last = from_apex.children;
		walk = &from_apex;
		if (relative_ns_in(doc->children))
			return EIDGW_E_SAML_SIG_TRANSFORM;
	}
	if ((ob = xmlOutputBufferCreateIO(c14n_write, NULL, out, NULL)) == NULL)
		return EIDGW_E_NOMEM;
	r = xmlC14NExecute(walk, c14n_visible, (void *)(uintptr_t)set, mode,
	    mode == XML_C14N_EXCLUSIVE_1_0 ? prefixes : NULL, 0, ob);
	rc = xmlOutputBufferClose(ob);
	if (r < 0 || rc < 0)
		return EIDGW_E_SAML_SIG_TRANSFORM;
	if (out->data == NULL)
		return eidgw_buf_append(out, "", 0);
	return EIDGW_OK;
}

enum eidgw_err
saml_c14n(xmlDocPtr doc, const struct saml_c14n_set *set, int mode, xmlChar **prefixes,
    struct eidgw_buf *out)
{
	return saml_c14n_walk(doc, set, mode, prefixes, out, false);
}
