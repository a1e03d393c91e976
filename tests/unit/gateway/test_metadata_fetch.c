/*
 * Unit tests for gateway/src/metadata_fetch.c, with loopback sources only:
 * when a metadata_url is next due, the reload asked for when the verified
 * IdP metadata a snapshot serves with passes its validUntil, the cache
 * file, periodic fetches on the fetcher thread and forced ones in parallel.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "core/util.h"
#include "metadata_fetch.h"
#include "runtime.h"

/* A snapshot with one enabled eidas-saml country served from a file. */
struct fake {
	struct gw_config cfg;
	struct gw_country_conf country;
	struct gw_runtime rt;
	struct gw_country_rt crt;
	struct saml_idp_metadata idp;
};

static void
fake_init(struct fake *f, const char *code, int64_t valid_until)
{
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->country.code, sizeof(f->country.code), "%s", code);
	f->country.enabled = true;
	f->country.connector = (char *)"eidas-saml";
	f->country.saml.metadata_file = (char *)"/nonexistent/md.xml";
	f->cfg.countries = &f->country;
	f->cfg.n_countries = 1;
	f->idp.valid_until = valid_until;
	f->crt.conf = &f->country;
	f->crt.state = GW_COUNTRY_READY;
	f->crt.idp = &f->idp;
	f->rt.countries = &f->crt;
	f->rt.n_countries = 1;
	f->cfg.runtime = &f->rt;
}

static void
test_expired_in_service_asks_reload(void **state)
{
	const int64_t t0 = 1900000000;
	struct fake f;

	(void)state;
	fake_init(&f, "XA", t0 + 100);
	/* still valid: nothing to do */
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 99));
	/* expired while the snapshot serves it: one reload, not one per tick */
	assert_true(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 100));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 101));
	assert_false(gw_metadata_refresh_at(&f.cfg, true, NULL, t0 + 500));

	/* the reloaded snapshot marks it unavailable: nothing more to ask */
	f.crt.state = GW_COUNTRY_UNAVAILABLE;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 600));

	/* a newer copy in service that expires in its turn asks again */
	f.crt.state = GW_COUNTRY_READY;
	f.idp.valid_until = t0 + 1000;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 999));
	assert_true(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 1000));

	/* disabled countries and plugin connectors are not looked at */
	fake_init(&f, "XB", t0);
	f.country.enabled = false;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
	f.country.enabled = true;
	f.country.connector = (char *)"test-auto";
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
	/* no runtime (a bare snapshot) */
	fake_init(&f, "XC", t0);
	f.cfg.runtime = NULL;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
}

static void
test_next_due(void **state)
{
	const int64_t now = 1900000000;

	(void)state;
	/* failure: retry in 300 s, or sooner when the interval is shorter */
	assert_int_equal(gw_metadata_next_due(now, 3600, false, 0, 0), now + 300);
	assert_int_equal(gw_metadata_next_due(now, 120, false, 0, 0), now + 120);
	/* success: the interval ... */
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 0, now + 7 * 86400), now + 3600);
	/* ... or cacheDuration when shorter, never under 60 s */
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 600, now + 7 * 86400), now + 600);
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 5, now + 7 * 86400), now + 60);
	/* ... or half-way to validUntil, so the copy is renewed before it expires */
	assert_int_equal(gw_metadata_next_due(now, 86400, true, 0, now + 7200), now + 3600);
	assert_int_equal(gw_metadata_next_due(now, 604800, true, 0, now + 86400), now + 43200);
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 0, now + 30), now + 60);
}

/*
 * The cache is replaced atomically through a temporary file nobody can
 * plant: a symbolic link named like the old fixed temporary name
 * ("<cache>.tmp") pointing at another file is neither written through nor
 * renamed over the cache.
 */
static void
test_write_cache(void **state)
{
	char *dir, *data;
	char cache[4096], planted[4096], victim[4096];
	struct stat st;
	struct dirent *de;
	size_t len, n = 0;
	DIR *d;

	(void)state;
	assert_non_null(dir = tl_mkdtemp());
	(void)snprintf(cache, sizeof(cache), "%s/LU.xml", dir);
	(void)snprintf(planted, sizeof(planted), "%s/LU.xml.tmp", dir);
	(void)snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(tl_write_file(victim, "precious\n", 9), 0);
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(tl_write_file(cache, "old", 3), 0);

	assert_true(gw_metadata_write_cache(cache, "<md>new</md>", 12));
	assert_non_null(data = tl_read_file(victim, &len));
	assert_int_equal(len, 9);
	assert_memory_equal(data, "precious\n", 9);
	free(data);
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_non_null(data = tl_read_file(cache, &len));
	assert_int_equal(len, 12);
	assert_memory_equal(data, "<md>new</md>", 12);
	free(data);
	/* no temporary left behind: LU.xml, LU.xml.tmp (planted), victim */
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 3);

	/* a directory that does not exist: false, nothing written */
	(void)snprintf(cache, sizeof(cache), "%s/nope/LU.xml", dir);
	assert_false(gw_metadata_write_cache(cache, "x", 1));
	tl_rmtree(dir);
	free(dir);
}

/* ---- periodic fetches off the main thread ---------------------------- */

#define T_2020_03_20 1584662400	/* the EC node metadata is valid then */

/* A loopback HTTP/1.0 server answering every request with one document. */
struct mini_http {
	int fd;
	uint16_t port;
	const char *body;
	size_t len;
	unsigned int delay_ms;		/* before each answer */
	atomic_uint hits;		/* connections accepted */
	pthread_t thread;
	bool running;
};

static void *
mini_http_main(void *arg)
{
	struct mini_http *h = arg;
	char req[4096], head[128];
	ssize_t n;
	size_t got;
	int c;

	while ((c = accept(h->fd, NULL, NULL)) >= 0) {
		atomic_fetch_add(&h->hits, 1);
		got = 0;
		while (got < sizeof(req) - 1 && (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		if (h->delay_ms != 0)
			(void)usleep(h->delay_ms * 1000);
		n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n",
		    h->len);
		if (write(c, head, (size_t)n) != n || write(c, h->body, h->len) != (ssize_t)h->len)
			fprintf(stderr, "mini_http: short write\n");
		close(c);
	}
	return NULL;
}

static void
mini_http_serve(struct mini_http *h)
{
	assert_int_equal(pthread_create(&h->thread, NULL, mini_http_main, h), 0);
	h->running = true;
}

/*
 * A listening socket; serve: answer with body, otherwise never accept.
 * The servers live in a static pool: one that is never stopped (the slow
 * source) is still looked at after its test has returned.
 */
static struct mini_http *
mini_http_start(const char *body, size_t len, bool serve)
{
	static struct mini_http pool[16];
	static size_t used;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct mini_http *h;

	assert_true(used < EIDGW_ARRAY_LEN(pool));
	h = &pool[used++];
	memset(h, 0, sizeof(*h));
	h->body = body;
	h->len = len;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((h->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->fd, 8), 0);
	assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &al), 0);
	h->port = ntohs(a.sin_port);
	if (serve)
		mini_http_serve(h);
	return h;
}

/* Stops accepting (wakes a thread blocked in accept) and waits for the server thread. */
static void
mini_http_stop(struct mini_http *h)
{
	(void)shutdown(h->fd, SHUT_RDWR);
	if (h->running)
		assert_int_equal(pthread_join(h->thread, NULL), 0);
	h->running = false;
	(void)close(h->fd);
}

static double
mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One enabled eidas-saml country with a metadata_url, and no runtime. */
static void
remote_init(struct fake *f, const char *code, const char *url, const char *cache, X509 *signer)
{
	fake_init(f, code, 0);
	f->cfg.runtime = NULL;
	f->country.saml.metadata_file = NULL;
	f->country.saml.metadata_url = (char *)url;
	f->country.saml.metadata_cache_file = (char *)cache;
	f->country.saml.metadata_refresh_s = 3600;
	f->country.saml.metadata_signers[0] = signer;
	f->country.saml.n_metadata_signers = signer != NULL ? 1 : 0;
	f->cfg.min_rsa_bits = 2048;
}

static X509 *
node_signer(void)
{
	X509 *x;
	FILE *f;

	assert_non_null(f = fopen(EIDGW_TEST_DATA
	    "/saml/eidas-node-metadata/metadata-signer.cert.pem", "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* One country whose metadata_url is a loopback source serving the EC node's metadata. */
struct one_source {
	struct mini_http *h;
	struct fake f;
	char *doc, *dir, url[64], cache[4096];
	size_t len;
	X509 *signer;
};

static void
one_source_init(struct one_source *o, const char *code, unsigned int delay_ms)
{
	memset(o, 0, sizeof(*o));
	o->signer = node_signer();
	assert_non_null(o->doc = tl_read_data("saml/eidas-node-metadata/ServiceMetadata.xml",
	    &o->len));
	o->h = mini_http_start(o->doc, o->len, false);
	o->h->delay_ms = delay_ms;
	mini_http_serve(o->h);
	assert_non_null(o->dir = tl_mkdtemp());
	(void)snprintf(o->cache, sizeof(o->cache), "%s/%s.xml", o->dir, code);
	(void)snprintf(o->url, sizeof(o->url), "http://127.0.0.1:%u/md.xml",
	    (unsigned int)o->h->port);
	remote_init(&o->f, code, o->url, o->cache, o->signer);
}

static void
one_source_free(struct one_source *o)
{
	mini_http_stop(o->h);
	X509_free(o->signer);
	tl_rmtree(o->dir);
	free(o->dir);
	free(o->doc);
}

/* Periodic calls until one takes in the fetcher's outcome with a change (at most 20 s). */
static bool
wait_changed(const struct gw_config *cfg, int64_t now)
{
	double t0;

	for (t0 = mono(); mono() - t0 < 20; (void)usleep(20000))
		if (gw_metadata_refresh_at(cfg, false, NULL, now))
			return true;
	return false;
}

/*
 * A due metadata_url is fetched by the fetcher thread: the call that finds
 * it due returns at once, a later one takes in the outcome (the cache
 * changed: reload).  A forced refresh fetches before returning.
 */
static void
test_periodic_fetch(void **state)
{
	struct one_source o;
	char *got;
	size_t glen;
	int64_t now = T_2020_03_20;

	(void)state;
	one_source_init(&o, "XF", 0);
	assert_false(gw_metadata_refresh_at(&o.f.cfg, false, NULL, now));
	assert_true(wait_changed(&o.f.cfg, now));
	assert_non_null(got = tl_read_file(o.cache, &glen));
	assert_int_equal(glen, o.len);
	assert_memory_equal(got, o.doc, o.len);
	free(got);
	/* not due again for a while; a forced refresh finds the same document */
	assert_false(gw_metadata_refresh_at(&o.f.cfg, false, NULL, now + 1));
	assert_false(gw_metadata_refresh_at(&o.f.cfg, true, NULL, now + 2));
	one_source_free(&o);
}

/*
 * A reload that points a country at a new metadata_url makes it due at
 * once, not when the schedule made for the old URL says (up to
 * metadata_refresh_s later).
 */
static void
test_new_source_due_at_once(void **state)
{
	struct mini_http *h;
	struct fake f;
	char *doc, *dir, url[64], cache[4096];
	size_t len;
	int64_t now = T_2020_03_20;
	X509 *signer = node_signer();

	(void)state;
	assert_non_null(doc = tl_read_data("saml/eidas-node-metadata/ServiceMetadata.xml", &len));
	h = mini_http_start(doc, len, true);
	assert_non_null(dir = tl_mkdtemp());
	(void)snprintf(cache, sizeof(cache), "%s/XH.xml", dir);
	/* the old source refuses connections: failed, next try in 300 s */
	remote_init(&f, "XH", "http://127.0.0.1:1/md.xml", cache, signer);
	assert_false(gw_metadata_refresh_at(&f.cfg, true, NULL, now));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, now + 1));
	/* the new one is fetched on the next periodic calls */
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/md.xml", (unsigned int)h->port);
	f.country.saml.metadata_url = url;
	assert_true(wait_changed(&f.cfg, now + 2));
	mini_http_stop(h);
	X509_free(signer);
	tl_rmtree(dir);
	free(dir);
	free(doc);
}

/*
 * A forced refresh (start-up, SIGHUP) fetches every country before it
 * returns, in parallel: three sources that each take 1.5 s to answer cost
 * about 1.5 s, not 4.5 s, and all three caches are written.
 */
static void
test_forced_refresh_parallel(void **state)
{
	static const char *const codes[3] = { "XI", "XJ", "XK" };
	struct mini_http *h[3];
	struct gw_country_conf countries[3];
	struct fake f;
	char *doc, *dir, url[3][64], cache[3][4096];
	size_t len, i;
	double t0, took;
	X509 *signer = node_signer();

	(void)state;
	assert_non_null(doc = tl_read_data("saml/eidas-node-metadata/ServiceMetadata.xml", &len));
	assert_non_null(dir = tl_mkdtemp());
	for (i = 0; i < 3; i++) {
		h[i] = mini_http_start(doc, len, false);
		h[i]->delay_ms = 1500;
		(void)snprintf(url[i], sizeof(url[i]), "http://127.0.0.1:%u/md.xml",
		    (unsigned int)h[i]->port);
		(void)snprintf(cache[i], sizeof(cache[i]), "%s/%s.xml", dir, codes[i]);
		remote_init(&f, codes[i], url[i], cache[i], signer);
		countries[i] = f.country;
	}
	for (i = 0; i < 3; i++)
		mini_http_serve(h[i]);
	f.cfg.countries = countries;
	f.cfg.n_countries = 3;
	t0 = mono();
	assert_true(gw_metadata_refresh_at(&f.cfg, true, NULL, T_2020_03_20));
	took = mono() - t0;
	if (took > 4.0)
		fail_msg("a forced refresh of 3 slow sources took %.1f s", took);
	for (i = 0; i < 3; i++) {
		char *got;
		size_t glen;

		assert_non_null(got = tl_read_file(cache[i], &glen));
		assert_int_equal(glen, len);
		free(got);
		mini_http_stop(h[i]);
	}
	X509_free(signer);
	tl_rmtree(dir);
	free(dir);
	free(doc);
}

/*
 * A forced refresh (SIGHUP) while the fetcher thread is fetching the same
 * country leaves that country to the fetcher: no second fetch races it to
 * the cache file (the later writer could put back the older document).
 */
static void
test_forced_skips_in_flight(void **state)
{
	struct one_source o;
	double t0, took;
	int64_t now = T_2020_03_20;

	(void)state;
	one_source_init(&o, "XL", 1500);
	assert_false(gw_metadata_refresh_at(&o.f.cfg, false, NULL, now));	/* to the fetcher */
	for (t0 = mono(); atomic_load(&o.h->hits) == 0 && mono() - t0 < 10; )
		(void)usleep(5000);
	assert_int_equal(atomic_load(&o.h->hits), 1);
	t0 = mono();
	(void)gw_metadata_refresh_at(&o.f.cfg, true, NULL, now + 1);
	took = mono() - t0;
	if (took > 1.0)
		fail_msg("the forced refresh fetched the country in flight (%.1f s)", took);
	assert_int_equal(atomic_load(&o.h->hits), 1);
	assert_true(wait_changed(&o.f.cfg, now + 2));
	assert_int_equal(atomic_load(&o.h->hits), 1);
	one_source_free(&o);
}

/*
 * A source that takes a connection and never answers holds only the
 * fetcher thread: the periodic call on the main thread returns at once
 * (it used to wait for the whole 15 s transfer timeout, per country).
 */
static void
test_slow_source_does_not_block(void **state)
{
	struct mini_http *h;
	struct fake f;
	char url[64];
	double t0;
	X509 *signer = node_signer();

	(void)state;
	h = mini_http_start(NULL, 0, false);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/md.xml", (unsigned int)h->port);
	remote_init(&f, "XG", url, "/nonexistent/XG.xml", signer);
	t0 = mono();
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, T_2020_03_20));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, T_2020_03_20 + 1));
	if (mono() - t0 > 2.0)
		fail_msg("the periodic refresh blocked for %.1f s", mono() - t0);
	X509_free(signer);
	/* h stays open: the fetcher thread is still waiting on it when the test exits */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expired_in_service_asks_reload),
		cmocka_unit_test(test_next_due),
		cmocka_unit_test(test_write_cache),
		cmocka_unit_test(test_periodic_fetch),
		cmocka_unit_test(test_new_source_due_at_once),
		cmocka_unit_test(test_forced_refresh_parallel),
		cmocka_unit_test(test_forced_skips_in_flight),
		cmocka_unit_test(test_slow_source_does_not_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
