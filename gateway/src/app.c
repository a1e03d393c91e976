/* app.c - configuration snapshots and reload; see app.h. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"

enum eidgw_err
gw_app_init(struct gw_app *app, const char *config_path, struct gw_config *cfg,
    struct eidgw_diag *d)
{
	memset(app, 0, sizeof(*app));
	if ((app->config_path = strdup(config_path)) == NULL)
		return EIDGW_E_NOMEM;
	atomic_store(&app->cfg, cfg);
	app->started_at = eidgw_now();
	return EIDGW_OK;
}

struct gw_config *
gw_app_config(struct gw_app *app)
{
	/*
	 * Safe without a lock: a snapshot that was current a moment ago keeps
	 * its "current" reference for GW_APP_RETIRE_NS after being swapped out.
	 */
	return gw_config_ref(atomic_load(&app->cfg));
}

void
gw_app_tick(struct gw_app *app)
{
	uint64_t now = eidgw_mono_ns();
	size_t i = 0;

	while (i < app->n_retired) {
		if (now - app->retired[i].at_ns >= GW_APP_RETIRE_NS) {
			gw_config_unref(app->retired[i].cfg);
			app->retired[i] = app->retired[--app->n_retired];
		} else {
			i++;
		}
	}
}

void
gw_app_swap(struct gw_app *app, struct gw_config *cfg)
{
	struct gw_config *old = atomic_exchange(&app->cfg, cfg);

	if (old == NULL)
		return;
	if (app->n_retired == GW_APP_MAX_RETIRED) {
		/* Reloads faster than the grace period: wait out the oldest. */
		struct timespec ts = { 0, 0 };
		uint64_t wait = GW_APP_RETIRE_NS - (eidgw_mono_ns() - app->retired[0].at_ns);

		if (wait <= GW_APP_RETIRE_NS) {
			ts.tv_sec = (time_t)(wait / 1000000000ull);
			ts.tv_nsec = (long)(wait % 1000000000ull);
			nanosleep(&ts, NULL);
		}
		gw_config_unref(app->retired[0].cfg);
		app->retired[0] = app->retired[--app->n_retired];
	}
	app->retired[app->n_retired].cfg = old;
	app->retired[app->n_retired].at_ns = eidgw_mono_ns();
	app->n_retired++;
}

/* NULL-safe string equality for the restart-only comparison. */
static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The settings bound to resources created at start (listening socket and
 * worker pool, the store connection, the audit log, the plugin directory):
 * docs/configuration.md marks them "restart".  A reload that changes one is
 * refused with its name rather than half applied.
 */
static const char *
restart_only_change(const struct gw_config *a, const struct gw_config *b)
{
	if (!same_str(a->server.listen_host, b->server.listen_host) ||
	    a->server.listen_port != b->server.listen_port)
		return "server.listen";
	if (a->server.threads != b->server.threads)
		return "server.threads";
	if (a->server.max_connections != b->server.max_connections)
		return "server.max_connections";
	if (a->server.max_header_bytes != b->server.max_header_bytes)
		return "server.max_header_bytes";
	if (a->server.request_timeout_s != b->server.request_timeout_s)
		return "server.request_timeout_s";
	if (a->store.backend != b->store.backend)
		return "store.backend";
	if (!same_str(a->store.path, b->store.path))
		return "store.path";
	if (a->store.lmdb_map_size != b->store.lmdb_map_size)
		return "store.lmdb_map_size";
	if (!same_str(a->store.redis_url, b->store.redis_url))
		return "store.redis_url";
	if (a->store.redis_timeout_ms != b->store.redis_timeout_ms)
		return "store.redis_timeout_ms";
	if (!same_str(a->store.key_prefix, b->store.key_prefix))
		return "store.key_prefix";
	if (a->audit.enabled != b->audit.enabled)
		return "audit.enabled";
	if (!same_str(a->audit.path, b->audit.path))
		return "audit.path";
	if (!same_str(a->audit.signing_key_file, b->audit.signing_key_file))
		return "audit.signing_key";
	if (!same_str(a->audit.hmac_key_file, b->audit.hmac_key_file))
		return "audit.hmac_key";
	if (!same_str(a->plugins_dir, b->plugins_dir))
		return "plugins_dir";
	return NULL;
}

/*
 * The line of "section.key" (or of a top-level "key") in gateway.yaml, for
 * the refusal's file:line: the first line "key:" indented under the line
 * "section:" at column 0, before the next top-level key.  The file was just
 * loaded without an error, so this plain scan is enough to point at it; 0
 * (the whole file) when the key is absent (a default changed) or the file
 * cannot be read again.
 */
static int
key_line(const char *path, const char *dotted)
{
	const char *dot = strchr(dotted, '.'), *key = dot != NULL ? dot + 1 : dotted;
	size_t slen = dot != NULL ? (size_t)(dot - dotted) : 0, klen = strlen(key);
	char buf[1024];
	bool in = dot == NULL;
	int n = 0, found = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (found == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		const char *p = buf;

		n++;
		if (buf[0] != ' ' && buf[0] != '\t' && buf[0] != '#' && buf[0] != '\n') {
			/* a top-level key: the section starts or ends here */
			if (dot == NULL) {
				if (strncmp(buf, key, klen) == 0 && buf[klen] == ':')
					found = n;
			} else
				in = strncmp(buf, dotted, slen) == 0 && buf[slen] == ':';
			continue;
		}
		if (!in || dot == NULL)
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			found = n;
	}
	fclose(f);
	return found;
}

static void
check_restart_only(const struct gw_config *a, const struct gw_config *b,
    struct gw_config_errors *errs)
{
	const char *what = restart_only_change(a, b);

	if (what != NULL)
		(void)gw_config_errors_add(errs, b->path, key_line(b->path, what),
		    EIDGW_E_CONFIG_VALUE, "%s cannot change on reload; restart eidgw to apply it",
		    what);
}

enum eidgw_err
gw_app_reload(struct gw_app *app, struct gw_config_errors *errs)
{
	struct gw_config *ncfg = NULL, *cur;
	enum eidgw_err rc;

	rc = gw_config_load(app->config_path, &ncfg, errs);
	if (rc == EIDGW_OK) {
		cur = gw_app_config(app);
		check_restart_only(cur, ncfg, errs);
		gw_config_unref(cur);
		if (errs->n == 0 && gw_runtime_attach(app, ncfg, errs) != EIDGW_OK && errs->n == 0)
			rc = EIDGW_E_NOMEM;
		if (errs->n != 0 || rc != EIDGW_OK) {
			gw_config_unref(ncfg);
			rc = rc != EIDGW_OK ? rc : EIDGW_E_CONFIG;
		}
	}
	if (rc != EIDGW_OK) {
		gw_metrics_reload(0);
		return rc;
	}
	gw_app_swap(app, ncfg);
	gw_metrics_reload(1);
	return EIDGW_OK;
}

void
gw_app_destroy(struct gw_app *app)
{
	size_t i;

	for (i = 0; i < app->n_retired; i++)
		gw_config_unref(app->retired[i].cfg);
	app->n_retired = 0;
	gw_config_unref(atomic_exchange(&app->cfg, NULL));
	gw_config_unref(app->audit_cfg);
	app->audit_cfg = NULL;
	eidgw_store_free(app->store);
	app->store = NULL;
	free(app->config_path);
	app->config_path = NULL;
}
