/*
 * metrics.h - process-wide counters exported at /metrics in the Prometheus
 * text format.  Counters are relaxed atomics in fixed arrays (no allocation,
 * no lock on the request path).
 */
#ifndef EIDGW_GW_METRICS_H
#define EIDGW_GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define GW_METRICS_MAX_ROUTES 32

enum gw_login_outcome {
	GW_LOGIN_STARTED = 0,
	GW_LOGIN_SUCCESS,
	GW_LOGIN_DENIED,	/* the citizen cancelled or the IdP refused */
	GW_LOGIN_REJECTED,	/* the Response failed validation */
	GW_LOGIN_ERROR,		/* internal or dependency failure */
	GW_LOGIN_EXPIRED,
	GW_LOGIN__COUNT
};

/* Registers a route name; returns its index (stable for the process). */
int gw_metrics_route(const char *name);
/* Records one finished request. */
void gw_metrics_request(int route, unsigned int status, uint64_t duration_ns);
void gw_metrics_login(enum gw_login_outcome outcome);
void gw_metrics_reload(int ok);
/* Appends the exposition text to out. */
enum eidgw_err gw_metrics_render(struct eidgw_buf *out) EIDGW_MUST_USE;

#endif
