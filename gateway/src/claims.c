/* claims.c - see claims.h. */
#include "claims.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util.h"

/* Unicode blocks of the scripts eIDAS names arrive in besides Latin. */
static const struct {
	unsigned int lo, hi;
	const char *code;
} scripts[] = {
	{ 0x0370, 0x03FF, "Grek" }, { 0x1F00, 0x1FFF, "Grek" },
	{ 0x0400, 0x052F, "Cyrl" },
	{ 0x0530, 0x058F, "Armn" },
	{ 0x0590, 0x05FF, "Hebr" },
	{ 0x0600, 0x06FF, "Arab" },
	{ 0x10A0, 0x10FF, "Geor" },
};

const char *
gw_script_of(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int cp;
	size_t i;

	while (p != NULL && *p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
			cp = ((unsigned int)(*p & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		} else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
			cp = ((unsigned int)(*p & 0x0F) << 12) | ((unsigned int)(p[1] & 0x3F) << 6) |
			    (p[2] & 0x3F);
			p += 3;
		} else {
			return NULL;	/* 4-byte forms and bad UTF-8: no claim of a script */
		}
		if (cp < 0x0250)	/* Latin-1 and Latin Extended */
			continue;
		for (i = 0; i < EIDGW_ARRAY_LEN(scripts); i++)
			if (cp >= scripts[i].lo && cp <= scripts[i].hi)
				return scripts[i].code;
		return NULL;
	}
	return NULL;
}

static enum eidgw_err
add(struct gw_claims *c, const char *name, json_t *v)
{
	char *js, *nm;

	if (v == NULL)
		return EIDGW_E_NOMEM;
	if (c->n == GW_CLAIMS_MAX) {
		json_decref(v);
		return EIDGW_E_TOO_LARGE;
	}
	js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (js == NULL || (nm = strdup(name)) == NULL) {
		free(js);
		return EIDGW_E_NOMEM;
	}
	c->json[c->n] = js;
	c->names[c->n] = nm;
	c->v[c->n].name = nm;
	c->v[c->n].json = js;
	c->n++;
	return EIDGW_OK;
}

static enum eidgw_err
add_str(struct gw_claims *c, const char *name, const char *v)
{
	return v != NULL && *v != '\0' ? add(c, name, json_string(v)) : EIDGW_OK;
}

/* The original-script form as name#und-<Script>, when the script is known. */
static enum eidgw_err
add_nonlatin(struct gw_claims *c, const char *claim, const struct saml_name *n)
{
	const char *scr;
	char name[64];

	if (n->nonlatin == NULL || (scr = gw_script_of(n->nonlatin)) == NULL)
		return EIDGW_OK;
	(void)snprintf(name, sizeof(name), "%s#und-%s", claim, scr);
	return add_str(c, name, n->nonlatin);
}

static enum eidgw_err
add_address(struct gw_claims *c, const struct saml_address *a)
{
	struct eidgw_buf street, formatted;
	const char *street_parts[4], *lines[7];
	enum eidgw_err rc = EIDGW_OK;
	json_t *o;
	size_t i;

	if (a == NULL)
		return EIDGW_OK;
	eidgw_buf_init(&street, 4096);
	eidgw_buf_init(&formatted, 8192);
	/* street_address = Thoroughfare + LocatorDesignator (+ LocatorName, PoBox) */
	street_parts[0] = a->thoroughfare;
	street_parts[1] = a->locator_designator;
	street_parts[2] = a->locator_name;
	street_parts[3] = a->po_box;
	for (i = 0; i < 4 && rc == EIDGW_OK; i++) {
		if (street_parts[i] == NULL || *street_parts[i] == '\0')
			continue;
		if (street.len != 0)
			rc = eidgw_buf_puts(&street, i == 1 ? " " : "\n");
		if (rc == EIDGW_OK)
			rc = eidgw_buf_puts(&street, street_parts[i]);
	}
	lines[0] = street.data;
	lines[1] = a->cvaddress_area;
	lines[2] = a->post_code;
	lines[3] = a->post_name;
	lines[4] = a->admin_unit_second_line;
	lines[5] = a->admin_unit_first_line;
	lines[6] = NULL;
	for (i = 0; i < 6 && rc == EIDGW_OK; i++) {
		if (lines[i] == NULL || *lines[i] == '\0')
			continue;
		if (formatted.len != 0)
			rc = eidgw_buf_puts(&formatted, "\n");
		if (rc == EIDGW_OK)
			rc = eidgw_buf_puts(&formatted, lines[i]);
	}
	if (rc != EIDGW_OK)
		goto out;
	if ((o = json_object()) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
#define SETS(k, v) if ((v) != NULL && *(v) != '\0') (void)json_object_set_new(o, k, json_string(v))
	SETS("formatted", formatted.data);
	SETS("street_address", street.data);
	SETS("locality", a->post_name);
	SETS("region", a->admin_unit_second_line);
	SETS("postal_code", a->post_code);
	SETS("country", a->admin_unit_first_line);
#undef SETS
	rc = json_object_size(o) != 0 ? add(c, "address", o) : (json_decref(o), EIDGW_OK);
out:
	eidgw_buf_free(&street);
	eidgw_buf_free(&formatted);
	return rc;
}

enum eidgw_err
gw_claims_from_saml(const struct saml_identity *id, const char *node_country, struct gw_claims *c)
{
	enum eidgw_err rc;
	json_t *pob;

	memset(c, 0, sizeof(*c));
	if ((rc = add_nonlatin(c, "family_name", &id->family_name)) != EIDGW_OK ||
	    (rc = add_nonlatin(c, "given_name", &id->given_name)) != EIDGW_OK)
		goto out;
	if (id->gender != NULL && strcmp(id->gender, "Male") == 0)
		rc = add_str(c, "gender", "male");
	else if (id->gender != NULL && strcmp(id->gender, "Female") == 0)
		rc = add_str(c, "gender", "female");
	if (rc != EIDGW_OK || (rc = add_address(c, id->current_address)) != EIDGW_OK)
		goto out;
	if ((rc = add_str(c, "birth_name", id->birth_name.latin)) != EIDGW_OK)
		goto out;
	/* place_of_birth: PlaceOfBirth wins over TownOfBirth (digest §7) */
	if (id->place_of_birth != NULL || id->town_of_birth != NULL || id->country_of_birth != NULL) {
		if ((pob = json_object()) == NULL) {
			rc = EIDGW_E_NOMEM;
			goto out;
		}
		if (id->place_of_birth != NULL || id->town_of_birth != NULL)
			(void)json_object_set_new(pob, "locality", json_string(
			    id->place_of_birth != NULL ? id->place_of_birth : id->town_of_birth));
		if (id->country_of_birth != NULL)
			(void)json_object_set_new(pob, "country", json_string(id->country_of_birth));
		if ((rc = add(c, "place_of_birth", pob)) != EIDGW_OK)
			goto out;
	}
	if (id->nationality != NULL &&
	    (rc = add(c, "nationalities", json_pack("[s]", id->nationality))) != EIDGW_OK)
		goto out;
	if ((rc = add_str(c, "country_of_residence", id->country_of_residence)) != EIDGW_OK)
		goto out;
	if (id->email_address != NULL &&
	    ((rc = add_str(c, "email", id->email_address)) != EIDGW_OK ||
	    (rc = add(c, "email_verified", json_false())) != EIDGW_OK))
		goto out;
	if (id->phone_number != NULL &&
	    ((rc = add_str(c, "phone_number", id->phone_number)) != EIDGW_OK ||
	    (rc = add(c, "phone_number_verified", json_false())) != EIDGW_OK))
		goto out;
	rc = add_str(c, "eidas_node_country", node_country);
out:
	if (rc != EIDGW_OK)
		gw_claims_free(c);
	return rc;
}

enum eidgw_err
gw_claims_from_json(const char *json, struct gw_claims *c)
{
	enum eidgw_err rc = EIDGW_OK;
	const char *k;
	json_t *o, *v;

	memset(c, 0, sizeof(*c));
	if (json == NULL)
		return EIDGW_OK;
	if (strlen(json) > 64 * 1024 ||
	    (o = json_loads(json, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return EIDGW_E_MALFORMED;
	if (!json_is_object(o)) {
		json_decref(o);
		return EIDGW_E_MALFORMED;
	}
	json_object_foreach(o, k, v) {
		if ((rc = add(c, k, json_incref(v))) != EIDGW_OK)
			break;
	}
	json_decref(o);
	if (rc != EIDGW_OK)
		gw_claims_free(c);
	return rc;
}

void
gw_claims_free(struct gw_claims *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		eidgw_free_secret_str(c->json[i]);
		free(c->names[i]);
	}
	memset(c, 0, sizeof(*c));
}
