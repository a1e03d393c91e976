/*
 * runtime.h - what the daemon builds on a configuration snapshot before
 * publishing it: the OIDC provider, the verified metadata of each country's
 * identity provider, the loaded connectors, and the URLs derived from
 * public_url.  Attached to the snapshot (cfg->runtime) so it lives and dies
 * with it: a request uses the runtime of the snapshot it started on.
 */
#ifndef EIDGW_GW_RUNTIME_H
#define EIDGW_GW_RUNTIME_H

#include <stdbool.h>

#include "config.h"
#include "connector.h"
#include "core/err.h"
#include "oidc/oidc.h"
#include "saml/metadata.h"

struct gw_app;

enum gw_country_state {
	GW_COUNTRY_READY = 1,
	GW_COUNTRY_DISABLED,		/* enabled: false */
	GW_COUNTRY_UNAVAILABLE,		/* metadata or connector failed to load */
};

struct gw_country_rt {
	const struct gw_country_conf *conf;
	enum gw_country_state state;
	char reason[160];			/* for the log when unavailable */
	struct saml_idp_metadata *idp;		/* eidas-saml: verified IdP metadata */
	struct gw_connector *plugin;		/* plugin connectors */
};

/*
 * Whether the country can serve a login at time now: READY, and for an
 * eidas-saml country its IdP metadata not past validUntil.  The metadata
 * fetcher asks for a reload when a copy expires, but that reload may be
 * refused (a broken file on disk) and the snapshot then keeps the expired
 * copy: it is never used for a login all the same.
 */
bool gw_country_serves(const struct gw_country_rt *c, int64_t now);

struct gw_runtime {
	struct oidc_provider *oidc;
	char *entity_id;		/* <public_url>/saml/metadata */
	char *acs_url;			/* <public_url>/saml/acs */
	char *return_url;		/* <public_url>/login/return */
	struct gw_country_rt *countries;
	size_t n_countries;
	enum eidgw_sig_alg saml_sig_alg;
	/* JWKS fetched from clients' jwks_uri (kept as the last good copy for the next snapshot) */
	char **fetched_jwks_client;
	char **fetched_jwks;
	size_t n_fetched_jwks;
};

/*
 * Builds the runtime for cfg and attaches it (cfg->runtime).  Fails only
 * when the snapshot cannot serve at all (the OIDC provider refuses the
 * clients or keys); a country whose metadata or connector does not load is
 * marked unavailable and logged, and the rest serves.  errs gets a
 * file:line entry on failure.
 */
enum eidgw_err gw_runtime_attach(struct gw_app *app, struct gw_config *cfg,
    struct gw_config_errors *errs) EIDGW_MUST_USE;

static inline const struct gw_runtime *
gw_runtime_of(const struct gw_config *cfg)
{
	return cfg != NULL ? cfg->runtime : NULL;
}

const struct gw_country_rt *gw_runtime_country(const struct gw_runtime *rt, const char *code);

/* "ecdsa-sha256", "rsa-pss-sha256", ... or an algorithm URI; EIDGW_SIG_NONE if unknown. */
enum eidgw_sig_alg gw_sig_alg_from_name(const char *name);

/* Map between enum gw_loa and the eIDAS notified LoA URIs. */
const char *gw_loa_uri(enum gw_loa loa);
enum gw_loa gw_loa_from_uri(const char *uri);

#endif
