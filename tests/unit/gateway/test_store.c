/*
 * State-store conformance: the same cases run against every backend
 * (memory, LMDB in a temporary directory, Redis on a throwaway
 * redis-server), so callers can rely on one semantics.  Then what only one
 * backend has: LMDB keeps its data across close and reopen; Redis fails
 * closed, promptly, while the server is dead or frozen and serves again on
 * the same store object once it is back.
 *
 * A missing redis-server fails the Redis cases; it is not a skip.
 */
#include "testlib.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "core/store.h"
#include "core/util.h"
#include "redis_fixture.h"
#include "store.h"

#define REDIS_TIMEOUT_MS 200
#define TAKERS 8

enum backend { B_MEMORY, B_LMDB, B_REDIS };

static const enum backend be_memory = B_MEMORY, be_lmdb = B_LMDB, be_redis = B_REDIS;

static struct redis_fixture RF;
static bool rf_up;
static unsigned int prefix_seq;

struct tc {
	enum backend b;
	struct eidgw_store *s;
	char *dir;
	char prefix[32];
};

static enum eidgw_err
tc_open(struct tc *t)
{
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc = EIDGW_E_INTERNAL;

	switch (t->b) {
	case B_MEMORY:
		rc = eidgw_store_mem_new(&t->s);
		break;
	case B_LMDB:
		rc = gw_store_lmdb_open(t->dir, 64u << 20, t->prefix, &t->s, &d);
		break;
	case B_REDIS:
		rc = gw_store_redis_open(RF.url, REDIS_TIMEOUT_MS, t->prefix, &t->s, &d);
		break;
	}
	if (rc != EIDGW_OK)
		fprintf(stderr, "open: %s %s\n", eidgw_err_name(rc), d.reason);
	return rc;
}

static int
setup(void **state)
{
	const enum backend *b = *state;
	struct tc *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->b = *b;
	(void)snprintf(t->prefix, sizeof(t->prefix), "t%u:", ++prefix_seq);
	if (t->b == B_REDIS) {
		if (!rf_up) {
			fprintf(stderr, "redis-server is not running (not installed?): failing\n");
			goto fail;
		}
		/* an earlier failed case may have left it dead or frozen */
		if (RF.stopped)
			rf_freeze(&RF, false);
		if (RF.pid <= 0 && rf_restart(&RF) != 0)
			goto fail;
	}
	if (t->b == B_LMDB && (t->dir = tl_mkdtemp()) == NULL)
		goto fail;
	if (tc_open(t) != EIDGW_OK)
		goto fail;
	*state = t;
	return 0;
fail:
	if (t->dir != NULL) {
		tl_rmtree(t->dir);
		free(t->dir);
	}
	free(t);
	return -1;
}

static int
teardown(void **state)
{
	struct tc *t = *state;

	if (t == NULL)
		return 0;
	eidgw_store_free(t->s);
	if (t->dir != NULL) {
		tl_rmtree(t->dir);
		free(t->dir);
	}
	free(t);
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static double
ms_since(uint64_t t0)
{
	return (double)(eidgw_mono_ns() - t0) / 1e6;
}

/* get or take into a fresh buffer and compare with want (NULL: expect rc only). */
static void
expect_read(struct eidgw_store *s, const char *key, bool take, enum eidgw_err want_rc,
    const void *want, size_t want_len)
{
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 1u << 20);
	rc = take ? s->ops->take(s, key, &b) : s->ops->get(s, key, &b);
	if (rc != want_rc)
		fprintf(stderr, "%s %s: got %s want %s\n", s->ops->name, take ? "take" : "get",
		    eidgw_err_name(rc), eidgw_err_name(want_rc));
	assert_int_equal(rc, want_rc);
	if (rc == EIDGW_OK && want != NULL) {
		assert_int_equal(b.len, want_len);
		if (want_len != 0)
			assert_memory_equal(b.data, want, want_len);
	}
	eidgw_buf_free(&b);
}

static void
t_put_new_exists(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "k", "one", 3, 60), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "k", "two", 3, 60), EIDGW_E_STORE_EXISTS);
	expect_read(s, "k", false, EIDGW_OK, "one", 3);
	assert_int_equal(s->ops->put(s, "k", "three", 5, 60), EIDGW_OK);
	expect_read(s, "k", false, EIDGW_OK, "three", 5);
	assert_int_equal(s->ops->put(s, "fresh", "x", 1, 60), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "fresh", "y", 1, 60), EIDGW_E_STORE_EXISTS);
	expect_read(s, "never", false, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(s, "never", true, EIDGW_E_STORE_MISSING, NULL, 0);
	assert_int_equal(s->ops->ping(s), EIDGW_OK);
}

static void
t_ttl_expiry(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "e1", "a", 1, 1), EIDGW_OK);
	assert_int_equal(s->ops->put(s, "e2", "b", 1, 1), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "e3", "c", 1, 1), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "keep", "d", 1, 60), EIDGW_OK);
	/* A TTL is a lower bound: a 1 s entry is there right after it was written. */
	expect_read(s, "e1", false, EIDGW_OK, "a", 1);
	expect_read(s, "e2", false, EIDGW_OK, "b", 1);
	sleep_ms(2100);
	expect_read(s, "e1", false, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(s, "e2", true, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(s, "keep", false, EIDGW_OK, "d", 1);
	/* An expired key is free again. */
	assert_int_equal(s->ops->put_new(s, "e3", "z", 1, 60), EIDGW_OK);
	expect_read(s, "e3", true, EIDGW_OK, "z", 1);
}

static void
t_bad_ttl(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "z0", "a", 1, 0), EIDGW_E_INVAL);
	assert_int_equal(s->ops->put_new(s, "z1", "a", 1, -5), EIDGW_E_INVAL);
	assert_int_equal(s->ops->put(s, "z2", "a", 1, 0), EIDGW_E_INVAL);
	assert_int_equal(s->ops->put(s, "z3", "a", 1, INT64_MAX), EIDGW_E_INVAL);
	assert_int_equal(s->ops->put_new(s, "z4", "a", 1, INT64_MAX), EIDGW_E_INVAL);
	expect_read(s, "z0", false, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(s, "z3", false, EIDGW_E_STORE_MISSING, NULL, 0);
	/* The largest accepted TTL works. */
	assert_int_equal(s->ops->put_new(s, "z5", "a", 1, INT32_MAX), EIDGW_OK);
	expect_read(s, "z5", true, EIDGW_OK, "a", 1);
}

static void
t_take_single_use(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "code", "secret", 6, 60), EIDGW_OK);
	expect_read(s, "code", true, EIDGW_OK, "secret", 6);
	expect_read(s, "code", true, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(s, "code", false, EIDGW_E_STORE_MISSING, NULL, 0);
	/* take with no output buffer still consumes */
	assert_int_equal(s->ops->put_new(s, "code", "again", 5, 60), EIDGW_OK);
	assert_int_equal(s->ops->take(s, "code", NULL), EIDGW_OK);
	assert_int_equal(s->ops->take(s, "code", NULL), EIDGW_E_STORE_MISSING);
}

struct taker {
	struct eidgw_store *s;
	pthread_barrier_t *bar;
	const char *key;
	enum eidgw_err rc;
	struct eidgw_buf got;
};

static void *
taker_run(void *arg)
{
	struct taker *k = arg;

	(void)pthread_barrier_wait(k->bar);
	k->rc = k->s->ops->take(k->s, k->key, &k->got);
	return NULL;
}

static void
t_concurrent_take(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	struct taker tk[TAKERS];
	pthread_t th[TAKERS];
	pthread_barrier_t bar;
	char key[32], val[32];
	int round, i, winners;

	for (round = 0; round < 25; round++) {
		(void)snprintf(key, sizeof(key), "race%d", round);
		(void)snprintf(val, sizeof(val), "value-%d", round);
		assert_int_equal(s->ops->put_new(s, key, val, strlen(val), 60), EIDGW_OK);
		assert_int_equal(pthread_barrier_init(&bar, NULL, TAKERS), 0);
		for (i = 0; i < TAKERS; i++) {
			tk[i] = (struct taker){ .s = s, .bar = &bar, .key = key };
			eidgw_buf_init(&tk[i].got, 1024);
			assert_int_equal(pthread_create(&th[i], NULL, taker_run, &tk[i]), 0);
		}
		winners = 0;
		for (i = 0; i < TAKERS; i++) {
			(void)pthread_join(th[i], NULL);
			if (tk[i].rc == EIDGW_OK) {
				winners++;
				assert_int_equal(tk[i].got.len, strlen(val));
				assert_memory_equal(tk[i].got.data, val, strlen(val));
			} else {
				assert_int_equal(tk[i].rc, EIDGW_E_STORE_MISSING);
			}
			eidgw_buf_free(&tk[i].got);
		}
		(void)pthread_barrier_destroy(&bar);
		assert_int_equal(winners, 1);
	}
}

#define WORKERS 40	/* more than the Redis pool's 32 slots */

struct worker {
	struct eidgw_store *s;
	int id;
	int bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct eidgw_store *s = w->s;
	struct eidgw_buf b;
	char key[48], val[48];
	int i;

	eidgw_buf_init(&b, 1024);
	for (i = 0; i < 100; i++) {
		(void)snprintf(key, sizeof(key), "w%d-%d", w->id, i);
		(void)snprintf(val, sizeof(val), "val%d-%d", w->id, i);
		eidgw_buf_reset(&b);
		if (s->ops->put_new(s, key, val, strlen(val), 60) != EIDGW_OK ||
		    s->ops->put_new(s, key, val, strlen(val), 60) != EIDGW_E_STORE_EXISTS ||
		    s->ops->get(s, key, &b) != EIDGW_OK || b.len != strlen(val) ||
		    memcmp(b.data, val, b.len) != 0 || s->ops->take(s, key, NULL) != EIDGW_OK ||
		    s->ops->take(s, key, NULL) != EIDGW_E_STORE_MISSING)
			w->bad++;
	}
	eidgw_buf_free(&b);
	return NULL;
}

/* Many threads on distinct keys: no crosstalk between pooled connections. */
static void
t_many_threads(void **state)
{
	struct tc *t = *state;
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	int i, bad = 0;

	for (i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .s = t->s, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < WORKERS; i++) {
		(void)pthread_join(th[i], NULL);
		bad += w[i].bad;
	}
	assert_int_equal(bad, 0);
}

static void
t_get_does_not_consume(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "g", "val", 3, 60), EIDGW_OK);
	expect_read(s, "g", false, EIDGW_OK, "val", 3);
	expect_read(s, "g", false, EIDGW_OK, "val", 3);
	assert_int_equal(s->ops->get(s, "g", NULL), EIDGW_OK);
	expect_read(s, "g", true, EIDGW_OK, "val", 3);
}

static void
t_del(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;

	assert_int_equal(s->ops->put_new(s, "d", "x", 1, 60), EIDGW_OK);
	assert_int_equal(s->ops->del(s, "d"), EIDGW_OK);
	expect_read(s, "d", false, EIDGW_E_STORE_MISSING, NULL, 0);
	assert_int_equal(s->ops->del(s, "d"), EIDGW_OK);
	assert_int_equal(s->ops->del(s, "never-there"), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "d", "y", 1, 60), EIDGW_OK);
}

static void
t_binary(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	unsigned char v[512];
	size_t i;

	for (i = 0; i < sizeof(v); i++)
		v[i] = (unsigned char)(i * 7);	/* every byte value, NULs included */
	v[0] = 0;
	v[sizeof(v) - 1] = 0;
	assert_int_equal(s->ops->put_new(s, "bin", v, sizeof(v), 60), EIDGW_OK);
	expect_read(s, "bin", false, EIDGW_OK, v, sizeof(v));
	expect_read(s, "bin", true, EIDGW_OK, v, sizeof(v));
	/* the empty value is a value, not an absence */
	assert_int_equal(s->ops->put_new(s, "empty", "", 0, 60), EIDGW_OK);
	expect_read(s, "empty", false, EIDGW_OK, "", 0);
	assert_int_equal(s->ops->put_new(s, "empty", "x", 1, 60), EIDGW_E_STORE_EXISTS);
	expect_read(s, "empty", true, EIDGW_OK, "", 0);
	/* keys with spaces, quotes, newlines and UTF-8 are just bytes */
	assert_int_equal(s->ops->put_new(s, "a b\t\"c\"\r\n\xc3\xa9%s%b", "q", 1, 60), EIDGW_OK);
	expect_read(s, "a b\t\"c\"\r\n\xc3\xa9%s%b", true, EIDGW_OK, "q", 1);
	expect_read(s, "a b", false, EIDGW_E_STORE_MISSING, NULL, 0);
}

static void
t_big(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	size_t n = 64 * 1024;
	unsigned char *v = malloc(n);

	assert_non_null(v);
	assert_int_equal(eidgw_random(v, n), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "big", v, n, 60), EIDGW_OK);
	expect_read(s, "big", false, EIDGW_OK, v, n);
	v[0] ^= 1;
	assert_int_equal(s->ops->put(s, "big", v, n, 60), EIDGW_OK);
	expect_read(s, "big", true, EIDGW_OK, v, n);
	free(v);
}

/*
 * Keys up to 300 bytes work everywhere; longer than 400 bytes (with the
 * prefix) every operation refuses with EIDGW_E_INVAL - never truncated,
 * never a crash, never "missing".
 */
static void
t_long_key(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	size_t n = 100 * 1024;
	char *k = malloc(n + 1), mid[301], edge[402];

	assert_non_null(k);
	memset(mid, 'm', 300);
	mid[300] = '\0';
	assert_int_equal(s->ops->put_new(s, mid, "m", 1, 60), EIDGW_OK);
	expect_read(s, mid, true, EIDGW_OK, "m", 1);
	memset(edge, 'e', 401);
	edge[401] = '\0';
	assert_int_equal(s->ops->put_new(s, edge, "v", 1, 60), EIDGW_E_INVAL);
	memset(k, 'k', n);
	k[n] = '\0';
	assert_int_equal(s->ops->put_new(s, k, "v", 1, 60), EIDGW_E_INVAL);
	assert_int_equal(s->ops->put(s, k, "v", 1, 60), EIDGW_E_INVAL);
	expect_read(s, k, false, EIDGW_E_INVAL, NULL, 0);
	expect_read(s, k, true, EIDGW_E_INVAL, NULL, 0);
	assert_int_equal(s->ops->del(s, k), EIDGW_E_INVAL);
	/* nothing was stored under a truncated key */
	k[300] = '\0';
	expect_read(s, k, false, EIDGW_E_STORE_MISSING, NULL, 0);
	assert_int_equal(s->ops->ping(s), EIDGW_OK);
	free(k);
}

/* LMDB: records survive closing and reopening the environment. */
static void
t_lmdb_reopen(void **state)
{
	struct tc *t = *state;

	assert_int_equal(t->s->ops->put_new(t->s, "persist", "kept", 4, 60), EIDGW_OK);
	assert_int_equal(t->s->ops->put_new(t->s, "taken", "gone", 4, 60), EIDGW_OK);
	expect_read(t->s, "taken", true, EIDGW_OK, "gone", 4);
	if (t->s->ops->maintain != NULL)
		t->s->ops->maintain(t->s);
	eidgw_store_free(t->s);
	t->s = NULL;
	assert_int_equal(tc_open(t), EIDGW_OK);
	expect_read(t->s, "persist", false, EIDGW_OK, "kept", 4);
	assert_int_equal(t->s->ops->put_new(t->s, "persist", "new", 3, 60), EIDGW_E_STORE_EXISTS);
	expect_read(t->s, "taken", false, EIDGW_E_STORE_MISSING, NULL, 0);
	expect_read(t->s, "persist", true, EIDGW_OK, "kept", 4);
	/* another prefix in the same environment sees nothing */
	eidgw_store_free(t->s);
	t->s = NULL;
	(void)snprintf(t->prefix, sizeof(t->prefix), "other:");
	assert_int_equal(tc_open(t), EIDGW_OK);
	assert_int_equal(t->s->ops->put_new(t->s, "persist", "x", 1, 60), EIDGW_OK);
}

/* Redis: the key prefix and the database number keep stores apart. */
static void
t_redis_isolation(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *other = NULL, *db3 = NULL, *db3b = NULL;
	struct eidgw_diag d = { 0 };
	char url[96];

	assert_int_equal(gw_store_redis_open(RF.url, REDIS_TIMEOUT_MS, "iso-other:", &other, &d),
	    EIDGW_OK);
	assert_int_equal(t->s->ops->put_new(t->s, "shared", "a", 1, 60), EIDGW_OK);
	expect_read(other, "shared", false, EIDGW_E_STORE_MISSING, NULL, 0);
	assert_int_equal(other->ops->put_new(other, "shared", "b", 1, 60), EIDGW_OK);
	expect_read(t->s, "shared", false, EIDGW_OK, "a", 1);

	(void)snprintf(url, sizeof(url), "%s/3", RF.url);
	assert_int_equal(gw_store_redis_open(url, REDIS_TIMEOUT_MS, t->prefix, &db3, &d), EIDGW_OK);
	expect_read(db3, "shared", false, EIDGW_E_STORE_MISSING, NULL, 0);
	assert_int_equal(db3->ops->put_new(db3, "indb3", "c", 1, 60), EIDGW_OK);
	expect_read(t->s, "indb3", false, EIDGW_E_STORE_MISSING, NULL, 0);
	/* a second store on database 3 sees it */
	assert_int_equal(gw_store_redis_open(url, REDIS_TIMEOUT_MS, t->prefix, &db3b, &d), EIDGW_OK);
	expect_read(db3b, "indb3", true, EIDGW_OK, "c", 1);
	expect_read(db3, "indb3", false, EIDGW_E_STORE_MISSING, NULL, 0);
	eidgw_store_free(other);
	eidgw_store_free(db3);
	eidgw_store_free(db3b);
}

/* Redis: URL parsing, and the configuration path through gw_store_open. */
static void
t_redis_open(void **state)
{
	static const char *bad[] = {
		"rediss://127.0.0.1:6379", "http://127.0.0.1", "redis://", "redis://:6379",
		"redis://host:0", "redis://host:65536", "redis://host:12x", "redis://host:",
		"redis://host/x", "redis://host/99999999",
		"redis://host?db=1", "redis://[::1", "redis://host#f", "127.0.0.1:6379",
		"redis://user@host", "redis://:@host", "redis://u:@host", "redis://:%zz@host",
		"redis://:a%00b@host", "redis://:a%4@host", "redis://:pw@:6379",
	};
	char prefix[] = "cfg:";
	struct gw_config cfg;
	struct eidgw_store *s = NULL;
	struct eidgw_diag d = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
		eidgw_diag_clear(&d);
		if (gw_store_redis_open(bad[i], 100, "p:", &s, &d) != EIDGW_E_CONFIG_VALUE)
			fail_msg("accepted bad url %s", bad[i]);
		assert_null(s);
		assert_true(d.reason[0] != '\0');
		/* a URL may hold a password: errors never echo it */
		assert_null(strstr(d.reason, "%"));
		assert_null(strstr(d.reason, "pw"));
	}
	assert_int_equal(gw_store_redis_open(NULL, 100, "p:", &s, &d), EIDGW_E_CONFIG_MISSING);
	/* Good URLs open even when nothing listens there (lazy, fail closed). */
	assert_int_equal(gw_store_redis_open("redis://:p%40ss@[::1]:1/2", 50, "p:", &s, &d),
	    EIDGW_OK);
	assert_int_equal(s->ops->ping(s), EIDGW_E_STORE_UNAVAILABLE);
	assert_int_equal(s->ops->put_new(s, "k", "v", 1, 5), EIDGW_E_STORE_UNAVAILABLE);
	eidgw_store_free(s);
	s = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.store.backend = GW_STORE_REDIS;
	cfg.store.redis_url = RF.url;
	cfg.store.redis_timeout_ms = REDIS_TIMEOUT_MS;
	cfg.store.key_prefix = prefix;
	assert_int_equal(gw_store_open(&cfg, &s, &d), EIDGW_OK);
	assert_string_equal(s->ops->name, "redis");
	assert_int_equal(s->ops->ping(s), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "via-config", "1", 1, 5), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, "via-config", "1", 1, 5), EIDGW_E_STORE_EXISTS);
	eidgw_store_free(s);
}

/* Runs every operation once; each must say UNAVAILABLE. Returns the slowest in ms. */
static double
all_unavailable(struct eidgw_store *s)
{
	struct eidgw_buf b;
	enum eidgw_err rc[6];
	double worst = 0, ms;
	uint64_t t0;
	int i;

	eidgw_buf_init(&b, 1024);
	for (i = 0; i < 6; i++) {
		t0 = eidgw_mono_ns();
		switch (i) {
		case 0: rc[i] = s->ops->put_new(s, "seen", "x", 1, 60); break;
		case 1: rc[i] = s->ops->put(s, "seen", "x", 1, 60); break;
		case 2: rc[i] = s->ops->get(s, "seen", &b); break;
		case 3: rc[i] = s->ops->take(s, "seen", &b); break;
		case 4: rc[i] = s->ops->del(s, "seen"); break;
		default: rc[i] = s->ops->ping(s); break;
		}
		ms = ms_since(t0);
		if (ms > worst)
			worst = ms;
		if (rc[i] != EIDGW_E_STORE_UNAVAILABLE)
			fail_msg("operation %d while Redis is down: %s", i, eidgw_err_name(rc[i]));
	}
	assert_int_equal(b.len, 0);
	eidgw_buf_free(&b);
	return worst;
}

/* Waits (up to 5 s) for ping to succeed again; returns the time it took in ms. */
static double
wait_back(struct eidgw_store *s)
{
	uint64_t t0 = eidgw_mono_ns();

	while (s->ops->ping(s) != EIDGW_OK) {
		if (ms_since(t0) > 5000)
			fail_msg("store did not recover within 5 s");
		sleep_ms(25);
	}
	return ms_since(t0);
}

static void
all_ok(struct eidgw_store *s, const char *key)
{
	assert_int_equal(s->ops->put_new(s, key, "v", 1, 60), EIDGW_OK);
	assert_int_equal(s->ops->put_new(s, key, "v", 1, 60), EIDGW_E_STORE_EXISTS);
	assert_int_equal(s->ops->put(s, key, "w", 1, 60), EIDGW_OK);
	expect_read(s, key, false, EIDGW_OK, "w", 1);
	expect_read(s, key, true, EIDGW_OK, "w", 1);
	assert_int_equal(s->ops->del(s, key), EIDGW_OK);
	assert_int_equal(s->ops->ping(s), EIDGW_OK);
}

/* Sends one command on a fresh connection to the fixture; true on a non-error reply. */
static bool
raw_cmd(const char *auth, const char *cmd, const char *a1, const char *a2, const char *a3)
{
	redisContext *c = redisConnect("127.0.0.1", RF.port);
	redisReply *rep = NULL;
	bool ok = false;

	if (c == NULL || c->err != 0)
		goto out;
	if (auth != NULL) {
		rep = redisCommand(c, "AUTH %s", auth);
		if (rep == NULL)
			goto out;
		freeReplyObject(rep);
	}
	if (a3 != NULL)
		rep = redisCommand(c, "%s %s %s %s", cmd, a1, a2, a3);
	else if (a2 != NULL)
		rep = redisCommand(c, "%s %s %s", cmd, a1, a2);
	else
		rep = redisCommand(c, "%s %s", cmd, a1);
	ok = rep != NULL && rep->type != REDIS_REPLY_ERROR;
	if (rep != NULL)
		freeReplyObject(rep);
out:
	if (c != NULL)
		redisFree(c);
	return ok;
}

static int
auth_teardown(void **state)
{
	/* whatever happened, the shared server needs no password afterwards */
	(void)raw_cmd("top secret", "CONFIG", "SET", "requirepass", "");
	(void)raw_cmd(NULL, "ACL", "DELUSER", "gw-user", NULL);
	return teardown(state);
}

/* Redis: AUTH with the default user's password and with an ACL user (percent-decoded). */
static void
t_redis_auth(void **state)
{
	struct eidgw_store *s = NULL;
	struct eidgw_diag d = { 0 };
	char url[160];

	(void)state;
	/* one rule per call: raw_cmd sends at most three arguments */
	assert_true(raw_cmd(NULL, "ACL", "SETUSER", "gw-user", "on"));
	assert_true(raw_cmd(NULL, "ACL", "SETUSER", "gw-user", ">p@ss:w/rd"));
	assert_true(raw_cmd(NULL, "ACL", "SETUSER", "gw-user", "~*"));
	assert_true(raw_cmd(NULL, "ACL", "SETUSER", "gw-user", "+@all"));
	assert_true(raw_cmd(NULL, "CONFIG", "SET", "requirepass", "top secret"));

	(void)snprintf(url, sizeof(url), "redis://:top%%20secret@127.0.0.1:%d/1", RF.port);
	assert_int_equal(gw_store_redis_open(url, REDIS_TIMEOUT_MS, "auth:", &s, &d), EIDGW_OK);
	all_ok(s, "k");
	eidgw_store_free(s);
	s = NULL;

	(void)snprintf(url, sizeof(url), "redis://gw-user:p%%40ss%%3Aw%%2Frd@127.0.0.1:%d",
	    RF.port);
	assert_int_equal(gw_store_redis_open(url, REDIS_TIMEOUT_MS, "auth:", &s, &d), EIDGW_OK);
	all_ok(s, "k");
	eidgw_store_free(s);
	s = NULL;

	/* wrong password, or none: fail closed */
	(void)snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", RF.port);
	assert_int_equal(gw_store_redis_open(url, REDIS_TIMEOUT_MS, "auth:", &s, &d), EIDGW_OK);
	assert_int_equal(s->ops->ping(s), EIDGW_E_STORE_UNAVAILABLE);
	assert_int_equal(s->ops->put_new(s, "k", "v", 1, 5), EIDGW_E_STORE_UNAVAILABLE);
	eidgw_store_free(s);
	s = NULL;
	assert_int_equal(gw_store_redis_open(RF.url, REDIS_TIMEOUT_MS, "auth:", &s, &d), EIDGW_OK);
	assert_int_equal(s->ops->ping(s), EIDGW_E_STORE_UNAVAILABLE);
	assert_int_equal(s->ops->take(s, "k", NULL), EIDGW_E_STORE_UNAVAILABLE);
	eidgw_store_free(s);
}

/* Redis killed: every operation fails closed at once; restarted: served again. */
static void
t_redis_killed(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	double worst = 0, ms, back;
	int round;

	all_ok(s, "before");
	assert_int_equal(s->ops->put_new(s, "seen", "x", 1, 60), EIDGW_OK);
	rf_kill(&RF);
	for (round = 0; round < 5; round++) {
		ms = all_unavailable(s);
		if (ms > worst)
			worst = ms;
		sleep_ms(round == 2 ? 600 : 10);	/* past the backoff once */
	}
	fprintf(stderr, "redis killed: slowest operation %.1f ms (timeout %d ms)\n", worst,
	    REDIS_TIMEOUT_MS);
	assert_true(worst < REDIS_TIMEOUT_MS + 100);
	assert_int_equal(rf_restart(&RF), 0);
	back = wait_back(s);
	fprintf(stderr, "redis restarted: store serving again after %.1f ms\n", back);
	all_ok(s, "after");
	/* no persistence in the fixture: what was there is gone, and says so */
	expect_read(s, "seen", false, EIDGW_E_STORE_MISSING, NULL, 0);
}

struct loader {
	struct eidgw_store *s;
	int id;
	atomic_int *stop;
	unsigned int ok, unavailable, bad;
	double worst_ms;
};

static void *
loader_run(void *arg)
{
	struct loader *l = arg;
	struct eidgw_store *s = l->s;
	enum eidgw_err a, b;
	char key[48];
	uint64_t t0;
	double ms;
	unsigned int i;

	for (i = 0; atomic_load(l->stop) == 0; i++) {
		(void)snprintf(key, sizeof(key), "load%d-%u", l->id, i);
		t0 = eidgw_mono_ns();
		a = s->ops->put_new(s, key, "v", 1, 60);
		b = s->ops->take(s, key, NULL);
		ms = ms_since(t0);
		if (ms > l->worst_ms)
			l->worst_ms = ms;
		if (a == EIDGW_OK && b == EIDGW_OK)
			l->ok++;
		else if ((a == EIDGW_OK || a == EIDGW_E_STORE_UNAVAILABLE) &&
		    b == EIDGW_E_STORE_UNAVAILABLE)
			l->unavailable++;
		else
			l->bad++;	/* EXISTS on a fresh key, MISSING after a stored put */
		sleep_ms(2);
	}
	return NULL;
}

/* Redis killed and restarted while 8 threads use the store: no hang, no wrong answer. */
static void
t_redis_outage_under_load(void **state)
{
	struct tc *t = *state;
	struct loader l[8];
	pthread_t th[8];
	atomic_int stop = 0;
	unsigned int ok = 0, unav = 0, bad = 0;
	double worst = 0;
	int i;

	for (i = 0; i < 8; i++) {
		l[i] = (struct loader){ .s = t->s, .id = i, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, loader_run, &l[i]), 0);
	}
	sleep_ms(300);
	rf_kill(&RF);
	sleep_ms(500);
	if (rf_restart(&RF) != 0)
		atomic_store(&stop, 1);
	sleep_ms(1200);
	atomic_store(&stop, 1);
	for (i = 0; i < 8; i++) {
		(void)pthread_join(th[i], NULL);
		ok += l[i].ok;
		unav += l[i].unavailable;
		bad += l[i].bad;
		if (l[i].worst_ms > worst)
			worst = l[i].worst_ms;
	}
	fprintf(stderr, "outage under load: %u ok, %u unavailable, %u wrong, slowest pair %.1f ms\n",
	    ok, unav, bad, worst);
	assert_true(RF.pid > 0);
	/*
	 * Each pair runs in milliseconds and Redis stays down for 500 ms, so a
	 * take can never land on the restarted server right after its put_new
	 * went to the dead one: MISSING, like EXISTS, is always wrong here.
	 */
	assert_int_equal(bad, 0);
	assert_true(unav > 0);
	assert_true(ok > 100);
	assert_true(worst < 2 * REDIS_TIMEOUT_MS + 100);
	(void)wait_back(t->s);
	all_ok(t->s, "after");
}

/* Redis frozen (accepts, never answers): failures bounded by the timeout. */
static void
t_redis_frozen(void **state)
{
	struct tc *t = *state;
	struct eidgw_store *s = t->s;
	double first, rest, probe, back;
	uint64_t t0;

	all_ok(s, "before");
	rf_freeze(&RF, true);
	t0 = eidgw_mono_ns();
	assert_int_equal(s->ops->get(s, "before", NULL), EIDGW_E_STORE_UNAVAILABLE);
	first = ms_since(t0);
	/* within the backoff the others fail without waiting */
	rest = all_unavailable(s);
	sleep_ms(600);
	/* past the backoff one caller probes and pays one timeout */
	probe = all_unavailable(s);
	fprintf(stderr, "redis frozen: first %.1f ms, next %.1f ms, probe after backoff %.1f ms "
	    "(timeout %d ms)\n", first, rest, probe, REDIS_TIMEOUT_MS);
	rf_freeze(&RF, false);
	assert_true(first >= REDIS_TIMEOUT_MS * 0.8 && first < REDIS_TIMEOUT_MS + 150);
	assert_true(rest < 50);
	assert_true(probe < REDIS_TIMEOUT_MS + 150);
	back = wait_back(s);
	fprintf(stderr, "redis thawed: store serving again after %.1f ms\n", back);
	all_ok(s, "after");
}

#define CASE(b, f) { #b "/" #f, f, setup, teardown, (void *)&be_##b }
#define FOR_ALL(f) CASE(memory, f), CASE(lmdb, f), CASE(redis, f)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FOR_ALL(t_put_new_exists),
		FOR_ALL(t_take_single_use),
		FOR_ALL(t_concurrent_take),
		FOR_ALL(t_many_threads),
		FOR_ALL(t_get_does_not_consume),
		FOR_ALL(t_del),
		FOR_ALL(t_binary),
		FOR_ALL(t_big),
		FOR_ALL(t_long_key),
		FOR_ALL(t_bad_ttl),
		FOR_ALL(t_ttl_expiry),
		CASE(lmdb, t_lmdb_reopen),
		CASE(redis, t_redis_isolation),
		CASE(redis, t_redis_open),
		{ "redis/t_redis_auth", t_redis_auth, setup, auth_teardown, (void *)&be_redis },
		CASE(redis, t_redis_killed),
		CASE(redis, t_redis_frozen),
		CASE(redis, t_redis_outage_under_load),
	};
	int rc;

	/* As the daemon does: a write to a closed socket is an error, not a signal. */
	(void)signal(SIGPIPE, SIG_IGN);
	rf_up = rf_start(&RF) == 0;
	if (!rf_up)
		fprintf(stderr, "cannot start redis-server: the Redis cases will fail\n");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rf_cleanup(&RF);
	return rc;
}
