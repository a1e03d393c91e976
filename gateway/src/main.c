/*
 * main.c - the eidgw daemon: arguments, configuration, start-up, the signal
 * loop (SIGHUP reloads, SIGTERM/SIGINT drain and stop) and shutdown.
 *
 * All signals are blocked before any thread starts and taken synchronously
 * by the main thread with sigtimedwait(), so no work happens in a signal
 * handler and worker threads never see a signal.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "core/util.h"
#include "http.h"
#include "log.h"
#include "metadata_fetch.h"
#include "metrics.h"
#include "runtime.h"
#include "saml/metadata.h"
#include "store.h"

#define EIDGW_VERSION "0.1.0"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: eidgw --config FILE      run the gateway\n"
	    "       eidgw --check-config FILE validate FILE and everything it names, then exit\n"
	    "       eidgw --version\n"
	    "Exit status: 0 success, 1 runtime failure, 2 invalid configuration or usage.\n");
}

static void
config_hash_hex(const struct gw_config *cfg, char out[17])
{
	eidgw_hex(out, cfg->hash, 8);
}

/* The whole SHA-256 over the configuration files, for the audit log. */
static void
config_hash_full(const struct gw_config *cfg, char out[65])
{
	eidgw_hex(out, cfg->hash, sizeof(cfg->hash));
}

static int
check_config(const char *path)
{
	struct gw_config_errors errs = { 0 };
	struct gw_config *cfg = NULL;
	const struct gw_runtime *rt;
	struct gw_app app;
	size_t i, warnings = 0;
	char hash[17];
	int rc;

	if (gw_config_load(path, &cfg, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		fprintf(stderr, "%s: configuration invalid (%zu problem%s)\n", path, errs.n,
		    errs.n == 1 ? "" : "s");
		gw_config_errors_free(&errs);
		return 2;
	}
	/*
	 * Also build what the daemon would build on it (OIDC provider, IdP
	 * metadata, plugins), with a throwaway store and no remote fetches:
	 * a country that would start unavailable is reported as a warning.
	 */
	memset(&app, 0, sizeof(app));
	gw_log_set_level(LOG_CRIT);
	if (eidgw_store_mem_new(&app.store) != EIDGW_OK ||
	    gw_runtime_attach(&app, cfg, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		fprintf(stderr, "%s: configuration cannot serve (%zu problem%s)\n", path, errs.n,
		    errs.n == 1 ? "" : "s");
		rc = 2;
		goto out;
	}
	rt = gw_runtime_of(cfg);
	for (i = 0; i < rt->n_countries; i++)
		if (rt->countries[i].state == GW_COUNTRY_UNAVAILABLE) {
			fprintf(stderr, "%s:%d: warning: country %s will be unavailable: %s\n",
			    rt->countries[i].conf->file, rt->countries[i].conf->line,
			    rt->countries[i].conf->code, rt->countries[i].reason);
			warnings++;
		}
	config_hash_hex(cfg, hash);
	printf("%s: configuration valid: %zu client%s, %zu countr%s, config hash %s%s\n", path,
	    cfg->n_clients, cfg->n_clients == 1 ? "" : "s", cfg->n_countries,
	    cfg->n_countries == 1 ? "y" : "ies", hash,
	    warnings != 0 ? " (with warnings)" : "");
	rc = 0;
out:
	gw_config_unref(cfg);
	eidgw_store_free(app.store);
	gw_config_errors_free(&errs);
	return rc;
}

static void
log_config_errors(const struct gw_config_errors *errs)
{
	char line[16];
	size_t i;

	for (i = 0; i < errs->n; i++) {
		(void)snprintf(line, sizeof(line), "%d", errs->v[i].line);
		gw_logkv(LOG_ERR, NULL, "config.error", errs->v[i].reason != NULL ?
		    errs->v[i].reason : "", "file", errs->v[i].file != NULL ? errs->v[i].file : "",
		    "line", line, "code", eidgw_err_name(errs->v[i].code), (const char *)NULL);
	}
}

static void
apply_log_settings(const struct gw_config *cfg)
{
	gw_log_set_level(cfg->log.level);
	gw_log_set_journald(cfg->log.sink != NULL && strcmp(cfg->log.sink, "journald") == 0);
}

/* Records an operational event; a failure is logged (the daemon keeps running). */
static void
audit_op(struct gw_app *app, enum gw_audit_event ev, const struct gw_audit_field *f, size_t n)
{
	struct eidgw_diag d = { 0 };

	if (app->audit != NULL && gw_audit_append(app->audit, ev, f, n, &d) != EIDGW_OK)
		gw_log_diag(LOG_CRIT, NULL, "audit.append_failed", &d);
}

/* Which keys are in service: key ids and certificate fingerprints, never key material. */
static void
audit_keys_loaded(struct gw_app *app, const struct gw_config *cfg)
{
	char kids[512] = "", fp[65] = "";
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i, off = 0;

	for (i = 0; i < cfg->n_oidc_keys && off < sizeof(kids); i++)
		off += (size_t)snprintf(kids + off, sizeof(kids) - off, "%s%s", i ? "," : "",
		    cfg->oidc_keys[i].kid);
	if (cfg->saml_signing.key != NULL && cfg->saml_signing.key->cert != NULL &&
	    X509_digest(cfg->saml_signing.key->cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		eidgw_hex(fp, md, 32);
	audit_op(app, GW_AUDIT_KEYS_LOADED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("oidc_kids", kids), GW_AUDIT_STR("saml_signing_cert_sha256", fp) }, 2);
}

/*
 * One certificate's validity, logged: expired (warning: peers that check
 * validity will refuse what it signs or encrypts) or expiring within 30 days
 * (notice), so an operator sees it in the log before a member state does.
 */
static enum eidgw_err
cert_expiry_check(void *arg, const X509 *crt, const char *what, const char *which)
{
	const ASN1_TIME *na;
	int days = 0, secs = 0;
	char until[32];
	struct tm tm;

	(void)arg;
	if (crt == NULL || (na = X509_get0_notAfter(crt)) == NULL ||
	    ASN1_TIME_diff(&days, &secs, NULL, na) != 1 || ASN1_TIME_to_tm(na, &tm) != 1)
		return EIDGW_OK;
	(void)strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (days < 0 || (days == 0 && secs <= 0))
		gw_logkv(LOG_WARNING, NULL, "keys.cert_expired", "a configured certificate has "
		    "expired", "certificate", what, "which", which, "not_after", until,
		    (const char *)NULL);
	else if (days < 30)
		gw_logkv(LOG_NOTICE, NULL, "keys.cert_expiring", "a configured certificate "
		    "expires within 30 days", "certificate", what, "which", which, "not_after",
		    until, (const char *)NULL);
	return EIDGW_OK;
}

/* SHA-256 over the DER of every IdP signing certificate, in metadata order. */
static void
idp_keys_hash(const struct gw_country_rt *c, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32], *der;
	unsigned int dl = 0;
	size_t i;
	int n;

	out[0] = '\0';
	if (md == NULL || c == NULL || c->idp == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	for (i = 0; i < c->idp->nsigning; i++) {
		der = NULL;
		if ((n = i2d_X509(c->idp->signing_certs[i], &der)) > 0)
			(void)EVP_DigestUpdate(md, der, (size_t)n);
		OPENSSL_free(der);
	}
	if (EVP_DigestFinal_ex(md, dg, &dl) == 1 && dl == 32)
		eidgw_hex(out, dg, 32);
	EVP_MD_CTX_free(md);
}

static const char *
country_state_name(const struct gw_country_rt *c)
{
	if (c == NULL || c->state == GW_COUNTRY_DISABLED)
		return "off";
	return c->state == GW_COUNTRY_READY ? "ready" : "unavailable";
}

/*
 * After a reload: one metadata_changed record per country that appeared,
 * disappeared, changed state, or whose identity provider's signing keys
 * changed (the trust an auditor must be able to trace).
 */
static void
audit_country_changes(struct gw_app *app, const struct gw_config *old, const struct gw_config *neu)
{
	const struct gw_runtime *ro = gw_runtime_of(old), *rn = gw_runtime_of(neu);
	const struct gw_country_rt *a, *b;
	char ka[65], kb[65];
	size_t i, pass;

	if (ro == NULL || rn == NULL)
		return;
	for (pass = 0; pass < 2; pass++) {
		const struct gw_runtime *x = pass == 0 ? rn : ro;

		for (i = 0; i < x->n_countries; i++) {
			const char *code = x->countries[i].conf->code;

			a = gw_runtime_country(ro, code);
			b = gw_runtime_country(rn, code);
			if (pass == 1 && b != NULL)
				continue;	/* seen in the first pass */
			idp_keys_hash(a, ka);
			idp_keys_hash(b, kb);
			if (strcmp(country_state_name(a), country_state_name(b)) == 0 &&
			    strcmp(ka, kb) == 0)
				continue;
			audit_op(app, GW_AUDIT_METADATA_CHANGED, (struct gw_audit_field[]){
			    GW_AUDIT_STR("country", code),
			    GW_AUDIT_STR("change", a == NULL ? "added" : b == NULL ? "removed" :
			    strcmp(ka, kb) != 0 ? "signing_keys" : "state"),
			    GW_AUDIT_STR("state_before", country_state_name(a)),
			    GW_AUDIT_STR("state_after", country_state_name(b)),
			    GW_AUDIT_STR("idp_keys_sha256_before", ka[0] != '\0' ? ka : NULL),
			    GW_AUDIT_STR("idp_keys_sha256_after", kb[0] != '\0' ? kb : NULL) }, 6);
		}
	}
}

/* why: what asked for the reload, for the log ("SIGHUP", "metadata"). */
static void
do_reload(struct gw_app *app, const char *why)
{
	struct gw_config_errors errs = { 0 };
	struct gw_config *cfg, *before = gw_app_config(app);
	char hash[17], full[65];

	gw_logkv(LOG_NOTICE, NULL, "config.reload", "reloading the configuration", "trigger", why,
	    "config", app->config_path, (const char *)NULL);
	if (gw_app_reload(app, &errs) != EIDGW_OK) {
		gw_config_unref(before);
		log_config_errors(&errs);
		gw_log(LOG_ERR, NULL, "config.reload_refused",
		    "new configuration refused (%zu problem%s); still serving the previous one",
		    errs.n, errs.n == 1 ? "" : "s");
		cfg = gw_app_config(app);
		config_hash_full(cfg, full);
		gw_config_unref(cfg);
		audit_op(app, GW_AUDIT_RELOAD_REFUSED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("config_hash_in_service", full),
		    GW_AUDIT_INT("problems", (int64_t)errs.n) }, 2);
		gw_config_errors_free(&errs);
		return;
	}
	gw_config_errors_free(&errs);
	cfg = gw_app_config(app);
	apply_log_settings(cfg);
	config_hash_hex(cfg, hash);
	gw_logkv(LOG_NOTICE, NULL, "config.reloaded", "new configuration in service",
	    "config_hash", hash, (const char *)NULL);
	config_hash_full(cfg, full);
	audit_op(app, GW_AUDIT_CONFIG_LOADED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("config_hash", full), GW_AUDIT_STR("trigger", "reload") }, 2);
	audit_keys_loaded(app, cfg);
	(void)gw_config_each_cert(cfg, cert_expiry_check, NULL);
	audit_country_changes(app, before, cfg);
	gw_config_unref(before);
	gw_config_unref(cfg);
}

/* Fetches due metadata; a changed cache is put in service by a reload. */
static void
refresh_metadata(struct gw_app *app, bool force)
{
	struct gw_config *cfg = gw_app_config(app);
	bool changed = gw_metadata_refresh(cfg, force, app->audit);

	gw_config_unref(cfg);
	if (changed && !force)
		do_reload(app, "metadata");
}

static int
run(const char *path)
{
	struct gw_config_errors errs = { 0 };
	struct gw_config *cfg = NULL;
	struct eidgw_diag d = { 0 };
	struct gw_app app;
	const struct gw_route *routes;
	struct timespec tick = { 1, 0 };
	sigset_t set;
	size_t n_routes;
	char hash[17], full[65], port[8];
	int sig, status = 1;
	bool app_ready = false;

	/* Block before any thread exists so that every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (gw_config_load(path, &cfg, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		log_config_errors(&errs);
		gw_log(LOG_CRIT, NULL, "startup.failed", "configuration %s invalid; not starting", path);
		gw_config_errors_free(&errs);
		return 2;
	}
	gw_config_errors_free(&errs);
	apply_log_settings(cfg);
	if (gw_app_init(&app, path, cfg, &d) != EIDGW_OK) {
		gw_config_unref(cfg);
		return 1;
	}
	app_ready = true;
	config_hash_hex(cfg, hash);
	gw_logkv(LOG_NOTICE, NULL, "startup", "eidgw " EIDGW_VERSION " starting",
	    "config", path, "config_hash", hash, (const char *)NULL);

	if (cfg->audit.enabled) {
		if (gw_audit_open(cfg->audit.path, cfg->audit.signing_key, cfg->audit.hmac_key,
		    cfg->audit.hmac_key_len, cfg->audit.checkpoint_every,
		    cfg->audit.checkpoint_interval_s, &app.audit, &d) != EIDGW_OK) {
			gw_log_diag(LOG_CRIT, NULL, "startup.failed", &d);
			fprintf(stderr, "eidgw: audit log %s: %s\n", cfg->audit.path, d.reason);
			goto out;
		}
		/* the log borrows the audit keys of this snapshot: keep it alive */
		app.audit_cfg = gw_config_ref(cfg);
		audit_op(&app, GW_AUDIT_START, (struct gw_audit_field[]){
		    GW_AUDIT_STR("version", EIDGW_VERSION) }, 1);
		config_hash_full(cfg, full);
		audit_op(&app, GW_AUDIT_CONFIG_LOADED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("config_hash", full), GW_AUDIT_STR("trigger", "start") }, 2);
		audit_keys_loaded(&app, cfg);
		(void)gw_config_each_cert(cfg, cert_expiry_check, NULL);
	}
	if (gw_store_open(cfg, &app.store, &d) != EIDGW_OK) {
		gw_log_diag(LOG_CRIT, NULL, "startup.failed", &d);
		fprintf(stderr, "eidgw: %s\n", d.reason);
		goto out;
	}
	/* Remote IdP metadata first, so the first snapshot can use it. */
	(void)gw_metadata_refresh(cfg, true, app.audit);
	errs = (struct gw_config_errors){ 0 };
	if (gw_runtime_attach(&app, cfg, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		log_config_errors(&errs);
		gw_config_errors_free(&errs);
		gw_log(LOG_CRIT, NULL, "startup.failed", "configuration %s cannot serve; not starting",
		    path);
		status = 2;
		goto out;
	}
	routes = gw_routes(&n_routes);
	if (gw_http_start(&app, cfg, routes, n_routes, &app.http, &d) != EIDGW_OK) {
		gw_log_diag(LOG_CRIT, NULL, "startup.failed", &d);
		fprintf(stderr, "eidgw: %s\n", d.reason);
		goto out;
	}
	(void)snprintf(port, sizeof(port), "%u", gw_http_port(app.http));
	gw_logkv(LOG_NOTICE, NULL, "startup.listening", "serving", "host",
	    cfg->server.listen_host, "port", port, "public_url", cfg->server.public_url,
	    "store", app.store->ops->name, (const char *)NULL);

	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				gw_app_tick(&app);
				if (app.store->ops->maintain != NULL)
					app.store->ops->maintain(app.store);
				refresh_metadata(&app, false);
				continue;
			}
			gw_log(LOG_ERR, NULL, "signal", "sigtimedwait: %s", strerror(errno));
			break;
		}
		if (sig == SIGHUP) {
			/* An operator's reload also re-fetches every remote metadata now. */
			refresh_metadata(&app, true);
			do_reload(&app, "SIGHUP");
			continue;
		}
		gw_log(LOG_NOTICE, NULL, "shutdown", "%s: draining requests in flight",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	atomic_store(&app.draining, 1);
	cfg = gw_app_config(&app);
	gw_http_stop(app.http, cfg->server.shutdown_grace_s);
	gw_config_unref(cfg);
	app.http = NULL;
	status = 0;
out:
	if (app.http != NULL)
		gw_http_stop(app.http, 0);
	if (app.audit != NULL) {
		audit_op(&app, GW_AUDIT_STOP, (struct gw_audit_field[]){
		    GW_AUDIT_STR("status", status == 0 ? "clean" : "failed") }, 1);
		if (gw_audit_close(app.audit, &d) != EIDGW_OK)
			gw_log_diag(LOG_ERR, NULL, "audit.close_failed", &d);
		app.audit = NULL;
	}
	if (status == 0)
		gw_log(LOG_NOTICE, NULL, "shutdown.done", "stopped cleanly");
	if (app_ready)
		gw_app_destroy(&app);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *check = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:t:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': check = optarg; break;
		case 'V': printf("eidgw %s\n", EIDGW_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (config == NULL) == (check == NULL)) {
		usage(stderr);
		return 2;
	}
	if (check != NULL)
		return check_config(check);
	return run(config);
}
