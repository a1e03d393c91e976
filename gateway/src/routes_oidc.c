/*
 * routes_oidc.c - the OpenID Provider endpoints that need no login
 * transaction: discovery, JWKS, PAR, token and userinfo.  Each hands the
 * HTTP request to oidc/ as a plain struct and sends back what it prepared;
 * the refusal code goes to the log (never the reason to the client).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "app.h"
#include "audit_events.h"
#include "config.h"
#include "core/util.h"
#include "http.h"
#include "log.h"
#include "routes_int.h"
#include "runtime.h"

/* Counts the DPoP header fields: RFC 9449 §4.3 refuses more than one. */
static enum MHD_Result
count_dpop(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	unsigned int *n = cls;

	(void)kind;
	(void)value;
	if (key != NULL && strcasecmp(key, "DPoP") == 0 && *n < 16)
		(*n)++;
	return MHD_YES;
}

void
gw_oidc_request_from(const struct gw_req *req, struct oidc_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = req->method == GW_POST ? "POST" : "GET";
	rq->query = req->query;
	rq->query_len = req->query != NULL ? strlen(req->query) : 0;
	rq->body = req->body.data;
	rq->body_len = req->body.len;
	rq->content_type = gw_req_header(req, "Content-Type");
	rq->authorization = gw_req_header(req, "Authorization");
	rq->dpop = gw_req_header(req, "DPoP");
	if (req->conn != NULL)
		(void)MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_dpop, &rq->n_dpop);
}

void
gw_send_oidc_response(struct gw_req *req, struct gw_resp *resp, struct oidc_response *o)
{
	resp->status = (unsigned int)o->status;
	resp->content_type = o->content_type;
	if (o->body != NULL && eidgw_buf_append(&resp->body, o->body, o->body_len) != EIDGW_OK) {
		gw_resp_error_page(req, resp, 500);
		return;
	}
	if ((o->www_authenticate != NULL &&
	    gw_resp_header(resp, "WWW-Authenticate", o->www_authenticate) != EIDGW_OK) ||
	    (o->location != NULL && gw_resp_header(resp, "Location", o->location) != EIDGW_OK))
		gw_resp_error_page(req, resp, 500);
}

/* The runtime of the request's snapshot, or a 503 when there is none. */
const struct gw_runtime *
gw_req_runtime(struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_runtime *rt = gw_runtime_of(req->cfg);

	if (rt == NULL || rt->oidc == NULL) {
		gw_resp_json_error(resp, 503, "temporarily_unavailable", NULL);
		return NULL;
	}
	return rt;
}

void
gw_log_refusal(const struct gw_req *req, const char *event, enum eidgw_err rc,
    const struct eidgw_diag *d)
{
	if (rc == EIDGW_OK)
		return;
	gw_logkv(LOG_NOTICE, req->req_id, event,
	    d != NULL && d->reason[0] != '\0' ? d->reason : eidgw_strerror(rc),
	    "code", eidgw_err_name(rc), (const char *)NULL);
}

/*
 * Discovery and JWKS: public documents, cacheable for 300 s, readable from
 * any origin (CORS "*", no credentials): a browser-based party may fetch the
 * metadata and keys; they hold nothing secret.  The endpoints that take
 * credentials or start a login get no CORS header.
 */
static void
send_public_doc(struct gw_req *req, struct gw_resp *resp,
    enum eidgw_err (*doc)(const struct oidc_provider *, struct oidc_response *))
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	struct oidc_response o = { 0 };

	if (rt == NULL)
		return;
	if (doc(rt->oidc, &o) != EIDGW_OK) {
		oidc_response_free(&o);
		gw_resp_error_page(req, resp, 500);
		return;
	}
	gw_send_oidc_response(req, resp, &o);
	resp->max_age = 300;
	if (resp->status == 200 &&
	    gw_resp_header(resp, "Access-Control-Allow-Origin", "*") != EIDGW_OK)
		gw_resp_error_page(req, resp, 500);
	oidc_response_free(&o);
}

static void
h_discovery(struct gw_req *req, struct gw_resp *resp)
{
	send_public_doc(req, resp, oidc_discovery);
}

static void
h_jwks(struct gw_req *req, struct gw_resp *resp)
{
	send_public_doc(req, resp, oidc_jwks);
}

typedef enum eidgw_err (*oidc_endpoint_fn)(const struct oidc_provider *,
    const struct oidc_request *, struct oidc_response *, struct eidgw_diag *);
/* Records what an endpoint did before it is answered; not EIDGW_OK: answer 503 instead. */
typedef enum eidgw_err (*oidc_audit_fn)(const struct gw_req *req, enum eidgw_err rc,
    const struct oidc_response *o, const char *endpoint);

static void
oidc_call(struct gw_req *req, struct gw_resp *resp, oidc_endpoint_fn fn, const char *event,
    oidc_audit_fn audit, const char *endpoint)
{
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	struct oidc_response o = { 0 };
	struct oidc_request rq;
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc;

	if (rt == NULL)
		return;
	gw_oidc_request_from(req, &rq);
	rc = fn(rt->oidc, &rq, &o, &d);
	gw_log_refusal(req, event, rc, &d);
	if (audit != NULL && audit(req, rc, &o, endpoint) != EIDGW_OK) {
		/* nothing is handed out that the audit log cannot show */
		gw_resp_json_error(resp, 503, "temporarily_unavailable", NULL);
	} else if (o.status == 0) {
		/* the library prepared nothing: an internal failure */
		gw_resp_json_error(resp, eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ? 503 : 500,
		    eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE ? "temporarily_unavailable" :
		    "server_error", NULL);
	} else {
		gw_send_oidc_response(req, resp, &o);
	}
	oidc_response_free(&o);
}

/*
 * The client a token or PAR request speaks for: Basic, client_id, or the iss
 * of a client assertion (private_key_jwt may omit client_id, RFC 7523 §3).
 * Verified only when oidc/ accepted the request; otherwise what was claimed.
 */
/*
 * What a client claims to be reaches the audit log only when it could be a
 * client_id (1-255 visible ASCII characters): anything else would make the
 * append fail, turning a plain authentication failure into a 503 and an
 * audit alarm.
 */
static char *
client_id_or_null(char *id)
{
	size_t i, n = id != NULL ? strlen(id) : 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
			break;
	if (n == 0 || n > 255 || i != n) {
		free(id);
		return NULL;
	}
	return id;
}

static char *
token_client_id(const struct gw_req *req)
{
	struct oidc_params p = { 0 };
	struct eidgw_diag d = { 0 };
	char *id = NULL, *secret = NULL;
	const char *v;

	if (oidc_basic_auth_parse(gw_req_header(req, "Authorization"), &id, &secret) == EIDGW_OK) {
		eidgw_free_secret_str(secret);
		return client_id_or_null(id);
	}
	if (oidc_params_parse(req->body.data, req->body.len, &p, &d) == EIDGW_OK) {
		if ((v = oidc_params_get(&p, "client_id")) != NULL)
			id = strdup(v);
		else if ((v = oidc_params_get(&p, "client_assertion")) != NULL)
			id = gw_jwt_claim_str(v, "iss");
	}
	oidc_params_free(&p);
	return client_id_or_null(id);
}

/*
 * The audit records of the client-facing endpoints: tokens issued (token
 * endpoint), code reuse, and failed client authentication (token and PAR).
 */
static enum eidgw_err
audit_client_step(const struct gw_req *req, enum eidgw_err rc, const struct oidc_response *o,
    const char *endpoint)
{
	bool issued = rc == EIDGW_OK && o->status == 200 && o->issued != NULL;
	bool auth_failed = rc == EIDGW_E_OIDC_CLIENT_AUTH || rc == EIDGW_E_OIDC_ASSERTION ||
	    rc == EIDGW_E_OIDC_JTI_REPLAY;
	enum eidgw_err arc;
	char *client;

	if (!issued && !auth_failed && rc != EIDGW_E_OIDC_CODE_REUSE)
		return EIDGW_OK;
	if (issued)
		return gw_audit_tokens(req, o->issued);
	client = token_client_id(req);
	if (rc == EIDGW_E_OIDC_CODE_REUSE)
		arc = gw_audit_req(req, GW_AUDIT_CODE_REUSE, (struct gw_audit_field[]){
		    GW_AUDIT_STR("client", client), GW_AUDIT_STR("req", req->req_id) }, 2);
	else
		arc = gw_audit_req(req, GW_AUDIT_CLIENT_AUTH_FAILED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("client", client), GW_AUDIT_STR("reason", eidgw_err_name(rc)),
		    GW_AUDIT_STR("endpoint", endpoint), GW_AUDIT_STR("req", req->req_id) }, 4);
	free(client);
	return arc;
}

/* POST /oidc/par (RFC 9126) */
static void
h_par(struct gw_req *req, struct gw_resp *resp)
{
	oidc_call(req, resp, oidc_par, "oidc.par", audit_client_step, "par");
}

/* POST /oidc/token: tokens reach the client only after their issue is in the audit log. */
static void
h_token(struct gw_req *req, struct gw_resp *resp)
{
	oidc_call(req, resp, oidc_token, "oidc.token", audit_client_step, "token");
}

static void
h_userinfo(struct gw_req *req, struct gw_resp *resp)
{
	oidc_call(req, resp, oidc_userinfo, "oidc.userinfo", NULL, NULL);
}

const struct gw_route gw_oidc_routes[] = {
	{ "/.well-known/openid-configuration", GW_GET, h_discovery, "discovery" },
	/* RFC 8414 §3 (FAPI 2.0 asks for both): the same metadata document. */
	{ "/.well-known/oauth-authorization-server", GW_GET, h_discovery, "discovery" },
	{ "/oidc/jwks", GW_GET, h_jwks, "jwks" },
	{ "/oidc/par", GW_POST | GW_API, h_par, "par" },
	{ "/oidc/token", GW_POST | GW_API, h_token, "token" },
	{ "/oidc/userinfo", GW_GET | GW_POST | GW_API, h_userinfo, "userinfo" },
};
const size_t gw_n_oidc_routes = sizeof(gw_oidc_routes) / sizeof(gw_oidc_routes[0]);
