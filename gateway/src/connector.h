/*
 * connector.h (gateway side) - connectors as the gateway holds them: the
 * built-in eIDAS-SAML connector and plugins loaded from disk, each bound to
 * one country, behind the public ABI of <eidgw/connector.h>.
 *
 * Connectors belong to a configuration snapshot: they are created when a
 * snapshot is built and destroyed with it, so a reload can add, remove or
 * reconfigure countries without touching logins that run on the old one.
 */
#ifndef EIDGW_GW_CONNECTOR_H
#define EIDGW_GW_CONNECTOR_H

#include <eidgw/connector.h>

#include "config.h"
#include "core/err.h"

struct gw_app;

struct gw_connector {
	char country[3];
	char name[64];
	struct eidgw_connector_ops ops;		/* a copy, checked at load */
	void *state;				/* the connector's own, from init */
	void *dl;				/* dlopen handle; NULL when built in */
	struct eidgw_host_api host;		/* what this connector was given */
	void *host_ctx;				/* gateway-side state behind host */
};

/*
 * Builds the host services for one connector instance (store key space
 * "cx:<name>:<country>:", logging, randomness, signing with the snapshot's
 * SAML key, HTTP fetch, audit).  The context is freed with the connector.
 */
enum eidgw_err gw_connector_host_init(struct gw_app *app, const struct gw_config *cfg,
    const char *name, const char *country, struct eidgw_host_api *host, void **ctx) EIDGW_MUST_USE;
void gw_connector_host_free(void *ctx);

/*
 * Loads plugins_dir/<name>.so: refuses a file or directory that is group-
 * or world-writable or not owned by root or the gateway's user, opens it
 * with RTLD_NOW | RTLD_LOCAL, looks up EIDGW_CONNECTOR_ENTRY_SYMBOL, checks
 * the ABI major version and table size, then calls init.  Any failure rolls
 * back completely (destroy, dlclose) and says why in d.
 */
enum eidgw_err gw_connector_load_plugin(struct gw_app *app, const struct gw_config *cfg,
    const struct gw_country_conf *country, struct gw_connector **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/* destroy + dlclose + host context; NULL is fine. */
void gw_connector_free(struct gw_connector *c);

#endif
