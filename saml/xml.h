/*
 * xml.h - the one hardened libxml2 entry point of saml/.  Every XML document
 * that comes from outside (Responses, metadata, decrypted assertions) is
 * parsed here and nowhere else: no network, no DTD loading, no entity
 * substitution, any DOCTYPE rejected, bounded size and depth.
 */
#ifndef EIDGW_SAML_XML_H
#define EIDGW_SAML_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/err.h"

#define SAML_XML_MAX_DEPTH 64
/* Attributes plus namespace declarations of one start tag (see saml_xml_attrs_bounded). */
#define SAML_XML_MAX_ATTRS 256
/* Namespace declarations in scope at any element (see saml_xml_ns_bounded). */
#define SAML_XML_MAX_NS_IN_SCOPE 256

/* Namespace URIs used across saml/. */
#define SAML_NS_PROTOCOL  "urn:oasis:names:tc:SAML:2.0:protocol"
#define SAML_NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define SAML_NS_METADATA  "urn:oasis:names:tc:SAML:2.0:metadata"
#define SAML_NS_DSIG      "http://www.w3.org/2000/09/xmldsig#"
#define SAML_NS_DSIG11    "http://www.w3.org/2009/xmldsig11#"
#define SAML_NS_XENC      "http://www.w3.org/2001/04/xmlenc#"
#define SAML_NS_XENC11    "http://www.w3.org/2009/xmlenc11#"
#define SAML_NS_EIDAS     "http://eidas.europa.eu/saml-extensions"
#define SAML_NS_XSI       "http://www.w3.org/2001/XMLSchema-instance"

/*
 * Parses len bytes (at most max_bytes) into a new document the caller frees
 * with xmlFreeDoc().  Rejects: DOCTYPE, size over max_bytes, nesting deeper
 * than SAML_XML_MAX_DEPTH, a start tag with more than SAML_XML_MAX_ATTRS
 * attributes or more than SAML_XML_MAX_NS_IN_SCOPE namespace declarations in
 * scope (XML_TOO_LARGE), malformed XML, a non-UTF-8 encoding.
 */
enum eidgw_err saml_xml_parse(const char *data, size_t len, size_t max_bytes,
    xmlDocPtr *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Whether no start tag in the len raw bytes can hold more than
 * SAML_XML_MAX_ATTRS attributes and namespace declarations (a conservative
 * bound, checked before libxml2 sees the bytes: its duplicate-attribute
 * check is quadratic in that number).  Also for in-context parses.
 */
bool saml_xml_attrs_bounded(const char *data, size_t len);

/*
 * Whether at n, its siblings after it and everything below them at most
 * SAML_XML_MAX_NS_IN_SCOPE namespace declarations are in scope, counting
 * `inherited` declared on the ancestors (exclusive c14n searches the
 * declarations in scope for every element it renders).
 */
bool saml_xml_ns_bounded(const xmlNode *n, size_t inherited);

/* Process-wide libxml2/xmlsec initialisation; call once from the main thread. */
enum eidgw_err saml_library_init(void) EIDGW_MUST_USE;
void saml_library_cleanup(void);

/* True when node is an element with this namespace URI and local name. */
bool saml_xml_is(const xmlNode *node, const char *ns, const char *name);
/*
 * The value of the un-namespaced attribute name when it is one plain text
 * node (the form every attribute our profiles read takes), else NULL.
 * Points into the tree: valid while the node is.
 */
const char *saml_xml_attr(const xmlNode *n, const char *name);
/* First element child with ns/name, or NULL; *count (optional) gets how many there are. */
xmlNodePtr saml_xml_child(const xmlNode *parent, const char *ns, const char *name, int *count);

/*
 * The whole text content of an element: every text and CDATA child joined,
 * comments and processing instructions skipped, so that a comment cannot
 * truncate a value.  Child elements make it fail (returns NULL).  The caller
 * frees the result with free().  trim: strip XML whitespace at both ends.
 */
char *saml_xml_text(const xmlNode *node, bool trim);

/*
 * The element whose ID-typed attribute (SAML "ID", xmldsig "Id") equals id.
 * *count gets the number of elements carrying that value in any ID-like
 * attribute; callers refuse anything but exactly one.
 */
xmlNodePtr saml_xml_find_id(xmlDocPtr doc, const char *id, int *count);

/* ---- for saml/'s own crypto files (xmldsig.c, xmlenc.c); not for callers ---- */

/*
 * A node set for canonicalisation: the subtree at apex (the whole document
 * when NULL) minus the subtree at exclude (the enveloped-signature
 * transform) and, when exclude_all_sigs, minus every ds:Signature subtree
 * (the one XPath filter we accept).  Attributes and namespace nodes follow
 * their element.
 */
struct saml_c14n_set {
	const xmlNode *apex;
	const xmlNode *exclude;
	bool exclude_all_sigs;
};

/*
 * Canonicalises the node set of doc with libxml2's xmlC14NExecute (mode is
 * an xmlC14NMode: XML_C14N_1_0 or XML_C14N_EXCLUSIVE_1_0; comments never
 * included) and appends the octets to out.  prefixes: the exclusive
 * InclusiveNamespaces PrefixList, NULL-terminated, or NULL.
 */
enum eidgw_err saml_c14n(xmlDocPtr doc, const struct saml_c14n_set *set, int mode,
    xmlChar **prefixes, struct eidgw_buf *out) EIDGW_MUST_USE;

/*
 * saml_c14n with a choice of walk: from the apex (what saml_c14n does) or
 * over the whole document (libxml2's own walk).  Both give the same octets;
 * the second exists so that tests can prove it.
 */
enum eidgw_err saml_c14n_walk(xmlDocPtr doc, const struct saml_c14n_set *set, int mode,
    xmlChar **prefixes, struct eidgw_buf *out, bool whole_document) EIDGW_MUST_USE;

/* Base64 text content of an element (whitespace incl. CR skipped) into out. */
enum eidgw_err saml_xml_b64(const xmlNode *elem, struct eidgw_buf *out) EIDGW_MUST_USE;

#endif
