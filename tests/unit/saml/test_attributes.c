/*
 * Unit tests for saml/attributes.c: the eIDAS attribute profile on
 * hand-written AttributeStatements (natural and legal person, LatinScript,
 * CurrentAddress decoding, value rules, refusals).
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "saml/attributes.h"
#include "saml/xml.h"

#define NP "http://eidas.europa.eu/attributes/naturalperson/"
#define LP "http://eidas.europa.eu/attributes/legalperson/"
#define FMT "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\""
#define A(name, val) "<saml2:Attribute Name=\"" name "\" " FMT "><saml2:AttributeValue>" val \
	"</saml2:AttributeValue></saml2:Attribute>"
#define MDS A(NP "PersonIdentifier", "BE/DE/123") A(NP "CurrentFamilyName", "Doe") \
	A(NP "CurrentGivenName", "Jane") A(NP "DateOfBirth", "1980-01-02")

static int
setup(void **state)
{
	(void)state;
	return saml_library_init() == EIDGW_OK ? 0 : -1;
}

static enum eidgw_err
parse(const char *body, const char *country, bool allow_repr, struct saml_identity *id)
{
	struct eidgw_buf b;
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 1 << 20);
	assert_int_equal(eidgw_buf_printf(&b, "<saml2:AttributeStatement "
	    "xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\">%s</saml2:AttributeStatement>",
	    body), EIDGW_OK);
	assert_int_equal(saml_xml_parse(b.data, b.len, 1 << 20, &doc, NULL), EIDGW_OK);
	eidgw_diag_clear(&d);
	rc = saml_attributes_parse(xmlDocGetRootElement(doc), country, NULL, 0, allow_repr, id, &d);
	xmlFreeDoc(doc);
	eidgw_buf_free(&b);
	return rc;
}

static void
test_natural(void **state)
{
	struct saml_identity id;

	(void)state;
	assert_int_equal(parse(MDS
	    "<saml2:Attribute Name=\"" NP "BirthName\" " FMT ">"
	    "<saml2:AttributeValue>Jane Roe</saml2:AttributeValue>"
	    "<saml2:AttributeValue LatinScript=\"false\">Τζέιν</saml2:AttributeValue>"
	    "</saml2:Attribute>"
	    A(NP "Gender", "Female") A(NP "PlaceOfBirth", "Peterborough")
	    A(NP "Nationality", "BE") A(NP "PhoneNumber", "+3212345")
	    A("urn:unknown:attribute", "ignored"), "BE", false, &id), EIDGW_OK);
	assert_int_equal(id.kind, SAML_PERSON_NATURAL);
	assert_string_equal(id.person_identifier, "BE/DE/123");
	assert_string_equal(id.family_name.latin, "Doe");
	assert_string_equal(id.given_name.latin, "Jane");
	assert_string_equal(id.date_of_birth, "1980-01-02");
	assert_string_equal(id.birth_name.latin, "Jane Roe");
	assert_string_equal(id.birth_name.nonlatin, "Τζέιν");
	assert_string_equal(id.gender, "Female");
	assert_string_equal(id.place_of_birth, "Peterborough");
	assert_string_equal(id.nationality, "BE");
	assert_string_equal(id.phone_number, "+3212345");
	saml_identity_clear(&id);
	assert_null(id.person_identifier);
	saml_identity_clear(NULL);
	/* whitespace around values (spec examples) and a zone on the date */
	assert_int_equal(parse(A(NP "PersonIdentifier", "\n  BE/DE/123\n")
	    A(NP "CurrentFamilyName", " Doe ") A(NP "CurrentGivenName", "Jane")
	    A(NP "DateOfBirth", "1980-01-02+01:00"), NULL, false, &id), EIDGW_OK);
	assert_string_equal(id.person_identifier, "BE/DE/123");
	assert_string_equal(id.date_of_birth, "1980-01-02");
	saml_identity_clear(&id);
}

static void
test_legal(void **state)
{
	struct saml_identity id;

	(void)state;
	assert_int_equal(parse(A(LP "LegalPersonIdentifier", "BE/AT/02735442Z")
	    A(LP "LegalName", "Example SA") A(LP "VATRegistrationNumber", "BE 0123")
	    A(LP "LEI", "529900T8BM49AURSDO55"), "BE", false, &id), EIDGW_OK);
	assert_int_equal(id.kind, SAML_PERSON_LEGAL);
	assert_string_equal(id.legal_person_identifier, "BE/AT/02735442Z");
	assert_string_equal(id.legal_name.latin, "Example SA");
	assert_string_equal(id.vat_registration, "BE 0123");
	assert_string_equal(id.lei, "529900T8BM49AURSDO55");
	saml_identity_clear(&id);
	assert_int_equal(parse(A(LP "LegalName", "Example SA"), "BE", false, &id),
	    EIDGW_E_SAML_ATTR_MISSING);
	assert_int_equal(parse(A(LP "LegalPersonIdentifier", "FR/AT/1") A(LP "LegalName", "X"),
	    "BE", false, &id), EIDGW_E_SAML_PID_COUNTRY);
}

static void
test_address(void **state)
{
	/* Attribute Profile 3.3 examples: eidas: prefix, CRLF separators, undeclared prefix */
	static const char blob1[] = "<eidas:LocatorDesignator>22</eidas:LocatorDesignator>\r\n"
	    "<eidas:Thoroughfare>Arcacia Avenue</eidas:Thoroughfare>\r\n"
	    "<eidas:PostName>London</eidas:PostName>\r\n<eidas:PostCode>SW1A 1AA</eidas:PostCode>";
	static const char blob2[] = "<eidas-natural:PoBox>1234</eidas-natural:PoBox>"
	    "<eidas-natural:CvaddressArea>Area</eidas-natural:CvaddressArea>"
	    "<eidas-natural:AdminUnitFirstline>BE</eidas-natural:AdminUnitFirstline>";
	struct saml_address *a = NULL;
	struct eidgw_buf b;
	struct saml_identity id;
	char *body;

	(void)state;
	eidgw_buf_init(&b, 4096);
	assert_int_equal(eidgw_b64_encode(&b, blob1, strlen(blob1), false), EIDGW_OK);
	assert_int_equal(saml_address_decode(b.data, &a, NULL), EIDGW_OK);
	assert_string_equal(a->locator_designator, "22");
	assert_string_equal(a->thoroughfare, "Arcacia Avenue");
	assert_string_equal(a->post_name, "London");
	assert_string_equal(a->post_code, "SW1A 1AA");
	assert_null(a->po_box);
	saml_address_free(a);
	a = NULL;
	/* as an attribute in a statement */
	body = malloc(8192);
	(void)snprintf(body, 8192, MDS A(NP "CurrentAddress", "%s"), b.data);
	assert_int_equal(parse(body, "BE", false, &id), EIDGW_OK);
	assert_non_null(id.current_address);
	assert_string_equal(id.current_address->post_name, "London");
	saml_identity_clear(&id);
	free(body);
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_b64_encode(&b, blob2, strlen(blob2), false), EIDGW_OK);
	assert_int_equal(saml_address_decode(b.data, &a, NULL), EIDGW_OK);
	assert_string_equal(a->po_box, "1234");
	assert_string_equal(a->cvaddress_area, "Area");
	assert_string_equal(a->admin_unit_first_line, "BE");	/* case-insensitive names */
	saml_address_free(a);
	a = NULL;
	/* a prefix nobody declared: retried without element prefixes */
	eidgw_buf_reset(&b);
	{
		static const char foreign[] = "<foo:PostName>Gent</foo:PostName>\n"
		    "<bar:PostCode>9000</bar:PostCode>";

		assert_int_equal(eidgw_b64_encode(&b, foreign, strlen(foreign), false), EIDGW_OK);
	}
	assert_int_equal(saml_address_decode(b.data, &a, NULL), EIDGW_OK);
	assert_string_equal(a->post_name, "Gent");
	assert_string_equal(a->post_code, "9000");
	saml_address_free(a);
	a = NULL;
	/* hostile blobs */
	assert_int_equal(saml_address_decode("!!!", &a, NULL), EIDGW_E_SAML_ATTR_INVALID);
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_b64_encode(&b, "<eidas:PostName>x</eidas:PostName><eidas:PostName>y"
	    "</eidas:PostName>", 68, false), EIDGW_OK);
	assert_int_equal(saml_address_decode(b.data, &a, NULL), EIDGW_E_SAML_ATTR_INVALID);
	eidgw_buf_reset(&b);
	assert_int_equal(eidgw_b64_encode(&b, "</a><!DOCTYPE a []><a>", 22, false), EIDGW_OK);
	assert_int_equal(saml_address_decode(b.data, &a, NULL), EIDGW_E_SAML_ATTR_INVALID);
	assert_null(a);
	saml_address_free(NULL);
	eidgw_buf_free(&b);
}

static void
test_refusals(void **state)
{
	struct saml_identity id;

	(void)state;
	/* MDS incomplete */
	assert_int_equal(parse(A(NP "PersonIdentifier", "BE/DE/1") A(NP "CurrentFamilyName", "D")
	    A(NP "CurrentGivenName", "J"), "BE", false, &id), EIDGW_E_SAML_ATTR_MISSING);
	assert_null(id.person_identifier);
	assert_int_equal(parse("", "BE", false, &id), EIDGW_E_SAML_ATTR_MISSING);
	/* NameFormat */
	assert_int_equal(parse(MDS "<saml2:Attribute Name=\"" NP "Gender\" NameFormat=\"urn:x\">"
	    "<saml2:AttributeValue>Male</saml2:AttributeValue></saml2:Attribute>", "BE", false, &id),
	    EIDGW_E_SAML_ATTR_NAMEFORMAT);
	/* empty value, child element in a value, repeated attribute, bad codes */
	assert_int_equal(parse(MDS A(NP "Gender", ""), "BE", false, &id), EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(MDS A(NP "Gender", "<x/>Male"), "BE", false, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(MDS A(NP "Gender", "M"), "BE", false, &id), EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(MDS A(NP "Nationality", "be"), "BE", false, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(MDS A(NP "CurrentFamilyName", "Again"), "BE", false, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(A(NP "PersonIdentifier", "BE/DE/1") A(NP "CurrentFamilyName", "D")
	    A(NP "CurrentGivenName", "J") A(NP "DateOfBirth", "1980-13-01"), "BE", false, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	/* two values of a single-valued attribute; LatinScript on a non-name */
	assert_int_equal(parse(MDS "<saml2:Attribute Name=\"" NP "Gender\" " FMT ">"
	    "<saml2:AttributeValue>Male</saml2:AttributeValue>"
	    "<saml2:AttributeValue>Female</saml2:AttributeValue></saml2:Attribute>", "BE", false, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	assert_int_equal(parse(MDS "<saml2:Attribute Name=\"" NP "Gender\" " FMT ">"
	    "<saml2:AttributeValue LatinScript=\"false\">Male</saml2:AttributeValue>"
	    "</saml2:Attribute>", "BE", false, &id), EIDGW_E_SAML_ATTR_INVALID);
	/* EncryptedAttribute, representative (and the opt-in) */
	assert_int_equal(parse(MDS "<saml2:EncryptedAttribute/>", "BE", false, &id),
	    EIDGW_E_SAML_ATTR_ENCRYPTED);
	assert_int_equal(parse(MDS A(NP "representative/PersonIdentifier", "BE/DE/9"), "BE", false,
	    &id), EIDGW_E_SAML_ATTR_REPRESENTATIVE);
	/* opted in: an incomplete representative set is refused, a complete one kept */
	assert_int_equal(parse(MDS A(NP "representative/PersonIdentifier", "BE/DE/9"), "BE", true,
	    &id), EIDGW_E_SAML_ATTR_MISSING);
	assert_int_equal(parse(MDS A(LP "representative/LegalPersonIdentifier", "FR/DE/77")
	    A(LP "representative/LegalName", "Rep SARL") A(LP "representative/SEED", "x"),
	    "BE", true, &id), EIDGW_OK);
	assert_string_equal(id.person_identifier, "BE/DE/123");
	assert_int_equal(id.kind, SAML_PERSON_NATURAL);
	assert_non_null(id.representative);
	assert_int_equal(id.representative->kind, SAML_PERSON_LEGAL);
	assert_string_equal(id.representative->legal_person_identifier, "FR/DE/77");
	assert_string_equal(id.representative->legal_name.latin, "Rep SARL");
	assert_string_equal(id.representative->seed, "x");
	assert_null(id.representative->representative);
	saml_identity_clear(&id);
	assert_null(id.representative);
	assert_int_equal(parse(MDS A(LP "representative/LegalPersonIdentifier", "FR/DE/77")
	    A(LP "representative/LegalPersonIdentifier", "FR/DE/78")
	    A(LP "representative/LegalName", "Rep SARL"), "BE", true, &id),
	    EIDGW_E_SAML_ATTR_INVALID);
	/* comment injection: the value is read whole */
	assert_int_equal(parse(A(NP "PersonIdentifier", "BE/DE/12<!-- x -->34")
	    A(NP "CurrentFamilyName", "Do<!---->e") A(NP "CurrentGivenName", "Jane")
	    A(NP "DateOfBirth", "1980-01-02"), "BE", false, &id), EIDGW_OK);
	assert_string_equal(id.person_identifier, "BE/DE/1234");
	assert_string_equal(id.family_name.latin, "Doe");
	saml_identity_clear(&id);
}

static void
test_value_syntax(void **state)
{
	char big[300];

	(void)state;
	assert_true(saml_person_identifier_valid("ES/AT/02635542Y", "ES"));
	assert_true(saml_person_identifier_valid("ES/EU/x", NULL));
	assert_false(saml_person_identifier_valid("ES/AT/02635542Y", "AT"));
	assert_false(saml_person_identifier_valid("es/AT/1", NULL));
	assert_false(saml_person_identifier_valid("ES/AT/", NULL));
	assert_false(saml_person_identifier_valid("ES-AT-1", NULL));
	assert_false(saml_person_identifier_valid("ES/AT/1 2", NULL));
	assert_false(saml_person_identifier_valid("ES/AT/1\t", NULL));
	assert_false(saml_person_identifier_valid(NULL, NULL));
	memset(big, 'A', sizeof(big));
	memcpy(big, "ES/AT/", 6);
	big[256] = '\0';
	assert_true(saml_person_identifier_valid(big, "ES"));
	big[256] = 'A';
	big[257] = '\0';
	assert_false(saml_person_identifier_valid(big, "ES"));
	assert_true(saml_date_valid("2000-02-29"));
	assert_true(saml_date_valid("0000-01-01"));
	assert_true(saml_date_valid("1999-12-31Z"));
	assert_true(saml_date_valid("1999-12-31-05:00"));
	assert_false(saml_date_valid("1900-02-29"));
	assert_false(saml_date_valid("1999-04-31"));
	assert_false(saml_date_valid("1999-00-10"));
	assert_false(saml_date_valid("1999-1-10"));
	assert_false(saml_date_valid("99-01-10"));
	assert_false(saml_date_valid("1999-01-10T00:00:00"));
	assert_false(saml_date_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natural),
		cmocka_unit_test(test_legal),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_value_syntax),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
