/*
 * bench_login.c - the whole login over HTTP on loopback (issue 6).  One
 * program plays browser, relying party and national IdP at once, on
 * blocking libcurl easy handles, one thread per concurrent login:
 *
 *   GET /oidc/authorize?...&country=LU   -> HTML form with a signed AuthnRequest
 *   (IdP) Response to that request's ID, signed (and encrypted)
 *   POST /saml/acs                        -> 303 to redirect_uri?code=
 *   POST /oidc/token (client_secret_basic)-> access_token
 *   GET /oidc/userinfo                    -> claims
 *
 * Modes:
 *   bench-login metadata --keys DIR --profile P --out FILE
 *   bench-login run --keys DIR --profile P --url URL [--url URL2] --pid PID [--pid PID2]
 *       [--redis-pid PID] [--seconds S] [--warmup S] [--concurrency N]
 *       [--crypto-us X] [--rate R] [--label L] [--json FILE]
 *   bench-login pending --url URL --count N [--concurrency N]
 *
 * --rate paces the logins to R per second in all (each worker starts one
 * every concurrency/R seconds, skipping ahead when late), for latency below
 * peak load; without it every worker starts its next login at once.
 * "run" measures a fixed window after a warm-up and stops by itself; eidgw's
 * CPU time comes from /proc/<pid>/stat (utime + stime) over that window.
 * Only 127.0.0.1 URLs are accepted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "bench.h"
#include "core/util.h"
#include "saml/response.h"
#include "saml/xml.h"

#define CLIENT_ID	"bench"
#define CLIENT_SECRET	"bench-client-secret-0123456789abcdef"
/* the redirect_uri http://127.0.0.1:9/cb, form-encoded, as a printf format */
#define REDIRECT_FMT	"http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb"
#define VERIFIER	"bench-verifier-0123456789abcdefghijklmnopqrstuvwxyz"
#define MAX_THREADS	256
#define MAX_NODES	2

enum ep { EP_AUTHORIZE, EP_ACS, EP_TOKEN, EP_USERINFO, EP_N };
static const char *const ep_name[EP_N] = { "authorize", "acs", "token", "userinfo" };

struct lat {
	uint32_t *v;	/* microseconds */
	size_t n, cap;
};

struct worker {
	pthread_t th;
	int idx;
	CURL *h;
	struct eidgw_buf body;
	char loc[4096];
	struct lat lat[EP_N];
	uint64_t logins, errors;
	char first_error[256];
};

static const struct bench_keys *keys;
static const char *urls[MAX_NODES];
static size_t nurls = 1;
static char challenge[64];
static atomic_int measuring, stopping;
static atomic_ullong serial;
static double rate;		/* logins per second in all; 0: as fast as possible */
static int nworkers = 1;
static uint64_t pending_left, pending_deadline;
static pthread_mutex_t pending_mu = PTHREAD_MUTEX_INITIALIZER;

static void
lat_add(struct lat *l, uint64_t ns)
{
	uint32_t *n;

	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? l->cap * 2 : 4096;
		if ((n = realloc(l->v, l->cap * sizeof(*n))) == NULL) {
			l->cap = l->n;
			return;
		}
		l->v = n;
	}
	l->v[l->n++] = (uint32_t)(ns / 1000);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct eidgw_buf *b = ctx;

	if (eidgw_buf_append(b, p, sz * n) != EIDGW_OK)
		return 0;
	return sz * n;
}

static void fail(struct worker *w, const char *fmt, ...) EIDGW_PRINTF(2, 3);

static void
fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
	va_end(ap);
}

/*
 * One request; on success *status and the body are set, and w->loc holds
 * the redirect target (empty without one).  Timed into ep.
 */
static int
request(struct worker *w, enum ep ep, const char *url, const char *post,
    const char *bearer, bool basic, long *status)
{
	struct curl_slist *hdrs = NULL;
	char auth[1024];
	char *red = NULL;
	uint64_t t0;
	CURLcode cc;

	curl_easy_reset(w->h);
	eidgw_buf_reset(&w->body);
	w->loc[0] = '\0';
	(void)curl_easy_setopt(w->h, CURLOPT_URL, url);
	(void)curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(w->h, CURLOPT_WRITEDATA, &w->body);
	(void)curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(w->h, CURLOPT_TIMEOUT, 30L);
	if (post != NULL)
		(void)curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, post);
	if (basic) {
		(void)curl_easy_setopt(w->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		(void)curl_easy_setopt(w->h, CURLOPT_USERPWD, CLIENT_ID ":" CLIENT_SECRET);
	}
	if (bearer != NULL) {
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		if ((hdrs = curl_slist_append(NULL, auth)) == NULL)
			return -1;
		(void)curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, hdrs);
	}
	t0 = bench_ns();
	cc = curl_easy_perform(w->h);
	if (atomic_load(&measuring))
		lat_add(&w->lat[ep], bench_ns() - t0);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK) {
		fail(w, "curl: %s", curl_easy_strerror(cc));
		return -1;
	}
	(void)curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, status);
	if (curl_easy_getinfo(w->h, CURLINFO_REDIRECT_URL, &red) == CURLE_OK && red != NULL)
		(void)snprintf(w->loc, sizeof(w->loc), "%s", red);
	return 0;
}

/* The value="" of the hidden input name in html (malloc'd), or NULL. */
static char *
form_field(const char *html, const char *name)
{
	char pat[128];
	const char *p, *e;

	(void)snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	if (html == NULL || (p = strstr(html, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL)
		return NULL;
	return strndup(p, (size_t)(e - p));
}

/* The ID attribute of the AuthnRequest carried base64 in b64. */
static char *
request_id(const char *b64)
{
	size_t n = strlen(b64);
	unsigned char *xml = malloc(n / 4 * 3 + 4);
	char *id = NULL, *p, *e;
	int len;

	if (xml == NULL)
		return NULL;
	len = EVP_DecodeBlock(xml, (const unsigned char *)b64, (int)n);
	if (len > 0) {
		xml[len] = '\0';
		if ((p = strstr((char *)xml, " ID=\"")) != NULL && (e = strchr(p + 5, '"')) != NULL)
			id = strndup(p + 5, (size_t)(e - p - 5));
	}
	free(xml);
	return id;
}

/* The base64 SAMLResponse, form-encoded, with the RelayState: the ACS body. */
static char *
acs_body(struct worker *w, const char *req_id, const char *relay)
{
	struct bench_resp_params p;
	struct eidgw_buf xml, post;
	struct eidgw_diag d = { 0 };
	unsigned char *b64 = NULL;
	char *esc = NULL, *resc = NULL, *out = NULL, acs[512], aud[512];
	int n;

	eidgw_buf_init(&xml, 1024 * 1024);
	eidgw_buf_init(&post, 4 * 1024 * 1024);
	(void)snprintf(acs, sizeof(acs), "%s/saml/acs", urls[0]);
	(void)snprintf(aud, sizeof(aud), "%s/saml/metadata", urls[0]);
	memset(&p, 0, sizeof(p));
	p.in_response_to = req_id;
	p.acs_url = acs;
	p.sp_entity_id = aud;
	p.loa = SAML_LOA_SUBSTANTIAL;
	p.serial = atomic_fetch_add(&serial, 1);
	p.encrypt = true;
	p.sign_assertion = true;
	if (bench_resp_build(keys, &p, &xml, &d) != EIDGW_OK) {
		fail(w, "IdP: %s", d.reason);
		goto out;
	}
	if ((b64 = malloc(xml.len / 3 * 4 + 8)) == NULL)
		goto out;
	n = EVP_EncodeBlock(b64, (const unsigned char *)xml.data, (int)xml.len);
	if ((esc = curl_easy_escape(w->h, (const char *)b64, n)) == NULL ||
	    (resc = curl_easy_escape(w->h, relay, 0)) == NULL ||
	    eidgw_buf_printf(&post, "SAMLResponse=%s&RelayState=%s", esc, resc) != EIDGW_OK)
		goto out;
	out = eidgw_buf_steal(&post, NULL);
out:
	curl_free(esc);
	curl_free(resc);
	free(b64);
	eidgw_buf_free(&xml);
	eidgw_buf_free(&post);
	return out;
}

/* The value of ?name= or &name= in url (malloc'd), or NULL. */
static char *
query_value(const char *url, const char *name)
{
	char pat[64];
	const char *p, *e;

	(void)snprintf(pat, sizeof(pat), "?%s=", name);
	if ((p = strstr(url, pat)) == NULL) {
		pat[0] = '&';
		if ((p = strstr(url, pat)) == NULL)
			return NULL;
	}
	p += strlen(pat);
	e = strchr(p, '&');
	return strndup(p, e != NULL ? (size_t)(e - p) : strlen(p));
}

/* One whole login; true when every step answered as it must. */
static bool
one_login(struct worker *w, uint64_t nth)
{
	const char *a = urls[nth % nurls], *b = urls[(nth + 1) % nurls];
	char url[2048], tokbody[1024];
	char *saml = NULL, *relay = NULL, *rid = NULL, *post = NULL, *code = NULL, *at = NULL;
	json_t *j = NULL;
	bool ok = false;
	long st = 0;

	(void)snprintf(url, sizeof(url), "%s/oidc/authorize?response_type=code&client_id="
	    CLIENT_ID "&redirect_uri=" REDIRECT_FMT "&scope=openid%%20profile&state=st&nonce=nn"
	    "&code_challenge_method=S256&code_challenge=%s&country=" BENCH_COUNTRY, a, challenge);
	if (request(w, EP_AUTHORIZE, url, NULL, NULL, false, &st) != 0)
		goto out;
	if (st != 200 || (saml = form_field(w->body.data, "SAMLRequest")) == NULL ||
	    (relay = form_field(w->body.data, "RelayState")) == NULL ||
	    (rid = request_id(saml)) == NULL) {
		fail(w, "authorize: no AuthnRequest form (%s)", w->loc[0] != '\0' ? w->loc :
		    "no redirect");
		goto out;
	}
	if ((post = acs_body(w, rid, relay)) == NULL)
		goto out;
	(void)snprintf(url, sizeof(url), "%s/saml/acs", b);
	if (request(w, EP_ACS, url, post, NULL, false, &st) != 0)
		goto out;
	if (st != 303 || (code = query_value(w->loc, "code")) == NULL) {
		fail(w, "acs: no code (%s)", w->loc[0] != '\0' ? w->loc : "no redirect");
		goto out;
	}
	(void)snprintf(tokbody, sizeof(tokbody), "grant_type=authorization_code&code=%s"
	    "&redirect_uri=" REDIRECT_FMT "&code_verifier=" VERIFIER, code);
	(void)snprintf(url, sizeof(url), "%s/oidc/token", a);
	if (request(w, EP_TOKEN, url, tokbody, NULL, true, &st) != 0)
		goto out;
	if (st != 200 || (j = json_loads(w->body.data != NULL ? w->body.data : "", 0, NULL)) ==
	    NULL || json_string_value(json_object_get(j, "access_token")) == NULL ||
	    json_string_value(json_object_get(j, "id_token")) == NULL) {
		fail(w, "token: %.200s", w->body.data != NULL ? w->body.data : "");
		goto out;
	}
	if ((at = strdup(json_string_value(json_object_get(j, "access_token")))) == NULL)
		goto out;
	(void)snprintf(url, sizeof(url), "%s/oidc/userinfo", b);
	if (request(w, EP_USERINFO, url, NULL, at, false, &st) != 0)
		goto out;
	if (st != 200 || w->body.data == NULL || strstr(w->body.data, "\"sub\"") == NULL) {
		fail(w, "userinfo: %.200s", w->body.data != NULL ? w->body.data : "");
		goto out;
	}
	ok = true;
out:
	json_decref(j);
	free(saml);
	free(relay);
	free(rid);
	free(post);
	free(code);
	free(at);
	return ok;
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t nth = (uint64_t)w->idx, gap = 0, next = bench_ns(), now;

	if (rate > 0) {
		gap = (uint64_t)((double)nworkers / rate * 1e9);
		next += gap * (uint64_t)w->idx / (uint64_t)nworkers;	/* spread the starts */
	}
	while (!atomic_load(&stopping)) {
		bool ok;

		if (gap != 0) {
			now = bench_ns();
			if (now < next)
				(void)usleep((useconds_t)((next - now) / 1000));
			next += gap;
			if (next < now)		/* late: do not catch up in a burst */
				next = now;
		}
		ok = one_login(w, nth++);

		if (ok && atomic_load(&measuring))
			w->logins++;
	}
	return NULL;
}

/* Authorize requests that stop at the IdP form: pending logins in the store. */
static void *
pending_worker(void *arg)
{
	struct worker *w = arg;
	char url[2048];
	long st = 0;

	for (;;) {
		(void)pthread_mutex_lock(&pending_mu);
		if (pending_left == 0 || bench_ns() > pending_deadline) {
			(void)pthread_mutex_unlock(&pending_mu);
			break;
		}
		pending_left--;
		(void)pthread_mutex_unlock(&pending_mu);
		(void)snprintf(url, sizeof(url), "%s/oidc/authorize?response_type=code&client_id="
		    CLIENT_ID "&redirect_uri=" REDIRECT_FMT "&scope=openid%%20profile&state=st"
		    "&nonce=nn&code_challenge_method=S256&code_challenge=%s&country="
		    BENCH_COUNTRY, urls[0], challenge);
		if (request(w, EP_AUTHORIZE, url, NULL, NULL, false, &st) != 0)
			continue;
		if (st == 200 && w->body.data != NULL && strstr(w->body.data, "SAMLRequest") != NULL)
			w->logins++;
		else
			fail(w, "authorize: status %s", st == 429 ? "429" : "not 200");
	}
	return NULL;
}

/* utime + stime of pid in nanoseconds, or 0. */
static uint64_t
proc_cpu_ns(long pid)
{
	char path[64], buf[4096], *p;
	unsigned long long ut = 0, stm = 0;
	size_t n;
	FILE *f;

	if (pid <= 0)
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	/* after "pid (comm) ": state is field 3; utime and stime are 14 and 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stm) != 2)
		return 0;
	return (ut + stm) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static uint64_t
self_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	    ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const struct lat *l, double q)
{
	size_t i;

	if (l->n == 0)
		return 0;
	i = (size_t)(q * (double)(l->n - 1) + 0.5);
	return (double)l->v[i] / 1000.0;
}

static bool
loopback(const char *u)
{
	return strncmp(u, "http://127.0.0.1:", 17) == 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *dir = NULL, *pname = NULL, *out = NULL;
	const char *jpath = NULL, *label = "";
	const struct bench_profile *prof = NULL;
	static struct worker ws[MAX_THREADS];
	struct bench_keys k;
	struct eidgw_diag d = { 0 };
	struct eidgw_buf cb;
	long pids[MAX_NODES] = { 0 }, redis_pid = 0;
	size_t npids = 0;
	double seconds = 10, warmup = 2, crypto_us = 0;
	unsigned char ch[32];
	uint64_t count = 0, t0, t1, c0[MAX_NODES], c1[MAX_NODES], s0, s1, r0 = 0, r1 = 0;
	uint64_t logins = 0, errors = 0, cpu = 0;
	int i, conc = 1, ret = 1, started = 0;
	json_t *jo = NULL, *je;
	struct lat all[EP_N];

	memset(&k, 0, sizeof(k));
	memset(all, 0, sizeof(all));
	eidgw_buf_init(&cb, 128);
	nurls = 0;
	for (i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (strcmp(o, "--keys") == 0)
			dir = v;
		else if (strcmp(o, "--profile") == 0)
			pname = v;
		else if (strcmp(o, "--out") == 0)
			out = v;
		else if (strcmp(o, "--url") == 0 && nurls < MAX_NODES)
			urls[nurls++] = v;
		else if (strcmp(o, "--pid") == 0 && npids < MAX_NODES)
			pids[npids++] = strtol(v, NULL, 10);
		else if (strcmp(o, "--redis-pid") == 0)
			redis_pid = strtol(v, NULL, 10);
		else if (strcmp(o, "--seconds") == 0)
			seconds = strtod(v, NULL);
		else if (strcmp(o, "--warmup") == 0)
			warmup = strtod(v, NULL);
		else if (strcmp(o, "--concurrency") == 0)
			conc = atoi(v);
		else if (strcmp(o, "--count") == 0)
			count = strtoull(v, NULL, 10);
		else if (strcmp(o, "--rate") == 0)
			rate = strtod(v, NULL);
		else if (strcmp(o, "--crypto-us") == 0)
			crypto_us = strtod(v, NULL);
		else if (strcmp(o, "--label") == 0)
			label = v;
		else if (strcmp(o, "--json") == 0)
			jpath = v;
		else {
			fprintf(stderr, "bench-login: unknown option %s\n", o);
			goto out;
		}
	}
	if (pname != NULL && (prof = bench_profile_find(pname)) == NULL) {
		fprintf(stderr, "bench-login: unknown profile %s\n", pname);
		goto out;
	}
	if (conc < 1 || conc > MAX_THREADS || seconds <= 0 || seconds > 600 || warmup < 0 ||
	    warmup > 60) {
		fprintf(stderr, "bench-login: concurrency 1-%d, seconds 0-600, warmup 0-60\n",
		    MAX_THREADS);
		goto out;
	}
	for (i = 0; i < (int)nurls; i++)
		if (!loopback(urls[i])) {
			fprintf(stderr, "bench-login: only http://127.0.0.1:PORT URLs\n");
			goto out;
		}
	if (saml_library_init() != EIDGW_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		goto out;
	if (EVP_Digest(VERIFIER, strlen(VERIFIER), ch, NULL, EVP_sha256(), NULL) != 1 ||
	    eidgw_b64_encode(&cb, ch, sizeof(ch), true) != EIDGW_OK)
		goto out;
	(void)snprintf(challenge, sizeof(challenge), "%s", cb.data);

	if (strcmp(mode, "metadata") == 0) {
		if (dir == NULL || prof == NULL || out == NULL) {
			fprintf(stderr, "usage: bench-login metadata --keys DIR --profile P --out F\n");
			goto out;
		}
		if (bench_keys_load(dir, prof, &k, &d) != EIDGW_OK ||
		    bench_idp_metadata_write(&k, out, &d) != EIDGW_OK) {
			fprintf(stderr, "bench-login: %s\n", d.reason);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (nurls == 0) {
		fprintf(stderr, "bench-login: --url is required\n");
		goto out;
	}
	for (i = 0; i < conc; i++) {
		ws[i].idx = i;
		eidgw_buf_init(&ws[i].body, 4 * 1024 * 1024);
		if ((ws[i].h = curl_easy_init()) == NULL)
			goto out;
	}
	if (strcmp(mode, "pending") == 0) {
		if (count == 0 || count > 10000000) {
			fprintf(stderr, "bench-login: pending needs --count 1..10000000\n");
			goto out;
		}
		pending_left = count;
		t0 = bench_ns();
		/* bounded in time too: whatever is left after 15 minutes is dropped */
		pending_deadline = t0 + 900ull * 1000000000ull;
		for (i = 0; i < conc; i++, started++)
			if (pthread_create(&ws[i].th, NULL, pending_worker, &ws[i]) != 0)
				goto out;
		for (i = 0; i < started; i++)
			(void)pthread_join(ws[i].th, NULL);
		started = 0;
		t1 = bench_ns();
		for (i = 0; i < conc; i++) {
			logins += ws[i].logins;
			errors += ws[i].errors;
			if (ws[i].first_error[0] != '\0')
				fprintf(stderr, "bench-login: %s\n", ws[i].first_error);
		}
		printf("pending logins created: %llu of %llu in %.1f s (%.0f/s), errors %llu\n",
		    (unsigned long long)logins, (unsigned long long)count, (double)(t1 - t0) / 1e9,
		    (double)logins / ((double)(t1 - t0) / 1e9), (unsigned long long)errors);
		ret = errors == 0 && logins == count ? 0 : 1;
		goto out;
	}
	if (strcmp(mode, "run") != 0 || dir == NULL || prof == NULL || npids == 0) {
		fprintf(stderr, "usage: bench-login run --keys DIR --profile P --url URL --pid PID "
		    "[...]\n");
		goto out;
	}
	if (bench_keys_load(dir, prof, &k, &d) != EIDGW_OK) {
		fprintf(stderr, "bench-login: keys: %s\n", d.reason);
		goto out;
	}
	keys = &k;
	nworkers = conc;
	for (i = 0; i < conc; i++, started++)
		if (pthread_create(&ws[i].th, NULL, run_worker, &ws[i]) != 0)
			goto out;
	(void)usleep((useconds_t)(warmup * 1e6));
	for (i = 0; i < (int)npids; i++)
		c0[i] = proc_cpu_ns(pids[i]);
	r0 = proc_cpu_ns(redis_pid);
	s0 = self_cpu_ns();
	t0 = bench_ns();
	atomic_store(&measuring, 1);
	(void)usleep((useconds_t)(seconds * 1e6));
	atomic_store(&measuring, 0);
	t1 = bench_ns();
	s1 = self_cpu_ns();
	r1 = proc_cpu_ns(redis_pid);
	for (i = 0; i < (int)npids; i++)
		c1[i] = proc_cpu_ns(pids[i]);
	atomic_store(&stopping, 1);
	for (i = 0; i < started; i++)
		(void)pthread_join(ws[i].th, NULL);
	started = 0;

	for (i = 0; i < (int)npids; i++)
		cpu += c1[i] - c0[i];
	for (i = 0; i < conc; i++) {
		int e;

		logins += ws[i].logins;
		errors += ws[i].errors;
		if (ws[i].first_error[0] != '\0')
			fprintf(stderr, "bench-login: worker %d: %s\n", i, ws[i].first_error);
		for (e = 0; e < EP_N; e++) {
			size_t m;

			for (m = 0; m < ws[i].lat[e].n; m++)
				lat_add(&all[e], (uint64_t)ws[i].lat[e].v[m] * 1000);
		}
	}
	{
		double secs = (double)(t1 - t0) / 1e9;
		double per = logins > 0 ? (double)cpu / 1e3 / (double)logins : 0;
		double self = logins > 0 ? (double)(s1 - s0) / 1e3 / (double)logins : 0;
		double rd = logins > 0 ? (double)(r1 - r0) / 1e3 / (double)logins : 0;
		int e;

		jo = json_object();
		printf("%s: %llu logins in %.1f s = %.1f logins/s, errors %llu, concurrency %d",
		    label, (unsigned long long)logins, secs, (double)logins / secs,
		    (unsigned long long)errors, conc);
		if (rate > 0)
			printf(", paced at %.1f/s", rate);
		printf("\n");
		printf("  eidgw CPU per login %.0f us (%.0f%% of one core)", per,
		    100.0 * (double)cpu / 1e9 / secs);
		if (crypto_us > 0 && per > 0)
			printf("; crypto %.0f us -> ratio %.1f%%", crypto_us, 100.0 * crypto_us / per);
		printf("\n  load generator CPU per login %.0f us", self);
		if (redis_pid > 0)
			printf("; redis-server CPU per login %.0f us", rd);
		printf("\n  latency ms        p50      p95      p99      n\n");
		(void)json_object_set_new(jo, "label", json_string(label));
		(void)json_object_set_new(jo, "profile", json_string(prof->name));
		(void)json_object_set_new(jo, "concurrency", json_integer(conc));
		(void)json_object_set_new(jo, "target_rate", json_real(rate));
		(void)json_object_set_new(jo, "seconds", json_real(secs));
		(void)json_object_set_new(jo, "logins", json_integer((json_int_t)logins));
		(void)json_object_set_new(jo, "logins_per_s", json_real((double)logins / secs));
		(void)json_object_set_new(jo, "errors", json_integer((json_int_t)errors));
		(void)json_object_set_new(jo, "eidgw_cpu_us_per_login", json_real(per));
		(void)json_object_set_new(jo, "loadgen_cpu_us_per_login", json_real(self));
		if (redis_pid > 0)
			(void)json_object_set_new(jo, "redis_cpu_us_per_login", json_real(rd));
		if (crypto_us > 0 && per > 0) {
			(void)json_object_set_new(jo, "crypto_us_per_login", json_real(crypto_us));
			(void)json_object_set_new(jo, "ratio", json_real(crypto_us / per));
		}
		for (e = 0; e < EP_N; e++) {
			qsort(all[e].v, all[e].n, sizeof(uint32_t), cmp_u32);
			printf("  %-12s %8.2f %8.2f %8.2f %6zu\n", ep_name[e], pct(&all[e], 0.5),
			    pct(&all[e], 0.95), pct(&all[e], 0.99), all[e].n);
			je = json_pack("{s:f,s:f,s:f,s:i}", "p50_ms", pct(&all[e], 0.5), "p95_ms",
			    pct(&all[e], 0.95), "p99_ms", pct(&all[e], 0.99), "n", (json_int_t)all[e].n);
			(void)json_object_set_new(jo, ep_name[e], je);
		}
	}
	if (jpath != NULL && json_dump_file(jo, jpath, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "bench-login: cannot write %s\n", jpath);
		goto out;
	}
	ret = errors == 0 && logins > 0 ? 0 : 1;
out:
	atomic_store(&stopping, 1);
	for (i = 0; i < started; i++)
		(void)pthread_join(ws[i].th, NULL);
	for (i = 0; i < MAX_THREADS; i++) {
		int e;

		if (ws[i].h != NULL)
			curl_easy_cleanup(ws[i].h);
		eidgw_buf_free(&ws[i].body);
		for (e = 0; e < EP_N; e++)
			free(ws[i].lat[e].v);
	}
	for (i = 0; i < EP_N; i++)
		free(all[i].v);
	json_decref(jo);
	eidgw_buf_free(&cb);
	bench_keys_free(&k);
	curl_global_cleanup();
	saml_library_cleanup();
	return ret;
}
