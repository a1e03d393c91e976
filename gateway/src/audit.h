/*
 * audit.h - the signed, tamper-evident audit log (docs/audit.md).
 *
 * Every security-relevant event is one JSON record on one line of an
 * append-only file in the audit directory.  The records are the leaves of
 * one Merkle tree (RFC 9162 hashing) that continues across restarts and
 * across file rotation; signed checkpoints (tree size, root, time, key id)
 * are written every checkpoint_every records, every checkpoint_interval_s
 * seconds (a timer thread) and at close.  Each line also carries the
 * SHA-256 of the line before it, so a verifier can point at the exact line
 * where a log was changed.
 *
 * Durability: gw_audit_append() returns only once the record is on disk
 * (fdatasync).  Concurrent callers share one fdatasync (leader/follower group
 * commit): the first caller to find no sync in progress syncs everything
 * written so far, the others wait on a condition variable; the mutex is not
 * held across the sync.  Request handlers do not wait on their thread:
 * gw_audit_write() writes the record and hands back a ticket, and
 * gw_audit_when_durable() calls back (from the log's own sync thread) once
 * every record up to that ticket is on disk, so the HTTP layer can hold the
 * answer, serve other connections meanwhile, and send it only then.  After any write or sync error the log refuses every
 * further append with EIDGW_E_AUDIT_FAILED: callers must then refuse the
 * action they wanted to record (fail closed).
 *
 * Personal data never goes into a record in clear: pass it as a
 * GW_AUDIT_PII field (or hash it with gw_audit_hash_pii) and the record holds
 * HMAC-SHA-256(hmac key, value) in hex.
 *
 * Thread safety: gw_audit_append, gw_audit_checkpoint, gw_audit_rotate and
 * gw_audit_hash_pii may be called from any number of threads at once.
 */
#ifndef EIDGW_GW_AUDIT_H
#define EIDGW_GW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keyops.h"

/* Limits on what a caller can put in one record. */
#define GW_AUDIT_MAX_FIELDS 32
#define GW_AUDIT_MAX_KEY 32		/* field names: [a-z0-9_], 1..32 bytes */
#define GW_AUDIT_MAX_VALUE 1024		/* string values, bytes before escaping */
#define GW_AUDIT_MAX_LINE 65536		/* one line in the file, newline included */
#define GW_AUDIT_PII_HEX_LEN 64		/* hex HMAC-SHA-256 */
#define GW_AUDIT_ROTATE_BYTES (1024ull * 1024 * 1024)	/* default file size that rotates */

/* The event types; the name in the record is given after each. */
enum gw_audit_event {
	GW_AUDIT_START = 1,		/* "start" */
	GW_AUDIT_STOP,			/* "stop" */
	GW_AUDIT_CONFIG_LOADED,		/* "config_loaded": config_hash */
	GW_AUDIT_RELOAD_REFUSED,	/* "reload_refused": config_hash (old), problems */
	GW_AUDIT_KEYS_LOADED,		/* "keys_loaded": key ids, usage */
	GW_AUDIT_METADATA_CHANGED,	/* "metadata_changed": country, added/removed, key changes */
	GW_AUDIT_LOGIN_STARTED,		/* "login_started": client, country, requested_loa, txn */
	GW_AUDIT_AUTHN_REQUEST_SENT,	/* "authn_request_sent": request_id, message_hash */
	GW_AUDIT_RESPONSE_ACCEPTED,	/* "response_accepted": assertion_id, message_hash, loa */
	GW_AUDIT_RESPONSE_REJECTED,	/* "response_rejected": reason (error name), ... */
	GW_AUDIT_TOKENS_ISSUED,		/* "tokens_issued": client, sub, scopes, token hashes */
	GW_AUDIT_CODE_REUSE,		/* "code_reuse": client, code_hash */
	GW_AUDIT_CLIENT_AUTH_FAILED,	/* "client_auth_failed": client, method, reason */
	GW_AUDIT_RECOVERED,		/* "recovered": written by gw_audit_open after a torn tail */
	GW_AUDIT_FILE_START,		/* "file_start": first record of every file (internal) */
	GW_AUDIT_EVENT_MAX_,
};

enum gw_audit_ftype {
	GW_AUDIT_F_STR = 1,		/* a string, stored as is (no personal data!) */
	GW_AUDIT_F_INT,			/* a signed integer */
	GW_AUDIT_F_PII,			/* personal data: stored as hex HMAC-SHA-256 */
};

struct gw_audit_field {
	const char *key;
	enum gw_audit_ftype type;
	const char *str;		/* STR and PII; NULL is stored as JSON null */
	int64_t num;			/* INT */
};

/* Compound literals for the field list. */
#define GW_AUDIT_STR(k, v) ((struct gw_audit_field){ .key = (k), .type = GW_AUDIT_F_STR, .str = (v) })
#define GW_AUDIT_INT(k, n) ((struct gw_audit_field){ .key = (k), .type = GW_AUDIT_F_INT, .num = (n) })
#define GW_AUDIT_PII(k, v) ((struct gw_audit_field){ .key = (k), .type = GW_AUDIT_F_PII, .str = (v) })

struct gw_audit;

/*
 * Opens (or creates) the audit log in dir (created with mode 0700 if
 * missing).  The newest file is read back: its state (tree size, frontier,
 * last checkpoint) is rebuilt and every checkpoint in it is verified with
 * the public half of signing_key.  A torn last line (no newline, bad JSON,
 * wrong index or hash chain, bad signature) is cut off, its bytes saved in
 * "<file>.torn-<unix time>", and a "recovered" record is appended; damage
 * anywhere before the last line refuses the open with EIDGW_E_AUDIT_CORRUPT.
 *
 * signing_key (Ed25519, EC P-256 or RSA >= 2048) is borrowed and must
 * outlive the handle.  hmac_key is copied (hmac_key may be NULL: then PII
 * fields and gw_audit_hash_pii fail with EIDGW_E_AUDIT_NO_HMAC_KEY).
 * checkpoint_every >= 1; checkpoint_interval_s 0 disables the timer.
 */
enum eidgw_err gw_audit_open(const char *dir, const struct eidgw_key *signing_key,
    const unsigned char *hmac_key, size_t hmac_key_len, unsigned int checkpoint_every,
    unsigned int checkpoint_interval_s, struct gw_audit **out, struct eidgw_diag *d)
    EIDGW_MUST_USE;

/*
 * Appends one record and returns once it is on disk.  fields may be NULL
 * when n is 0.  Field names: [a-z0-9_]{1,32}, unique; string values up to
 * GW_AUDIT_MAX_VALUE bytes of valid UTF-8 without control characters.
 */
enum eidgw_err gw_audit_append(struct gw_audit *a, enum gw_audit_event ev,
    const struct gw_audit_field *fields, size_t n, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Writes one record like gw_audit_append but does not wait for the disk:
 * *ticket receives a number that gw_audit_when_durable() accepts.  A
 * record nobody waits for reaches the disk within about a second (the sync
 * thread), and with any earlier sync that someone waits for.
 */
enum eidgw_err gw_audit_write(struct gw_audit *a, enum gw_audit_event ev,
    const struct gw_audit_field *fields, size_t n, uint64_t *ticket, struct eidgw_diag *d)
    EIDGW_MUST_USE;

/*
 * A wait for durability.  The caller owns the memory and must keep it until
 * done has been called; the log owns next.
 */
struct gw_audit_waiter {
	uint64_t ticket;
	/* rc: EIDGW_OK once durable, EIDGW_E_AUDIT_FAILED if the log failed first */
	void (*done)(void *arg, enum eidgw_err rc);
	void *arg;
	struct gw_audit_waiter *next;
};

/*
 * If w->ticket is already durable (or the log has failed) returns true with
 * *rc set, and done is never called.  Otherwise queues w, returns false, and
 * the sync thread calls w->done exactly once, after a sync that covers the
 * ticket (several waiters share one fdatasync).  done runs on the sync
 * thread and must be short.
 */
bool gw_audit_when_durable(struct gw_audit *a, struct gw_audit_waiter *w, enum eidgw_err *rc);

/*
 * Waits on this thread until ticket is durable: EIDGW_OK, or
 * EIDGW_E_AUDIT_FAILED if the log failed before.  For the rare caller that
 * cannot hand the wait to the sync thread (the HTTP layer while stopping).
 */
enum eidgw_err gw_audit_wait_durable(struct gw_audit *a, uint64_t ticket);

/* Counters for /metrics. */
struct gw_audit_stats {
	uint64_t records;		/* leaves in the tree (every record, file_start included) */
	uint64_t syncs;			/* successful fdatasync calls since open */
	uint64_t unsynced;		/* lines written, not yet known to be on disk */
	bool failed;
};
void gw_audit_stats(struct gw_audit *a, struct gw_audit_stats *out);

/* True once a write or sync has failed: the log refuses every record until a restart. */
bool gw_audit_failed(struct gw_audit *a);

/* Lines written but not yet known to be on disk (for tests and metrics). */
uint64_t gw_audit_unsynced(struct gw_audit *a);

/* Writes a signed checkpoint now (if any record is not yet covered) and syncs it. */
enum eidgw_err gw_audit_checkpoint(struct gw_audit *a, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Seals the current file with a checkpoint and continues the same tree in
 * the next file (audit-NNNNNN.log, NNNNNN + 1), whose first record names the
 * previous file, its final tree size and root, and the frontier.
 */
enum eidgw_err gw_audit_rotate(struct gw_audit *a, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Rotates automatically once the current file reaches bytes (checked after
 * each record: gw_audit_append rotates on its own thread, gw_audit_write
 * leaves it to the sync thread, moments later; 0 = only by
 * gw_audit_rotate).  Default GW_AUDIT_ROTATE_BYTES.
 */
void gw_audit_set_rotate_bytes(struct gw_audit *a, uint64_t bytes);

/*
 * Writes a final checkpoint, syncs, stops the timer and frees; NULL is fine.
 * No other call on the handle may be running or start after it.
 */
enum eidgw_err gw_audit_close(struct gw_audit *a, struct eidgw_diag *d);

/* out = lowercase hex HMAC-SHA-256(hmac key, value); NUL-terminated. */
enum eidgw_err gw_audit_hash_pii(const struct gw_audit *a, const char *value,
    char out[GW_AUDIT_PII_HEX_LEN + 1]) EIDGW_MUST_USE;

/* The name of an event in records ("login_started"), NULL if unknown. */
const char *gw_audit_event_name(enum gw_audit_event ev);

/* Current tree size and name of the file being written (for metrics, tests). */
uint64_t gw_audit_size(struct gw_audit *a);
const char *gw_audit_file(const struct gw_audit *a);

#endif
