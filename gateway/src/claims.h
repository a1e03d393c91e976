/*
 * claims.h - the eIDAS identity as OpenID Connect claims beyond the ones
 * oidc/ fills itself (digest §7): gender, address, birth name, place of
 * birth, nationality, country of residence, e-mail, phone, and the
 * original-script forms of names as language-tagged claims
 * (`family_name#und-Grek`).  oidc/ releases each only under its scope.
 */
#ifndef EIDGW_GW_CLAIMS_H
#define EIDGW_GW_CLAIMS_H

#include <stddef.h>

#include "core/err.h"
#include "oidc/oidc.h"
#include "saml/attributes.h"

#define GW_CLAIMS_MAX 16

struct gw_claims {
	struct oidc_claim v[GW_CLAIMS_MAX];
	char *json[GW_CLAIMS_MAX];	/* owned values */
	char *names[GW_CLAIMS_MAX];	/* owned names */
	size_t n;
};

/* Maps id into c; node_country (may be NULL) is the IdP's NodeCountry. */
enum eidgw_err gw_claims_from_saml(const struct saml_identity *id, const char *node_country,
    struct gw_claims *c) EIDGW_MUST_USE;
/*
 * A connector's further claims: a JSON object whose members become claims
 * (at most GW_CLAIMS_MAX; oidc/ still releases each only under its scope).
 * Anything but an object is refused.
 */
enum eidgw_err gw_claims_from_json(const char *json, struct gw_claims *c) EIDGW_MUST_USE;
void gw_claims_free(struct gw_claims *c);

/* ISO 15924 code of the script of a UTF-8 text (first non-Latin letter), or NULL. */
const char *gw_script_of(const char *utf8);

#endif
