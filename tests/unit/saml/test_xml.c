/* Unit tests for saml/xml.c: the hardened parser and the DOM helpers. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "core/err.h"
#include "saml/xml.h"

static enum eidgw_err
parse(const char *s, size_t max, xmlDocPtr *doc, struct eidgw_diag *d)
{
	eidgw_diag_clear(d);
	return saml_xml_parse(s, strlen(s), max, doc, d);
}

static void
expect_refused(const char *s, enum eidgw_err want)
{
	struct eidgw_diag d;
	xmlDocPtr doc = (xmlDocPtr)(uintptr_t)1;	/* must be NULLed on entry */

	assert_int_equal(parse(s, 1 << 20, &doc, &d), want);
	assert_null(doc);
	assert_int_equal(d.code, want);
	assert_true(d.reason[0] != '\0');
}

static void
test_parse_ok(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;

	(void)state;
	assert_int_equal(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<r xmlns=\"urn:x\"><a ID=\"1\">t</a><!-- c --><?pi x?></r>", 4096, &doc, &d),
	    EIDGW_OK);
	assert_non_null(doc);
	assert_true(saml_xml_is(xmlDocGetRootElement(doc), "urn:x", "r"));
	assert_false(saml_xml_is(xmlDocGetRootElement(doc), NULL, "r"));
	xmlFreeDoc(doc);
}

static void
test_doctype_rejected(void **state)
{
	(void)state;
	expect_refused("<!DOCTYPE r><r/>", EIDGW_E_SAML_XML_DOCTYPE);
	expect_refused("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><r/>",
	    EIDGW_E_SAML_XML_DOCTYPE);
	/* XXE: an external entity would read a local file. */
	expect_refused("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><r>&x;</r>", EIDGW_E_SAML_XML_DOCTYPE);
	/* Billion laughs. */
	expect_refused("<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
	    "]><lolz a=\"&lol4;\">&lol4;</lolz>", EIDGW_E_SAML_XML_DOCTYPE);
	/* Parameter entities / external subset tricks. */
	expect_refused("<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/p\"> %p;]><r/>",
	    EIDGW_E_SAML_XML_DOCTYPE);
}

static void
test_entities_without_dtd(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	char *t;

	(void)state;
	/* An undeclared entity is a well-formedness error without a DTD. */
	expect_refused("<r>&x;</r>", EIDGW_E_SAML_XML_MALFORMED);
	/* The predefined ones and character references still work. */
	assert_int_equal(parse("<r>&lt;a&gt;&amp;&#65;</r>", 4096, &doc, &d), EIDGW_OK);
	t = saml_xml_text(xmlDocGetRootElement(doc), false);
	assert_string_equal(t, "<a>&A");
	free(t);
	xmlFreeDoc(doc);
}

static void
test_limits(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	char *s;
	size_t i, n;
	int depth;

	(void)state;
	/* Size: one byte over the cap is refused, at the cap accepted. */
	assert_int_equal(parse("<r>0123456789</r>", 16, &doc, &d), EIDGW_E_SAML_XML_TOO_LARGE);
	assert_null(doc);
	assert_int_equal(parse("<r>0123456789</r>", 17, &doc, &d), EIDGW_OK);
	xmlFreeDoc(doc);
	doc = NULL;

	/* Depth: SAML_XML_MAX_DEPTH nested elements pass, one more fails. */
	for (depth = SAML_XML_MAX_DEPTH; depth <= SAML_XML_MAX_DEPTH + 1; depth++) {
		n = (size_t)depth * 7 + 1;
		s = calloc(1, n);
		assert_non_null(s);
		for (i = 0; i < (size_t)depth; i++)
			strcat(s, "<a>");
		for (i = 0; i < (size_t)depth; i++)
			strcat(s, "</a>");
		if (depth == SAML_XML_MAX_DEPTH) {
			assert_int_equal(parse(s, 1 << 20, &doc, &d), EIDGW_OK);
			xmlFreeDoc(doc);
			doc = NULL;
		} else
			expect_refused(s, EIDGW_E_SAML_XML_TOO_DEEP);
		free(s);
	}
	/* Far deeper than libxml2's own limit: still our code, not a crash. */
	n = 5000 * 7 + 1;
	s = calloc(1, n);
	assert_non_null(s);
	for (i = 0; i < 5000; i++)
		strcat(s, "<a>");
	expect_refused(s, EIDGW_E_SAML_XML_TOO_DEEP);
	free(s);
}

static void
test_malformed_and_encoding(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;

	(void)state;
	expect_refused("<r><a></r>", EIDGW_E_SAML_XML_MALFORMED);
	expect_refused("", EIDGW_E_SAML_XML_MALFORMED);
	expect_refused("<r/><r/>", EIDGW_E_SAML_XML_MALFORMED);
	expect_refused("<a:r/>", EIDGW_E_SAML_XML_MALFORMED);	/* unbound prefix */
	expect_refused("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>",
	    EIDGW_E_SAML_XML_ENCODING);
	assert_int_equal(saml_xml_parse(NULL, 0, 10, &doc, &d), EIDGW_E_SAML_XML_MALFORMED);
}

static void
test_text_comment_injection(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, n;
	char *t;
	int count;

	(void)state;
	assert_int_equal(parse("<r xmlns:s=\"urn:oasis:names:tc:SAML:2.0:assertion\">"
	    "<s:NameID>alice<!---->@evil.example</s:NameID>"
	    "<s:NameID> a<![CDATA[<b>]]>c<?pi?> </s:NameID>"
	    "<s:NameID>x<s:y/>z</s:NameID></r>", 4096, &doc, &d), EIDGW_OK);
	root = xmlDocGetRootElement(doc);
	n = saml_xml_child(root, SAML_NS_ASSERTION, "NameID", &count);
	assert_int_equal(count, 3);
	t = saml_xml_text(n, true);
	assert_string_equal(t, "alice@evil.example");	/* the whole value, not "alice" */
	free(t);
	n = n->next;
	t = saml_xml_text(n, false);
	assert_string_equal(t, " a<b>c ");
	free(t);
	t = saml_xml_text(n, true);
	assert_string_equal(t, "a<b>c");
	free(t);
	assert_null(saml_xml_text(n->next, true));	/* child element: refused */
	assert_null(saml_xml_child(root, SAML_NS_ASSERTION, "Nope", &count));
	assert_int_equal(count, 0);
	xmlFreeDoc(doc);
}

static void
test_find_id(void **state)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	xmlNodePtr n;
	int count;

	(void)state;
	assert_int_equal(parse("<r ID=\"a\"><x Id=\"b\"/><y ID=\"c\"/><z Id=\"c\"/>"
	    "<w id=\"a\"/><v xmlns:p=\"urn:p\" p:ID=\"a\"/></r>", 4096, &doc, &d), EIDGW_OK);
	n = saml_xml_find_id(doc, "a", &count);
	assert_int_equal(count, 1);
	assert_ptr_equal(n, xmlDocGetRootElement(doc));
	n = saml_xml_find_id(doc, "b", &count);
	assert_int_equal(count, 1);
	assert_string_equal((const char *)n->name, "x");
	(void)saml_xml_find_id(doc, "c", &count);
	assert_int_equal(count, 2);
	assert_null(saml_xml_find_id(doc, "zz", &count));
	assert_int_equal(count, 0);
	assert_null(saml_xml_find_id(doc, "", &count));
	assert_int_equal(count, 0);
	xmlFreeDoc(doc);
}

/*
 * A start tag with tens of thousands of attributes: libxml2 2.9 checks them
 * for repeats in quadratic time (seconds for 256 KiB), so the parser must
 * refuse it on the bytes, at once.  The limit itself is exact: 256
 * attributes pass, 257 do not; '=' in text counts too, '<' resets.
 */
static void
test_attribute_flood(void **state)
{
	struct eidgw_buf b;
	xmlDocPtr doc = NULL;
	clock_t t0;
	double secs;
	size_t i;
	char tmp[32];

	(void)state;
	eidgw_buf_init(&b, 1024 * 1024);
	assert_int_equal(eidgw_buf_puts(&b, "<r xmlns:p=\"urn:x\""), EIDGW_OK);
	for (i = 0; b.len < 256 * 1024 - 32; i++) {
		(void)snprintf(tmp, sizeof(tmp), " p:a%zu=\"\"", i);
		assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "/>"), EIDGW_OK);
	t0 = clock();
	assert_int_equal(saml_xml_parse(b.data, b.len, 256 * 1024, &doc, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_null(doc);
	print_message("%zu attributes refused in %.3f s\n", i, secs);
	assert_true(secs < 1.0);
	/* exactly at the limit (namespace declaration included) and one over */
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_buf_puts(&b, "<r xmlns=\"urn:x\""), EIDGW_OK);
	for (i = 1; i < SAML_XML_MAX_ATTRS; i++) {
		(void)snprintf(tmp, sizeof(tmp), " a%zu=\"\"", i);
		assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "><c a=\"1\" b=\"2\"/></r>"), EIDGW_OK);
	assert_int_equal(saml_xml_parse(b.data, b.len, 1024 * 1024, &doc, NULL), EIDGW_OK);
	xmlFreeDoc(doc);
	doc = NULL;
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_buf_puts(&b, "<r xmlns=\"urn:x\""), EIDGW_OK);
	for (i = 0; i < SAML_XML_MAX_ATTRS; i++) {
		(void)snprintf(tmp, sizeof(tmp), " a%zu=\"\"", i);
		assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "/>"), EIDGW_OK);
	assert_int_equal(saml_xml_parse(b.data, b.len, 1024 * 1024, &doc, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	assert_null(doc);
	/* '>' inside a value does not end the count */
	assert_false(saml_xml_attrs_bounded(b.data, b.len));
	assert_true(saml_xml_attrs_bounded("<a x=\">\"/><b y=\"=\"/>", 19));
	eidgw_buf_free(&b);
}

/* Namespace declarations in scope: nested ones add up, siblings do not. */
static void
test_namespace_flood(void **state)
{
	struct eidgw_buf b;
	xmlDocPtr doc = NULL;
	clock_t t0;
	double secs;
	size_t i, lvl;
	char tmp[48];

	(void)state;
	eidgw_buf_init(&b, 1024 * 1024);
	/* 60 levels of 200 declarations, then thousands of elements using the first */
	assert_int_equal(eidgw_buf_puts(&b, "<r>"), EIDGW_OK);
	for (lvl = 0; lvl < 60; lvl++) {
		assert_int_equal(eidgw_buf_puts(&b, "<e"), EIDGW_OK);
		for (i = 0; i < 200; i++) {
			(void)snprintf(tmp, sizeof(tmp), " xmlns:p%zu=\"u\"", lvl * 200 + i);
			assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
		}
		assert_int_equal(eidgw_buf_puts(&b, ">"), EIDGW_OK);
	}
	for (i = 0; i < 3000; i++)
		assert_int_equal(eidgw_buf_puts(&b, "<p0:x/>"), EIDGW_OK);
	for (lvl = 0; lvl < 60; lvl++)
		assert_int_equal(eidgw_buf_puts(&b, "</e>"), EIDGW_OK);
	assert_int_equal(eidgw_buf_puts(&b, "</r>"), EIDGW_OK);
	t0 = clock();
	assert_int_equal(saml_xml_parse(b.data, b.len, 1024 * 1024, &doc, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("%zu bytes, 12000 declarations in scope: refused in %.3f s\n", b.len, secs);
	assert_null(doc);
	assert_true(secs < 0.1);
	/* two siblings with 200 each: fine; 200 inside 100: not */
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_buf_puts(&b, "<r>"), EIDGW_OK);
	for (lvl = 0; lvl < 2; lvl++) {
		assert_int_equal(eidgw_buf_puts(&b, "<e"), EIDGW_OK);
		for (i = 0; i < 200; i++) {
			(void)snprintf(tmp, sizeof(tmp), " xmlns:p%zu=\"u\"", i);
			assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
		}
		assert_int_equal(eidgw_buf_puts(&b, "/>"), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "</r>"), EIDGW_OK);
	assert_int_equal(saml_xml_parse(b.data, b.len, 1024 * 1024, &doc, NULL), EIDGW_OK);
	assert_true(saml_xml_ns_bounded(xmlDocGetRootElement(doc), 56));
	assert_false(saml_xml_ns_bounded(xmlDocGetRootElement(doc), 57));
	xmlFreeDoc(doc);
	doc = NULL;
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_buf_puts(&b, "<r"), EIDGW_OK);
	for (i = 0; i < 100; i++) {
		(void)snprintf(tmp, sizeof(tmp), " xmlns:q%zu=\"u\"", i);
		assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "><e"), EIDGW_OK);
	for (i = 0; i < 200; i++) {
		(void)snprintf(tmp, sizeof(tmp), " xmlns:p%zu=\"u\"", i);
		assert_int_equal(eidgw_buf_puts(&b, tmp), EIDGW_OK);
	}
	assert_int_equal(eidgw_buf_puts(&b, "/></r>"), EIDGW_OK);
	assert_int_equal(saml_xml_parse(b.data, b.len, 1024 * 1024, &doc, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	assert_null(doc);
	eidgw_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_doctype_rejected),
		cmocka_unit_test(test_entities_without_dtd),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed_and_encoding),
		cmocka_unit_test(test_text_comment_injection),
		cmocka_unit_test(test_find_id),
		cmocka_unit_test(test_attribute_flood),
		cmocka_unit_test(test_namespace_flood),
	};

	if (saml_library_init() != EIDGW_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
