/*
 * routes.c - the route table of the gateway and the operational endpoints
 * (/healthz, /readyz, /metrics).  Protocol endpoints live in their own files
 * and are listed here.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "core/util.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pages.h"
#include "routes_int.h"

/* Liveness: the process answers.  No dependency is consulted. */
static void
h_healthz(struct gw_req *req, struct gw_resp *resp)
{
	gw_resp_text(resp, 200, "application/json", "{\"status\":\"ok\"}");
}

static bool
keys_ready(const struct gw_config *cfg)
{
	size_t i;

	if (cfg->saml_signing.key == NULL)
		return false;
	for (i = 0; i < cfg->n_oidc_keys; i++)
		if (cfg->oidc_keys[i].status == GW_KEY_ACTIVE && cfg->oidc_keys[i].key != NULL)
			return true;
	return false;
}

/*
 * Readiness: configuration, keys and store usable, the audit log writable
 * (when it is on: a failed log refuses every login step until a restart),
 * and not shutting down.
 */
static void
h_readyz(struct gw_req *req, struct gw_resp *resp)
{
	struct gw_app *app = req->app;
	const char *cfg_ok, *keys_ok, *store_ok, *audit_ok, *draining;
	enum eidgw_err src = EIDGW_E_STORE_UNAVAILABLE;
	bool ready;

	cfg_ok = req->cfg != NULL ? "ok" : "missing";
	keys_ok = req->cfg != NULL && keys_ready(req->cfg) ? "ok" : "missing";
	if (app->store != NULL)
		src = app->store->ops->ping(app->store);
	store_ok = src == EIDGW_OK ? "ok" : "unavailable";
	audit_ok = app->audit == NULL ? "off" : gw_audit_failed(app->audit) ? "failed" : "ok";
	draining = atomic_load(&app->draining) ? "true" : "false";
	ready = strcmp(cfg_ok, "ok") == 0 && strcmp(keys_ok, "ok") == 0 &&
	    src == EIDGW_OK && strcmp(audit_ok, "failed") != 0 && !atomic_load(&app->draining);
	resp->status = ready ? 200 : 503;
	resp->content_type = "application/json";
	if (eidgw_buf_printf(&resp->body,
	    "{\"status\":\"%s\",\"checks\":{\"config\":\"%s\",\"keys\":\"%s\",\"store\":\"%s\","
	    "\"audit\":\"%s\"},\"draining\":%s}", ready ? "ready" : "not ready", cfg_ok, keys_ok,
	    store_ok, audit_ok, draining) != EIDGW_OK)
		resp->status = 500;
	if (!ready)
		gw_log(LOG_WARNING, req->req_id, "readyz",
		    "not ready: config=%s keys=%s store=%s audit=%s draining=%s",
		    cfg_ok, keys_ok, store_ok, audit_ok, draining);
}

/* The audit log's counters (when it is on): syncs per login = rate(syncs) / rate(logins). */
static enum eidgw_err
audit_metrics(struct gw_audit *a, struct eidgw_buf *out)
{
	struct gw_audit_stats st;

	gw_audit_stats(a, &st);
	return eidgw_buf_printf(out,
	    "# HELP eidgw_audit_records Records in the audit log's Merkle tree.\n"
	    "# TYPE eidgw_audit_records gauge\n"
	    "eidgw_audit_records %llu\n"
	    "# HELP eidgw_audit_syncs_total fdatasync calls that made audit lines durable.\n"
	    "# TYPE eidgw_audit_syncs_total counter\n"
	    "eidgw_audit_syncs_total %llu\n"
	    "# HELP eidgw_audit_unsynced_lines Audit lines written but not yet known to be on disk.\n"
	    "# TYPE eidgw_audit_unsynced_lines gauge\n"
	    "eidgw_audit_unsynced_lines %llu\n"
	    "# HELP eidgw_audit_failed 1 once the audit log has failed (sticky until a restart).\n"
	    "# TYPE eidgw_audit_failed gauge\n"
	    "eidgw_audit_failed %d\n",
	    (unsigned long long)st.records, (unsigned long long)st.syncs,
	    (unsigned long long)st.unsynced, st.failed ? 1 : 0);
}

/* Appends one label value, escaped as the Prometheus text format wants. */
static enum eidgw_err
prom_label(struct eidgw_buf *out, const char *v)
{
	enum eidgw_err rc = EIDGW_OK;

	for (; rc == EIDGW_OK && v != NULL && *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			rc = eidgw_buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			rc = eidgw_buf_puts(out, "\\n");
		else
			rc = eidgw_buf_append(out, v, 1);
	}
	return rc;
}

static enum eidgw_err
cert_metric(void *arg, const X509 *crt, const char *what, const char *which)
{
	struct eidgw_buf *out = arg;
	const ASN1_TIME *na;
	struct tm tm;
	enum eidgw_err rc;

	if ((na = X509_get0_notAfter(crt)) == NULL || ASN1_TIME_to_tm(na, &tm) != 1)
		return EIDGW_OK;
	if ((rc = eidgw_buf_printf(out, "eidgw_certificate_not_after_seconds{certificate=\"%s\","
	    "which=\"", what)) != EIDGW_OK || (rc = prom_label(out, which)) != EIDGW_OK)
		return rc;
	return eidgw_buf_printf(out, "\"} %lld\n", (long long)timegm(&tm));
}

/*
 * notAfter of every certificate the configuration names (our SAML keys and
 * every metadata signer): alert on eidgw_certificate_not_after_seconds - time().
 */
static enum eidgw_err
cert_metrics(const struct gw_config *cfg, struct eidgw_buf *out)
{
	enum eidgw_err rc;

	if (cfg == NULL)
		return EIDGW_OK;
	rc = eidgw_buf_puts(out, "# HELP eidgw_certificate_not_after_seconds notAfter of each "
	    "configured certificate (unix time).\n"
	    "# TYPE eidgw_certificate_not_after_seconds gauge\n");
	return rc != EIDGW_OK ? rc : gw_config_each_cert(cfg, cert_metric, out);
}

static void
h_metrics(struct gw_req *req, struct gw_resp *resp)
{
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (gw_metrics_render(&resp->body) != EIDGW_OK ||
	    (req->app->audit != NULL && audit_metrics(req->app->audit, &resp->body) != EIDGW_OK) ||
	    cert_metrics(req->cfg, &resp->body) != EIDGW_OK)
		gw_resp_error_page(req, resp, 500);
}

static const struct gw_route gateway_routes[] = {
	{ "/healthz", GW_GET, h_healthz, "healthz" },
	{ "/readyz", GW_GET, h_readyz, "readyz" },
	{ "/metrics", GW_GET, h_metrics, "metrics" },
};

#define MAX_ROUTES 32
static struct gw_route all_routes[MAX_ROUTES];
static size_t n_all_routes;

static void
add_routes(const struct gw_route *r, size_t n)
{
	size_t i;

	for (i = 0; i < n && n_all_routes < MAX_ROUTES; i++)
		all_routes[n_all_routes++] = r[i];
}

/* The whole table, assembled once at start-up (before any worker thread runs). */
const struct gw_route *
gw_routes(size_t *n)
{
	if (n_all_routes == 0) {
		add_routes(gateway_routes, EIDGW_ARRAY_LEN(gateway_routes));
		add_routes(gw_oidc_routes, gw_n_oidc_routes);
		add_routes(gw_login_routes, gw_n_login_routes);
		add_routes(gw_saml_routes, gw_n_saml_routes);
		add_routes(gw_static_routes, gw_n_static_routes);
	}
	*n = n_all_routes;
	return all_routes;
}
