/* metrics.c - see metrics.h. */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "core/util.h"

/* Status codes we count one by one; anything else lands in "other". */
static const unsigned int tracked_status[] = {
	200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 408, 413, 414,
	415, 429, 431, 500, 501, 503,
};
#define N_STATUS (EIDGW_ARRAY_LEN(tracked_status) + 1)

/* Latency histogram upper bounds in microseconds (+Inf is implicit). */
static const uint64_t bucket_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000,
};
#define N_BUCKETS (EIDGW_ARRAY_LEN(bucket_us) + 1)

struct route_metrics {
	_Atomic(const char *) name;
	atomic_ullong by_status[N_STATUS];
	atomic_ullong buckets[N_BUCKETS];
	atomic_ullong sum_us;
	atomic_ullong count;
};

static struct route_metrics routes[GW_METRICS_MAX_ROUTES];
static atomic_int n_routes;
static atomic_ullong logins[GW_LOGIN__COUNT];
static atomic_ullong reloads_ok, reloads_failed;

static const char *const login_names[GW_LOGIN__COUNT] = {
	"started", "success", "denied", "rejected", "error", "expired",
};

int
gw_metrics_route(const char *name)
{
	int i, n = atomic_load(&n_routes);

	for (i = 0; i < n; i++)
		if (strcmp(atomic_load(&routes[i].name), name) == 0)
			return i;
	/* Registration happens at start-up from one thread. */
	if (n >= GW_METRICS_MAX_ROUTES)
		return GW_METRICS_MAX_ROUTES - 1;
	atomic_store(&routes[n].name, name);
	atomic_store(&n_routes, n + 1);
	return n;
}

void
gw_metrics_request(int route, unsigned int status, uint64_t duration_ns)
{
	struct route_metrics *r;
	uint64_t us = duration_ns / 1000;
	size_t i;

	if (route < 0 || route >= atomic_load(&n_routes))
		return;
	r = &routes[route];
	for (i = 0; i < EIDGW_ARRAY_LEN(tracked_status); i++)
		if (tracked_status[i] == status)
			break;
	atomic_fetch_add_explicit(&r->by_status[i], 1, memory_order_relaxed);
	for (i = 0; i < EIDGW_ARRAY_LEN(bucket_us); i++)
		if (us <= bucket_us[i])
			break;
	atomic_fetch_add_explicit(&r->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
}

void
gw_metrics_login(enum gw_login_outcome outcome)
{
	if ((unsigned int)outcome < GW_LOGIN__COUNT)
		atomic_fetch_add_explicit(&logins[outcome], 1, memory_order_relaxed);
}

void
gw_metrics_reload(int ok)
{
	atomic_fetch_add_explicit(ok ? &reloads_ok : &reloads_failed, 1, memory_order_relaxed);
}

enum eidgw_err
gw_metrics_render(struct eidgw_buf *out)
{
	enum eidgw_err rc = EIDGW_OK;
	int i, n = atomic_load(&n_routes);
	unsigned long long v, cum;
	size_t s, bi;

#define P(...) do { if ((rc = eidgw_buf_printf(out, __VA_ARGS__)) != EIDGW_OK) return rc; } while (0)
	P("# HELP eidgw_http_requests_total HTTP requests by route and status code.\n"
	  "# TYPE eidgw_http_requests_total counter\n");
	for (i = 0; i < n; i++) {
		for (s = 0; s < N_STATUS; s++) {
			v = atomic_load_explicit(&routes[i].by_status[s], memory_order_relaxed);
			if (v == 0)
				continue;
			if (s < EIDGW_ARRAY_LEN(tracked_status))
				P("eidgw_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
				    atomic_load(&routes[i].name), tracked_status[s], v);
			else
				P("eidgw_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
				    atomic_load(&routes[i].name), v);
		}
	}
	P("# HELP eidgw_http_request_duration_seconds Time from request start to response queued.\n"
	  "# TYPE eidgw_http_request_duration_seconds histogram\n");
	for (i = 0; i < n; i++) {
		const char *name = atomic_load(&routes[i].name);

		cum = 0;
		for (bi = 0; bi < N_BUCKETS; bi++) {
			cum += atomic_load_explicit(&routes[i].buckets[bi], memory_order_relaxed);
			if (bi < EIDGW_ARRAY_LEN(bucket_us))
				P("eidgw_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				    name, (double)bucket_us[bi] / 1e6, cum);
			else
				P("eidgw_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				    name, cum);
		}
		P("eidgw_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
		    (double)atomic_load(&routes[i].sum_us) / 1e6);
		P("eidgw_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
		    (unsigned long long)atomic_load(&routes[i].count));
	}
	P("# HELP eidgw_logins_total Logins by outcome.\n# TYPE eidgw_logins_total counter\n");
	for (s = 0; s < GW_LOGIN__COUNT; s++)
		P("eidgw_logins_total{outcome=\"%s\"} %llu\n", login_names[s],
		    (unsigned long long)atomic_load(&logins[s]));
	P("# HELP eidgw_config_reloads_total Configuration reloads by result.\n"
	  "# TYPE eidgw_config_reloads_total counter\n"
	  "eidgw_config_reloads_total{result=\"ok\"} %llu\n"
	  "eidgw_config_reloads_total{result=\"refused\"} %llu\n",
	    (unsigned long long)atomic_load(&reloads_ok),
	    (unsigned long long)atomic_load(&reloads_failed));
#undef P
	return rc;
}
