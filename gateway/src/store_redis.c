/*
 * store_redis.c - the shared state store on Redis (hiredis), for several
 * gateway nodes behind a load balancer.
 *
 * Every operation is one Redis command, so atomicity is Redis's:
 *   put_new  SET key val NX EX ttl     (nil reply: EIDGW_E_STORE_EXISTS)
 *   put      SET key val EX ttl
 *   get      GET key
 *   take     GETDEL key                (Redis >= 6.2; exactly one caller wins)
 *   del      DEL key
 *   ping     PING
 *
 * hiredis contexts are not thread-safe, so the store keeps a fixed pool of
 * slots, each a mutex and a lazily made connection.  A caller try-locks the
 * slots starting at the one its thread used last and blocks only when every
 * slot is busy; there is no store-wide lock on the hot path.
 *
 * Fail closed: a connect, I/O, timeout or protocol error, an error reply or
 * an unexpected reply is EIDGW_E_STORE_UNAVAILABLE, never "absent".  A
 * connection that failed is dropped (it may be out of step with the server)
 * and every other pooled connection is dropped before its next use (a
 * generation counter), so a restarted Redis is picked up without restarting
 * eidgw.  After a failure new connections are tried at most once per
 * backoff period, by one caller; the others fail at once instead of each
 * waiting for a connect timeout.  Loss and recovery are logged once per
 * transition; logs never carry keys or values (keys may hold codes).
 *
 * The process must ignore SIGPIPE (the daemon does): hiredis 0.14 writes
 * with write(2), so a write to a connection the server has closed would
 * otherwise kill it.
 */
#include "store.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "core/util.h"
#include "log.h"

#define REDIS_POOL 32
#define REDIS_KEY_MAX 401	/* prefix + key + NUL: at most 400 bytes, as in LMDB */
#define REDIS_HOST_MAX 256
#define REDIS_DB_MAX 65535
#define REDIS_BACKOFF_NS (500ull * 1000 * 1000)
#define REDIS_TTL_MAX INT32_MAX

struct redis_slot {
	pthread_mutex_t mu;
	redisContext *c;	/* NULL until needed or after a failure */
	unsigned int gen;	/* store generation when c was made */
};

struct redis_store {
	struct eidgw_store base;
	char host[REDIS_HOST_MAX];
	int port;
	int db;
	char *user;		/* NULL: the default user */
	char *pass;		/* NULL: no AUTH; wiped on free */
	struct timeval tv;	/* connect and command timeout */
	char prefix[64];
	atomic_uint gen;	/* bumped on a broken connection */
	atomic_int down;	/* 1 after a failure until a command succeeds (for the log) */
	_Atomic uint64_t retry_at;	/* 0, or monotonic ns: next connect attempt */
	struct redis_slot slots[REDIS_POOL];
};

/* The slot this thread used last: a hint only, so threads keep "their" connection. */
static _Thread_local unsigned int redis_hint;

static void
note_down(struct redis_store *r, const char *why)
{
	if (atomic_exchange(&r->down, 1) == 0)
		gw_log(LOG_ERR, NULL, "store.redis.down",
		    "redis store %s:%d unavailable (%s); requests fail closed", r->host, r->port,
		    why);
}

/* A command got its reply: connections may be made freely again. */
static void
note_up(struct redis_store *r)
{
	if (atomic_load_explicit(&r->retry_at, memory_order_relaxed) != 0)
		atomic_store(&r->retry_at, 0);
	if (atomic_load_explicit(&r->down, memory_order_relaxed) != 0 &&
	    atomic_exchange(&r->down, 0) == 1)
		gw_log(LOG_NOTICE, NULL, "store.redis.up", "redis store %s:%d reachable again",
		    r->host, r->port);
}

static void
slot_drop(struct redis_slot *sl)
{
	if (sl->c != NULL) {
		redisFree(sl->c);
		sl->c = NULL;
	}
}

/* A broken connection: drop it and every pooled one, back off new connects. */
static void
slot_broken(struct redis_store *r, struct redis_slot *sl, const char *why)
{
	slot_drop(sl);
	atomic_fetch_add(&r->gen, 1);
	atomic_store(&r->retry_at, eidgw_mono_ns() + REDIS_BACKOFF_NS);
	note_down(r, why);
}

/*
 * After a connection failure (retry_at set), lets one caller per backoff
 * period make a new connection; the others fail at once.  The first command
 * that gets a reply clears retry_at (note_up).  A server that accepts but
 * does not answer thus costs one timeout per period, not one per request.
 */
static bool
may_connect(struct redis_store *r)
{
	uint64_t now, at = atomic_load(&r->retry_at);

	if (at == 0)
		return true;
	now = eidgw_mono_ns();
	if (now < at)
		return false;
	return atomic_compare_exchange_strong(&r->retry_at, &at, now + REDIS_BACKOFF_NS);
}

/*
 * An idle pooled connection must have nothing to read: a readable socket
 * means the server closed it (restart, client timeout) or sent something
 * unasked, and either way it is not used for a command.
 */
static bool
conn_idle_ok(const redisContext *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 0;
}

static enum eidgw_err
slot_connect(struct redis_store *r, struct redis_slot *sl)
{
	redisContext *c = NULL;
	redisReply *rep = NULL;
	char why[160];
	enum eidgw_err rc = EIDGW_E_STORE_UNAVAILABLE;

	if (!may_connect(r))
		return EIDGW_E_STORE_UNAVAILABLE;
	sl->gen = atomic_load(&r->gen);
	c = redisConnectWithTimeout(r->host, r->port, r->tv);
	if (c == NULL) {
		(void)snprintf(why, sizeof(why), "out of memory");
		goto out;
	}
	if (c->err != 0) {
		(void)snprintf(why, sizeof(why), "connect: %s", c->errstr);
		goto out;
	}
	if (redisSetTimeout(c, r->tv) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK) {
		(void)snprintf(why, sizeof(why), "socket options: %s", c->errstr);
		goto out;
	}
	if (r->pass != NULL) {
		if (r->user != NULL)
			rep = redisCommand(c, "AUTH %s %s", r->user, r->pass);
		else
			rep = redisCommand(c, "AUTH %s", r->pass);
		if (rep == NULL) {
			(void)snprintf(why, sizeof(why), "AUTH: %s", c->errstr);
			goto out;
		}
		/* never the reply text: it may echo the user name */
		if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "OK") != 0) {
			(void)snprintf(why, sizeof(why), "AUTH refused");
			goto out;
		}
		freeReplyObject(rep);
		rep = NULL;
	}
	if (r->db != 0) {
		rep = redisCommand(c, "SELECT %d", r->db);
		if (rep == NULL) {
			(void)snprintf(why, sizeof(why), "SELECT: %s", c->errstr);
			goto out;
		}
		if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "OK") != 0) {
			(void)snprintf(why, sizeof(why), "SELECT %d refused", r->db);
			goto out;
		}
		freeReplyObject(rep);
		rep = NULL;
	}
	sl->c = c;
	c = NULL;
	rc = EIDGW_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	if (c != NULL)
		redisFree(c);
	if (rc != EIDGW_OK) {
		atomic_store(&r->retry_at, eidgw_mono_ns() + REDIS_BACKOFF_NS);
		note_down(r, why);
	}
	return rc;
}

/* Locks a slot with a usable connection (making one if needed); release with slot_put. */
static enum eidgw_err
slot_get(struct redis_store *r, struct redis_slot **out)
{
	struct redis_slot *sl = NULL;
	unsigned int i, k, start = redis_hint % REDIS_POOL;
	enum eidgw_err rc;

	*out = NULL;
	for (i = 0; i < REDIS_POOL && sl == NULL; i++) {
		k = (start + i) % REDIS_POOL;
		if (pthread_mutex_trylock(&r->slots[k].mu) == 0) {
			sl = &r->slots[k];
			redis_hint = k;
		}
	}
	if (sl == NULL) {
		sl = &r->slots[start];
		pthread_mutex_lock(&sl->mu);
	}
	if (sl->c != NULL && (sl->gen != atomic_load(&r->gen) || !conn_idle_ok(sl->c)))
		slot_drop(sl);
	if (sl->c == NULL && (rc = slot_connect(r, sl)) != EIDGW_OK) {
		pthread_mutex_unlock(&sl->mu);
		return rc;
	}
	*out = sl;
	return EIDGW_OK;
}

static void
slot_put(struct redis_slot *sl)
{
	if (sl != NULL)
		pthread_mutex_unlock(&sl->mu);
}

/*
 * Checks a reply for failure: none at all (I/O, timeout, protocol: the
 * connection is dropped) or an error reply (the connection stays; only the
 * error's first word is logged, since Redis may echo arguments).
 */
static enum eidgw_err
reply_check(struct redis_store *r, struct redis_slot *sl, const redisReply *rep)
{
	char why[160];
	size_t n;

	if (rep == NULL) {
		(void)snprintf(why, sizeof(why), "%s", sl->c->err != 0 ? sl->c->errstr : "no reply");
		slot_broken(r, sl, why);
		return EIDGW_E_STORE_UNAVAILABLE;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		n = rep->str != NULL ? strcspn(rep->str, " ") : 0;
		if (n > 32)
			n = 32;
		(void)snprintf(why, sizeof(why), "error reply %.*s", (int)n,
		    rep->str != NULL ? rep->str : "");
		note_down(r, why);
		return EIDGW_E_STORE_UNAVAILABLE;
	}
	return EIDGW_OK;
}

/* A reply of a type the command cannot give: the connection is out of step. */
static enum eidgw_err
reply_unexpected(struct redis_store *r, struct redis_slot *sl)
{
	slot_broken(r, sl, "unexpected reply");
	return EIDGW_E_STORE_UNAVAILABLE;
}

static void
reply_free(redisReply *rep)
{
	if (rep == NULL)
		return;
	if ((rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS) &&
	    rep->str != NULL)
		OPENSSL_cleanse(rep->str, rep->len);
	freeReplyObject(rep);
}

static enum eidgw_err
make_key(const struct redis_store *r, const char *key, char out[REDIS_KEY_MAX], size_t *lenp)
{
	int n = snprintf(out, REDIS_KEY_MAX, "%s%s", r->prefix, key);

	if (n < 0 || (size_t)n >= REDIS_KEY_MAX)
		return EIDGW_E_INVAL;
	*lenp = (size_t)n;
	return EIDGW_OK;
}

static enum eidgw_err
redis_put_common(struct eidgw_store *s, const char *key, const void *val, size_t len,
    int64_t ttl_s, bool only_new)
{
	struct redis_store *r = s->ctx;
	struct redis_slot *sl = NULL;
	redisReply *rep = NULL;
	char k[REDIS_KEY_MAX];
	size_t klen;
	enum eidgw_err rc;

	EIDGW_ENSURE(ttl_s >= 1 && ttl_s <= REDIS_TTL_MAX, EIDGW_E_INVAL);
	EIDGW_TRY(make_key(r, key, k, &klen));
	if (val == NULL)
		val = "";
	EIDGW_TRY(slot_get(r, &sl));
	if (only_new)
		rep = redisCommand(sl->c, "SET %b %b NX EX %lld", k, klen, val, len,
		    (long long)ttl_s);
	else
		rep = redisCommand(sl->c, "SET %b %b EX %lld", k, klen, val, len, (long long)ttl_s);
	EIDGW_TRY(reply_check(r, sl, rep));
	if (only_new && rep->type == REDIS_REPLY_NIL)
		rc = EIDGW_E_STORE_EXISTS;
	else if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0)
		rc = EIDGW_OK;
	else
		EIDGW_TRY(reply_unexpected(r, sl));
	note_up(r);
out:
	reply_free(rep);
	slot_put(sl);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static enum eidgw_err
redis_put_new(struct eidgw_store *s, const char *key, const void *val, size_t len,
    int64_t ttl_s)
{
	return redis_put_common(s, key, val, len, ttl_s, true);
}

static enum eidgw_err
redis_put(struct eidgw_store *s, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	return redis_put_common(s, key, val, len, ttl_s, false);
}

static enum eidgw_err
redis_read(struct eidgw_store *s, const char *key, struct eidgw_buf *out, bool take)
{
	struct redis_store *r = s->ctx;
	struct redis_slot *sl = NULL;
	redisReply *rep = NULL;
	char k[REDIS_KEY_MAX];
	size_t klen;
	enum eidgw_err rc;

	EIDGW_TRY(make_key(r, key, k, &klen));
	EIDGW_TRY(slot_get(r, &sl));
	if (take)
		rep = redisCommand(sl->c, "GETDEL %b", k, klen);
	else
		rep = redisCommand(sl->c, "GET %b", k, klen);
	EIDGW_TRY(reply_check(r, sl, rep));
	if (rep->type == REDIS_REPLY_NIL)
		rc = EIDGW_E_STORE_MISSING;
	else if (rep->type == REDIS_REPLY_STRING)
		rc = out != NULL ? eidgw_buf_append(out, rep->str, rep->len) : EIDGW_OK;
	else
		EIDGW_TRY(reply_unexpected(r, sl));
	note_up(r);
out:
	reply_free(rep);
	slot_put(sl);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static enum eidgw_err
redis_get(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return redis_read(s, key, out, false);
}

static enum eidgw_err
redis_take(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return redis_read(s, key, out, true);
}

static enum eidgw_err
redis_del(struct eidgw_store *s, const char *key)
{
	struct redis_store *r = s->ctx;
	struct redis_slot *sl = NULL;
	redisReply *rep = NULL;
	char k[REDIS_KEY_MAX];
	size_t klen;
	enum eidgw_err rc;

	EIDGW_TRY(make_key(r, key, k, &klen));
	EIDGW_TRY(slot_get(r, &sl));
	rep = redisCommand(sl->c, "DEL %b", k, klen);
	EIDGW_TRY(reply_check(r, sl, rep));
	if (rep->type != REDIS_REPLY_INTEGER)
		EIDGW_TRY(reply_unexpected(r, sl));
	note_up(r);
	rc = EIDGW_OK;
out:
	reply_free(rep);
	slot_put(sl);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static enum eidgw_err
redis_ping(struct eidgw_store *s)
{
	struct redis_store *r = s->ctx;
	struct redis_slot *sl = NULL;
	redisReply *rep = NULL;
	enum eidgw_err rc;

	EIDGW_TRY(slot_get(r, &sl));
	rep = redisCommand(sl->c, "PING");
	EIDGW_TRY(reply_check(r, sl, rep));
	if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "PONG") != 0)
		EIDGW_TRY(reply_unexpected(r, sl));
	note_up(r);
	rc = EIDGW_OK;
out:
	reply_free(rep);
	slot_put(sl);
	return rc;
}

static void
redis_destroy(struct eidgw_store *s)
{
	struct redis_store *r = s->ctx;
	size_t i;

	for (i = 0; i < REDIS_POOL; i++) {
		slot_drop(&r->slots[i]);
		pthread_mutex_destroy(&r->slots[i].mu);
	}
	eidgw_free_secret_str(r->user);
	eidgw_free_secret_str(r->pass);
	free(r);
}

static const struct eidgw_store_ops redis_ops = {
	.name = "redis",
	.put_new = redis_put_new,
	.put = redis_put,
	.get = redis_get,
	.take = redis_take,
	.del = redis_del,
	.ping = redis_ping,
	.maintain = NULL,	/* Redis expires keys itself */
	.destroy = redis_destroy,
};

/* Decimal in [lo, hi] spanning exactly [p, end); false otherwise. */
static bool
parse_uint(const char *p, const char *end, long lo, long hi, int *out)
{
	long v = 0;

	if (p == end || end - p > 6)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [p, end) into a new string; NULL if malformed or holding %00. */
static char *
pct_decode(const char *p, const char *end)
{
	char *out = malloc((size_t)(end - p) + 1), *o = out;
	int hi, lo;

	if (out == NULL)
		return NULL;
	while (p < end) {
		if (*p != '%') {
			*o++ = *p++;
			continue;
		}
		if (end - p < 3 || (hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0 ||
		    hi * 16 + lo == 0) {
			eidgw_wipe(out, (size_t)(o - out));
			free(out);
			return NULL;
		}
		*o++ = (char)(hi * 16 + lo);
		p += 3;
	}
	*o = '\0';
	return out;
}

/*
 * redis://[[user]:password@]host[:port][/db]; host may be a bracketed IPv6
 * literal; user and password are percent-decoded.  Errors never echo the
 * URL, which may hold a password.
 */
static enum eidgw_err
parse_url(struct redis_store *r, const char *url, struct eidgw_diag *d)
{
	const char *p, *h, *hend, *end, *at, *colon;
	enum eidgw_err rc;

	if (strncmp(url, "rediss://", 9) == 0)
		EIDGW_FAIL(d, EIDGW_E_CONFIG_VALUE,
		    "store.redis_url: rediss:// (TLS) is not supported: this build's hiredis "
		    "(0.14) has no TLS; use a local TLS tunnel or a private network");
	EIDGW_CHECK(strncmp(url, "redis://", 8) == 0, d, EIDGW_E_CONFIG_VALUE,
	    "store.redis_url must be redis://[[user]:password@]host[:port][/db]");
	p = url + 8;
	end = p + strcspn(p, "/");
	EIDGW_CHECK(strpbrk(p, "?#") == NULL, d, EIDGW_E_CONFIG_VALUE,
	    "store.redis_url: no query or fragment allowed");
	for (at = NULL, h = p; h < end; h++)
		if (*h == '@')
			at = h;
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		EIDGW_CHECK(colon != NULL && colon + 1 < at, d, EIDGW_E_CONFIG_VALUE,
		    "store.redis_url: user information must be [user]:password@");
		if (colon > p)
			EIDGW_CHECK((r->user = pct_decode(p, colon)) != NULL, d,
			    EIDGW_E_CONFIG_VALUE, "store.redis_url: malformed user name");
		EIDGW_CHECK((r->pass = pct_decode(colon + 1, at)) != NULL, d, EIDGW_E_CONFIG_VALUE,
		    "store.redis_url: malformed password");
		p = at + 1;
	}
	if (*p == '[') {
		h = p + 1;
		hend = memchr(h, ']', (size_t)(end - h));
		EIDGW_CHECK(hend != NULL, d, EIDGW_E_CONFIG_VALUE,
		    "store.redis_url: unterminated [IPv6] host");
		p = hend + 1;
	} else {
		h = p;
		hend = p + strcspn(p, ":/");
		p = hend;
	}
	EIDGW_CHECK(hend > h && (size_t)(hend - h) < sizeof(r->host), d, EIDGW_E_CONFIG_VALUE,
	    "store.redis_url: missing or overlong host");
	memcpy(r->host, h, (size_t)(hend - h));
	r->host[hend - h] = '\0';
	r->port = 6379;
	if (*p == ':')
		EIDGW_CHECK(parse_uint(p + 1, end, 1, 65535, &r->port), d, EIDGW_E_CONFIG_VALUE,
		    "store.redis_url: port must be 1 to 65535");
	else
		EIDGW_CHECK(p == end, d, EIDGW_E_CONFIG_VALUE, "store.redis_url: malformed host");
	r->db = 0;
	if (*end == '/' && end[1] != '\0')
		EIDGW_CHECK(parse_uint(end + 1, end + strlen(end), 0, REDIS_DB_MAX, &r->db), d,
		    EIDGW_E_CONFIG_VALUE, "store.redis_url: database must be a number 0 to %d",
		    REDIS_DB_MAX);
	rc = EIDGW_OK;
out:
	return rc;
}

enum eidgw_err
gw_store_redis_open(const char *url, unsigned int timeout_ms, const char *prefix,
    struct eidgw_store **out, struct eidgw_diag *d)
{
	struct redis_store *r = NULL;
	size_t i;
	enum eidgw_err rc;

	*out = NULL;
	EIDGW_CHECK(url != NULL, d, EIDGW_E_CONFIG_MISSING, "store.redis_url is not set");
	EIDGW_CHECK(prefix == NULL || strlen(prefix) < 64, d, EIDGW_E_CONFIG_VALUE,
	    "store.key_prefix is longer than 63 bytes");
	EIDGW_CHECK(timeout_ms >= 1 && timeout_ms <= 600000, d, EIDGW_E_CONFIG_VALUE,
	    "store.redis_timeout_ms out of range");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return EIDGW_E_NOMEM;
	EIDGW_TRY(parse_url(r, url, d));
	(void)snprintf(r->prefix, sizeof(r->prefix), "%s", prefix != NULL ? prefix : "");
	r->tv.tv_sec = (time_t)(timeout_ms / 1000);
	r->tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	atomic_init(&r->gen, 0);
	atomic_init(&r->down, 0);
	atomic_init(&r->retry_at, 0);
	for (i = 0; i < REDIS_POOL; i++)
		pthread_mutex_init(&r->slots[i].mu, NULL);
	r->base.ops = &redis_ops;
	r->base.ctx = r;
	/* Not fatal: the daemon starts, /readyz says not ready, requests fail closed. */
	if (redis_ping(&r->base) != EIDGW_OK)
		gw_log(LOG_WARNING, NULL, "store.redis", "redis store %s:%d not reachable at start",
		    r->host, r->port);
	*out = &r->base;
	r = NULL;
	rc = EIDGW_OK;
out:
	if (r != NULL) {
		eidgw_free_secret_str(r->user);
		eidgw_free_secret_str(r->pass);
		free(r);
	}
	return rc;
}
