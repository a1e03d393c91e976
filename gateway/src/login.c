/*
 * login.c - the login transaction: from a validated authorization request,
 * through the country selector and the country's connector, to the
 * authorization code sent back to the service.
 *
 *   GET|POST /oidc/authorize   oidc/ validates; a transaction is stored
 *                              (TTL limits.login_ttl_s) and bound to the
 *                              browser by an HttpOnly cookie; with a valid
 *                              `country` the selector is skipped
 *   GET|POST /login/select     the selector; POST is CSRF-checked against
 *                              the transaction and starts the connector
 *   POST /saml/acs             eidas-saml: RelayState names the transaction,
 *                              which is taken (single use) before validation
 *   GET|POST /login/return     plugin connectors: `state` names it
 *
 * Nothing the browser carries is trusted: the cookie, RelayState and state
 * are only handles to server-side state, the SAML request ID is compared
 * with the one stored in the transaction, and each transaction finishes at
 * most once.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "audit_events.h"
#include "claims.h"
#include "config.h"
#include "connector.h"
#include "core/util.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "metrics.h"
#include "pages.h"
#include "routes_int.h"
#include "runtime.h"
#include "saml/authnrequest.h"
#include "saml/binding.h"
#include "saml/response.h"

#define OUT(x) do { if (rc == EIDGW_OK) rc = eidgw_buf_puts(b, (x)); } while (0)
#define ESC(x) do { if (rc == EIDGW_OK) rc = eidgw_buf_html_escape(b, (x)); } while (0)

#define TXN_COOKIE "eidgw_txn"
#define COUNTRY_COOKIE "eidgw_country"
#define TXN_ID_BYTES 32
#define TXN_ID_LEN 43			/* base64url of 32 bytes */
#define TXN_MAX_BYTES (32u * 1024u)
#define ACS_PARAM_MAX (1024u * 1024u)	/* decoded SAMLResponse form value */

struct txn {
	char id[TXN_ID_LEN + 1];
	struct oidc_authz_request *az;
	char country[3];
	char csrf[64];
	char *ref;			/* request ID / connector reference, after start */
	int64_t created;
	int64_t sent;			/* when the AuthnRequest (ForceAuthn) was made; 0 before */
};

static void
txn_clear(struct txn *t)
{
	oidc_authz_request_free(t->az);
	free(t->ref);
	eidgw_wipe(t->csrf, sizeof(t->csrf));
	memset(t, 0, sizeof(*t));
}

static bool
txn_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != TXN_ID_LEN)
		return false;
	for (i = 0; i < TXN_ID_LEN; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static enum eidgw_err
txn_save(struct gw_req *req, const struct txn *t)
{
	const struct gw_config *cfg = req->cfg;
	char key[8 + TXN_ID_LEN], *az = NULL, *text = NULL;
	enum eidgw_err rc;
	json_t *j = NULL;
	int64_t ttl;

	if ((rc = oidc_authz_request_to_json(t->az, &az)) != EIDGW_OK)
		return rc;
	j = json_pack("{s:s, s:s, s:s, s:s*, s:I, s:I}", "a", az, "c", t->country, "x", t->csrf,
	    "r", t->ref, "t", (json_int_t)t->created, "q", (json_int_t)t->sent);
	if (j == NULL || (text = json_dumps(j, JSON_COMPACT)) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	(void)snprintf(key, sizeof(key), "txn:%s", t->id);
	ttl = (int64_t)cfg->limits.login_ttl_s - (eidgw_now() - t->created);
	if (ttl < 1) {
		rc = EIDGW_E_STORE_MISSING;	/* the login has run out of time */
		goto out;
	}
	rc = req->app->store->ops->put(req->app->store, key, text, strlen(text), ttl);
out:
	eidgw_free_secret_str(az);
	eidgw_free_secret_str(text);
	json_decref(j);
	return rc;
}

/* Loads (or, with take, consumes) a transaction. */
static enum eidgw_err
txn_load(struct gw_req *req, const char *id, bool take, struct txn *t)
{
	struct eidgw_store *s = req->app->store;
	char key[8 + TXN_ID_LEN];
	struct eidgw_buf b;
	const char *az, *c, *x, *r;
	json_int_t created, sent = 0;
	json_t *j = NULL;
	enum eidgw_err rc;

	memset(t, 0, sizeof(*t));
	if (!txn_id_valid(id))
		return EIDGW_E_STORE_MISSING;
	(void)snprintf(key, sizeof(key), "txn:%s", id);
	eidgw_buf_init(&b, TXN_MAX_BYTES);
	rc = take ? s->ops->take(s, key, &b) : s->ops->get(s, key, &b);
	if (rc != EIDGW_OK)
		goto out;
	r = NULL;
	if ((j = json_loadb(b.data, b.len, 0, NULL)) == NULL ||
	    json_unpack(j, "{s:s, s:s, s:s, s?:s, s:I, s?:I}", "a", &az, "c", &c, "x", &x, "r", &r,
	    "t", &created, "q", &sent) != 0 || strlen(c) > 2 || strlen(x) >= sizeof(t->csrf)) {
		rc = EIDGW_E_MALFORMED;
		goto out;
	}
	if ((rc = oidc_authz_request_from_json(az, strlen(az), &t->az)) != EIDGW_OK)
		goto out;
	(void)snprintf(t->id, sizeof(t->id), "%s", id);
	(void)snprintf(t->country, sizeof(t->country), "%s", c);
	(void)snprintf(t->csrf, sizeof(t->csrf), "%s", x);
	t->created = (int64_t)created;
	t->sent = (int64_t)sent;
	if (r != NULL && (t->ref = strdup(r)) == NULL)
		rc = EIDGW_E_NOMEM;
out:
	json_decref(j);
	eidgw_buf_free(&b);
	if (rc != EIDGW_OK)
		txn_clear(t);
	return rc;
}

/*
 * Consumes a transaction whose content the caller already holds: whoever
 * takes it moves the login on (and stores it again) or ends it, so a login
 * already answered to the service, or taken by a concurrent step, cannot be
 * started once more.
 */
static enum eidgw_err
txn_consume(struct gw_req *req, const char *id)
{
	struct eidgw_store *s = req->app->store;
	char key[8 + TXN_ID_LEN];
	struct eidgw_buf b;
	enum eidgw_err rc;

	(void)snprintf(key, sizeof(key), "txn:%s", id);
	eidgw_buf_init(&b, TXN_MAX_BYTES);
	rc = s->ops->take(s, key, &b);
	eidgw_buf_free(&b);
	return rc;
}

/* Ends a stored transaction after the login failed past its start. */
static void
txn_drop(struct gw_req *req, const char *id)
{
	struct eidgw_store *s = req->app->store;
	char key[8 + TXN_ID_LEN];

	(void)snprintf(key, sizeof(key), "txn:%s", id);
	if (s->ops->del(s, key) != EIDGW_OK)
		gw_log(LOG_WARNING, req->req_id, "login.txn_drop",
		    "a failed login stays open until its TTL");
}

/* The value of cookie name from the Cookie header, into out; false if absent. */
static bool
cookie_get(const struct gw_req *req, const char *name, char *out, size_t outlen)
{
	const char *h = gw_req_header(req, "Cookie"), *p, *v, *e;
	size_t nl = strlen(name), n;

	for (p = h; p != NULL && *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		while (*p == ' ')
			p++;
		e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			v = p + nl + 1;
			n = (size_t)(e - v);
			if (n >= outlen)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static void
set_cookie(struct gw_req *req, struct gw_resp *resp, const char *name, const char *value,
    long max_age)
{
	char c[256];

	/* Lax: sent on the top-level GET from the service, not on cross-site POSTs. */
	(void)snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s", name,
	    value, max_age, req->secure ? "; Secure" : "");
	if (gw_resp_header(resp, "Set-Cookie", c) != EIDGW_OK)
		gw_log(LOG_WARNING, req->req_id, "login.cookie", "cannot set cookie %s", name);
}

static enum gw_lang
req_lang(const struct gw_req *req, const struct oidc_authz_request *az)
{
	char tag[8];
	const char *q = req->query, *p;

	/* an explicit ?lang= choice (the language links) wins */
	if (q != NULL && (p = strstr(q, "lang=")) != NULL && (p == q || p[-1] == '&')) {
		(void)snprintf(tag, sizeof(tag), "%.2s", p + 5);
		if (gw_lang_from_tag(tag, strlen(tag)) >= 0)
			return (enum gw_lang)gw_lang_from_tag(tag, strlen(tag));
	}
	return gw_lang_choose(az != NULL ? az->ui_locales : NULL,
	    gw_req_header(req, "Accept-Language"), req->cfg->default_locale);
}

static void
redirect(struct gw_req *req, struct gw_resp *resp, const char *location)
{
	resp->status = 303;
	resp->content_type = "text/plain; charset=utf-8";
	if (gw_resp_header(resp, "Location", location) != EIDGW_OK) {
		gw_resp_error_page(req, resp, 500);
		return;
	}
	eidgw_buf_reset(&resp->body);
	if (eidgw_buf_puts(&resp->body, "See Other\n") != EIDGW_OK)
		resp->status = 500;
}

/*
 * The selector page allows form-action 'self' only, and browsers apply that
 * to every redirect that follows the form's submission: a 303 from the
 * selector POST to the connector, or a chain that ends at the service
 * (code or error), is blocked there.  Such a redirect is answered instead
 * with a page that navigates itself (meta refresh, and a link).
 */
static void
redirect_as_page(struct gw_req *req, struct gw_resp *resp, enum gw_lang lang)
{
	struct eidgw_buf *b = &resp->body;
	enum eidgw_err rc = EIDGW_OK;
	char *loc = NULL;
	size_t i;

	for (i = 0; i < resp->n_headers; i++) {
		if (strcmp(resp->headers[i].name, "Location") != 0)
			continue;
		loc = resp->headers[i].value;
		free(resp->headers[i].name);
		resp->headers[i] = resp->headers[--resp->n_headers];
		break;
	}
	if (loc == NULL)
		return;
	eidgw_buf_reset(b);
	OUT("<!doctype html>\n<html lang=\"");
	OUT(gw_lang_tag(lang));
	OUT("\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=");
	ESC(loc);
	OUT("\"><title>");
	ESC(gw_text(lang, T_REDIRECT_TITLE));
	OUT("</title><link rel=\"stylesheet\" href=\"/static/eidgw.css\"></head><body><main><h1>");
	ESC(gw_text(lang, T_REDIRECT_TITLE));
	OUT("</h1><p><a href=\"");
	ESC(loc);
	OUT("\">");
	ESC(gw_text(lang, T_REDIRECT_CONTINUE));
	OUT("</a></p></main></body></html>\n");
	free(loc);
	if (rc != EIDGW_OK) {
		gw_page_error(req, resp, 500, lang, T_ERROR_INTERNAL);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	resp->csp = GW_PAGE_CSP;
}

/* Sends the service an error for this login (RFC 6749 §4.1.2.1 with iss). */
static void
fail_to_client(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt,
    const struct oidc_authz_request *az, const char *error, const char *desc,
    enum gw_login_outcome outcome)
{
	struct oidc_authz_result res = { 0 };

	gw_metrics_login(outcome);
	if (oidc_authz_fail(rt->oidc, az, error, desc, &res) != EIDGW_OK || res.location == NULL) {
		oidc_authz_result_free(&res);
		gw_page_error(req, resp, 500, req_lang(req, az), T_ERROR_INTERNAL);
		return;
	}
	redirect(req, resp, res.location);
	oidc_authz_result_free(&res);
}

static int
loa_rank_of(const struct oidc_authz_request *az)
{
	int r = az->acr_min != NULL ? oidc_loa_rank(az->acr_min) : 0;

	return r > 0 ? r : 2;	/* substantial when the service did not say */
}

/*
 * The LoA a country asserted may not exceed what its scheme is configured
 * for (country.max_loa, the notified level): a Response or a connector that
 * claims more is not believed.  The login fails (server_error to the client,
 * EIDGW_E_LOA_ABOVE_COUNTRY in the log and the audit record) rather than
 * being capped, so a misconfigured max_loa or a misbehaving IdP shows at
 * once.  A non-notified LoA (rank 0) is left to the OIDC floor check, which
 * refuses it as unmet.
 */
static bool
loa_above_country(const struct gw_country_rt *c, const char *loa)
{
	enum gw_loa asserted = gw_loa_from_uri(loa);

	return (int)asserted > 0 && (int)asserted > (int)c->conf->max_loa;
}

static bool
is_mds(const char *name)
{
	static const char *const mds[] = {
		"http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier",
		"http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
		"http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
		"http://eidas.europa.eu/attributes/naturalperson/DateOfBirth",
	};
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(mds); i++)
		if (strcmp(name, mds[i]) == 0)
			return true;
	return false;
}

/* An auto-submitting form may post only to the one place it is meant for. */
static void
set_form_csp(struct gw_req *req, struct gw_resp *resp, const struct txn *t, const char *dest)
{
	const unsigned char *p;
	int n;

	/* one CSP source expression: printable ASCII without space, ';', ',' or quotes */
	for (p = (const unsigned char *)dest; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr(";,'\"", *p) != NULL)
			break;
	if (*p != '\0' || p == (const unsigned char *)dest) {
		gw_page_error(req, resp, 500, req_lang(req, t->az), T_ERROR_INTERNAL);
		return;
	}
	n = snprintf(resp->csp_buf, sizeof(resp->csp_buf), "default-src 'none'; script-src 'self'; "
	    "style-src 'self'; form-action %s; frame-ancestors 'none'; base-uri 'none'", dest);
	if (n < 0 || (size_t)n >= sizeof(resp->csp_buf)) {
		gw_page_error(req, resp, 500, req_lang(req, t->az), T_ERROR_INTERNAL);
		return;
	}
	resp->csp = resp->csp_buf;
}

/* eidas-saml: a signed AuthnRequest to the country's Proxy-Service. */
static void
start_saml(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt,
    const struct gw_country_rt *c, struct txn *t)
{
	const struct gw_config *cfg = req->cfg;
	const struct gw_country_saml_conf *s = &c->conf->saml;
	const struct gw_client_conf *client = gw_config_client(cfg, t->az->client_id);
	struct saml_requested_attr attrs[64];
	struct saml_authnrequest_params p;
	struct saml_authnrequest *ar = NULL;
	struct eidgw_diag d = { 0 };
	char *url = NULL, msg_hash[65];
	enum eidgw_sig_alg alg;
	const char *dest;
	size_t i, n = 0;

	for (i = 0; i < s->n_requested_attributes && n < EIDGW_ARRAY_LEN(attrs); i++) {
		attrs[n].name = s->requested_attributes[i];
		attrs[n].required = is_mds(attrs[n].name);
		n++;
	}
	dest = s->binding == GW_BINDING_REDIRECT ? c->idp->sso_redirect : c->idp->sso_post;
	memset(&p, 0, sizeof(p));
	p.issuer = rt->entity_id;
	p.destination = dest;
	p.sp_type = client != NULL && client->sp_type != NULL ? client->sp_type : "public";
	p.attrs = attrs;
	p.nattrs = n;
	p.nameid_format = s->nameid_format;
	p.loa = gw_loa_uri((enum gw_loa)loa_rank_of(t->az));
	p.requester_id = client != NULL ? client->requester_id : NULL;
	p.provider_name = client != NULL ? client->client_name : NULL;
	p.omit_scoping = s->omit_scoping;
	/* the binding we want the Response on, unless the country's node chokes on it */
	p.protocol_binding = s->omit_protocol_binding ? NULL : SAML_BINDING_POST;
	p.now = eidgw_now();
	/* the country's own algorithm (checked against the key at load), else the gateway's */
	if ((alg = gw_sig_alg_from_name(s->signature_alg)) == EIDGW_SIG_NONE)
		alg = rt->saml_sig_alg;
	if (s->binding == GW_BINDING_POST) {
		p.key = cfg->saml_signing.key;
		p.alg = alg;
	}
	if (saml_authnrequest_build(&p, &ar, &d) != EIDGW_OK) {
		gw_log_diag(LOG_ERR, req->req_id, "login.authnrequest", &d);
		fail_to_client(req, resp, rt, t->az, "server_error", NULL, GW_LOGIN_ERROR);
		return;
	}
	free(t->ref);
	t->sent = eidgw_now();
	if ((t->ref = strdup(ar->id)) == NULL || txn_save(req, t) != EIDGW_OK) {
		saml_authnrequest_free(ar);
		fail_to_client(req, resp, rt, t->az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		return;
	}
	gw_sha256_hex(ar->xml, ar->xml_len, msg_hash);
	if (gw_audit_req_progress(req, GW_AUDIT_AUTHN_REQUEST_SENT, (struct gw_audit_field[]){
	    GW_AUDIT_STR("country", c->conf->code), GW_AUDIT_STR("request_id", ar->id),
	    GW_AUDIT_STR("message_sha256", msg_hash), GW_AUDIT_STR("destination", dest) }, 4) !=
	    EIDGW_OK) {
		saml_authnrequest_free(ar);
		txn_drop(req, t->id);
		fail_to_client(req, resp, rt, t->az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		return;
	}
	gw_logkv(LOG_INFO, req->req_id, "login.authnrequest", "AuthnRequest sent",
	    "country", c->conf->code, "request_id", ar->id, "binding",
	    s->binding == GW_BINDING_POST ? "post" : "redirect", (const char *)NULL);
	if (s->binding == GW_BINDING_REDIRECT) {
		if (saml_binding_redirect_encode(dest, "SAMLRequest", ar->xml, ar->xml_len, t->id,
		    cfg->saml_signing.key, alg, &url, &d) != EIDGW_OK) {
			gw_log_diag(LOG_ERR, req->req_id, "login.authnrequest", &d);
			txn_drop(req, t->id);
			fail_to_client(req, resp, rt, t->az, "server_error", NULL, GW_LOGIN_ERROR);
		} else {
			redirect(req, resp, url);
		}
		free(url);
		saml_authnrequest_free(ar);
		return;
	}
	eidgw_buf_reset(&resp->body);
	if (saml_binding_post_form(dest, "SAMLRequest", ar->xml, ar->xml_len, t->id,
	    "/static/autopost.js", &resp->body, &d) != EIDGW_OK) {
		gw_log_diag(LOG_ERR, req->req_id, "login.authnrequest", &d);
		saml_authnrequest_free(ar);
		txn_drop(req, t->id);
		fail_to_client(req, resp, rt, t->az, "server_error", NULL, GW_LOGIN_ERROR);
		return;
	}
	saml_authnrequest_free(ar);
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	set_form_csp(req, resp, t, dest);
}

static void
login_start_clear(struct eidgw_login_start *o)
{
	size_t i;

	free(o->url);
	for (i = 0; i < EIDGW_START_MAX_FIELDS; i++) {
		free(o->field_names[i]);
		free(o->field_values[i]);
	}
	free(o->request_ref);
	memset(o, 0, sizeof(*o));
}

/* A self-submitting form (same script and id as the SAML POST binding's). */
static enum eidgw_err
render_post_form(struct eidgw_buf *b, const struct eidgw_login_start *o, enum gw_lang lang)
{
	enum eidgw_err rc = EIDGW_OK;
	size_t i;

	OUT("<!doctype html>\n<html lang=\"");
	OUT(gw_lang_tag(lang));
	OUT("\"><head><meta charset=\"utf-8\"><title>");
	ESC(gw_text(lang, T_REDIRECT_TITLE));
	OUT("</title><link rel=\"stylesheet\" href=\"/static/eidgw.css\">"
	    "<script src=\"/static/autopost.js\" defer></script></head><body><main><h1>");
	ESC(gw_text(lang, T_REDIRECT_TITLE));
	OUT("</h1><form id=\"saml-post-form\" method=\"post\" action=\"");
	ESC(o->url);
	OUT("\">");
	for (i = 0; i < o->n_fields && i < EIDGW_START_MAX_FIELDS; i++) {
		OUT("<input type=\"hidden\" name=\"");
		ESC(o->field_names[i] != NULL ? o->field_names[i] : "");
		OUT("\" value=\"");
		ESC(o->field_values[i] != NULL ? o->field_values[i] : "");
		OUT("\">");
	}
	OUT("<noscript><button type=\"submit\">");
	ESC(gw_text(lang, T_REDIRECT_CONTINUE));
	OUT("</button></noscript></form></main></body></html>\n");
	return rc;
}

/* A plugin connector: it decides where the browser goes. */
static void
start_plugin(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt,
    const struct gw_country_rt *c, struct txn *t)
{
	const struct gw_config *cfg = req->cfg;
	const struct gw_country_saml_conf *s = &c->conf->saml;
	const struct gw_client_conf *client = gw_config_client(cfg, t->az->client_id);
	struct gw_connector *cx = c->plugin;
	unsigned char required[64];
	struct eidgw_login_request in;
	struct eidgw_login_start out;
	enum gw_lang lang = req_lang(req, t->az);
	size_t i, n = s->n_requested_attributes < 64 ? s->n_requested_attributes : 64;
	int st;

	for (i = 0; i < n; i++)
		required[i] = is_mds(s->requested_attributes[i]) ? 1 : 0;
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.struct_size = sizeof(in);
	in.state = t->id;
	in.min_loa = loa_rank_of(t->az);
	in.attributes = (const char *const *)s->requested_attributes;
	in.attribute_required = required;
	in.n_attributes = n;
	in.sp_type = client != NULL && client->sp_type != NULL ? client->sp_type : "public";
	in.requester_id = client != NULL ? client->requester_id : NULL;
	in.provider_name = client != NULL ? client->client_name : NULL;
	in.locale = gw_lang_tag(lang);
	out.struct_size = sizeof(out);
	st = cx->ops.start_login(cx->state, &in, &out);
	if (st != EIDGW_CX_OK || out.url == NULL ||
	    (out.kind != EIDGW_START_REDIRECT && out.kind != EIDGW_START_POST_FORM)) {
		gw_logkv(LOG_ERR, req->req_id, "login.start_failed", "connector refused to start",
		    "country", c->conf->code, "connector", cx->name, (const char *)NULL);
		login_start_clear(&out);
		fail_to_client(req, resp, rt, t->az, st == EIDGW_CX_UNAVAILABLE ?
		    "temporarily_unavailable" : "server_error", NULL, GW_LOGIN_ERROR);
		return;
	}
	free(t->ref);
	t->ref = out.request_ref;
	out.request_ref = NULL;
	if (txn_save(req, t) != EIDGW_OK) {
		login_start_clear(&out);
		fail_to_client(req, resp, rt, t->az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		return;
	}
	gw_logkv(LOG_INFO, req->req_id, "login.connector_start", "login handed to connector",
	    "country", c->conf->code, "connector", cx->name, (const char *)NULL);
	if (out.kind == EIDGW_START_REDIRECT) {
		redirect(req, resp, out.url);
	} else {
		eidgw_buf_reset(&resp->body);
		if (render_post_form(&resp->body, &out, lang) != EIDGW_OK) {
			gw_page_error(req, resp, 500, lang, T_ERROR_INTERNAL);
		} else {
			resp->status = 200;
			resp->content_type = "text/html; charset=utf-8";
			set_form_csp(req, resp, t, out.url);
		}
	}
	login_start_clear(&out);
}

/* Hands the login to the chosen country, or tells the service why not. */
static void
start_login(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt, struct txn *t,
    const char *code)
{
	const struct gw_country_rt *c = gw_runtime_country(rt, code);
	char txn_hash[65];

	if (c == NULL || c->state == GW_COUNTRY_DISABLED) {
		fail_to_client(req, resp, rt, t->az, "invalid_request", "unknown country",
		    GW_LOGIN_ERROR);
		return;
	}
	if (!gw_country_serves(c, eidgw_now())) {
		if (c->state == GW_COUNTRY_READY)
			gw_logkv(LOG_WARNING, req->req_id, "login.country_unavailable",
			    "the country's IdP metadata is past its validUntil", "country", code,
			    (const char *)NULL);
		fail_to_client(req, resp, rt, t->az, "temporarily_unavailable",
		    "the country's eID service is not available", GW_LOGIN_ERROR);
		return;
	}
	if ((int)c->conf->max_loa < loa_rank_of(t->az)) {
		fail_to_client(req, resp, rt, t->az, "unmet_authentication_requirements",
		    "the country cannot provide the requested level of assurance", GW_LOGIN_ERROR);
		return;
	}
	(void)snprintf(t->country, sizeof(t->country), "%s", code);
	gw_sha256_hex(t->id, strlen(t->id), txn_hash);
	txn_hash[16] = '\0';	/* a short handle to follow one login through the log */
	if (gw_audit_req_progress(req, GW_AUDIT_LOGIN_STARTED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("client", t->az->client_id), GW_AUDIT_STR("country", code),
	    GW_AUDIT_STR("requested_loa", gw_loa_uri((enum gw_loa)loa_rank_of(t->az))),
	    GW_AUDIT_STR("txn", txn_hash), GW_AUDIT_STR("req", req->req_id) }, 5) != EIDGW_OK) {
		fail_to_client(req, resp, rt, t->az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		return;
	}
	gw_metrics_login(GW_LOGIN_STARTED);
	gw_logkv(LOG_INFO, req->req_id, "login.started", NULL, "client", t->az->client_id,
	    "country", code, "loa", gw_loa_uri((enum gw_loa)loa_rank_of(t->az)),
	    (const char *)NULL);
	if (c->plugin != NULL)
		start_plugin(req, resp, rt, c, t);
	else
		start_saml(req, resp, rt, c, t);
}

static void
show_selector(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt,
    const struct txn *t, bool show_error, const char *form_lang)
{
	const struct gw_client_conf *client = gw_config_client(req->cfg, t->az->client_id);
	struct gw_select_view v;
	char last[3] = "";

	memset(&v, 0, sizeof(v));
	v.rt = rt;
	v.client_name = client != NULL && client->client_name != NULL ? client->client_name :
	    t->az->client_id;
	v.csrf = t->csrf;
	if (cookie_get(req, COUNTRY_COOKIE, last, sizeof(last)))
		v.preselect = last;
	v.lang = req_lang(req, t->az);
	/* the page's own hidden field keeps the citizen's choice across a re-display */
	if (form_lang != NULL && gw_lang_from_tag(form_lang, strlen(form_lang)) >= 0)
		v.lang = (enum gw_lang)gw_lang_from_tag(form_lang, strlen(form_lang));
	v.min_loa = loa_rank_of(t->az);
	v.show_error = show_error;
	gw_page_select(req, resp, &v);
}

/* GET|POST /oidc/authorize */
static void
h_authorize(struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	struct oidc_authz_result res = { 0 };
	struct eidgw_diag d = { 0 };
	struct oidc_request rq;
	struct txn t;
	char *id = NULL, *csrf = NULL;
	enum eidgw_err rc;

	if (rt == NULL)
		return;
	memset(&t, 0, sizeof(t));
	gw_oidc_request_from(req, &rq);
	rc = oidc_authorize(rt->oidc, &rq, &res, &d);
	gw_log_refusal(req, "oidc.authorize", rc, &d);
	switch (res.kind) {
	case OIDC_AUTHZ_REDIRECT:
		redirect(req, resp, res.location);
		goto out;
	case OIDC_AUTHZ_ACCEPTED:
		break;
	case OIDC_AUTHZ_ERROR_PAGE:
	default:
		gw_page_error(req, resp, eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ? 503 : 400,
		    req_lang(req, NULL), eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ?
		    T_ERROR_UNAVAILABLE : T_ERROR_CLIENT);
		goto out;
	}
	/* A new transaction, bound to this browser by a cookie. */
	if (eidgw_random_token(TXN_ID_BYTES, &id) != EIDGW_OK ||
	    eidgw_random_token(24, &csrf) != EIDGW_OK) {
		gw_page_error(req, resp, 500, req_lang(req, res.req), T_ERROR_INTERNAL);
		goto out;
	}
	(void)snprintf(t.id, sizeof(t.id), "%s", id);
	(void)snprintf(t.csrf, sizeof(t.csrf), "%s", csrf);
	t.az = res.req;
	res.req = NULL;
	t.created = eidgw_now();
	if (t.az->country[0] != '\0') {
		set_cookie(req, resp, TXN_COOKIE, t.id, (long)req->cfg->limits.login_ttl_s);
		start_login(req, resp, rt, &t, t.az->country);
		goto out;
	}
	if (txn_save(req, &t) != EIDGW_OK) {
		fail_to_client(req, resp, rt, t.az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		goto out;
	}
	set_cookie(req, resp, TXN_COOKIE, t.id, (long)req->cfg->limits.login_ttl_s);
	redirect(req, resp, "/login/select");
out:
	eidgw_free_secret_str(id);
	eidgw_free_secret_str(csrf);
	txn_clear(&t);
	oidc_authz_result_free(&res);
}

/* GET|POST /login/select */
static void
h_select(struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	struct oidc_params form = { 0 };
	struct eidgw_diag d = { 0 };
	const char *country, *csrf;
	char id[TXN_ID_LEN + 2];
	enum eidgw_err rc;
	struct txn t;

	if (rt == NULL)
		return;
	memset(&t, 0, sizeof(t));
	if (!cookie_get(req, TXN_COOKIE, id, sizeof(id))) {
		gw_log(LOG_NOTICE, req->req_id, "login.select", "no login cookie");
		gw_page_error(req, resp, 400, req_lang(req, NULL), T_ERROR_EXPIRED);
		return;
	}
	if ((rc = txn_load(req, id, false, &t)) != EIDGW_OK) {
		gw_logkv(LOG_NOTICE, req->req_id, "login.select", "no open login for this cookie",
		    "code", eidgw_err_name(rc), (const char *)NULL);
		gw_page_error(req, resp, rc == EIDGW_E_STORE_UNAVAILABLE ? 503 : 400,
		    req_lang(req, NULL), rc == EIDGW_E_STORE_UNAVAILABLE ? T_ERROR_UNAVAILABLE :
		    T_ERROR_EXPIRED);
		return;
	}
	if (req->method != GW_POST) {
		show_selector(req, resp, rt, &t, false, NULL);
		txn_clear(&t);
		return;
	}
	if (oidc_params_parse(req->body.data, req->body.len, &form, &d) != EIDGW_OK) {
		gw_page_error(req, resp, 400, req_lang(req, t.az), T_ERROR_BAD_REQUEST);
		goto out;
	}
	csrf = oidc_params_get(&form, "csrf");
	if (csrf == NULL || !eidgw_ct_streq(csrf, t.csrf)) {
		gw_log(LOG_NOTICE, req->req_id, "login.csrf", "selector form without a valid token");
		gw_page_error(req, resp, 403, req_lang(req, t.az), T_ERROR_CSRF);
		goto out;
	}
	country = oidc_params_get(&form, "country");
	if (country == NULL || strlen(country) != 2) {
		show_selector(req, resp, rt, &t, true, oidc_params_get(&form, "lang"));
		goto out;
	}
	/* the start either stores the transaction again or ends the login */
	if ((rc = txn_consume(req, t.id)) != EIDGW_OK) {
		gw_logkv(LOG_NOTICE, req->req_id, "login.select", "login already moved on or ended",
		    "code", eidgw_err_name(rc), (const char *)NULL);
		gw_page_error(req, resp, rc == EIDGW_E_STORE_UNAVAILABLE ? 503 : 400,
		    req_lang(req, t.az), rc == EIDGW_E_STORE_UNAVAILABLE ? T_ERROR_UNAVAILABLE :
		    T_ERROR_EXPIRED);
		goto out;
	}
	set_cookie(req, resp, COUNTRY_COOKIE, country[0] >= 'A' && country[0] <= 'Z' &&
	    country[1] >= 'A' && country[1] <= 'Z' ? country : "", 365L * 24 * 3600);
	start_login(req, resp, rt, &t, country);
	if (resp->status == 303)
		redirect_as_page(req, resp, req_lang(req, t.az));
out:
	oidc_params_free(&form);
	txn_clear(&t);
}

/* Issues the code for a verified identity and sends the browser back. */
static void
complete(struct gw_req *req, struct gw_resp *resp, const struct gw_runtime *rt,
    const struct txn *t, const struct oidc_identity *id)
{
	struct oidc_authz_result res = { 0 };
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc;

	rc = oidc_authz_complete(rt->oidc, t->az, id, &res, &d);
	gw_log_refusal(req, "login.complete", rc, &d);
	if (res.kind != OIDC_AUTHZ_REDIRECT || res.location == NULL) {
		gw_metrics_login(GW_LOGIN_ERROR);
		gw_page_error(req, resp, eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ? 503 : 500,
		    req_lang(req, t->az), eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ?
		    T_ERROR_UNAVAILABLE : T_ERROR_INTERNAL);
		oidc_authz_result_free(&res);
		return;
	}
	gw_metrics_login(rc == EIDGW_OK ? GW_LOGIN_SUCCESS : GW_LOGIN_REJECTED);
	gw_logkv(LOG_INFO, req->req_id, rc == EIDGW_OK ? "login.success" : "login.refused", NULL,
	    "client", t->az->client_id, "country", t->country, "acr", id->acr != NULL ? id->acr : "",
	    (const char *)NULL);
	set_cookie(req, resp, TXN_COOKIE, "", 0);
	redirect(req, resp, res.location);
	oidc_authz_result_free(&res);
}

/* The value of one form field, percent-decoded, bounded; NULL if absent. */
static char *
form_value(const char *body, size_t len, const char *name, size_t max)
{
	size_t nl = strlen(name);
	const char *p = body, *end = body + len, *amp;
	char *out = NULL;

	while (p != NULL && p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if ((size_t)(amp - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (oidc_form_decode(p + nl + 1, (size_t)(amp - p) - nl - 1, max, &out) !=
			    EIDGW_OK)
				return NULL;
			return out;
		}
		p = amp + 1;
	}
	return NULL;
}

static const char *
saml_error_to_oauth(enum eidgw_err rc, enum gw_login_outcome *outcome)
{
	switch (rc) {
	case EIDGW_E_SAML_STATUS_DENIED:
		*outcome = GW_LOGIN_DENIED;
		return "access_denied";
	case EIDGW_E_SAML_LOA:
	case EIDGW_E_SAML_STATUS_NO_AUTHN_CONTEXT:
		*outcome = GW_LOGIN_REJECTED;
		return "unmet_authentication_requirements";
	default:
		break;
	}
	if (eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE) {
		*outcome = GW_LOGIN_ERROR;
		return "temporarily_unavailable";
	}
	*outcome = GW_LOGIN_REJECTED;
	return "server_error";
}

static void
identity_from_saml(const struct saml_result *r, const char *country, struct oidc_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->person_identifier = r->identity.person_identifier;
	id->given_name = r->identity.given_name.latin;
	id->family_name = r->identity.family_name.latin;
	id->birthdate = r->identity.date_of_birth;
	id->acr = r->loa;
	id->auth_time = r->authn_instant;
	id->country = country;
}

/* POST /saml/acs: the HTTP-POST binding's assertion consumer. */
static void
h_acs(struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	const struct gw_config *cfg = req->cfg;
	const struct eidgw_key *dec[8];
	const struct gw_country_rt *c;
	const char *required[64];
	struct saml_response_expect e;
	struct saml_result r;
	struct oidc_identity id;
	struct gw_claims claims = { 0 };
	struct eidgw_diag d = { 0 };
	enum gw_login_outcome outcome;
	char *saml = NULL, *relay = NULL, msg_hash[65];
	const char *alias_from[32], *alias_to[32];
	char alias_buf[32][256];
	size_t i, nreq = 0, ndec = 0, nalias = 0;
	enum eidgw_err rc, lrc = EIDGW_E_STORE_MISSING;
	struct txn t;

	if (rt == NULL)
		return;
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	relay = form_value(req->body.data, req->body.len, "RelayState", SAML_RELAY_STATE_MAX);
	/* Single use: the transaction is consumed before the Response is even read. */
	if (relay == NULL || (lrc = txn_load(req, relay, true, &t)) != EIDGW_OK || t.ref == NULL ||
	    (c = gw_runtime_country(rt, t.country)) == NULL || c->idp == NULL) {
		gw_logkv(LOG_NOTICE, req->req_id, "saml.acs", "no open login for this RelayState",
		    "code", eidgw_err_name(lrc), (const char *)NULL);
		/* a store that cannot answer is not an expired login: say so */
		gw_page_error(req, resp, lrc == EIDGW_E_STORE_UNAVAILABLE ? 503 : 400,
		    req_lang(req, NULL), lrc == EIDGW_E_STORE_UNAVAILABLE ? T_ERROR_UNAVAILABLE :
		    T_ERROR_EXPIRED);
		goto out;
	}
	if (!gw_country_serves(c, eidgw_now())) {
		/* keys from metadata past its validUntil are trusted for nothing */
		gw_logkv(LOG_WARNING, req->req_id, "saml.acs",
		    "the country's IdP metadata is past its validUntil; Response not read",
		    "country", t.country, (const char *)NULL);
		fail_to_client(req, resp, rt, t.az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		goto out;
	}
	saml = form_value(req->body.data, req->body.len, "SAMLResponse", ACS_PARAM_MAX);
	if (saml == NULL) {
		fail_to_client(req, resp, rt, t.az, "server_error", NULL, GW_LOGIN_REJECTED);
		goto out;
	}
	for (i = 0; i < c->conf->saml.n_requested_attributes && nreq < 64; i++)
		if (is_mds(c->conf->saml.requested_attributes[i]))
			required[nreq++] = c->conf->saml.requested_attributes[i];
	for (i = 0; i < cfg->n_saml_encryption && ndec < 8; i++)
		if (cfg->saml_encryption[i].key != NULL)
			dec[ndec++] = cfg->saml_encryption[i].key;
	memset(&e, 0, sizeof(e));
	e.idp_entity_id = c->idp->entity_id;
	e.idp_country = c->idp->node_country != NULL ? c->idp->node_country : c->conf->code;
	e.idp_trust = &c->idp->trust;
	e.acs_url = rt->acs_url;
	e.sp_entity_id = rt->entity_id;
	e.request_id = t.ref;
	e.requested_loa = gw_loa_uri((enum gw_loa)loa_rank_of(t.az));
	e.requested_nameid_format = c->conf->saml.nameid_format;
	e.required_attrs = required;
	e.nrequired_attrs = nreq;
	e.now = eidgw_now();
	e.skew_s = cfg->limits.clock_skew_s;
	/* the AuthnRequest said ForceAuthn: no authentication from before it */
	e.authn_not_before = t.sent != 0 ? t.sent : t.created;
	e.max_bytes = cfg->limits.max_saml_response_bytes;
	e.dec_keys = dec;
	e.ndec_keys = ndec;
	e.require_encryption = c->conf->saml.require_encryption;
	e.require_assertion_signature = c->conf->saml.require_assertion_signature;
	e.allow_rsa_pkcs1 = c->conf->saml.allow_rsa_pkcs1;
	e.allow_rsa_oaep_mgf1p = c->conf->saml.allow_rsa_oaep_mgf1p;
	e.replay_store = req->app->store;
	/* the country's attribute name variants, as "FROM TO" pairs split in place */
	for (i = 0; i < c->conf->saml.n_attribute_aliases && nalias < 32; i++) {
		const char *pair = c->conf->saml.attribute_aliases[i], *sp = strchr(pair, ' ');

		if (sp == NULL || (size_t)(sp - pair) >= sizeof(alias_buf[0]))
			continue;
		(void)snprintf(alias_buf[nalias], sizeof(alias_buf[0]), "%.*s", (int)(sp - pair), pair);
		alias_from[nalias] = alias_buf[nalias];
		alias_to[nalias] = sp + 1;
		nalias++;
	}
	e.alias_from = alias_from;
	e.alias_to = alias_to;
	e.nalias = nalias;
	gw_sha256_hex(saml, strlen(saml), msg_hash);
	rc = saml_response_validate(saml, strlen(saml), &e, &r, &d);
	if (rc != EIDGW_OK) {
		const char *err = saml_error_to_oauth(rc, &outcome);


		gw_logkv(LOG_NOTICE, req->req_id, "saml.response_rejected", d.reason,
		    "code", eidgw_err_name(rc), "country", t.country,
		    "status", r.status_code != NULL ? r.status_code : "",
		    "sub_status", r.status_sub_code != NULL ? r.status_sub_code : "",
		    (const char *)NULL);
		if (gw_audit_req(req, GW_AUDIT_RESPONSE_REJECTED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("country", t.country), GW_AUDIT_STR("reason", eidgw_err_name(rc)),
		    GW_AUDIT_STR("status", r.status_code), GW_AUDIT_STR("sub_status", r.status_sub_code),
		    GW_AUDIT_STR("request_id", t.ref), GW_AUDIT_STR("message_sha256", msg_hash),
		    GW_AUDIT_STR("client", t.az->client_id) }, 7) != EIDGW_OK)
			err = "temporarily_unavailable";
		fail_to_client(req, resp, rt, t.az, err, NULL, outcome);
		goto out;
	}
	if (loa_above_country(c, r.loa)) {
		gw_logkv(LOG_WARNING, req->req_id, "saml.response_rejected",
		    "asserted LoA above the country's max_loa", "code",
		    eidgw_err_name(EIDGW_E_LOA_ABOVE_COUNTRY), "country", t.country, "loa", r.loa,
		    "max_loa", gw_loa_uri(c->conf->max_loa), (const char *)NULL);
		if (gw_audit_req(req, GW_AUDIT_RESPONSE_REJECTED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("country", t.country),
		    GW_AUDIT_STR("reason", eidgw_err_name(EIDGW_E_LOA_ABOVE_COUNTRY)),
		    GW_AUDIT_STR("loa", r.loa), GW_AUDIT_STR("request_id", t.ref),
		    GW_AUDIT_STR("message_sha256", msg_hash),
		    GW_AUDIT_STR("client", t.az->client_id) }, 6) != EIDGW_OK) {
			fail_to_client(req, resp, rt, t.az, "temporarily_unavailable", NULL,
			    GW_LOGIN_ERROR);
			goto out;
		}
		fail_to_client(req, resp, rt, t.az, "server_error", NULL, GW_LOGIN_REJECTED);
		goto out;
	}
	if (gw_audit_req(req, GW_AUDIT_RESPONSE_ACCEPTED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("country", t.country), GW_AUDIT_STR("issuer", r.issuer),
	    GW_AUDIT_STR("assertion_id", r.assertion_id), GW_AUDIT_STR("loa", r.loa),
	    GW_AUDIT_STR("request_id", t.ref), GW_AUDIT_STR("message_sha256", msg_hash),
	    GW_AUDIT_STR("client", t.az->client_id), GW_AUDIT_STR("req", req->req_id),
	    GW_AUDIT_PII("subject", r.identity.person_identifier) }, 9) != EIDGW_OK) {
		fail_to_client(req, resp, rt, t.az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		goto out;
	}
	gw_logkv(LOG_INFO, req->req_id, "saml.response_accepted", NULL, "country", t.country,
	    "assertion_id", r.assertion_id, "loa", r.loa, (const char *)NULL);
	identity_from_saml(&r, t.country, &id);
	if (gw_claims_from_saml(&r.identity, c->idp->node_country, &claims) != EIDGW_OK) {
		fail_to_client(req, resp, rt, t.az, "server_error", NULL, GW_LOGIN_ERROR);
		goto out;
	}
	id.extra = claims.v;
	id.n_extra = claims.n;
	complete(req, resp, rt, &t, &id);
out:
	gw_claims_free(&claims);
	saml_result_clear(&r);
	free(relay);
	if (saml != NULL)
		eidgw_free_secret_str(saml);
	txn_clear(&t);
}

static void
identity_clear(struct eidgw_identity *o)
{
	eidgw_free_secret_str(o->person_identifier);
	eidgw_free_secret_str(o->family_name);
	eidgw_free_secret_str(o->given_name);
	eidgw_free_secret_str(o->birth_date);
	free(o->loa);
	free(o->issuer);
	free(o->assertion_ref);
	eidgw_free_secret_str(o->extra_claims_json);
	free(o->reason);
	memset(o, 0, sizeof(*o));
}

/* GET|POST /login/return: plugin connectors come back here with `state`. */
static void
h_return(struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	struct oidc_params p = { 0 };
	struct eidgw_login_response in;
	struct eidgw_identity out;
	struct oidc_identity id;
	struct gw_claims claims = { 0 };
	struct eidgw_diag d = { 0 };
	const struct gw_country_rt *c;
	const char **names = NULL, **values = NULL;
	const char *state, *err = NULL, *why = NULL;
	enum gw_login_outcome outcome = GW_LOGIN_REJECTED;
	enum eidgw_err lrc = EIDGW_E_STORE_MISSING;
	struct txn t;
	size_t i;
	int st;

	if (rt == NULL)
		return;
	memset(&t, 0, sizeof(t));
	memset(&out, 0, sizeof(out));
	if ((req->method == GW_POST ? oidc_params_parse(req->body.data, req->body.len, &p, &d) :
	    oidc_params_parse(req->query, req->query != NULL ? strlen(req->query) : 0, &p, &d)) !=
	    EIDGW_OK) {
		gw_page_error(req, resp, 400, req_lang(req, NULL), T_ERROR_BAD_REQUEST);
		goto out;
	}
	state = oidc_params_get(&p, "state");
	if (state == NULL || (lrc = txn_load(req, state, true, &t)) != EIDGW_OK ||
	    (c = gw_runtime_country(rt, t.country)) == NULL || c->plugin == NULL) {
		gw_logkv(LOG_NOTICE, req->req_id, "login.return", "no open login for this state",
		    "code", eidgw_err_name(lrc), (const char *)NULL);
		gw_page_error(req, resp, lrc == EIDGW_E_STORE_UNAVAILABLE ? 503 : 400,
		    req_lang(req, NULL), lrc == EIDGW_E_STORE_UNAVAILABLE ? T_ERROR_UNAVAILABLE :
		    T_ERROR_EXPIRED);
		goto out;
	}
	names = calloc(p.n + 1, sizeof(*names));
	values = calloc(p.n + 1, sizeof(*values));
	if (names == NULL || values == NULL) {
		gw_page_error(req, resp, 500, req_lang(req, t.az), T_ERROR_INTERNAL);
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		names[i] = p.v[i].name;
		values[i] = p.v[i].value;
	}
	memset(&in, 0, sizeof(in));
	in.struct_size = sizeof(in);
	in.method = req->method == GW_POST ? "POST" : "GET";
	in.names = names;
	in.values = values;
	in.n_params = p.n;
	in.request_ref = t.ref;
	in.min_loa = loa_rank_of(t.az);
	in.now = eidgw_now();
	out.struct_size = sizeof(out);
	st = c->plugin->ops.finish_login(c->plugin->state, &in, &out);
	switch (st) {
	case EIDGW_CX_OK:
		break;
	case EIDGW_CX_DENIED: err = "access_denied"; outcome = GW_LOGIN_DENIED; break;
	case EIDGW_CX_LOA_UNMET: err = "unmet_authentication_requirements"; break;
	case EIDGW_CX_UNAVAILABLE: err = "temporarily_unavailable"; outcome = GW_LOGIN_ERROR; break;
	default: err = "server_error"; break;
	}
	if (err == NULL && (out.person_identifier == NULL || out.loa == NULL)) {
		err = "server_error";
		if (out.reason == NULL)
			out.reason = strdup("connector returned no identifier or LoA");
	}
	if (err == NULL && loa_above_country(c, out.loa)) {
		err = "server_error";
		why = eidgw_err_name(EIDGW_E_LOA_ABOVE_COUNTRY);
		free(out.reason);
		out.reason = strdup("connector asserted an LoA above the country's max_loa "
		    "(EIDGW_E_LOA_ABOVE_COUNTRY)");
	}
	if (err != NULL) {
		gw_logkv(LOG_NOTICE, req->req_id, "login.connector_refused",
		    out.reason != NULL ? out.reason : "", "country", t.country, "error", err,
		    (const char *)NULL);
		if (gw_audit_req(req, GW_AUDIT_RESPONSE_REJECTED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("country", t.country), GW_AUDIT_STR("reason", why != NULL ? why : err),
		    GW_AUDIT_STR("connector", c->plugin->name),
		    GW_AUDIT_STR("client", t.az->client_id) }, 4) != EIDGW_OK)
			err = "temporarily_unavailable";
		fail_to_client(req, resp, rt, t.az, err, NULL, outcome);
		goto out;
	}
	if (gw_audit_req(req, GW_AUDIT_RESPONSE_ACCEPTED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("country", t.country), GW_AUDIT_STR("issuer", out.issuer),
	    GW_AUDIT_STR("assertion_id", out.assertion_ref), GW_AUDIT_STR("loa", out.loa),
	    GW_AUDIT_STR("connector", c->plugin->name), GW_AUDIT_STR("client", t.az->client_id),
	    GW_AUDIT_STR("req", req->req_id),
	    GW_AUDIT_PII("subject", out.person_identifier) }, 8) != EIDGW_OK) {
		fail_to_client(req, resp, rt, t.az, "temporarily_unavailable", NULL, GW_LOGIN_ERROR);
		goto out;
	}
	if (gw_claims_from_json(out.extra_claims_json, &claims) != EIDGW_OK) {
		gw_logkv(LOG_NOTICE, req->req_id, "login.connector_claims",
		    "connector's extra claims are not a JSON object; not released", "country",
		    t.country, (const char *)NULL);
		memset(&claims, 0, sizeof(claims));
	}
	memset(&id, 0, sizeof(id));
	id.extra = claims.v;
	id.n_extra = claims.n;
	id.person_identifier = out.person_identifier;
	id.given_name = out.given_name;
	id.family_name = out.family_name;
	id.birthdate = out.birth_date;
	id.acr = out.loa;
	id.auth_time = out.auth_time != 0 ? out.auth_time : eidgw_now();
	id.country = t.country;
	complete(req, resp, rt, &t, &id);
out:
	gw_claims_free(&claims);
	free(names);
	free(values);
	identity_clear(&out);
	oidc_params_free(&p);
	txn_clear(&t);
}

const struct gw_route gw_login_routes[] = {
	/* a GET here opens or finishes a login: HEAD must not (link checkers, prefetch) */
	{ "/oidc/authorize", GW_GET | GW_POST | GW_NO_HEAD, h_authorize, "authorize" },
	{ "/login/select", GW_GET | GW_POST, h_select, "select" },
	{ "/saml/acs", GW_POST, h_acs, "acs" },
	{ "/login/return", GW_GET | GW_POST | GW_NO_HEAD, h_return, "return" },
};
const size_t gw_n_login_routes = sizeof(gw_login_routes) / sizeof(gw_login_routes[0]);
