/*
 * http.c - libmicrohttpd glue: listening socket, worker pool, per-request
 * state, body and header limits, routing, security headers, metrics and
 * the access log line.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app.h"
#include "audit.h"
#include "config.h"
#include "core/util.h"
#include "log.h"
#include "metrics.h"

/* Room for MHD's own read buffer on top of the header budget. */
#define HTTP_POOL_SLACK (16u * 1024u)

struct gw_http {
	struct MHD_Daemon *mhd;
	struct gw_app *app;
	const struct gw_route *routes;
	size_t n_routes;
	int route_unmatched;
	int listen_fd;
	uint16_t port;
	atomic_uint inflight;
	atomic_uint held;		/* answers suspended until their audit records are on disk */
	atomic_bool stopping;		/* gw_http_stop is waiting: hold no more answers */
	atomic_bool draining;		/* gw_http_stop began: no new connections, no keep-alive */
	size_t max_body;
	size_t max_headers;
};

/*
 * A request as the HTTP layer owns it: the handlers' view (req) and the
 * answer held back until the audit records it depends on are on disk.
 */
struct http_req {
	struct gw_req req;
	uint64_t audit_ticket;		/* 0: nothing to wait for */
	struct gw_audit_waiter waiter;
	struct gw_resp held;
	bool holding;			/* suspended, held is the answer */
	enum eidgw_err audit_rc;	/* set by the sync thread before it resumes us */
};

static const char API_CSP[] =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/* ---- helpers for handlers ------------------------------------------ */

const char *
gw_req_header(const struct gw_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void
gw_req_hold_for_audit(const struct gw_req *req, uint64_t ticket)
{
	/* every gw_req is the first member of a non-const http_req owned by this file */
	struct http_req *hr = (struct http_req *)(uintptr_t)req;

	if (ticket > hr->audit_ticket)
		hr->audit_ticket = ticket;
}

enum eidgw_err
gw_resp_header(struct gw_resp *resp, const char *name, const char *value)
{
	char *n, *v;

	if (resp->n_headers >= GW_RESP_MAX_HEADERS)
		return EIDGW_E_TOO_LARGE;
	/* Header injection guard: no CR/LF may reach the wire. */
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return EIDGW_E_INVAL;
	if ((n = strdup(name)) == NULL || (v = strdup(value)) == NULL) {
		free(n);
		return EIDGW_E_NOMEM;
	}
	resp->headers[resp->n_headers].name = n;
	resp->headers[resp->n_headers].value = v;
	resp->n_headers++;
	return EIDGW_OK;
}

void
gw_resp_text(struct gw_resp *resp, unsigned int status, const char *ctype, const char *text)
{
	resp->status = status;
	resp->content_type = ctype;
	eidgw_buf_reset(&resp->body);
	if (eidgw_buf_puts(&resp->body, text) != EIDGW_OK)
		resp->status = 500;
}

static const char *
status_text(unsigned int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

void
gw_resp_error_page(struct gw_req *req, struct gw_resp *resp, unsigned int status)
{
	enum eidgw_err rc;

	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	eidgw_buf_reset(&resp->body);
	rc = eidgw_buf_printf(&resp->body,
	    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>%u %s</title></head><body><main><h1>%s</h1>"
	    "<p>The request could not be completed.</p>"
	    "<p>Reference: <code>%s</code></p></main></body></html>\n",
	    status, status_text(status), status_text(status), req->req_id);
	if (rc != EIDGW_OK)
		resp->status = 500;
}

void
gw_resp_json_error(struct gw_resp *resp, unsigned int status, const char *code,
    const char *desc)
{
	enum eidgw_err rc;

	resp->status = status;
	resp->content_type = "application/json";
	eidgw_buf_reset(&resp->body);
	rc = eidgw_buf_puts(&resp->body, "{\"error\":\"");
	if (rc == EIDGW_OK)
		rc = eidgw_buf_json_escape(&resp->body, code);
	if (rc == EIDGW_OK && desc != NULL) {
		rc = eidgw_buf_puts(&resp->body, "\",\"error_description\":\"");
		if (rc == EIDGW_OK)
			rc = eidgw_buf_json_escape(&resp->body, desc);
	}
	if (rc == EIDGW_OK)
		rc = eidgw_buf_puts(&resp->body, "\"}");
	if (rc != EIDGW_OK)
		resp->status = 500;
}

static void
resp_free(struct gw_resp *resp)
{
	size_t i;

	for (i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	resp->n_headers = 0;
	eidgw_buf_free(&resp->body);
}

/* ---- trusted proxies ------------------------------------------------- */

static bool
cidr_match(const struct gw_cidr *c, int family, const unsigned char *addr)
{
	int full, rest;

	if (c->family != family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr, addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

bool
gw_http_ip_trusted(const struct gw_config *cfg, const char *ip)
{
	unsigned char a[16];
	size_t i;
	int fam;

	if (inet_pton(AF_INET, ip, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		fam = AF_INET6;
	else
		return false;
	for (i = 0; i < cfg->server.n_trusted_proxies; i++)
		if (cidr_match(&cfg->server.trusted_proxies[i], fam, a))
			return true;
	return false;
}

static void
peer_address(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	(void)snprintf(out, outlen, "unknown");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		    (socklen_t)outlen);
}

/*
 * X-Forwarded-For is honoured only when the peer is a trusted proxy; the
 * client is then the right-most address that is not itself a trusted proxy
 * (addresses further left were written by the client and prove nothing).
 */
static void
resolve_client(struct gw_req *req)
{
	char peer[64], item[64];
	const char *xff, *proto, *end, *start;
	size_t n;

	peer_address(req->conn, peer, sizeof(peer));
	(void)snprintf(req->client_ip, sizeof(req->client_ip), "%s", peer);
	req->secure = eidgw_starts_with(req->cfg->server.public_url, "https:");
	if (!gw_http_ip_trusted(req->cfg, peer))
		return;
	if ((proto = gw_req_header(req, "X-Forwarded-Proto")) != NULL)
		req->secure = strcmp(proto, "https") == 0;
	if ((xff = gw_req_header(req, "X-Forwarded-For")) == NULL)
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		n = (size_t)(end - start);
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(item))
			return;
		memcpy(item, start, n);
		item[n] = '\0';
		if (!gw_http_ip_trusted(req->cfg, item)) {
			unsigned char tmp[16];

			/* Only a syntactically valid address replaces the peer. */
			if (inet_pton(AF_INET, item, tmp) == 1 || inet_pton(AF_INET6, item, tmp) == 1)
				(void)snprintf(req->client_ip, sizeof(req->client_ip), "%s", item);
			return;
		}
		end = start > xff ? start - 1 : xff;
		while (end > xff && end[-1] == ',')
			end--;
		if (start == xff)
			break;
	}
}

/* ---- request life cycle --------------------------------------------- */

static enum gw_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return GW_GET;
	if (strcmp(m, "POST") == 0)
		return GW_POST;
	if (strcmp(m, "HEAD") == 0)
		return GW_HEAD;
	return GW_OTHER;
}

struct hdr_count {
	size_t bytes;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_count *hc = cls;

	hc->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* MHD calls this first for every request, with the raw target: our per-request state starts here. */
static void *
http_uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct gw_http *h = cls;
	struct http_req *hr;
	struct gw_req *req;
	unsigned char rnd[16];
	char *q;

	if ((hr = calloc(1, sizeof(*hr))) == NULL)
		return NULL;
	req = &hr->req;
	req->start_ns = eidgw_mono_ns();
	req->conn = conn;
	req->app = h->app;
	req->cfg = gw_app_config(h->app);
	req->route = h->route_unmatched;
	req->target = strdup(uri != NULL ? uri : "/");
	req->path = req->target != NULL ? strdup(req->target) : NULL;
	if (req->path != NULL && (q = strchr(req->path, '?')) != NULL) {
		*q = '\0';
		req->query = req->target + (q - req->path) + 1;
	}
	if (eidgw_random(rnd, sizeof(rnd)) == EIDGW_OK)
		eidgw_hex(req->req_id, rnd, sizeof(rnd));
	else
		(void)snprintf(req->req_id, sizeof(req->req_id), "norandom");
	/* the body limit is the request's snapshot's: it may change on reload */
	eidgw_buf_init(&req->body, req->cfg != NULL ? req->cfg->server.max_body_bytes : h->max_body);
	atomic_fetch_add(&h->inflight, 1);
	return req;
}

static void
req_free(struct gw_http *h, struct gw_req *req)
{
	if (req == NULL)
		return;
	eidgw_buf_free(&req->body);
	free(req->target);
	free(req->path);
	gw_config_unref(req->cfg);
	resp_free(&((struct http_req *)req)->held);
	free(req);
	atomic_fetch_sub(&h->inflight, 1);
}

static void
http_completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct gw_http *h = cls;

	req_free(h, *con_cls);
	*con_cls = NULL;
}

static const struct gw_route *
route_find(const struct gw_http *h, const char *path)
{
	size_t i;

	for (i = 0; i < h->n_routes; i++)
		if (strcmp(h->routes[i].path, path) == 0)
			return &h->routes[i];
	return NULL;
}

static void
allow_header(const struct gw_route *r, char *out, size_t n)
{
	out[0] = '\0';
	if (r->methods & GW_GET)
		(void)snprintf(out, n, (r->methods & GW_NO_HEAD) ? "GET" : "GET, HEAD");
	if (r->methods & GW_POST)
		(void)snprintf(out + strlen(out), n - strlen(out), "%sPOST",
		    out[0] != '\0' ? ", " : "");
}

static enum MHD_Result
send_response(struct gw_http *h, struct gw_req *req, struct gw_resp *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	char cc[64];
	size_t i, len = 0;
	char *body;

	body = eidgw_buf_steal(&resp->body, &len);
	if (body == NULL)
		return MHD_NO;
	mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (mr == NULL) {
		free(body);
		return MHD_NO;
	}
	if (resp->content_type != NULL)
		(void)MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	/* Security headers on every answer. */
	(void)MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	(void)MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
	(void)MHD_add_response_header(mr, "Content-Security-Policy",
	    resp->csp != NULL ? resp->csp : API_CSP);
	(void)MHD_add_response_header(mr, "X-Request-Id", req->req_id);
	if (req->secure)
		(void)MHD_add_response_header(mr, "Strict-Transport-Security",
		    "max-age=31536000; includeSubDomains");
	if (resp->max_age == 0) {
		(void)MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		(void)MHD_add_response_header(mr, MHD_HTTP_HEADER_PRAGMA, "no-cache");
	} else {
		(void)snprintf(cc, sizeof(cc), "public, max-age=%u", resp->max_age);
		(void)MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	}
	for (i = 0; i < resp->n_headers; i++)
		(void)MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
	/* draining: the client's next request must go to another node */
	if (atomic_load(&h->draining))
		(void)MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(req->conn, resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/*
 * Sends, then records metrics and the access log line: the path only (a query
 * may carry codes or tokens) and no client address (personal data).
 */
static enum MHD_Result
finish(struct gw_http *h, struct gw_req *req, struct gw_resp *resp)
{
	enum MHD_Result ret;
	uint64_t ns;
	char st[8], us[24];
	unsigned int status = resp->status;

	ret = send_response(h, req, resp);
	resp_free(resp);
	ns = eidgw_mono_ns() - req->start_ns;
	gw_metrics_request(req->route, status, ns);
	(void)snprintf(st, sizeof(st), "%u", status);
	(void)snprintf(us, sizeof(us), "%llu", (unsigned long long)(ns / 1000));
	gw_logkv(status >= 500 ? LOG_WARNING : LOG_INFO, req->req_id, "http.request", NULL,
	    "method", req->method_name != NULL ? req->method_name : "",
	    "path", req->path != NULL ? req->path : "", "status", st, "us", us,
	    (const char *)NULL);
	return ret;
}

/* The answer's audit records never reached the disk: a 500 instead (JSON for JSON endpoints). */
static void
answer_not_durable(struct http_req *hr, struct gw_resp *resp)
{
	bool json = resp->content_type != NULL &&
	    strncmp(resp->content_type, "application/json", 16) == 0;

	gw_log(LOG_CRIT, hr->req.req_id, "audit.not_durable",
	    "the audit record of this answer is not on disk: answering 500 instead");
	resp_free(resp);
	memset(resp, 0, sizeof(*resp));
	eidgw_buf_init(&resp->body, 4u * 1024u * 1024u);
	if (json)
		gw_resp_json_error(resp, 500, "server_error", "temporarily unable to record the event");
	else
		gw_resp_error_page(&hr->req, resp, 500);
}

/* The audit sync thread: the records are on disk (or the log failed). */
static void
audit_durable_cb(void *arg, enum eidgw_err rc)
{
	struct http_req *hr = arg;

	hr->audit_rc = rc;
	MHD_resume_connection(hr->req.conn);
}

/*
 * Sends the answer, unless audit records it depends on are not on disk
 * yet: then the connection is suspended (the worker goes on serving
 * others), the answer kept, and the audit sync thread resumes it.
 */
static enum MHD_Result
finish_durable(struct gw_http *h, struct http_req *hr, struct gw_resp *resp)
{
	struct gw_audit *audit = hr->req.app != NULL ? hr->req.app->audit : NULL;
	enum MHD_Result ret;
	enum eidgw_err rc;

	if (hr->audit_ticket == 0 || audit == NULL) {
		ret = finish(h, &hr->req, resp);
		gw_log_batch_end();
		return ret;
	}
	gw_log_batch_end();	/* the worker serves others while this answer is held */
	hr->waiter = (struct gw_audit_waiter){ .ticket = hr->audit_ticket,
	    .done = audit_durable_cb, .arg = hr };
	hr->audit_ticket = 0;
	/*
	 * Counted before stopping is read (both seq_cst): either gw_http_stop
	 * sees this answer held and waits for it, or we see it stopping and do
	 * not suspend (no connection may stay suspended into MHD_stop_daemon).
	 */
	atomic_fetch_add(&h->held, 1);
	if (atomic_load(&h->stopping)) {
		atomic_fetch_sub(&h->held, 1);
		if (gw_audit_wait_durable(audit, hr->waiter.ticket) != EIDGW_OK)
			answer_not_durable(hr, resp);
		return finish(h, &hr->req, resp);
	}
	/* suspend before queueing: the sync thread may resume us at once */
	hr->held = *resp;
	if (resp->csp == resp->csp_buf)
		hr->held.csp = hr->held.csp_buf;
	hr->holding = true;
	MHD_suspend_connection(hr->req.conn);
	if (gw_audit_when_durable(audit, &hr->waiter, &rc)) {
		hr->audit_rc = rc;
		MHD_resume_connection(hr->req.conn);
	}
	return MHD_YES;
}

/* Called again after the resume: send the held answer, or a 500 if the record never got to disk. */
static enum MHD_Result
finish_held(struct gw_http *h, struct http_req *hr)
{
	struct gw_resp resp = hr->held;

	if (hr->held.csp == hr->held.csp_buf)
		resp.csp = resp.csp_buf;
	memset(&hr->held, 0, sizeof(hr->held));
	hr->holding = false;
	atomic_fetch_sub(&h->held, 1);
	if (hr->audit_rc != EIDGW_OK)
		answer_not_durable(hr, &resp);
	return finish(h, &hr->req, &resp);
}

static enum MHD_Result
http_access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct gw_http *h = cls;
	struct gw_req *req = *con_cls;
	struct gw_resp resp;
	const struct gw_route *r;
	const char *clen;
	struct hdr_count hc = { 0 };
	char allow[32];
	unsigned long long n;
	char *end;

	if (req == NULL)
		return MHD_NO;
	if (((struct http_req *)req)->holding)
		return finish_held(h, (struct http_req *)req);
	memset(&resp, 0, sizeof(resp));
	eidgw_buf_init(&resp.body, 4u * 1024u * 1024u);
	resp.status = 500;

	if (req->method_name == NULL) {
		/* First call: headers are in, the body (if any) is not. */
		req->method_name = method;
		req->method = method_of(method);
		resolve_client(req);
		(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &hc);
		if (hc.bytes + strlen(req->target != NULL ? req->target : "") > h->max_headers) {
			gw_resp_error_page(req, &resp, 431);
			return finish(h, req, &resp);
		}
		if (req->target == NULL || req->path == NULL) {
			gw_resp_error_page(req, &resp, 500);
			return finish(h, req, &resp);
		}
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen != NULL) {
			errno = 0;
			n = strtoull(clen, &end, 10);
			if (errno != 0 || *end != '\0' || n > req->body.max) {
				r = route_find(h, req->path);
				if (r != NULL && (r->methods & GW_API))
					gw_resp_json_error(&resp, 413, "invalid_request",
					    "request body too large");
				else
					gw_resp_error_page(req, &resp, 413);
				return finish(h, req, &resp);
			}
		}
		resp_free(&resp);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!req->body_too_large &&
		    eidgw_buf_append(&req->body, upload_data, *upload_data_size) != EIDGW_OK)
			req->body_too_large = true;
		*upload_data_size = 0;
		resp_free(&resp);
		return MHD_YES;
	}
	r = route_find(h, req->path);
	if (req->body_too_large) {
		if (r != NULL && (r->methods & GW_API))
			gw_resp_json_error(&resp, 413, "invalid_request", "request body too large");
		else
			gw_resp_error_page(req, &resp, 413);
		return finish(h, req, &resp);
	}
	if (r == NULL) {
		gw_resp_error_page(req, &resp, 404);
		return finish(h, req, &resp);
	}
	req->route = gw_metrics_route(r->name);
	if ((req->method & r->methods) == 0 &&
	    !(req->method == GW_HEAD && (r->methods & GW_GET) && !(r->methods & GW_NO_HEAD))) {
		allow_header(r, allow, sizeof(allow));
		if (r->methods & GW_API)
			gw_resp_json_error(&resp, 405, "invalid_request", "method not allowed");
		else
			gw_resp_error_page(req, &resp, 405);
		if (gw_resp_header(&resp, "Allow", allow) != EIDGW_OK)
			resp.status = 500;
		return finish(h, req, &resp);
	}
	gw_log_batch_begin();	/* the handler's info lines and the access line: one write */
	r->fn(req, &resp);
	return finish_durable(h, (struct http_req *)req, &resp);
}

/* ---- start and stop -------------------------------------------------- */

static int
open_listener(const char *host, uint16_t port, struct eidgw_diag *d)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen;
	int fd, one = 1, fam;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		fam = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		slen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		fam = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		slen = sizeof(*s6);
	} else {
		(void)eidgw_diag_set(d, EIDGW_E_HTTP_BIND, __FILE__, __LINE__,
		    "listen address %s is not an IP address", host);
		return -1;
	}
	if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		(void)eidgw_diag_set(d, EIDGW_E_HTTP_BIND, __FILE__, __LINE__, "socket: %s",
		    strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, 512) != 0) {
		(void)eidgw_diag_set(d, EIDGW_E_HTTP_BIND, __FILE__, __LINE__,
		    "cannot listen on %s port %u: %s", host, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) EIDGW_PRINTF(2, 0);

/* libmicrohttpd's own messages (its format strings) into our log. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	gw_log(LOG_NOTICE, NULL, "http.server", "%s", msg);
}

/*
 * Accept policy: once gw_http_stop has begun, a new connection is closed as
 * soon as it is accepted (the client or its load balancer retries another
 * node).  This stops new work without MHD_quiesce_daemon (see gw_http_stop).
 */
static enum MHD_Result
http_accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct gw_http *h = cls;

	(void)addr;
	(void)addrlen;
	return atomic_load(&h->draining) ? MHD_NO : MHD_YES;
}

enum eidgw_err
gw_http_start(struct gw_app *app, const struct gw_config *cfg, const struct gw_route *routes,
    size_t n_routes, struct gw_http **out, struct eidgw_diag *d)
{
	struct gw_http *h = NULL;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	unsigned int threads;
	enum eidgw_err rc;
	size_t i;
	long ncpu;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return EIDGW_E_NOMEM;
	h->listen_fd = -1;
	h->app = app;
	h->routes = routes;
	h->n_routes = n_routes;
	h->max_body = cfg->server.max_body_bytes;
	h->max_headers = cfg->server.max_header_bytes;
	h->route_unmatched = gw_metrics_route("unmatched");
	for (i = 0; i < n_routes; i++)
		(void)gw_metrics_route(routes[i].name);
	if ((h->listen_fd = open_listener(cfg->server.listen_host, cfg->server.listen_port, d)) < 0) {
		rc = EIDGW_E_HTTP_BIND;
		goto out;
	}
	if (getsockname(h->listen_fd, (struct sockaddr *)&ss, &slen) == 0)
		h->port = ntohs(ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
	threads = cfg->server.threads;
	if (threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu > 0 ? (unsigned int)ncpu : 2;
	}
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
	    0, http_accept_cb, h, http_access_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->server.max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->server.request_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(cfg->server.max_header_bytes + HTTP_POOL_SLACK),
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, h,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed_cb, h,
	    MHD_OPTION_END);
	if (h->mhd == NULL)
		EIDGW_FAIL(d, EIDGW_E_HTTP_BIND, "the HTTP server failed to start on %s port %u",
		    cfg->server.listen_host, h->port);
	*out = h;
	h = NULL;
	rc = EIDGW_OK;
out:
	if (h != NULL) {
		if (h->listen_fd >= 0)
			close(h->listen_fd);
		free(h);
	}
	return rc;
}

uint16_t
gw_http_port(const struct gw_http *h)
{
	return h->port;
}

unsigned int
gw_http_inflight(const struct gw_http *h)
{
	return atomic_load(&((struct gw_http *)h)->inflight);
}

void
gw_http_stop(struct gw_http *h, unsigned int grace_s)
{
	uint64_t deadline;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (h == NULL)
		return;
	/*
	 * Requests in flight finish within the grace period while /readyz
	 * already says 503 (the caller set draining), so a load balancer sends
	 * nothing new.  New connections are closed as soon as they are accepted
	 * (http_accept_cb) and every answer from now on says Connection: close,
	 * so keep-alive clients leave too.  MHD_quiesce_daemon is not used: on
	 * an epoll daemon with worker threads it races with the workers' own
	 * removal of the listen socket and libmicrohttpd aborts the process (an
	 * open libmicrohttpd defect, seen in CI); MHD_stop_daemon below closes
	 * the socket.
	 */
	atomic_store(&h->draining, true);
	deadline = eidgw_mono_ns() + (uint64_t)grace_s * 1000000000ull;
	while (atomic_load(&h->inflight) > 0 && eidgw_mono_ns() < deadline)
		nanosleep(&ts, NULL);
	if (atomic_load(&h->inflight) > 0)
		gw_log(LOG_WARNING, NULL, "http.stop", "%u requests still running after %u s grace",
		    atomic_load(&h->inflight), grace_s);
	/*
	 * A held answer belongs to the audit log's sync thread until it resumes
	 * the connection; stopping the server before that would free a request
	 * the log still points at.  The sync always ends (on disk or failed),
	 * so wait for it, however long the disk takes.
	 */
	atomic_store(&h->stopping, true);
	for (deadline = 0; atomic_load(&h->held) > 0; deadline++) {
		if (deadline % 250 == 0)
			gw_log(LOG_WARNING, NULL, "http.stop",
			    "%u answers still wait for the audit log's disk sync", atomic_load(&h->held));
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(h->mhd);
	free(h);
}
