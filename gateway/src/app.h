/*
 * app.h - the running gateway: the current configuration snapshot and the
 * long-lived services built at start (store, HTTP server).
 *
 * The snapshot pointer is swapped atomically on reload.  Readers load it
 * and take a reference; the old snapshot keeps the "current" reference for
 * a grace period after a swap (GW_APP_RETIRE_NS), far longer than the few
 * instructions between a reader's load and its increment, so a reader never
 * touches a freed snapshot and no lock is needed on the request path.
 */
#ifndef EIDGW_GW_APP_H
#define EIDGW_GW_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "core/err.h"
#include "core/store.h"

#define GW_APP_RETIRE_NS (2ull * 1000000000ull)
#define GW_APP_MAX_RETIRED 16

struct gw_http;
struct gw_audit;

struct gw_app {
	_Atomic(struct gw_config *) cfg;
	struct {
		struct gw_config *cfg;
		uint64_t at_ns;
	} retired[GW_APP_MAX_RETIRED];
	size_t n_retired;
	char *config_path;
	struct eidgw_store *store;
	struct gw_http *http;
	struct gw_audit *audit;		/* NULL when audit.enabled is false */
	struct gw_config *audit_cfg;	/* the snapshot whose audit keys the log uses */
	atomic_int draining;
	int64_t started_at;
};

/* Takes ownership of cfg (its reference becomes the "current" one). */
enum eidgw_err gw_app_init(struct gw_app *app, const char *config_path,
    struct gw_config *cfg, struct eidgw_diag *d) EIDGW_MUST_USE;
void gw_app_destroy(struct gw_app *app);

/* The current snapshot with a reference the caller drops with gw_config_unref(). */
struct gw_config *gw_app_config(struct gw_app *app);

/*
 * Loads the configuration file again; on success swaps it in and retires the
 * old snapshot, on failure keeps serving the old one and fills errs.  Settings
 * that cannot change without a restart (listen address, thread count, store
 * backend) are refused with an error naming them.  Main thread only.
 */
enum eidgw_err gw_app_reload(struct gw_app *app, struct gw_config_errors *errs) EIDGW_MUST_USE;
/* Drops retired snapshots whose grace period is over.  Main thread only. */
void gw_app_tick(struct gw_app *app);
/* Installs cfg as current (used by reload and tests); takes ownership. */
void gw_app_swap(struct gw_app *app, struct gw_config *cfg);

/* The HTTP routes of the gateway. */
const struct gw_route *gw_routes(size_t *n);

#endif
