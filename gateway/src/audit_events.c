/* audit_events.c - see audit_events.h. */
#include "audit_events.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "app.h"
#include "core/buf.h"
#include "core/util.h"
#include "log.h"

void
gw_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	eidgw_hex(out, md, 32);
}

/* Writes one record of req; with hold, req's answer waits until it is on disk. */
static enum eidgw_err
audit_write(const struct gw_req *req, enum gw_audit_event ev, const struct gw_audit_field *f,
    size_t n, bool hold)
{
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc;
	uint64_t ticket = 0;

	if (req->app == NULL || req->app->audit == NULL)
		return EIDGW_OK;
	rc = gw_audit_write(req->app->audit, ev, f, n, &ticket, &d);
	if (rc != EIDGW_OK)
		gw_log_diag(LOG_CRIT, req->req_id, "audit.append_failed", &d);
	else if (hold)
		gw_req_hold_for_audit(req, ticket);
	return rc;
}

enum eidgw_err
gw_audit_req(const struct gw_req *req, enum gw_audit_event ev, const struct gw_audit_field *f,
    size_t n)
{
	/* written now; the answer waits (without this thread) until it is on disk */
	return audit_write(req, ev, f, n, true);
}

enum eidgw_err
gw_audit_req_progress(const struct gw_req *req, enum gw_audit_event ev,
    const struct gw_audit_field *f, size_t n)
{
	return audit_write(req, ev, f, n, false);
}

char *
gw_jwt_claim_str(const char *jwt, const char *claim)
{
	const char *p = strchr(jwt, '.'), *e;
	struct eidgw_buf b;
	char *sub = NULL;
	json_t *j;

	if (p == NULL || (e = strchr(p + 1, '.')) == NULL)
		return NULL;
	eidgw_buf_init(&b, 64 * 1024);
	if (eidgw_b64_decode(&b, p + 1, (size_t)(e - p - 1), true) == EIDGW_OK &&
	    (j = json_loadb(b.data, b.len, 0, NULL)) != NULL) {
		if (json_is_string(json_object_get(j, claim)))
			sub = strdup(json_string_value(json_object_get(j, claim)));
		json_decref(j);
	}
	eidgw_buf_free(&b);
	return sub;
}

enum eidgw_err
gw_audit_tokens(const struct gw_req *req, const struct oidc_issued *is)
{
	return gw_audit_req(req, GW_AUDIT_TOKENS_ISSUED, (struct gw_audit_field[]){
	    GW_AUDIT_STR("client", is->client_id),
	    GW_AUDIT_STR("sub", is->sub),
	    GW_AUDIT_STR("scope", is->scope),
	    GW_AUDIT_STR("token_type", is->token_type),
	    GW_AUDIT_STR("access_token_sha256", is->access_token_sha256),
	    GW_AUDIT_STR("id_token_sha256", is->id_token_sha256),
	    GW_AUDIT_STR("req", req->req_id),
	}, 7);
}
