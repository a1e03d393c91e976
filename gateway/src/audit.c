/*
 * audit.c - the audit log writer: records, checkpoints, group commit,
 * recovery on open, rotation.  Format and reasoning: docs/audit.md.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit_int.h"
#include "core/util.h"
#include "log.h"

#define AUDIT_MAX_SEQ 999999u
#define AUDIT_HMAC_MIN 16
#define AUDIT_HMAC_MAX 1024

struct gw_audit {
	char *dir;
	const struct eidgw_key *key;		/* borrowed */
	enum eidgw_sig_alg alg;
	const char *alg_name;
	char key_id[GW_AUDIT_KEY_ID_LEN + 1];
	unsigned char *hmac;			/* wiped on free */
	size_t hmac_len;
	unsigned int cp_every;
	unsigned int cp_interval_s;
	uint64_t rotate_bytes;			/* 0: never by size */

	pthread_mutex_t mu;			/* everything below */
	pthread_cond_t sync_cv;			/* followers wait for the leader's sync */
	pthread_cond_t timer_cv;
	pthread_t timer;
	bool timer_started;
	pthread_cond_t work_cv;			/* wakes the sync thread */
	pthread_t syncer;
	bool syncer_started;
	struct gw_audit_waiter *waiters;	/* answers held until their records are durable */
	bool rotate_due;			/* the file passed rotate_bytes: the sync thread rotates */
	bool closing;

	int lock_fd;				/* flock'd audit.lock: one writer per directory */
	int fd;
	unsigned int seq;
	char file[GW_AUDIT_FILE_MAX];
	off_t off;				/* end of the last complete line */
	struct gw_merkle_frontier fr;
	gw_hash chain;				/* SHA-256 of the last line */
	uint64_t cp_size;			/* tree size of the last checkpoint */
	uint64_t cp_mono_ns;
	uint64_t written;			/* lines written ... */
	uint64_t synced;			/* ... and known to be on disk */
	uint64_t syncs;				/* successful fdatasync calls */
	/* copies of the above for readers that must not wait on mu (readyz, metrics) */
	_Atomic uint64_t pub_records, pub_syncs, pub_written, pub_synced;
	atomic_bool pub_failed;
	bool syncing;				/* a leader is in fdatasync */
	enum eidgw_err failed;			/* sticky */
	struct eidgw_buf line;			/* scratch, under mu */
};

/* Under mu: makes the counters readable without it. */
static void
publish_locked(struct gw_audit *a)
{
	atomic_store_explicit(&a->pub_records, a->fr.size, memory_order_relaxed);
	atomic_store_explicit(&a->pub_syncs, a->syncs, memory_order_relaxed);
	atomic_store_explicit(&a->pub_written, a->written, memory_order_relaxed);
	atomic_store_explicit(&a->pub_synced, a->synced, memory_order_relaxed);
	atomic_store(&a->pub_failed, a->failed != EIDGW_OK);
}

static const char *const event_names[GW_AUDIT_EVENT_MAX_] = {
	[GW_AUDIT_START] = "start",
	[GW_AUDIT_STOP] = "stop",
	[GW_AUDIT_CONFIG_LOADED] = "config_loaded",
	[GW_AUDIT_RELOAD_REFUSED] = "reload_refused",
	[GW_AUDIT_KEYS_LOADED] = "keys_loaded",
	[GW_AUDIT_METADATA_CHANGED] = "metadata_changed",
	[GW_AUDIT_LOGIN_STARTED] = "login_started",
	[GW_AUDIT_AUTHN_REQUEST_SENT] = "authn_request_sent",
	[GW_AUDIT_RESPONSE_ACCEPTED] = "response_accepted",
	[GW_AUDIT_RESPONSE_REJECTED] = "response_rejected",
	[GW_AUDIT_TOKENS_ISSUED] = "tokens_issued",
	[GW_AUDIT_CODE_REUSE] = "code_reuse",
	[GW_AUDIT_CLIENT_AUTH_FAILED] = "client_auth_failed",
	[GW_AUDIT_RECOVERED] = "recovered",
	[GW_AUDIT_FILE_START] = "file_start",
};

const char *
gw_audit_event_name(enum gw_audit_event ev)
{
	if ((int)ev <= 0 || ev >= GW_AUDIT_EVENT_MAX_)
		return NULL;
	return event_names[ev];
}

/* ---- small helpers -------------------------------------------------- */

static void
now_ts(char out[32])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	eidgw_time_fmt_ms(&ts, out);
}

static bool
key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n == 0 || n > GW_AUDIT_MAX_KEY)
		return false;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

/* Well-formed UTF-8 (no overlongs, no surrogates) without control characters. */
static bool
value_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k, need;
	uint32_t cp;

	if (n > GW_AUDIT_MAX_VALUE)
		return false;
	while (i < n) {
		unsigned char c = p[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07u;
		} else
			return false;
		if (i + need >= n)
			return false;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static enum eidgw_err
hmac_hex(const unsigned char *key, size_t klen, const char *value,
    char out[GW_AUDIT_PII_HEX_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;

	out[0] = '\0';
	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)value, strlen(value), mac,
	    &mlen) == NULL || mlen != 32)
		return EIDGW_E_CRYPTO;
	eidgw_hex(out, mac, 32);
	eidgw_wipe(mac, sizeof(mac));
	return EIDGW_OK;
}

enum eidgw_err
gw_audit_hash_pii(const struct gw_audit *a, const char *value, char out[GW_AUDIT_PII_HEX_LEN + 1])
{
	out[0] = '\0';
	if (a == NULL || value == NULL)
		return EIDGW_E_INVAL;
	if (a->hmac == NULL)
		return EIDGW_E_AUDIT_NO_HMAC_KEY;
	if (strlen(value) > GW_AUDIT_MAX_VALUE)
		return EIDGW_E_AUDIT_FIELD;
	return hmac_hex(a->hmac, a->hmac_len, value, out);
}

/* The "f" object of a record, built outside the lock. */
static enum eidgw_err
fields_json(const struct gw_audit *a, const struct gw_audit_field *fields, size_t n,
    struct eidgw_buf *b, struct eidgw_diag *d)
{
	char pii[GW_AUDIT_PII_HEX_LEN + 1];
	enum eidgw_err rc;
	size_t i, j;

	EIDGW_CHECK(n <= GW_AUDIT_MAX_FIELDS && (n == 0 || fields != NULL), d, EIDGW_E_AUDIT_FIELD,
	    "audit: %zu fields (at most %u)", n, GW_AUDIT_MAX_FIELDS);
	EIDGW_TRY(eidgw_buf_puts(b, "{"));
	for (i = 0; i < n; i++) {
		const struct gw_audit_field *f = &fields[i];

		EIDGW_CHECK(f->key != NULL && key_ok(f->key), d, EIDGW_E_AUDIT_FIELD,
		    "audit: field %zu: bad name", i);
		for (j = 0; j < i; j++)
			EIDGW_CHECK(strcmp(fields[j].key, f->key) != 0, d, EIDGW_E_AUDIT_FIELD,
			    "audit: field %s given twice", f->key);
		EIDGW_TRY(eidgw_buf_printf(b, "%s\"%s\":", i == 0 ? "" : ",", f->key));
		switch (f->type) {
		case GW_AUDIT_F_INT:
			EIDGW_TRY(eidgw_buf_printf(b, "%lld", (long long)f->num));
			break;
		case GW_AUDIT_F_STR:
			if (f->str == NULL) {
				EIDGW_TRY(eidgw_buf_puts(b, "null"));
				break;
			}
			EIDGW_CHECK(value_ok(f->str), d, EIDGW_E_AUDIT_FIELD,
			    "audit: field %s: value too long, not UTF-8 or with control characters",
			    f->key);
			EIDGW_TRY(eidgw_buf_puts(b, "\""));
			EIDGW_TRY(eidgw_buf_json_escape(b, f->str));
			EIDGW_TRY(eidgw_buf_puts(b, "\""));
			break;
		case GW_AUDIT_F_PII:
			if (f->str == NULL) {
				EIDGW_TRY(eidgw_buf_puts(b, "null"));
				break;
			}
			rc = gw_audit_hash_pii(a, f->str, pii);
			EIDGW_CHECK(rc == EIDGW_OK, d, rc, "audit: field %s: cannot hash (%s)", f->key,
			    eidgw_err_name(rc));
			EIDGW_TRY(eidgw_buf_printf(b, "\"%s\"", pii));
			break;
		default:
			EIDGW_FAIL(d, EIDGW_E_AUDIT_FIELD, "audit: field %s: unknown type", f->key);
		}
	}
	EIDGW_TRY(eidgw_buf_puts(b, "}"));
	rc = EIDGW_OK;
out:
	eidgw_wipe(pii, sizeof(pii));
	return rc;
}

static enum eidgw_err
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return EIDGW_E_AUDIT_IO;
	r = fsync(fd);
	close(fd);
	return r == 0 ? EIDGW_OK : EIDGW_E_AUDIT_IO;
}

static enum eidgw_err
mkdir_p(const char *dir, struct eidgw_diag *d)
{
	char *p = eidgw_strdup(dir), *s;
	struct stat st;
	enum eidgw_err rc;

	EIDGW_CHECK(p != NULL, d, EIDGW_E_NOMEM, "audit: out of memory");
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		EIDGW_CHECK(mkdir(p, 0700) == 0 || errno == EEXIST, d, EIDGW_E_AUDIT_IO,
		    "audit: cannot create %s: %s", p, strerror(errno));
		*s = '/';
	}
	EIDGW_CHECK(mkdir(p, 0700) == 0 || errno == EEXIST, d, EIDGW_E_AUDIT_IO,
	    "audit: cannot create %s: %s", p, strerror(errno));
	EIDGW_CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), d, EIDGW_E_AUDIT_IO,
	    "audit: %s is not a directory", p);
	rc = EIDGW_OK;
out:
	free(p);
	return rc;
}

static void
file_name(char out[GW_AUDIT_FILE_MAX], unsigned int seq)
{
	(void)snprintf(out, GW_AUDIT_FILE_MAX, GW_AUDIT_FILE_FMT, seq);
}

static const char *
path_of(const struct gw_audit *a, const char *base, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "%s/%s", a->dir, base);
	return buf;
}

/* ---- writing (all under a->mu) -------------------------------------- */

/*
 * Writes one line (text without newline in a->line) and updates the state.
 * A short write is undone with ftruncate so the file never keeps half a
 * line; if even that fails the log is marked failed.
 */
static enum eidgw_err
write_line_locked(struct gw_audit *a, bool record, struct eidgw_diag *d)
{
	gw_hash chain, leaf;
	size_t len = a->line.len, done = 0;
	ssize_t w;
	enum eidgw_err rc;

	EIDGW_CHECK(len + 1 <= GW_AUDIT_MAX_LINE, d, EIDGW_E_AUDIT_FIELD,
	    "audit: record of %zu bytes exceeds the line limit", len);
	EIDGW_TRY(gw_sha256(a->line.data, len, chain));
	if (record)
		EIDGW_TRY(gw_merkle_leaf_hash(a->line.data, len, leaf));
	EIDGW_TRY(eidgw_buf_append(&a->line, "\n", 1));
	while (done < len + 1) {
		w = write(a->fd, a->line.data + done, len + 1 - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			if (ftruncate(a->fd, a->off) != 0)
				a->failed = EIDGW_E_AUDIT_FAILED;
			EIDGW_FAIL(d, EIDGW_E_AUDIT_IO, "audit: write to %s failed: %s", a->file,
			    w < 0 ? strerror(e) : "no progress");
		}
		done += (size_t)w;
	}
	a->off += (off_t)(len + 1);
	memcpy(a->chain, chain, sizeof(chain));
	if (record && (rc = gw_merkle_frontier_add(&a->fr, leaf)) != EIDGW_OK) {
		a->failed = EIDGW_E_AUDIT_FAILED;
		goto out;
	}
	a->written++;
	rc = EIDGW_OK;
out:
	publish_locked(a);
	return rc;
}

/*
 * Group commit.  The first waiter that finds no sync running becomes the
 * leader: it notes how many lines are written, drops the lock, syncs, takes
 * the lock back and publishes the count.  Everyone else sleeps; a follower
 * whose line came after the leader's snapshot becomes the next leader.
 */
static enum eidgw_err
wait_durable_locked(struct gw_audit *a, uint64_t upto)
{
	uint64_t target;
	int fd, r, e;

	while (a->synced < upto) {
		if (a->failed != EIDGW_OK)
			return EIDGW_E_AUDIT_FAILED;
		if (a->syncing) {
			pthread_cond_wait(&a->sync_cv, &a->mu);
			continue;
		}
		target = a->written;
		fd = a->fd;
		a->syncing = true;
		pthread_mutex_unlock(&a->mu);
		do
			r = fdatasync(fd);
		while (r != 0 && errno == EINTR);
		e = errno;
		pthread_mutex_lock(&a->mu);
		a->syncing = false;
		if (r != 0) {
			/* After a failed sync the page cache state is unknown: stop for good. */
			a->failed = EIDGW_E_AUDIT_FAILED;
			gw_log(LOG_CRIT, NULL, "audit.failed", "fdatasync %s: %s", a->file, strerror(e));
		} else {
			a->syncs++;
			if (target > a->synced)
				a->synced = target;
		}
		publish_locked(a);
		pthread_cond_broadcast(&a->sync_cv);
	}
	return EIDGW_OK;
}

static enum eidgw_err
checkpoint_locked(struct gw_audit *a, struct eidgw_diag *d)
{
	struct eidgw_buf in, sig, b64;
	gw_hash root;
	char ts[32], hex[2 * GW_MERKLE_HASH_LEN + 1], prev[2 * GW_MERKLE_HASH_LEN + 1];
	enum eidgw_err rc;

	eidgw_buf_init(&in, 512);
	eidgw_buf_init(&sig, GW_AUDIT_MAX_SIG);
	eidgw_buf_init(&b64, 2 * GW_AUDIT_MAX_SIG);
	if (a->fr.size == a->cp_size) {
		rc = EIDGW_OK;
		goto out;
	}
	EIDGW_TRY(gw_merkle_frontier_root(&a->fr, root));
	now_ts(ts);
	EIDGW_TRY(gw_audit_cp_input(&in, a->fr.size, root, ts, a->key_id));
	rc = eidgw_key_sign(a->key, a->alg, (const unsigned char *)in.data, in.len, &sig);
	EIDGW_CHECK(rc == EIDGW_OK, d, rc, "audit: signing the checkpoint failed");
	EIDGW_TRY(eidgw_b64_encode(&b64, sig.data, sig.len, false));
	gw_audit_hex32(hex, root);
	gw_audit_hex32(prev, a->chain);
	eidgw_buf_reset(&a->line);
	EIDGW_TRY(eidgw_buf_printf(&a->line,
	    "{\"type\":\"checkpoint\",\"size\":%llu,\"root\":\"%s\",\"ts\":\"%s\",\"alg\":\"%s\","
	    "\"key_id\":\"%s\",\"prev\":\"%s\",\"sig\":\"%s\"}", (unsigned long long)a->fr.size,
	    hex, ts, a->alg_name, a->key_id, prev, b64.data));
	EIDGW_TRY(write_line_locked(a, false, d));
	a->cp_size = a->fr.size;
	a->cp_mono_ns = eidgw_mono_ns();
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&in);
	eidgw_buf_free(&sig);
	eidgw_buf_free(&b64);
	return rc;
}

static enum eidgw_err
record_locked(struct gw_audit *a, enum gw_audit_event ev, const char *fjson,
    struct eidgw_diag *d)
{
	char ts[32], prev[2 * GW_MERKLE_HASH_LEN + 1];
	enum eidgw_err rc;

	now_ts(ts);
	gw_audit_hex32(prev, a->chain);
	eidgw_buf_reset(&a->line);
	EIDGW_TRY(eidgw_buf_printf(&a->line,
	    "{\"type\":\"record\",\"i\":%llu,\"ts\":\"%s\",\"event\":\"%s\",\"prev\":\"%s\",\"f\":%s}",
	    (unsigned long long)a->fr.size, ts, event_names[ev], prev, fjson));
	rc = write_line_locked(a, true, d);
out:
	if (rc == EIDGW_E_TOO_LARGE)
		rc = eidgw_diag_set(d, EIDGW_E_AUDIT_FIELD, __FILE__, __LINE__,
		    "audit: record exceeds %u bytes", GW_AUDIT_MAX_LINE);
	return rc;
}

/* The first record of every file: where the tree stood when it began. */
static enum eidgw_err
file_start_locked(struct gw_audit *a, const char *prev_file, struct eidgw_diag *d)
{
	struct eidgw_buf f;
	gw_hash list[GW_MERKLE_LEVELS], root;
	char hex[2 * GW_MERKLE_HASH_LEN + 1];
	size_t n, i;
	enum eidgw_err rc;

	eidgw_buf_init(&f, GW_AUDIT_MAX_LINE / 2);
	EIDGW_TRY(gw_merkle_frontier_root(&a->fr, root));
	gw_audit_hex32(hex, root);
	EIDGW_TRY(eidgw_buf_printf(&f, "{\"seq\":%u,\"file\":\"%s\",", a->seq, a->file));
	if (prev_file != NULL)
		EIDGW_TRY(eidgw_buf_printf(&f, "\"prev_file\":\"%s\",", prev_file));
	else
		EIDGW_TRY(eidgw_buf_puts(&f, "\"prev_file\":null,"));
	EIDGW_TRY(eidgw_buf_printf(&f, "\"prev_size\":%llu,\"prev_root\":\"%s\",\"frontier\":[",
	    (unsigned long long)a->fr.size, hex));
	n = gw_merkle_frontier_list(&a->fr, list);
	for (i = 0; i < n; i++) {
		gw_audit_hex32(hex, list[i]);
		EIDGW_TRY(eidgw_buf_printf(&f, "%s\"%s\"", i == 0 ? "" : ",", hex));
	}
	EIDGW_TRY(eidgw_buf_puts(&f, "]}"));
	EIDGW_TRY(record_locked(a, GW_AUDIT_FILE_START, f.data, d));
out:
	eidgw_buf_free(&f);
	return rc;
}

/* Creates file seq (which must not exist) and writes its file_start. */
static enum eidgw_err
new_file_locked(struct gw_audit *a, unsigned int seq, const char *prev_file,
    struct eidgw_diag *d)
{
	char path[4096];
	enum eidgw_err rc;

	EIDGW_CHECK(seq <= AUDIT_MAX_SEQ, d, EIDGW_E_AUDIT_IO, "audit: file sequence exhausted");
	a->seq = seq;
	file_name(a->file, seq);
	a->fd = open(path_of(a, a->file, path, sizeof(path)),
	    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	EIDGW_CHECK(a->fd >= 0, d, EIDGW_E_AUDIT_IO, "audit: cannot create %s: %s", path,
	    strerror(errno));
	a->off = 0;
	EIDGW_CHECK(fsync_dir(a->dir) == EIDGW_OK, d, EIDGW_E_AUDIT_IO,
	    "audit: cannot sync directory %s", a->dir);
	EIDGW_TRY(file_start_locked(a, prev_file, d));
	rc = wait_durable_locked(a, a->written);
out:
	return rc;
}

/* ---- public API ------------------------------------------------------ */

static enum eidgw_err rotate_locked(struct gw_audit *a, struct eidgw_diag *d);

/* Formats and writes one record (with checkpoint or rotation when due); *ticket = lines written. */
static enum eidgw_err
append_record(struct gw_audit *a, enum gw_audit_event ev, const struct gw_audit_field *fields,
    size_t n, bool wait, uint64_t *ticket, struct eidgw_diag *d)
{
	struct eidgw_buf f;
	enum eidgw_err rc;
	bool locked = false;

	eidgw_buf_init(&f, GW_AUDIT_MAX_LINE - 512);
	EIDGW_CHECK(a != NULL && gw_audit_event_name(ev) != NULL && ev != GW_AUDIT_FILE_START, d,
	    EIDGW_E_INVAL, "audit: bad handle or event %d", (int)ev);
	rc = fields_json(a, fields, n, &f, d);
	if (rc == EIDGW_E_TOO_LARGE)
		EIDGW_FAIL(d, EIDGW_E_AUDIT_FIELD, "audit: fields exceed the record size limit");
	if (rc != EIDGW_OK)
		goto out;
	pthread_mutex_lock(&a->mu);
	locked = true;
	EIDGW_CHECK(a->failed == EIDGW_OK && !a->closing, d, EIDGW_E_AUDIT_FAILED,
	    "audit: log unusable after an earlier failure or closing");
	EIDGW_TRY(record_locked(a, ev, f.data, d));
	if (a->rotate_bytes > 0 && (uint64_t)a->off >= a->rotate_bytes && !wait &&
	    a->syncer_started) {
		/* an HTTP worker: the sync thread rotates (file creation and syncs), not this thread */
		if (!a->rotate_due) {
			a->rotate_due = true;
			pthread_cond_signal(&a->work_cv);
		}
	} else if (a->rotate_bytes > 0 && (uint64_t)a->off >= a->rotate_bytes)
		EIDGW_TRY(rotate_locked(a, d));
	else if (a->fr.size - a->cp_size >= a->cp_every)
		EIDGW_TRY(checkpoint_locked(a, d));
	if (ticket != NULL)
		*ticket = a->written;
	if (wait) {
		rc = wait_durable_locked(a, a->written);
		EIDGW_CHECK(rc == EIDGW_OK, d, rc, "audit: sync failed; record not durable");
	}
	rc = EIDGW_OK;
out:
	if (locked)
		pthread_mutex_unlock(&a->mu);
	eidgw_buf_free(&f);
	return rc;
}

enum eidgw_err
gw_audit_append(struct gw_audit *a, enum gw_audit_event ev, const struct gw_audit_field *fields,
    size_t n, struct eidgw_diag *d)
{
	return append_record(a, ev, fields, n, true, NULL, d);
}

enum eidgw_err
gw_audit_write(struct gw_audit *a, enum gw_audit_event ev, const struct gw_audit_field *fields,
    size_t n, uint64_t *ticket, struct eidgw_diag *d)
{
	*ticket = 0;
	return append_record(a, ev, fields, n, false, ticket, d);
}

enum eidgw_err
gw_audit_wait_durable(struct gw_audit *a, uint64_t ticket)
{
	enum eidgw_err rc = EIDGW_OK;

	pthread_mutex_lock(&a->mu);
	if (a->synced < ticket)
		rc = wait_durable_locked(a, ticket);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

bool
gw_audit_when_durable(struct gw_audit *a, struct gw_audit_waiter *w, enum eidgw_err *rc)
{
	bool now = true;

	pthread_mutex_lock(&a->mu);
	if (a->synced >= w->ticket) {
		*rc = EIDGW_OK;		/* on disk, whatever happened after */
	} else if (a->failed != EIDGW_OK) {
		*rc = EIDGW_E_AUDIT_FAILED;
	} else if (a->closing || !a->syncer_started) {
		/* no sync thread to hand it to: wait here */
		*rc = wait_durable_locked(a, w->ticket);
	} else {
		w->next = a->waiters;
		a->waiters = w;
		pthread_cond_signal(&a->work_cv);
		now = false;
	}
	pthread_mutex_unlock(&a->mu);
	return now;
}

/*
 * The sync thread: while answers are held, sync everything written so far
 * (joining a sync already running if there is one) and release each waiter
 * whose ticket that covered.  Waiters that arrive during a sync share the
 * next one.  Records nobody waits for are synced at the latest a second
 * after they were written.  On close it drains the queue before it exits.
 */
static void *
syncer_main(void *arg)
{
	struct gw_audit *a = arg;
	struct gw_audit_waiter *ready, *w, **pp;
	struct eidgw_diag rd = { 0 };
	struct timespec until;
	enum eidgw_err rc;
	uint64_t synced;
	int w_rc;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		w_rc = 0;
		while (a->waiters == NULL && !a->closing && !a->rotate_due && w_rc != ETIMEDOUT)
			w_rc = pthread_cond_timedwait(&a->work_cv, &a->mu, &until);
		if (a->rotate_due && !a->closing) {
			/* a size rotation asked for by gw_audit_write */
			eidgw_diag_clear(&rd);
			if (a->failed == EIDGW_OK && a->rotate_bytes > 0 &&
			    (uint64_t)a->off >= a->rotate_bytes && rotate_locked(a, &rd) != EIDGW_OK)
				gw_log(LOG_CRIT, NULL, "audit.rotate_failed", "%s", rd.reason);
			a->rotate_due = false;
		}
		if (a->waiters == NULL) {
			if (a->closing)
				break;		/* close syncs what is left */
			/* records written without a waiter (gw_audit_write alone) reach the disk within a second */
			if (a->synced >= a->written || a->failed != EIDGW_OK)
				continue;
		}
		rc = wait_durable_locked(a, a->written);
		synced = a->synced;
		ready = NULL;
		pp = &a->waiters;
		while ((w = *pp) != NULL) {
			if (rc != EIDGW_OK || w->ticket <= synced) {
				*pp = w->next;
				w->next = ready;
				ready = w;
			} else {
				pp = &w->next;
			}
		}
		pthread_mutex_unlock(&a->mu);
		while ((w = ready) != NULL) {
			ready = w->next;	/* w may be gone once done returns */
			/* a record that reached the disk before the failure is durable */
			w->done(w->arg, w->ticket <= synced ? EIDGW_OK : EIDGW_E_AUDIT_FAILED);
		}
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

enum eidgw_err
gw_audit_checkpoint(struct gw_audit *a, struct eidgw_diag *d)
{
	enum eidgw_err rc;

	if (a == NULL)
		return EIDGW_E_INVAL;
	pthread_mutex_lock(&a->mu);
	EIDGW_CHECK(a->failed == EIDGW_OK, d, EIDGW_E_AUDIT_FAILED,
	    "audit: log unusable after an earlier failure");
	EIDGW_TRY(checkpoint_locked(a, d));
	rc = wait_durable_locked(a, a->written);
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

static enum eidgw_err
rotate_locked(struct gw_audit *a, struct eidgw_diag *d)
{
	char prev[GW_AUDIT_FILE_MAX];
	unsigned int seq0 = a->seq;
	enum eidgw_err rc;
	int r;

	EIDGW_CHECK(a->failed == EIDGW_OK, d, EIDGW_E_AUDIT_FAILED,
	    "audit: log unusable after an earlier failure");
	/* No leader may hold the old descriptor when it closes. */
	while (a->syncing)
		pthread_cond_wait(&a->sync_cv, &a->mu);
	/* Someone else rotated while we waited (the mutex was released). */
	if (a->seq != seq0)
		return EIDGW_OK;
	EIDGW_CHECK(a->failed == EIDGW_OK, d, EIDGW_E_AUDIT_FAILED,
	    "audit: log unusable after an earlier failure");
	/*
	 * From here on the mutex is held until the next file exists: the seal
	 * (checkpoint) is the last line of the old file and every line of it is
	 * synced on its own descriptor before it closes.  Rotation is rare, so
	 * the sync under the mutex costs nothing worth a second path.
	 */
	EIDGW_TRY(checkpoint_locked(a, d));
	do
		r = fdatasync(a->fd);
	while (r != 0 && errno == EINTR);
	if (r != 0) {
		a->failed = EIDGW_E_AUDIT_FAILED;
		publish_locked(a);
		EIDGW_FAIL(d, EIDGW_E_AUDIT_FAILED, "audit: fdatasync %s before rotation: %s",
		    a->file, strerror(errno));
	}
	a->syncs++;
	a->synced = a->written;
	publish_locked(a);
	pthread_cond_broadcast(&a->sync_cv);
	(void)snprintf(prev, sizeof(prev), "%s", a->file);
	close(a->fd);
	a->fd = -1;
	rc = new_file_locked(a, a->seq + 1, prev, d);
	if (rc != EIDGW_OK) {
		a->failed = EIDGW_E_AUDIT_FAILED;
		publish_locked(a);
	}
	else
		gw_logkv(LOG_NOTICE, NULL, "audit.rotated", "audit log rotated", "file", a->file,
		    "prev_file", prev, (const char *)NULL);
out:
	return rc;
}

enum eidgw_err
gw_audit_rotate(struct gw_audit *a, struct eidgw_diag *d)
{
	enum eidgw_err rc;

	if (a == NULL)
		return EIDGW_E_INVAL;
	pthread_mutex_lock(&a->mu);
	rc = rotate_locked(a, d);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void
gw_audit_set_rotate_bytes(struct gw_audit *a, uint64_t bytes)
{
	pthread_mutex_lock(&a->mu);
	a->rotate_bytes = bytes;
	pthread_mutex_unlock(&a->mu);
}

static void *
timer_main(void *arg)
{
	struct gw_audit *a = arg;
	struct eidgw_diag d = { 0 };
	struct timespec until;

	pthread_mutex_lock(&a->mu);
	while (!a->closing) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		(void)pthread_cond_timedwait(&a->timer_cv, &a->mu, &until);
		if (a->closing || a->failed != EIDGW_OK || a->fr.size == a->cp_size)
			continue;
		if (eidgw_mono_ns() - a->cp_mono_ns < (uint64_t)a->cp_interval_s * 1000000000ull)
			continue;
		eidgw_diag_clear(&d);
		if (checkpoint_locked(a, &d) != EIDGW_OK || wait_durable_locked(a, a->written) != EIDGW_OK)
			gw_log(LOG_ERR, NULL, "audit.checkpoint_failed", "timed checkpoint: %s",
			    d.reason[0] != '\0' ? d.reason : "sync failed");
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Stops the checkpoint timer and the sync thread (which first releases every held answer). */
static void
stop_threads(struct gw_audit *a)
{
	pthread_mutex_lock(&a->mu);
	a->closing = true;
	pthread_cond_broadcast(&a->timer_cv);
	pthread_cond_broadcast(&a->work_cv);
	pthread_mutex_unlock(&a->mu);
	if (a->timer_started)
		pthread_join(a->timer, NULL);
	if (a->syncer_started)
		pthread_join(a->syncer, NULL);
	a->timer_started = false;
	a->syncer_started = false;
}

static void
audit_free(struct gw_audit *a)
{
	if (a == NULL)
		return;
	stop_threads(a);
	if (a->fd >= 0)
		close(a->fd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);	/* releases the flock */
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->sync_cv);
	pthread_cond_destroy(&a->timer_cv);
	pthread_cond_destroy(&a->work_cv);
	if (a->hmac != NULL) {
		eidgw_wipe(a->hmac, a->hmac_len);
		free(a->hmac);
	}
	eidgw_buf_free(&a->line);
	free(a->dir);
	free(a);
}

enum eidgw_err
gw_audit_close(struct gw_audit *a, struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;

	if (a == NULL)
		return EIDGW_OK;
	pthread_mutex_lock(&a->mu);
	a->closing = true;
	pthread_mutex_unlock(&a->mu);
	stop_threads(a);
	pthread_mutex_lock(&a->mu);
	if (a->failed != EIDGW_OK)
		rc = eidgw_diag_set(d, EIDGW_E_AUDIT_FAILED, __FILE__, __LINE__,
		    "audit: closing a failed log; no final checkpoint");
	else if ((rc = checkpoint_locked(a, d)) == EIDGW_OK)
		rc = wait_durable_locked(a, a->written);
	while (a->syncing)
		pthread_cond_wait(&a->sync_cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
	audit_free(a);
	return rc;
}

void
gw_audit_stats(struct gw_audit *a, struct gw_audit_stats *out)
{
	uint64_t written = atomic_load_explicit(&a->pub_written, memory_order_relaxed);
	uint64_t synced = atomic_load_explicit(&a->pub_synced, memory_order_relaxed);

	/* never waits on mu: a stalled disk must not stall /metrics */
	out->records = atomic_load_explicit(&a->pub_records, memory_order_relaxed);
	out->syncs = atomic_load_explicit(&a->pub_syncs, memory_order_relaxed);
	out->unsynced = written > synced ? written - synced : 0;
	out->failed = atomic_load(&a->pub_failed);
}

bool
gw_audit_failed(struct gw_audit *a)
{
	return atomic_load(&a->pub_failed);	/* never waits on mu (readyz) */
}

uint64_t
gw_audit_unsynced(struct gw_audit *a)
{
	struct gw_audit_stats st;

	gw_audit_stats(a, &st);
	return st.unsynced;
}

uint64_t
gw_audit_size(struct gw_audit *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->mu);
	n = a->fr.size;
	pthread_mutex_unlock(&a->mu);
	return n;
}

const char *
gw_audit_file(const struct gw_audit *a)
{
	return a->file;
}

/* ---- open and recovery ------------------------------------------------ */

/* The highest NNNNNN of audit-NNNNNN.log in dir; 0 if none. */
static enum eidgw_err
latest_seq(const char *dir, unsigned int *seq, struct eidgw_diag *d)
{
	char want[GW_AUDIT_FILE_MAX];
	struct dirent *e;
	unsigned int s;
	DIR *dh;

	*seq = 0;
	if ((dh = opendir(dir)) == NULL)
		return eidgw_diag_set(d, EIDGW_E_AUDIT_IO, __FILE__, __LINE__,
		    "audit: cannot read directory %s: %s", dir, strerror(errno));
	while ((e = readdir(dh)) != NULL) {
		if (sscanf(e->d_name, "audit-%6u.log", &s) != 1 || s == 0 || s > AUDIT_MAX_SEQ)
			continue;
		file_name(want, s);
		if (strcmp(want, e->d_name) == 0 && s > *seq)
			*seq = s;
	}
	closedir(dh);
	return EIDGW_OK;
}

/* Copies bytes [from, end) of path to a side file for forensics. */
static enum eidgw_err
save_torn(struct gw_audit *a, const char *base, off_t from, char *saved, size_t cap,
    struct eidgw_diag *d)
{
	char src[4096], dst[4096], buf[8192];
	int in = -1, outfd = -1, i;
	ssize_t r;
	enum eidgw_err rc;

	path_of(a, base, src, sizeof(src));
	for (i = 0; i < 100 && outfd < 0; i++) {
		(void)snprintf(saved, cap, "%s.torn-%lld%s%.0d", base, (long long)eidgw_now(),
		    i == 0 ? "" : "-", i);
		outfd = open(path_of(a, saved, dst, sizeof(dst)),
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	EIDGW_CHECK(outfd >= 0, d, EIDGW_E_AUDIT_IO, "audit: cannot create %s: %s", dst,
	    strerror(errno));
	in = open(src, O_RDONLY | O_CLOEXEC);
	EIDGW_CHECK(in >= 0 && lseek(in, from, SEEK_SET) == from, d, EIDGW_E_AUDIT_IO,
	    "audit: cannot read %s", src);
	while ((r = read(in, buf, sizeof(buf))) > 0)
		EIDGW_CHECK(write(outfd, buf, (size_t)r) == r, d, EIDGW_E_AUDIT_IO,
		    "audit: cannot write %s", dst);
	EIDGW_CHECK(r == 0 && fsync(outfd) == 0, d, EIDGW_E_AUDIT_IO, "audit: cannot copy %s", src);
	rc = EIDGW_OK;
out:
	if (in >= 0)
		close(in);
	if (outfd >= 0)
		close(outfd);
	return rc;
}

struct replay {
	off_t good;		/* end of the last good line */
	off_t end;		/* file size */
	bool torn;
	char why[400];		/* why the tail was cut */
};

/*
 * Feeds one file into vs.  A bad line that is the last one is a torn tail
 * (r->torn, r->good is where to cut); a bad line followed by more lines is
 * damage we refuse to write after.
 */
static enum eidgw_err
replay_file(struct gw_audit *a, const char *base, struct gw_audit_vstate *vs, struct replay *r,
    struct eidgw_diag *d)
{
	char path[4096];
	struct eidgw_diag ld = { 0 };
	char *buf = NULL, *next = NULL;
	size_t len, nlen;
	off_t pos = 0;
	FILE *f = NULL;
	enum eidgw_err rc;
	int k, k2;

	memset(r, 0, sizeof(*r));
	buf = malloc(GW_AUDIT_MAX_LINE + 1);
	next = malloc(GW_AUDIT_MAX_LINE + 1);
	EIDGW_CHECK(buf != NULL && next != NULL, d, EIDGW_E_NOMEM, "audit: out of memory");
	f = fopen(path_of(a, base, path, sizeof(path)), "rb");
	EIDGW_CHECK(f != NULL, d, EIDGW_E_AUDIT_IO, "audit: cannot open %s: %s", path,
	    strerror(errno));
	gw_audit_vstate_begin_file(vs, base);
	k = gw_audit_read_line(f, buf, &len);
	for (;;) {
		if (k == 0)
			break;
		EIDGW_CHECK(k != -3, d, EIDGW_E_AUDIT_IO, "audit: read error on %s", path);
		vs->line++;
		if (k == -1) {
			r->torn = true;
			(void)snprintf(r->why, sizeof(r->why), "line %llu: no newline at the end",
			    (unsigned long long)vs->line);
			break;
		}
		eidgw_diag_clear(&ld);
		if (k == -2) {
			EIDGW_FAIL(d, EIDGW_E_AUDIT_CORRUPT, "audit: %s:%llu: line too long; refusing "
			    "to append to a damaged log", base, (unsigned long long)vs->line);
		}
		if (gw_audit_vstate_feed(vs, buf, len, NULL, &ld) != EIDGW_OK) {
			k2 = gw_audit_read_line(f, next, &nlen);
			EIDGW_CHECK(k2 == 0, d, EIDGW_E_AUDIT_CORRUPT, "audit: %s:%llu: %s; refusing to "
			    "append to a damaged log (run eidgw-audit verify)", base,
			    (unsigned long long)vs->line, ld.reason);
			r->torn = true;
			(void)snprintf(r->why, sizeof(r->why), "line %llu: %s",
			    (unsigned long long)vs->line, ld.reason);
			break;
		}
		pos += (off_t)len + 1;
		r->good = pos;
		k = gw_audit_read_line(f, buf, &len);
	}
	EIDGW_CHECK(fseeko(f, 0, SEEK_END) == 0 && (r->end = ftello(f)) >= 0, d, EIDGW_E_AUDIT_IO,
	    "audit: cannot size %s", path);
	rc = EIDGW_OK;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	free(next);
	return rc;
}

static enum eidgw_err
cut_tail(struct gw_audit *a, const char *base, const struct replay *r, char *saved, size_t cap,
    struct eidgw_diag *d)
{
	char path[4096];
	enum eidgw_err rc;
	int fd = -1;

	EIDGW_TRY(save_torn(a, base, r->good, saved, cap, d));
	fd = open(path_of(a, base, path, sizeof(path)), O_WRONLY | O_CLOEXEC);
	EIDGW_CHECK(fd >= 0 && ftruncate(fd, r->good) == 0 && fsync(fd) == 0, d, EIDGW_E_AUDIT_IO,
	    "audit: cannot truncate %s: %s", path, strerror(errno));
	gw_logkv(LOG_WARNING, NULL, "audit.torn_tail", r->why, "file", base, "saved_as", saved,
	    (const char *)NULL);
	rc = EIDGW_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

enum eidgw_err
gw_audit_open(const char *dir, const struct eidgw_key *signing_key, const unsigned char *hmac_key,
    size_t hmac_key_len, unsigned int checkpoint_every, unsigned int checkpoint_interval_s,
    struct gw_audit **out, struct eidgw_diag *d)
{
	struct gw_audit_vstate vs;
	struct replay r = { 0 };
	struct gw_audit *a = NULL;
	char saved[GW_AUDIT_FILE_MAX + 64] = "", prevname[GW_AUDIT_FILE_MAX], path[4096];
	char torn_bytes[24];
	pthread_condattr_t ca;
	enum eidgw_err rc;
	unsigned int seq;
	bool torn = false;

	*out = NULL;
	EIDGW_CHECK(dir != NULL && dir[0] != '\0' && strlen(dir) < 3000 && signing_key != NULL &&
	    checkpoint_every >= 1, d, EIDGW_E_INVAL, "audit: bad arguments to open");
	EIDGW_CHECK(hmac_key == NULL || (hmac_key_len >= AUDIT_HMAC_MIN &&
	    hmac_key_len <= AUDIT_HMAC_MAX), d, EIDGW_E_INVAL,
	    "audit: HMAC key must be %d..%d bytes", AUDIT_HMAC_MIN, AUDIT_HMAC_MAX);
	a = calloc(1, sizeof(*a));
	EIDGW_CHECK(a != NULL, d, EIDGW_E_NOMEM, "audit: out of memory");
	a->fd = -1;
	a->lock_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->sync_cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->timer_cv, &ca);
	pthread_cond_init(&a->work_cv, &ca);
	pthread_condattr_destroy(&ca);
	eidgw_buf_init(&a->line, GW_AUDIT_MAX_LINE);
	a->key = signing_key;
	a->cp_every = checkpoint_every;
	a->cp_interval_s = checkpoint_interval_s;
	a->rotate_bytes = GW_AUDIT_ROTATE_BYTES;
	EIDGW_CHECK((a->dir = eidgw_strdup(dir)) != NULL, d, EIDGW_E_NOMEM, "audit: out of memory");
	if (hmac_key != NULL) {
		EIDGW_CHECK((a->hmac = malloc(hmac_key_len)) != NULL, d, EIDGW_E_NOMEM,
		    "audit: out of memory");
		memcpy(a->hmac, hmac_key, hmac_key_len);
		a->hmac_len = hmac_key_len;
	}
	rc = gw_audit_key_alg(signing_key->pub, &a->alg, &a->alg_name);
	EIDGW_CHECK(rc == EIDGW_OK, d, rc, "audit: signing key must be Ed25519, EC P-256 or RSA >= 2048");
	EIDGW_TRY(gw_audit_key_id(signing_key->pub, a->key_id));
	EIDGW_TRY(mkdir_p(dir, d));
	/* Two writers on one directory would interleave two trees: refuse the second. */
	a->lock_fd = open(path_of(a, "audit.lock", path, sizeof(path)),
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	EIDGW_CHECK(a->lock_fd >= 0, d, EIDGW_E_AUDIT_IO, "audit: cannot open %s: %s", path,
	    strerror(errno));
	EIDGW_CHECK(flock(a->lock_fd, LOCK_EX | LOCK_NB) == 0, d, EIDGW_E_AUDIT_BUSY,
	    "audit: the audit log in %s is in use by another process (lock %s held)", dir, path);
	EIDGW_TRY(latest_seq(dir, &seq, d));

	pthread_mutex_lock(&a->mu);
	gw_audit_vstate_init(&vs, signing_key->pub);
	vs.skip_unknown_keys = true;	/* checkpoints by an earlier audit key stay readable */
	if (seq == 0) {
		rc = new_file_locked(a, 1, NULL, d);
		goto locked_done;
	}
	a->seq = seq;
	file_name(a->file, seq);
	rc = replay_file(a, a->file, &vs, &r, d);
	if (rc != EIDGW_OK)
		goto locked_done;
	if (r.torn || r.good != r.end) {
		torn = true;
		(void)snprintf(torn_bytes, sizeof(torn_bytes), "%lld", (long long)(r.end - r.good));
		if ((rc = cut_tail(a, a->file, &r, saved, sizeof(saved), d)) != EIDGW_OK)
			goto locked_done;
	}
	if (!vs.any) {
		/* Not even the file_start survived: start this file again from the previous one. */
		gw_audit_vstate_init(&vs, signing_key->pub);
		vs.skip_unknown_keys = true;
		if (seq > 1) {
			struct replay pr;

			file_name(prevname, seq - 1);
			if ((rc = replay_file(a, prevname, &vs, &pr, d)) != EIDGW_OK)
				goto locked_done;
			if (pr.torn || pr.good != pr.end || !vs.any) {
				rc = eidgw_diag_set(d, EIDGW_E_AUDIT_CORRUPT, __FILE__, __LINE__,
				    "audit: %s and %s are both damaged at the end; refusing to guess",
				    prevname, a->file);
				goto locked_done;
			}
		}
		memcpy(&a->fr, &vs.fr, sizeof(a->fr));
		memcpy(a->chain, vs.chain, sizeof(a->chain));
		a->cp_size = vs.have_cp ? vs.cp_size : 0;
		if (unlink(path_of(a, a->file, path, sizeof(path))) != 0) {
			rc = eidgw_diag_set(d, EIDGW_E_AUDIT_IO, __FILE__, __LINE__,
			    "audit: cannot remove the empty %s: %s", path, strerror(errno));
			goto locked_done;
		}
		rc = new_file_locked(a, seq, seq > 1 ? prevname : NULL, d);
		goto locked_done;
	}
	memcpy(&a->fr, &vs.fr, sizeof(a->fr));
	memcpy(a->chain, vs.chain, sizeof(a->chain));
	a->cp_size = vs.have_cp ? vs.cp_size : (vs.mid_chain ? vs.mid_chain_size : 0);
	a->off = r.good;
	a->fd = open(path_of(a, a->file, path, sizeof(path)), O_WRONLY | O_APPEND | O_CLOEXEC);
	if (a->fd < 0)
		rc = eidgw_diag_set(d, EIDGW_E_AUDIT_IO, __FILE__, __LINE__, "audit: cannot open %s: %s",
		    path, strerror(errno));
locked_done:
	a->cp_mono_ns = eidgw_mono_ns();
	a->synced = a->written;
	publish_locked(a);
	pthread_mutex_unlock(&a->mu);
	if (rc != EIDGW_OK)
		goto out;
	if (torn) {
		struct gw_audit_field f[] = {
			GW_AUDIT_STR("file", a->file),
			GW_AUDIT_STR("torn_bytes", torn_bytes),
			GW_AUDIT_STR("saved_as", saved),
			GW_AUDIT_STR("reason", r.why),
		};

		EIDGW_TRY(gw_audit_append(a, GW_AUDIT_RECOVERED, f, EIDGW_ARRAY_LEN(f), d));
	}
	if (checkpoint_interval_s > 0) {
		EIDGW_CHECK(pthread_create(&a->timer, NULL, timer_main, a) == 0, d, EIDGW_E_NOMEM,
		    "audit: cannot start the checkpoint timer");
		a->timer_started = true;
	}
	EIDGW_CHECK(pthread_create(&a->syncer, NULL, syncer_main, a) == 0, d, EIDGW_E_NOMEM,
	    "audit: cannot start the sync thread");
	a->syncer_started = true;
	*out = a;
	a = NULL;
	rc = EIDGW_OK;
out:
	audit_free(a);
	return rc;
}
