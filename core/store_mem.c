/*
 * store_mem.c - in-process store: a chained hash table split into stripes,
 * each with its own mutex, so unrelated keys never contend on one lock.
 * Expired entries are dropped lazily when their chain is walked.  Lost on
 * restart, so the gateway uses it only when configured for tests and
 * one-node demos; production defaults to LMDB.
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util.h"

#define MEM_STRIPES 64
#define MEM_BUCKETS_PER_STRIPE 1024
/* Keys longer than this are EIDGW_E_INVAL, as in the LMDB and Redis stores. */
#define MEM_KEY_MAX 400

struct mem_entry {
	struct mem_entry *next;
	int64_t expires;
	size_t len;
	char *key;
	unsigned char val[];
};

struct mem_stripe {
	pthread_mutex_t mu;
	struct mem_entry *buckets[MEM_BUCKETS_PER_STRIPE];
};

struct mem_store {
	struct eidgw_store base;
	struct mem_stripe stripes[MEM_STRIPES];
};

static uint64_t
mem_hash(const char *key)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	while (*key != '\0') {
		h ^= (unsigned char)*key++;
		h *= 1099511628211ull;
	}
	return h;
}

static void
entry_free(struct mem_entry *e)
{
	if (e == NULL)
		return;
	OPENSSL_cleanse(e->val, e->len);
	free(e->key);
	free(e);
}

/* Finds key in its chain with the stripe locked; drops expired entries passed on the way. */
static struct mem_entry **
mem_find(struct mem_stripe *st, uint64_t h, const char *key, int64_t now)
{
	struct mem_entry **pp = &st->buckets[(h >> 6) % MEM_BUCKETS_PER_STRIPE], *e;

	while ((e = *pp) != NULL) {
		/* Live through the second named by expires: a TTL is a lower bound. */
		if (e->expires < now) {
			*pp = e->next;
			entry_free(e);
			continue;
		}
		if (strcmp(e->key, key) == 0)
			return pp;
		pp = &e->next;
	}
	return pp;
}

static enum eidgw_err
mem_put_common(struct eidgw_store *s, const char *key, const void *val, size_t len,
    int64_t ttl_s, bool only_new)
{
	struct mem_store *m = s->ctx;
	uint64_t h = mem_hash(key);
	struct mem_stripe *st = &m->stripes[h % MEM_STRIPES];
	struct mem_entry *e, **pp;
	int64_t now = eidgw_now();

	if (ttl_s < 1 || ttl_s > INT32_MAX || strnlen(key, MEM_KEY_MAX + 1) > MEM_KEY_MAX)
		return EIDGW_E_INVAL;
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return EIDGW_E_NOMEM;
	if ((e->key = strdup(key)) == NULL) {
		free(e);
		return EIDGW_E_NOMEM;
	}
	e->len = len;
	e->expires = now + ttl_s;
	if (len != 0)
		memcpy(e->val, val, len);
	pthread_mutex_lock(&st->mu);
	pp = mem_find(st, h, key, now);
	if (*pp != NULL) {
		if (only_new) {
			pthread_mutex_unlock(&st->mu);
			entry_free(e);
			return EIDGW_E_STORE_EXISTS;
		}
		e->next = (*pp)->next;
		entry_free(*pp);
		*pp = e;
	} else {
		e->next = NULL;
		*pp = e;
	}
	pthread_mutex_unlock(&st->mu);
	return EIDGW_OK;
}

static enum eidgw_err
mem_put_new(struct eidgw_store *s, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	return mem_put_common(s, key, val, len, ttl_s, true);
}

static enum eidgw_err
mem_put(struct eidgw_store *s, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	return mem_put_common(s, key, val, len, ttl_s, false);
}

static enum eidgw_err
mem_get_common(struct eidgw_store *s, const char *key, struct eidgw_buf *out, bool take)
{
	struct mem_store *m = s->ctx;
	uint64_t h = mem_hash(key);
	struct mem_stripe *st = &m->stripes[h % MEM_STRIPES];
	struct mem_entry **pp, *e;
	enum eidgw_err rc;

	if (strnlen(key, MEM_KEY_MAX + 1) > MEM_KEY_MAX)
		return EIDGW_E_INVAL;
	pthread_mutex_lock(&st->mu);
	pp = mem_find(st, h, key, eidgw_now());
	if ((e = *pp) == NULL) {
		pthread_mutex_unlock(&st->mu);
		return EIDGW_E_STORE_MISSING;
	}
	if (take)
		*pp = e->next;
	rc = out != NULL ? eidgw_buf_append(out, e->val, e->len) : EIDGW_OK;
	pthread_mutex_unlock(&st->mu);
	if (take)
		entry_free(e);
	return rc;
}

static enum eidgw_err
mem_get(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return mem_get_common(s, key, out, false);
}

static enum eidgw_err
mem_take(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return mem_get_common(s, key, out, true);
}

static enum eidgw_err
mem_del(struct eidgw_store *s, const char *key)
{
	enum eidgw_err rc = mem_get_common(s, key, NULL, true);

	return rc == EIDGW_E_STORE_MISSING ? EIDGW_OK : rc;
}

static enum eidgw_err
mem_ping(struct eidgw_store *s)
{
	return EIDGW_OK;
}

static void
mem_destroy(struct eidgw_store *s)
{
	struct mem_store *m = s->ctx;
	struct mem_entry *e, *n;
	size_t i, j;

	for (i = 0; i < MEM_STRIPES; i++) {
		for (j = 0; j < MEM_BUCKETS_PER_STRIPE; j++)
			for (e = m->stripes[i].buckets[j]; e != NULL; e = n) {
				n = e->next;
				entry_free(e);
			}
		pthread_mutex_destroy(&m->stripes[i].mu);
	}
	free(m);
}

static const struct eidgw_store_ops mem_ops = {
	.name = "memory",
	.put_new = mem_put_new,
	.put = mem_put,
	.get = mem_get,
	.take = mem_take,
	.del = mem_del,
	.ping = mem_ping,
	.maintain = NULL,
	.destroy = mem_destroy,
};

enum eidgw_err
eidgw_store_mem_new(struct eidgw_store **out)
{
	struct mem_store *m;
	size_t i;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return EIDGW_E_NOMEM;
	for (i = 0; i < MEM_STRIPES; i++)
		pthread_mutex_init(&m->stripes[i].mu, NULL);
	m->base.ops = &mem_ops;
	m->base.ctx = m;
	*out = &m->base;
	return EIDGW_OK;
}

void
eidgw_store_free(struct eidgw_store *s)
{
	if (s != NULL && s->ops != NULL && s->ops->destroy != NULL)
		s->ops->destroy(s);
}
