/*
 * Unit tests for saml/c14n.c: the walk from the apex gives the very octets
 * of libxml2's whole-document walk.
 *
 * saml_c14n starts libxml2's canonicaliser at the apex of the node set
 * instead of at the document (saml/c14n.c says why that is the same).  This
 * test is the proof on a large corpus: every XML file under tests/data and
 * in the SAML fuzz corpora that the hardened parser accepts, every element
 * of it as the apex, both C14N 1.0 and exclusive C14N, with no exclusion,
 * with the apex's own ds:Signature child excluded (the enveloped-signature
 * transform) and with every ds:Signature excluded, and exclusive C14N also
 * with an InclusiveNamespaces PrefixList.  Any difference fails the test
 * with the file, the element and the variant.
 */
#include "testlib.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>

#include "core/buf.h"
#include "core/err.h"
#include "saml/xml.h"

struct tally {
	size_t in_file;		/* elements of the current file seen so far */
	size_t files;		/* parsed and compared */
	size_t skipped;		/* refused by the parser (hostile inputs) */
	size_t elements;
	size_t comparisons;
	size_t nonempty;	/* comparisons with some output */
};

static const char *const inclusive_prefixes[] = {
	"ds", "saml", "saml2", "saml2p", "samlp", "xs", "xsi", "eidas", "#default", NULL
};

static const char *
mode_name(int mode)
{
	return mode == XML_C14N_1_0 ? "c14n-1.0" : "exc-c14n";
}

/* Canonicalises set both ways and requires the same octets (or the same refusal). */
static void
compare(const char *file, xmlDocPtr doc, const struct saml_c14n_set *set, int mode,
    xmlChar **prefixes, const char *variant, struct tally *t)
{
	struct eidgw_buf a, b;
	enum eidgw_err ra, rb;

	eidgw_buf_init(&a, 64u << 20);
	eidgw_buf_init(&b, 64u << 20);
	ra = saml_c14n_walk(doc, set, mode, prefixes, &a, false);
	rb = saml_c14n_walk(doc, set, mode, prefixes, &b, true);
	if (ra != rb || (ra == EIDGW_OK && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)))
		fail_msg("%s: element <%s> line %ld, %s, %s: from the apex %s (%zu bytes), "
		    "whole document %s (%zu bytes)", file, set->apex->name,
		    xmlGetLineNo(set->apex), mode_name(mode), variant, eidgw_err_name(ra), a.len,
		    eidgw_err_name(rb), b.len);
	t->comparisons++;
	if (ra == EIDGW_OK && a.len > 0)
		t->nonempty++;
	eidgw_buf_free(&a);
	eidgw_buf_free(&b);
}

static const xmlNode *
signature_child(const xmlNode *e)
{
	const xmlNode *c;

	for (c = e->children; c != NULL; c = c->next)
		if (saml_xml_is(c, SAML_NS_DSIG, "Signature"))
			return c;
	return NULL;
}

#define PER_FILE 150
#define PER_FILE_MAX 300

static bool
has_id(const xmlNode *e)
{
	const xmlAttr *a;

	for (a = e->properties; a != NULL; a = a->next)
		if (xmlStrEqual(a->name, BAD_CAST "ID") || xmlStrEqual(a->name, BAD_CAST "Id") ||
		    xmlStrEqual(a->name, BAD_CAST "AssertionID"))
			return true;
	return false;
}

static void
every_element(const char *file, xmlDocPtr doc, const xmlNode *e, struct tally *t)
{
	static const int modes[] = { XML_C14N_1_0, XML_C14N_EXCLUSIVE_1_0 };
	struct saml_c14n_set set;
	size_t i;

	for (; e != NULL; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		/*
		 * Each comparison costs a walk of the whole document, so in a
		 * large file (metadata with hundreds of entities, an attack with
		 * thousands of IDs) the elements past the first PER_FILE are
		 * compared only where signatures point, elements with an ID and
		 * the SignedInfos, and none past PER_FILE_MAX.
		 */
		t->in_file++;
		if (t->in_file > PER_FILE_MAX || (t->in_file > PER_FILE && !has_id(e) &&
		    !saml_xml_is(e, SAML_NS_DSIG, "SignedInfo"))) {
			every_element(file, doc, e->children, t);
			continue;
		}
		t->elements++;
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			memset(&set, 0, sizeof(set));
			set.apex = e;
			compare(file, doc, &set, modes[i], NULL, "whole subtree", t);
			if ((set.exclude = signature_child(e)) != NULL)
				compare(file, doc, &set, modes[i], NULL, "own Signature excluded", t);
			set.exclude = NULL;
			set.exclude_all_sigs = true;
			compare(file, doc, &set, modes[i], NULL, "every Signature excluded", t);
		}
		memset(&set, 0, sizeof(set));
		set.apex = e;
		set.exclude = signature_child(e);
		compare(file, doc, &set, XML_C14N_EXCLUSIVE_1_0,
		    (xmlChar **)(uintptr_t)inclusive_prefixes, "with a PrefixList", t);
		every_element(file, doc, e->children, t);
	}
}

static void
one_file(const char *path, struct tally *t)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	size_t len = 0;
	char *data;

	if ((data = tl_read_file(path, &len)) == NULL)
		fail_msg("cannot read %s", path);
	eidgw_diag_clear(&d);
	if (saml_xml_parse(data, len, 4u << 20, &doc, &d) != EIDGW_OK) {
		t->skipped++;
		free(data);
		return;
	}
	t->files++;
	t->in_file = 0;
	every_element(path, doc, xmlDocGetRootElement(doc), t);
	xmlFreeDoc(doc);
	free(data);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file below dir whose name ends in one of the suffixes ("" = any). */
static void
walk_dir(const char *dir, const char *suffix, struct tally *t)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i, sl = strlen(suffix);
	struct dirent *de;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			assert_non_null(names = realloc(names, cap * sizeof(*names)));
		}
		assert_non_null(names[n++] = strdup(de->d_name));
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);

		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			walk_dir(path, suffix, t);
		else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    nl >= sl && strcmp(names[i] + nl - sl, suffix) == 0)
			one_file(path, t);
		free(names[i]);
	}
	free(names);
}

static void
test_apex_walk_equals_document_walk(void **state)
{
	struct tally t;

	(void)state;
	memset(&t, 0, sizeof(t));
	walk_dir(EIDGW_TEST_DATA, ".xml", &t);
	walk_dir(EIDGW_SOURCE_DIR "/tests/fuzz/corpus/fuzz_saml_response", "", &t);
	walk_dir(EIDGW_SOURCE_DIR "/tests/fuzz/corpus/fuzz_saml_xml", "", &t);
	print_message("c14n corpus: %zu files compared (%zu refused by the parser), "
	    "%zu elements, %zu comparisons (%zu with output)\n", t.files, t.skipped,
	    t.elements, t.comparisons, t.nonempty);
	/* the corpus must really be there: a handful of files would prove nothing */
	assert_true(t.files >= 300);
	assert_true(t.elements >= 10000);
}

/* The walk from the apex on a tree with every namespace trap in one place. */
static void
test_namespace_context(void **state)
{
	static const char xml[] =
	    "<r:Root xmlns:r=\"urn:r\" xmlns=\"urn:default\" xmlns:u=\"urn:unused\" "
	    "xml:lang=\"de\" xml:space=\"preserve\">"
	    "<r:Mid xmlns:a=\"urn:a\" a:x=\"1\" xml:base=\"http://b/\">"
	    "<Inner xmlns=\"\" b=\"2\"><r:Leaf a:y=\"3\">t&amp;&lt;</r:Leaf><?p d?>"
	    "<!-- c --></Inner>"
	    "<Def><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X/>"
	    "</ds:Signature>x</Def></r:Mid><r:After/></r:Root>";
	static const int modes[] = { XML_C14N_1_0, XML_C14N_EXCLUSIVE_1_0 };
	struct saml_c14n_set set;
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	xmlNode *e;
	struct tally t;
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(saml_xml_parse(xml, strlen(xml), 1 << 16, &doc, &d), EIDGW_OK);
	every_element("inline", doc, xmlDocGetRootElement(doc), &t);
	assert_true(t.comparisons >= 30);
	/* and the expected octets for one apex, so both walks cannot be wrong together */
	e = xmlDocGetRootElement(doc)->children->children;	/* Inner */
	for (i = 0; i < 2; i++) {
		struct eidgw_buf out;
		const char *want = modes[i] == XML_C14N_1_0 ?
		    "<Inner xmlns:a=\"urn:a\" xmlns:r=\"urn:r\" xmlns:u=\"urn:unused\" "
		    "b=\"2\" xml:base=\"http://b/\" xml:lang=\"de\" xml:space=\"preserve\">"
		    "<r:Leaf a:y=\"3\">t&amp;&lt;</r:Leaf><?p d?></Inner>" :
		    "<Inner b=\"2\"><r:Leaf xmlns:a=\"urn:a\" xmlns:r=\"urn:r\" a:y=\"3\">"
		    "t&amp;&lt;</r:Leaf><?p d?></Inner>";

		memset(&set, 0, sizeof(set));
		set.apex = e;
		eidgw_buf_init(&out, 1 << 16);
		assert_int_equal(saml_c14n(doc, &set, modes[i], NULL, &out), EIDGW_OK);
		if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0)
			fail_msg("%s: got %.*s", mode_name(modes[i]), (int)out.len, out.data);
		assert_int_equal(out.len, strlen(want));
		assert_memory_equal(out.data, want, out.len);
		eidgw_buf_free(&out);
	}
	xmlFreeDoc(doc);
}

/* An apex from another document is refused, not canonicalised. */
static void
test_foreign_apex(void **state)
{
	static const char x[] = "<a><b/></a>";
	struct saml_c14n_set set;
	struct eidgw_diag d;
	struct eidgw_buf out;
	xmlDocPtr d1 = NULL, d2 = NULL;

	(void)state;
	assert_int_equal(saml_xml_parse(x, strlen(x), 4096, &d1, &d), EIDGW_OK);
	assert_int_equal(saml_xml_parse(x, strlen(x), 4096, &d2, &d), EIDGW_OK);
	memset(&set, 0, sizeof(set));
	set.apex = xmlDocGetRootElement(d2);
	eidgw_buf_init(&out, 4096);
	assert_int_equal(saml_c14n(d1, &set, XML_C14N_EXCLUSIVE_1_0, NULL, &out), EIDGW_E_INVAL);
	eidgw_buf_free(&out);
	xmlFreeDoc(d1);
	xmlFreeDoc(d2);
}

/*
 * A namespace URI that is relative or does not parse fails libxml2's whole
 * document walk wherever it is declared; the walk from the apex must fail
 * too (it used to render the ancestor's relative URI into the octets).
 */
static void
test_relative_namespace_outside_apex(void **state)
{
	static const char *const xml[] = {
		"<R xmlns:p=\"rel/ative\"><A><p:B/></A></R>",
		"<R><S xmlns:q=\"rel\"/><A><B/></A></R>",
		"<R><S><T xmlns:q=\"q\"/></S><A/><C/></R>",
	};
	static const int modes[] = { XML_C14N_1_0, XML_C14N_EXCLUSIVE_1_0 };
	struct saml_c14n_set set;
	struct eidgw_diag d;
	struct eidgw_buf out;
	xmlDocPtr doc;
	xmlNode *a;
	struct tally t;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(xml) / sizeof(xml[0]); i++) {
		doc = NULL;
		memset(&t, 0, sizeof(t));
		assert_int_equal(saml_xml_parse(xml[i], strlen(xml[i]), 4096, &doc, &d), EIDGW_OK);
		every_element("inline", doc, xmlDocGetRootElement(doc), &t);
		for (a = xmlDocGetRootElement(doc)->children; a != NULL; a = a->next)
			if (xmlStrEqual(a->name, BAD_CAST "A"))
				break;
		assert_non_null(a);
		for (j = 0; j < sizeof(modes) / sizeof(modes[0]); j++) {
			memset(&set, 0, sizeof(set));
			set.apex = a;
			eidgw_buf_init(&out, 4096);
			assert_int_equal(saml_c14n(doc, &set, modes[j], NULL, &out),
			    EIDGW_E_SAML_SIG_TRANSFORM);
			eidgw_buf_free(&out);
		}
		xmlFreeDoc(doc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_context),
		cmocka_unit_test(test_foreign_apex),
		cmocka_unit_test(test_relative_namespace_outside_apex),
		cmocka_unit_test(test_apex_walk_equals_document_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
