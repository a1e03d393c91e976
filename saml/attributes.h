/*
 * attributes.h - the eIDAS SAML Attribute Profile (v1.2, plus the optional
 * v1.4 "common attributes"): natural and legal person attributes read from
 * one saml:AttributeStatement into a typed identity.
 *
 * Values are read whole (saml_xml_text joins every text node and skips
 * comments, so a comment cannot truncate a value), identifiers, dates and
 * codes are trimmed of XML whitespace, nothing is ever logged.  Attributes
 * are recognised by their Name URI only, never by prefix or xsi:type.
 */
#ifndef EIDGW_SAML_ATTRIBUTES_H
#define EIDGW_SAML_ATTRIBUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "core/err.h"

#define SAML_ATTR_NATURAL "http://eidas.europa.eu/attributes/naturalperson/"
#define SAML_ATTR_LEGAL   "http://eidas.europa.eu/attributes/legalperson/"
#define SAML_ATTRNAME_FORMAT_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

#define SAML_ATTR_PERSON_IDENTIFIER SAML_ATTR_NATURAL "PersonIdentifier"
#define SAML_ATTR_FAMILY_NAME       SAML_ATTR_NATURAL "CurrentFamilyName"
#define SAML_ATTR_GIVEN_NAME        SAML_ATTR_NATURAL "CurrentGivenName"
#define SAML_ATTR_DATE_OF_BIRTH     SAML_ATTR_NATURAL "DateOfBirth"
#define SAML_ATTR_LEGAL_PERSON_IDENTIFIER SAML_ATTR_LEGAL "LegalPersonIdentifier"
#define SAML_ATTR_LEGAL_NAME        SAML_ATTR_LEGAL "LegalName"

/* eIDAS 3.1: PersonIdentifier is at most 256 characters in total. */
#define SAML_PID_MAX 256
/* Our own bound on every other value (names, addresses before decoding). */
#define SAML_ATTR_VALUE_MAX 4096

/* A name with its optional original-script form (LatinScript="false"). */
struct saml_name {
	char *latin;		/* the value without LatinScript="false" */
	char *nonlatin;		/* the LatinScript="false" value, or NULL */
};

/* eIDAS Attribute Profile 3.3: the decoded CurrentAddress / LegalPersonAddress. */
struct saml_address {
	char *po_box;
	char *locator_designator;
	char *locator_name;
	char *cvaddress_area;
	char *thoroughfare;
	char *post_name;
	char *admin_unit_first_line;
	char *admin_unit_second_line;
	char *post_code;
};

enum saml_person_kind {
	SAML_PERSON_NONE = 0,
	SAML_PERSON_NATURAL = 1,
	SAML_PERSON_LEGAL = 2,
	SAML_PERSON_BOTH = 3,	/* both sets present (natural | legal) */
};

/* The identity asserted by the identity provider.  Every string is owned. */
struct saml_identity {
	enum saml_person_kind kind;
	/* natural person */
	char *person_identifier;
	struct saml_name family_name;
	struct saml_name given_name;
	char *date_of_birth;		/* YYYY-MM-DD, any zone suffix stripped */
	struct saml_name birth_name;
	char *place_of_birth;
	struct saml_address *current_address;
	char *gender;			/* "Male", "Female" or "Unspecified" */
	char *nationality;		/* v1.4 */
	char *country_of_birth;		/* v1.4 */
	char *town_of_birth;		/* v1.4 */
	char *country_of_residence;	/* v1.4 */
	char *phone_number;		/* v1.4 */
	char *email_address;		/* v1.4 */
	/* legal person */
	char *legal_person_identifier;
	struct saml_name legal_name;
	struct saml_address *legal_address;
	char *vat_registration;
	char *tax_reference;
	char *eu_identifier;		/* D-2012-17-EUIdentifier */
	char *lei;
	char *eori;
	char *seed;
	char *sic;
	char *legal_phone_number;
	char *legal_email_address;
	/*
	 * Attribute Profile 2.8: the representative's set (names with
	 * "/representative/"), only with allow_representative; else NULL.
	 * Its own minimum data set must be complete; its identifier's
	 * country is not tied to the IdP's.
	 */
	struct saml_identity *representative;
};

/*
 * Reads the saml:AttributeStatement stmt into id (cleared on entry; on
 * failure it is left cleared).  idp_country (ISO 3166-1 alpha-2, may be NULL
 * to skip that one check) must equal the origin country of PersonIdentifier
 * and LegalPersonIdentifier.  required (may be NULL) lists attribute Names
 * that were requested with isRequired="true".  Representative attributes are
 * refused unless allow_representative (then they go to id->representative).
 */
enum eidgw_err saml_attributes_parse(const xmlNode *stmt, const char *idp_country,
    const char *const *required, size_t nrequired, bool allow_representative,
    struct saml_identity *id, struct eidgw_diag *d) EIDGW_MUST_USE;

/* Frees everything in id and zeroes it; NULL is fine. */
void saml_identity_clear(struct saml_identity *id);

/*
 * eIDAS 3.1: "CC/DD/X", CC and DD two upper-case letters, X non-empty, no
 * whitespace or control characters, at most 256 characters; CC equal to
 * country when country is not NULL.
 */
bool saml_person_identifier_valid(const char *pid, const char *country);
/* xsd:date "YYYY-MM-DD" (optional Z or +-hh:mm) that names a real day. */
bool saml_date_valid(const char *s);

/* Decodes a base64 address blob (3.3) with the hardened parser. */
enum eidgw_err saml_address_decode(const char *b64, struct saml_address **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;
void saml_address_free(struct saml_address *a);

#endif
