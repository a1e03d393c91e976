/*
 * http.h - the HTTP front: libmicrohttpd with a worker thread pool, a route
 * table, request limits, security headers and trusted-proxy handling.
 *
 * A request takes a reference on the configuration snapshot current when it
 * arrives and keeps it until its response is done, so a reload never
 * changes the rules under a request in flight.
 */
#ifndef EIDGW_GW_HTTP_H
#define EIDGW_GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct gw_app;
struct gw_config;
struct gw_http;
struct MHD_Connection;

enum gw_method {
	GW_GET = 1u << 0,
	GW_POST = 1u << 1,
	GW_HEAD = 1u << 2,	/* accepted wherever GET is, unless GW_NO_HEAD */
	GW_NO_HEAD = 1u << 3,	/* route flag: its GET changes state, so HEAD is refused */
	GW_API = 1u << 4,	/* route flag: machine clients; the router's own errors are JSON */
	GW_OTHER = 1u << 7,
};

#define GW_RESP_MAX_HEADERS 16

struct gw_req {
	struct MHD_Connection *conn;
	struct gw_app *app;
	struct gw_config *cfg;		/* snapshot reference held for the request */
	enum gw_method method;
	const char *method_name;
	char *target;			/* raw request target: path?query */
	char *path;			/* the path part of target, not decoded */
	const char *query;		/* raw query after '?', or NULL (points into target) */
	struct eidgw_buf body;
	bool body_too_large;
	bool headers_too_large;
	char req_id[33];
	char client_ip[64];		/* the peer, or the forwarded client behind a trusted proxy */
	bool secure;			/* https as seen by the client */
	uint64_t start_ns;
	int route;			/* metrics index */
};

struct gw_resp {
	unsigned int status;
	const char *content_type;
	struct eidgw_buf body;
	struct {
		char *name;
		char *value;
	} headers[GW_RESP_MAX_HEADERS];
	size_t n_headers;
	unsigned int max_age;		/* 0: Cache-Control no-store (the default) */
	const char *csp;		/* NULL: the API policy (nothing may load) */
	char csp_buf[768];		/* room for a per-response policy (point csp here) */
};

typedef void (*gw_handler_fn)(struct gw_req *req, struct gw_resp *resp);

struct gw_route {
	const char *path;
	unsigned int methods;		/* GW_GET | GW_POST ... */
	gw_handler_fn fn;
	const char *name;		/* metrics label */
};

/* Request helpers. */
const char *gw_req_header(const struct gw_req *req, const char *name);
/*
 * The answer to req must not leave before audit record `ticket`
 * (gw_audit_write) is on disk.  The HTTP layer then holds the answer with
 * the connection suspended, so the worker thread serves other connections
 * meanwhile, sends it once the audit log's sync covers the ticket, and
 * answers 500 instead if the log fails first.
 */
void gw_req_hold_for_audit(const struct gw_req *req, uint64_t ticket);

/* Response helpers (they fail only on memory or size limits). */
enum eidgw_err gw_resp_header(struct gw_resp *resp, const char *name, const char *value) EIDGW_MUST_USE;
/* A short body with its type; copies text. */
void gw_resp_text(struct gw_resp *resp, unsigned int status, const char *ctype, const char *text);
/* A plain error page for browsers (no detail beyond the status and request id). */
void gw_resp_error_page(struct gw_req *req, struct gw_resp *resp, unsigned int status);
/* A JSON error body {"error":code,"error_description":desc}. */
void gw_resp_json_error(struct gw_resp *resp, unsigned int status, const char *code,
    const char *desc);

/*
 * Starts listening on the configured address with routes (the table must
 * live as long as the server).  The socket is opened here so that a taken
 * port is reported precisely; port 0 picks a free port (see gw_http_port).
 */
enum eidgw_err gw_http_start(struct gw_app *app, const struct gw_config *cfg,
    const struct gw_route *routes, size_t n_routes, struct gw_http **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;
uint16_t gw_http_port(const struct gw_http *h);
/* Requests being processed now. */
unsigned int gw_http_inflight(const struct gw_http *h);
/*
 * Drains and stops: from now on new connections are closed as soon as they
 * are accepted and answers say Connection: close; waits up to grace_s for
 * requests in flight to finish (and for held answers), then stops the
 * server and frees it.
 */
void gw_http_stop(struct gw_http *h, unsigned int grace_s);

/* CIDR test used for trusted proxies (exposed for tests). */
bool gw_http_ip_trusted(const struct gw_config *cfg, const char *ip);

#endif
