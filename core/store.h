/*
 * store.h - the state-store interface shared by oidc/, saml/ callers and the
 * gateway.  One semantics for everything single-use (SAML request IDs,
 * assertion IDs, authorization codes, PAR request_uris, client-assertion
 * jti): put-if-absent with a TTL and an atomic take.  Backends (memory,
 * LMDB, Redis) implement the ops table; callers never branch on the backend.
 *
 * Fail closed: a backend that cannot answer returns
 * EIDGW_E_STORE_UNAVAILABLE, and callers must then refuse, never skip the
 * check.
 */
#ifndef EIDGW_CORE_STORE_H
#define EIDGW_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct eidgw_store;

struct eidgw_store_ops {
	const char *name;
	/* Stores key=value for ttl_s seconds unless key exists: EIDGW_E_STORE_EXISTS. */
	enum eidgw_err (*put_new)(struct eidgw_store *s, const char *key,
	    const void *val, size_t len, int64_t ttl_s);
	/* Stores key=value for ttl_s seconds, replacing any value. */
	enum eidgw_err (*put)(struct eidgw_store *s, const char *key,
	    const void *val, size_t len, int64_t ttl_s);
	/* Reads a live value into out: EIDGW_E_STORE_MISSING if absent or expired. */
	enum eidgw_err (*get)(struct eidgw_store *s, const char *key, struct eidgw_buf *out);
	/* Reads and deletes atomically (exactly one caller wins). */
	enum eidgw_err (*take)(struct eidgw_store *s, const char *key, struct eidgw_buf *out);
	/* Deletes; absent is not an error. */
	enum eidgw_err (*del)(struct eidgw_store *s, const char *key);
	/* EIDGW_OK when the backend can serve requests now. */
	enum eidgw_err (*ping)(struct eidgw_store *s);
	/*
	 * Periodic upkeep from the main thread (drop expired entries, flush);
	 * may be NULL for backends that expire on their own.
	 */
	void (*maintain)(struct eidgw_store *s);
	void (*destroy)(struct eidgw_store *s);
};

struct eidgw_store {
	const struct eidgw_store_ops *ops;
	void *ctx;
};

/* An in-process store (hash table, striped locks); for tests and one-node demos. */
enum eidgw_err eidgw_store_mem_new(struct eidgw_store **out) EIDGW_MUST_USE;
void eidgw_store_free(struct eidgw_store *s);

#endif
