/*
 * attributes.c - the eIDAS attribute profile: one table of known attributes
 * (Name suffix, person kind, value kind, mandatory, where it goes in struct
 * saml_identity) and one reader that applies it to an AttributeStatement.
 *
 * eIDAS SAML Attribute Profile v1.2 (3.1, 3.2 tables; v1.4 additions marked)
 * and the digest's 2 check 17.
 */
#include "saml/attributes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/util.h"
#include "saml/xml.h"

enum attr_kind {
	AK_STRING,	/* free text */
	AK_PID,		/* CC/DD/X identifier */
	AK_NAME,	/* LatinScript-capable name */
	AK_DATE,	/* xsd:date */
	AK_ADDRESS,	/* base64 address XML */
	AK_GENDER,	/* Male | Female | Unspecified */
	AK_COUNTRY,	/* ISO 3166-1 alpha-2 */
};

struct attr_def {
	const char *suffix;
	bool legal;
	enum attr_kind kind;
	bool mandatory;
	size_t off;		/* offset of the field in struct saml_identity */
};

#define F(field) offsetof(struct saml_identity, field)

static const struct attr_def attr_defs[] = {
	/* 3.1 natural person; the first four are the minimum data set */
	{ "PersonIdentifier",      false, AK_PID,     true,  F(person_identifier) },
	{ "CurrentFamilyName",     false, AK_NAME,    true,  F(family_name) },
	{ "CurrentGivenName",      false, AK_NAME,    true,  F(given_name) },
	{ "DateOfBirth",           false, AK_DATE,    true,  F(date_of_birth) },
	{ "BirthName",             false, AK_NAME,    false, F(birth_name) },
	{ "PlaceOfBirth",          false, AK_STRING,  false, F(place_of_birth) },
	{ "CurrentAddress",        false, AK_ADDRESS, false, F(current_address) },
	{ "Gender",                false, AK_GENDER,  false, F(gender) },
	{ "Nationality",           false, AK_COUNTRY, false, F(nationality) },
	{ "CountryOfBirth",        false, AK_COUNTRY, false, F(country_of_birth) },
	{ "TownOfBirth",           false, AK_STRING,  false, F(town_of_birth) },
	{ "CountryOfResidence",    false, AK_COUNTRY, false, F(country_of_residence) },
	{ "PhoneNumber",           false, AK_STRING,  false, F(phone_number) },
	{ "EmailAddress",          false, AK_STRING,  false, F(email_address) },
	/* 3.2 legal person; the first two are the minimum data set */
	{ "LegalPersonIdentifier", true,  AK_PID,     true,  F(legal_person_identifier) },
	{ "LegalName",             true,  AK_NAME,    true,  F(legal_name) },
	{ "LegalPersonAddress",    true,  AK_ADDRESS, false, F(legal_address) },
	{ "VATRegistrationNumber", true,  AK_STRING,  false, F(vat_registration) },
	{ "TaxReference",          true,  AK_STRING,  false, F(tax_reference) },
	{ "D-2012-17-EUIdentifier", true, AK_STRING,  false, F(eu_identifier) },
	{ "LEI",                   true,  AK_STRING,  false, F(lei) },
	{ "EORI",                  true,  AK_STRING,  false, F(eori) },
	{ "SEED",                  true,  AK_STRING,  false, F(seed) },
	{ "SIC",                   true,  AK_STRING,  false, F(sic) },
	{ "LegalPhoneNumber",      true,  AK_STRING,  false, F(legal_phone_number) },
	{ "LegalEmailAddress",     true,  AK_STRING,  false, F(legal_email_address) },
};

#undef F

#define ADDR_B64_MAX 16384

static bool
is_upper2(const char *s)
{
	return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool
saml_person_identifier_valid(const char *pid, const char *country)
{
	size_t n, i;

	if (pid == NULL)
		return false;
	n = strlen(pid);
	/* eIDAS Attribute Profile 3.1: "CC/DD/X ... no whitespace ... 256 characters". */
	if (n < 7 || n > SAML_PID_MAX)
		return false;
	if (!is_upper2(pid) || pid[2] != '/' || !is_upper2(pid + 3) || pid[5] != '/')
		return false;
	for (i = 6; i < n; i++) {
		unsigned char c = (unsigned char)pid[i];

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	if (country != NULL && (strlen(country) != 2 || pid[0] != country[0] ||
	    pid[1] != country[1]))
		return false;
	return true;
}

static int
digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
saml_date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, day, max, hh, mm;
	const char *z;

	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	day = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || day < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	if (day > max)
		return false;
	z = s + 10;
	if (*z == '\0' || strcmp(z, "Z") == 0)
		return true;
	if ((z[0] != '+' && z[0] != '-') || strlen(z) != 6 || z[3] != ':')
		return false;
	hh = digits(z + 1, 2);
	mm = digits(z + 4, 2);
	return hh >= 0 && hh <= 14 && mm >= 0 && mm <= 59;
}

static bool
text_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;
}

void
saml_address_free(struct saml_address *a)
{
	if (a == NULL)
		return;
	free(a->po_box);
	free(a->locator_designator);
	free(a->locator_name);
	free(a->cvaddress_area);
	free(a->thoroughfare);
	free(a->post_name);
	free(a->admin_unit_first_line);
	free(a->admin_unit_second_line);
	free(a->post_code);
	free(a);
}

static char **
address_field(struct saml_address *a, const char *local)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "PoBox", offsetof(struct saml_address, po_box) },
		{ "LocatorDesignator", offsetof(struct saml_address, locator_designator) },
		{ "LocatorName", offsetof(struct saml_address, locator_name) },
		{ "CvaddressArea", offsetof(struct saml_address, cvaddress_area) },
		{ "Thoroughfare", offsetof(struct saml_address, thoroughfare) },
		{ "PostName", offsetof(struct saml_address, post_name) },
		{ "AdminunitFirstline", offsetof(struct saml_address, admin_unit_first_line) },
		{ "AdminunitSecondline", offsetof(struct saml_address, admin_unit_second_line) },
		{ "PostCode", offsetof(struct saml_address, post_code) },
	};
	size_t i;

	/* The EC node matches these case-insensitively; so do we. */
	for (i = 0; i < EIDGW_ARRAY_LEN(fields); i++)
		if (strcasecmp(local, fields[i].name) == 0)
			return (char **)(void *)((char *)a + fields[i].off);
	return NULL;
}

static bool
ncname_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.';
}

/* Copies p[0..n) to out with "<pfx:" and "</pfx:" turned into "<" and "</". */
static enum eidgw_err
strip_tag_prefixes(struct eidgw_buf *out, const char *p, size_t n)
{
	enum eidgw_err rc;
	size_t i = 0, j, start;

	while (i < n) {
		if (p[i] != '<') {
			if ((rc = eidgw_buf_append(out, p + i, 1)) != EIDGW_OK)
				return rc;
			i++;
			continue;
		}
		start = i + 1 < n && p[i + 1] == '/' ? i + 2 : i + 1;
		for (j = start; j < n && ncname_char(p[j]); j++)
			;
		if ((rc = eidgw_buf_append(out, p + i, start - i)) != EIDGW_OK)
			return rc;
		/* a prefix is a name followed by ':' */
		i = j > start && j < n && p[j] == ':' ? j + 1 : start;
	}
	return EIDGW_OK;
}

/*
 * eIDAS Attribute Profile 3.3: the value is base64 of a rootless sequence of
 * elements whose prefix is not declared in the blob; wrap it in a root that
 * declares the prefixes seen in the wild, parse with the hardened parser.
 */
enum eidgw_err
saml_address_decode(const char *b64, struct saml_address **out, struct eidgw_diag *d)
{
	static const char open[] = "<a xmlns:eidas=\"" SAML_ATTR_NATURAL "\""
	    " xmlns:eidas-natural=\"" SAML_ATTR_NATURAL "\""
	    " xmlns:eidas-legal=\"" SAML_ATTR_LEGAL "\">";
	struct eidgw_buf raw, wrapped;
	struct saml_address *a = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr n;
	enum eidgw_err rc;
	char **slot;
	size_t i;

	*out = NULL;
	eidgw_buf_init(&raw, ADDR_B64_MAX);
	eidgw_buf_init(&wrapped, ADDR_B64_MAX + 256);
	if (b64 == NULL || strlen(b64) > ADDR_B64_MAX)
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address value missing or too long");
	if (eidgw_b64_decode(&raw, b64, strlen(b64), false) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address value is not base64");
	for (i = 0; i < raw.len; i++)
		if (raw.data[i] == '\0')
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address value holds a NUL byte");
	EIDGW_TRY(eidgw_buf_puts(&wrapped, open));
	if (raw.len > 0)
		EIDGW_TRY(eidgw_buf_append(&wrapped, raw.data, raw.len));
	EIDGW_TRY(eidgw_buf_puts(&wrapped, "</a>"));
	if (saml_xml_parse(wrapped.data, wrapped.len, ADDR_B64_MAX + 256, &doc, NULL) != EIDGW_OK) {
		/*
		 * 3.3: senders use undeclared prefixes of their own; retry once
		 * with the element prefixes removed, through the same hardened
		 * parser (no hand-written XML scanner).
		 */
		eidgw_buf_reset(&wrapped);
		EIDGW_TRY(eidgw_buf_puts(&wrapped, "<a>"));
		EIDGW_TRY(strip_tag_prefixes(&wrapped, raw.data, raw.len));
		EIDGW_TRY(eidgw_buf_puts(&wrapped, "</a>"));
		if (saml_xml_parse(wrapped.data, wrapped.len, ADDR_B64_MAX + 256, &doc, d) != EIDGW_OK)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID,
			    "address value is not well-formed XML");
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	for (n = xmlDocGetRootElement(doc)->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((slot = address_field(a, (const char *)n->name)) == NULL)
			continue;	/* unknown parts are dropped (3.3) */
		if (*slot != NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address part repeated");
		if ((*slot = saml_xml_text(n, true)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address part is not text");
		if (strlen(*slot) > SAML_ATTR_VALUE_MAX || !text_clean(*slot))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address part invalid");
	}
	*out = a;
	a = NULL;
	rc = EIDGW_OK;
out:
	saml_address_free(a);
	if (doc != NULL)
		xmlFreeDoc(doc);
	eidgw_buf_free(&raw);
	eidgw_buf_free(&wrapped);
	return rc;
}

void
saml_identity_clear(struct saml_identity *id)
{
	size_t i;

	if (id == NULL)
		return;
	if (id->representative != NULL) {
		saml_identity_clear(id->representative);
		free(id->representative);
	}
	for (i = 0; i < EIDGW_ARRAY_LEN(attr_defs); i++) {
		void *f = (char *)id + attr_defs[i].off;

		switch (attr_defs[i].kind) {
		case AK_NAME:
			eidgw_free_secret_str(((struct saml_name *)f)->latin);
			eidgw_free_secret_str(((struct saml_name *)f)->nonlatin);
			break;
		case AK_ADDRESS:
			saml_address_free(*(struct saml_address **)f);
			break;
		default:
			eidgw_free_secret_str(*(char **)f);
			break;
		}
	}
	memset(id, 0, sizeof(*id));
}

static const struct attr_def *
attr_lookup(const char *name)
{
	const char *suffix;
	bool legal;
	size_t i;

	if (eidgw_starts_with(name, SAML_ATTR_NATURAL)) {
		suffix = name + strlen(SAML_ATTR_NATURAL);
		legal = false;
	} else if (eidgw_starts_with(name, SAML_ATTR_LEGAL)) {
		suffix = name + strlen(SAML_ATTR_LEGAL);
		legal = true;
	} else {
		return NULL;
	}
	for (i = 0; i < EIDGW_ARRAY_LEN(attr_defs); i++)
		if (attr_defs[i].legal == legal && strcmp(attr_defs[i].suffix, suffix) == 0)
			return &attr_defs[i];
	return NULL;
}

static bool
is_representative(const char *name)
{
	return eidgw_starts_with(name, SAML_ATTR_NATURAL "representative/") ||
	    eidgw_starts_with(name, SAML_ATTR_LEGAL "representative/");
}

static char *
xml_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = eidgw_strdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Checks and stores one value of a known attribute; always takes text. */
static enum eidgw_err
attr_store(const struct attr_def *def, const xmlNode *val, char *text, const char *idp_country,
    struct saml_identity *id, struct eidgw_diag *d)
{
	void *f = (char *)id + def->off;
	struct saml_name *nm;
	char *latin = NULL;
	enum eidgw_err rc;
	bool nonlatin = false;

	/* eIDAS Attribute Profile 3.4: "Consumers MUST honour LatinScript". */
	if ((latin = xml_attr(val, "LatinScript")) != NULL) {
		if (strcmp(latin, "false") == 0 || strcmp(latin, "0") == 0)
			nonlatin = true;
		else if (strcmp(latin, "true") != 0 && strcmp(latin, "1") != 0)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "LatinScript not a boolean");
		if (nonlatin && def->kind != AK_NAME)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "LatinScript=false on a non-name");
	}
	switch (def->kind) {
	case AK_NAME:
		nm = f;
		if ((nonlatin ? nm->nonlatin : nm->latin) != NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "name value repeated");
		if (nonlatin)
			nm->nonlatin = text;
		else
			nm->latin = text;
		text = NULL;
		break;
	case AK_ADDRESS:
		if (*(struct saml_address **)f != NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "address repeated");
		EIDGW_TRY(saml_address_decode(text, (struct saml_address **)f, d));
		break;
	default:
		if (*(char **)f != NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "single-valued attribute repeated");
		if (def->kind == AK_PID) {
			if (!saml_person_identifier_valid(text, NULL))
				EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "identifier not CC/DD/X");
			/* 3.1: CC is the country the identifier comes from: the IdP's. */
			if (idp_country != NULL && !saml_person_identifier_valid(text, idp_country))
				EIDGW_FAIL(d, EIDGW_E_SAML_PID_COUNTRY,
				    "identifier origin is not the IdP country");
		} else if (def->kind == AK_DATE) {
			if (!saml_date_valid(text))
				EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "DateOfBirth not a date");
			text[10] = '\0';	/* the zone says nothing about a birthday */
		} else if (def->kind == AK_GENDER) {
			if (strcmp(text, "Male") != 0 && strcmp(text, "Female") != 0 &&
			    strcmp(text, "Unspecified") != 0)
				EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "Gender value unknown");
		} else if (def->kind == AK_COUNTRY) {
			if (strlen(text) != 2 || !is_upper2(text))
				EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "country code not [A-Z][A-Z]");
		}
		*(char **)f = text;
		text = NULL;
		break;
	}
	rc = EIDGW_OK;
out:
	free(latin);
	eidgw_free_secret_str(text);
	return rc;
}

static bool
identity_has(const struct saml_identity *id, const struct attr_def *def)
{
	const void *f = (const char *)id + def->off;

	if (def->kind == AK_NAME)
		return ((const struct saml_name *)f)->latin != NULL ||
		    ((const struct saml_name *)f)->nonlatin != NULL;
	return *(void *const *)f != NULL;
}

/* "…/naturalperson/representative/X" -> "…/naturalperson/X" (a new string). */
static char *
strip_representative(const char *name)
{
	const char *p = strstr(name, "representative/");
	size_t n = strlen(name);
	char *s;

	if (p == NULL || (s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, name, (size_t)(p - name));
	memcpy(s + (p - name), p + strlen("representative/"),
	    n - (size_t)(p - name) - strlen("representative/") + 1);
	return s;
}

/* Which attribute sets were present: one bit per attr_defs row. */
struct seen_set {
	unsigned char own[EIDGW_ARRAY_LEN(attr_defs)];
	unsigned char rep[EIDGW_ARRAY_LEN(attr_defs)];
};

/* One saml:Attribute. */
static enum eidgw_err
attr_read(const xmlNode *attr, const char *idp_country, bool allow_representative,
    struct saml_identity *id, struct seen_set *ss, struct eidgw_diag *d)
{
	const struct attr_def *def;
	char *name = NULL, *fmt = NULL, *text = NULL, *plain = NULL;
	unsigned char *seen = ss->own;
	const xmlNode *v;
	enum eidgw_err rc;
	size_t nvals = 0, maxlen;

	if ((name = xml_attr(attr, "Name")) == NULL || name[0] == '\0')
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "Attribute without Name");
	/* Attribute Profile 2: "NameFormat MUST be ...attrname-format:uri". */
	if ((fmt = xml_attr(attr, "NameFormat")) == NULL ||
	    strcmp(fmt, SAML_ATTRNAME_FORMAT_URI) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_NAMEFORMAT, "Attribute NameFormat not uri");
	if (is_representative(name)) {
		/* 3.4 application note: without opt-in such a response is refused. */
		if (!allow_representative)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_REPRESENTATIVE,
			    "representative attribute without opt-in");
		/* 2.8: one representative set, same attributes under /representative/. */
		if ((plain = strip_representative(name)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		if (attr_lookup(plain) == NULL) {
			rc = EIDGW_OK;
			goto out;
		}
		if (id->representative == NULL &&
		    (id->representative = calloc(1, sizeof(*id->representative))) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		id = id->representative;
		seen = ss->rep;
		idp_country = NULL;	/* a representative may come from elsewhere */
		free(name);
		name = plain;
		plain = NULL;
	}
	if ((def = attr_lookup(name)) == NULL) {
		rc = EIDGW_OK;	/* not part of the profile we map: dropped */
		goto out;
	}
	if (seen[def - attr_defs])
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "Attribute repeated");
	seen[def - attr_defs] = 1;
	maxlen = def->kind == AK_PID ? SAML_PID_MAX :
	    def->kind == AK_ADDRESS ? ADDR_B64_MAX : SAML_ATTR_VALUE_MAX;
	for (v = attr->children; v != NULL; v = v->next) {
		if (v->type != XML_ELEMENT_NODE)
			continue;
		if (!saml_xml_is(v, SAML_NS_ASSERTION, "AttributeValue"))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "unexpected child of Attribute");
		if (++nvals > 2)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "too many values");
		/* Read whole: comments and split text nodes cannot truncate it. */
		if ((text = saml_xml_text(v, true)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "AttributeValue is not text");
		if (text[0] == '\0' || strlen(text) > maxlen || !text_clean(text))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "AttributeValue empty or too long");
		rc = attr_store(def, v, text, idp_country, id, d);
		text = NULL;	/* attr_store took it, whatever the outcome */
		if (rc != EIDGW_OK)
			goto out;
	}
	if (nvals == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_INVALID, "Attribute without value");
	rc = EIDGW_OK;
out:
	free(name);
	free(fmt);
	free(plain);
	eidgw_free_secret_str(text);
	return rc;
}

/*
 * 3.1 / 3.2: the minimum data set of each person kind present is complete;
 * sets the kind.  what names the set in the log reason.
 */
static enum eidgw_err
check_complete(struct saml_identity *id, const unsigned char *seen, const char *what,
    struct eidgw_diag *d)
{
	enum eidgw_err rc;
	bool natural = false, legal = false;
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(attr_defs); i++) {
		if (!seen[i])
			continue;
		if (attr_defs[i].legal)
			legal = true;
		else
			natural = true;
	}
	if (!natural && !legal)
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_MISSING, "no eIDAS minimum data set (%s)", what);
	for (i = 0; i < EIDGW_ARRAY_LEN(attr_defs); i++) {
		if (!attr_defs[i].mandatory || (attr_defs[i].legal ? !legal : !natural))
			continue;
		if (!identity_has(id, &attr_defs[i]))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_MISSING, "mandatory attribute %s missing (%s)",
			    attr_defs[i].suffix, what);
	}
	id->kind = (natural ? SAML_PERSON_NATURAL : 0) | (legal ? SAML_PERSON_LEGAL : 0);
	rc = EIDGW_OK;
out:
	return rc;
}

static bool
stmt_has_name(const xmlNode *stmt, const char *want)
{
	const xmlNode *a;
	xmlChar *name;
	bool hit;

	for (a = stmt->children; a != NULL; a = a->next) {
		if (!saml_xml_is(a, SAML_NS_ASSERTION, "Attribute"))
			continue;
		if ((name = xmlGetNoNsProp(a, (const xmlChar *)"Name")) == NULL)
			continue;
		hit = strcmp((const char *)name, want) == 0;
		xmlFree(name);
		if (hit)
			return true;
	}
	return false;
}

enum eidgw_err
saml_attributes_parse(const xmlNode *stmt, const char *idp_country,
    const char *const *required, size_t nrequired, bool allow_representative,
    struct saml_identity *id, struct eidgw_diag *d)
{
	struct seen_set ss;
	const xmlNode *a;
	enum eidgw_err rc;
	size_t i;

	memset(id, 0, sizeof(*id));
	memset(&ss, 0, sizeof(ss));
	if (stmt == NULL || !saml_xml_is(stmt, SAML_NS_ASSERTION, "AttributeStatement"))
		EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_STATEMENT, "no AttributeStatement");
	for (a = stmt->children; a != NULL; a = a->next) {
		if (a->type != XML_ELEMENT_NODE)
			continue;
		/* Message Format 2.3: "saml2:EncryptedAttribute MUST NOT be used". */
		if (saml_xml_is(a, SAML_NS_ASSERTION, "EncryptedAttribute"))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_ENCRYPTED, "EncryptedAttribute present");
		if (!saml_xml_is(a, SAML_NS_ASSERTION, "Attribute"))
			EIDGW_FAIL(d, EIDGW_E_SAML_UNEXPECTED, "unexpected child of AttributeStatement");
		EIDGW_TRY(attr_read(a, idp_country, allow_representative, id, &ss, d));
	}
	EIDGW_TRY(check_complete(id, ss.own, "subject", d));
	if (id->representative != NULL)
		EIDGW_TRY(check_complete(id->representative, ss.rep, "representative", d));
	/* Digest 2 #17: "any isRequired=true attribute missing". */
	for (i = 0; i < nrequired; i++)
		if (required[i] != NULL && !stmt_has_name(stmt, required[i]))
			EIDGW_FAIL(d, EIDGW_E_SAML_ATTR_MISSING, "required attribute %s missing",
			    required[i]);
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		saml_identity_clear(id);
	return rc;
}
