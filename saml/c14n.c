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

enum eidgw_err
saml_c14n(xmlDocPtr doc, const struct saml_c14n_set *set, int mode, xmlChar **prefixes,
    struct eidgw_buf *out)
{
	xmlOutputBufferPtr ob;
	int r, rc;

	if (doc == NULL || set == NULL ||
	    (mode != XML_C14N_1_0 && mode != XML_C14N_EXCLUSIVE_1_0))
		return EIDGW_E_INVAL;
	if ((ob = xmlOutputBufferCreateIO(c14n_write, NULL, out, NULL)) == NULL)
		return EIDGW_E_NOMEM;
	r = xmlC14NExecute(doc, c14n_visible, (void *)(uintptr_t)set, mode,
	    mode == XML_C14N_EXCLUSIVE_1_0 ? prefixes : NULL, 0, ob);
	rc = xmlOutputBufferClose(ob);
	if (r < 0 || rc < 0)
		return EIDGW_E_SAML_SIG_TRANSFORM;
	if (out->data == NULL)
		return eidgw_buf_append(out, "", 0);
	return EIDGW_OK;
}
