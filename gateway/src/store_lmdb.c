/*
 * store_lmdb.c - the embedded state store on LMDB: crash-safe, no server,
 * survives restarts.  Each value is stored behind an 8-byte expiry time.
 *
 * Readers never block (MVCC); writers are serialised by LMDB, and each write
 * is one short transaction.  The environment runs with MDB_NOSYNC and is
 * flushed once a second from the main thread (maintain), so a login step
 * does not wait for a disk flush; after an OS crash at most the last second
 * of single-use records is lost, never the database's integrity.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "core/util.h"
#include "log.h"

#define LMDB_KEY_MAX 400	/* below LMDB's 511-byte default key limit */

struct lmdb_store {
	struct eidgw_store base;
	MDB_env *env;
	MDB_dbi dbi;
	char prefix[64];
	int64_t last_sweep;
};

static enum eidgw_err
lmdb_err(int rc)
{
	switch (rc) {
	case 0: return EIDGW_OK;
	case MDB_NOTFOUND: return EIDGW_E_STORE_MISSING;
	case MDB_MAP_FULL: return EIDGW_E_STORE_UNAVAILABLE;
	case ENOMEM: return EIDGW_E_NOMEM;
	default: return EIDGW_E_STORE_UNAVAILABLE;
	}
}

static bool
make_key(const struct lmdb_store *l, const char *key, char *out, size_t outlen, MDB_val *kv)
{
	int n = snprintf(out, outlen, "%s%s", l->prefix, key);

	if (n < 0 || (size_t)n >= outlen)
		return false;
	kv->mv_data = out;
	kv->mv_size = (size_t)n;
	return true;
}

static int64_t
val_expiry(const MDB_val *v)
{
	int64_t e;

	if (v->mv_size < sizeof(e))
		return 0;
	memcpy(&e, v->mv_data, sizeof(e));
	return e;
}

static enum eidgw_err
lmdb_put_common(struct eidgw_store *s, const char *key, const void *val, size_t len,
    int64_t ttl_s, bool only_new)
{
	struct lmdb_store *l = s->ctx;
	char kbuf[LMDB_KEY_MAX + 1];
	MDB_val k, v, old;
	MDB_txn *txn = NULL;
	int64_t exp;
	int rc;

	if (ttl_s < 1 || ttl_s > INT32_MAX)
		return EIDGW_E_INVAL;
	exp = eidgw_now() + ttl_s;
	if (!make_key(l, key, kbuf, sizeof(kbuf), &k))
		return EIDGW_E_INVAL;
	if ((rc = mdb_txn_begin(l->env, NULL, 0, &txn)) != 0)
		return lmdb_err(rc);
	if (only_new && mdb_get(txn, l->dbi, &k, &old) == 0 && val_expiry(&old) >= eidgw_now()) {
		mdb_txn_abort(txn);
		return EIDGW_E_STORE_EXISTS;
	}
	v.mv_size = sizeof(exp) + len;
	/* MDB_RESERVE: write the value in place, no intermediate copy. */
	if ((rc = mdb_put(txn, l->dbi, &k, &v, MDB_RESERVE)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_err(rc);
	}
	memcpy(v.mv_data, &exp, sizeof(exp));
	if (len != 0)
		memcpy((char *)v.mv_data + sizeof(exp), val, len);
	return lmdb_err(mdb_txn_commit(txn));
}

static enum eidgw_err
lmdb_put_new(struct eidgw_store *s, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	return lmdb_put_common(s, key, val, len, ttl_s, true);
}

static enum eidgw_err
lmdb_put(struct eidgw_store *s, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	return lmdb_put_common(s, key, val, len, ttl_s, false);
}

static enum eidgw_err
lmdb_read(struct eidgw_store *s, const char *key, struct eidgw_buf *out, bool take)
{
	struct lmdb_store *l = s->ctx;
	char kbuf[LMDB_KEY_MAX + 1];
	enum eidgw_err err = EIDGW_OK;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc;

	if (!make_key(l, key, kbuf, sizeof(kbuf), &k))
		return EIDGW_E_INVAL;
	if ((rc = mdb_txn_begin(l->env, NULL, take ? 0 : MDB_RDONLY, &txn)) != 0)
		return lmdb_err(rc);
	if ((rc = mdb_get(txn, l->dbi, &k, &v)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_err(rc);
	}
	/* Live through the second named by the expiry: a TTL is a lower bound. */
	if (val_expiry(&v) < eidgw_now()) {
		err = EIDGW_E_STORE_MISSING;
	} else if (out != NULL) {
		err = eidgw_buf_append(out, (const char *)v.mv_data + sizeof(int64_t),
		    v.mv_size - sizeof(int64_t));
	}
	if (!take) {
		mdb_txn_abort(txn);
		return err;
	}
	/* take: delete whatever we found (expired or not) in the same transaction. */
	if ((rc = mdb_del(txn, l->dbi, &k, NULL)) != 0) {
		mdb_txn_abort(txn);
		return lmdb_err(rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_err(rc);
	return err;
}

static enum eidgw_err
lmdb_get(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return lmdb_read(s, key, out, false);
}

static enum eidgw_err
lmdb_take(struct eidgw_store *s, const char *key, struct eidgw_buf *out)
{
	return lmdb_read(s, key, out, true);
}

static enum eidgw_err
lmdb_del(struct eidgw_store *s, const char *key)
{
	enum eidgw_err rc = lmdb_read(s, key, NULL, true);

	return rc == EIDGW_E_STORE_MISSING ? EIDGW_OK : rc;
}

static enum eidgw_err
lmdb_ping(struct eidgw_store *s)
{
	struct lmdb_store *l = s->ctx;
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_err(rc);
	mdb_txn_abort(txn);
	return EIDGW_OK;
}

/* Flushes to disk and, every minute, deletes expired entries in bounded batches. */
static void
lmdb_maintain(struct eidgw_store *s)
{
	struct lmdb_store *l = s->ctx;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int64_t now = eidgw_now();
	unsigned int removed = 0;
	int rc;

	(void)mdb_env_sync(l->env, 1);
	if (now - l->last_sweep < 60)
		return;
	l->last_sweep = now;
	if (mdb_txn_begin(l->env, NULL, 0, &txn) != 0)
		return;
	if (mdb_cursor_open(txn, l->dbi, &cur) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && removed < 100000;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (val_expiry(&v) < now && mdb_cursor_del(cur, 0) == 0)
			removed++;
	}
	mdb_cursor_close(cur);
	if (mdb_txn_commit(txn) == 0 && removed != 0)
		gw_log(LOG_DEBUG, NULL, "store.sweep", "removed %u expired entries", removed);
}

static void
lmdb_destroy(struct eidgw_store *s)
{
	struct lmdb_store *l = s->ctx;

	if (l->env != NULL) {
		(void)mdb_env_sync(l->env, 1);
		mdb_env_close(l->env);
	}
	free(l);
}

static const struct eidgw_store_ops lmdb_ops = {
	.name = "lmdb",
	.put_new = lmdb_put_new,
	.put = lmdb_put,
	.get = lmdb_get,
	.take = lmdb_take,
	.del = lmdb_del,
	.ping = lmdb_ping,
	.maintain = lmdb_maintain,
	.destroy = lmdb_destroy,
};

/* mkdir -p with mode 0700 (the store holds codes and tokens). */
static int
mkdirs(const char *path)
{
	char tmp[4096], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

enum eidgw_err
gw_store_lmdb_open(const char *dir, size_t map_size, const char *prefix,
    struct eidgw_store **out, struct eidgw_diag *d)
{
	struct lmdb_store *l = NULL;
	MDB_txn *txn = NULL;
	enum eidgw_err rc;
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return EIDGW_E_NOMEM;
	(void)snprintf(l->prefix, sizeof(l->prefix), "%s", prefix != NULL ? prefix : "");
	if (mkdirs(dir) != 0)
		EIDGW_FAIL(d, EIDGW_E_STORE_UNAVAILABLE, "store directory %s: %s", dir,
		    strerror(errno));
	if ((r = mdb_env_create(&l->env)) != 0 ||
	    (r = mdb_env_set_mapsize(l->env, map_size)) != 0 ||
	    (r = mdb_env_set_maxreaders(l->env, 512)) != 0 ||
	    (r = mdb_env_open(l->env, dir, MDB_NOTLS | MDB_NOSYNC, 0600)) != 0)
		EIDGW_FAIL(d, EIDGW_E_STORE_UNAVAILABLE, "LMDB store %s: %s", dir, mdb_strerror(r));
	if ((r = mdb_txn_begin(l->env, NULL, 0, &txn)) != 0 ||
	    (r = mdb_dbi_open(txn, NULL, 0, &l->dbi)) != 0 || (r = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		EIDGW_FAIL(d, EIDGW_E_STORE_UNAVAILABLE, "LMDB store %s: %s", dir, mdb_strerror(r));
	}
	txn = NULL;
	l->last_sweep = eidgw_now();
	l->base.ops = &lmdb_ops;
	l->base.ctx = l;
	*out = &l->base;
	l = NULL;
	rc = EIDGW_OK;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (l != NULL) {
		if (l->env != NULL)
			mdb_env_close(l->env);
		free(l);
	}
	return rc;
}
