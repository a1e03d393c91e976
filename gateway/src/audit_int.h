/*
 * audit_int.h - what the audit writer (audit.c), the verifier core
 * (audit_verify.c) and the eidgw-audit tool share: the checkpoint signature
 * input, key ids, and a line-by-line verifier state that both the writer
 * (when it reads its file back on open) and the tool use, so that the log
 * is checked by one piece of code.
 */
#ifndef EIDGW_GW_AUDIT_INT_H
#define EIDGW_GW_AUDIT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "audit_merkle.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"

#define GW_AUDIT_FILE_FMT "audit-%06u.log"
#define GW_AUDIT_FILE_MAX 64		/* file names in records */
#define GW_AUDIT_KEY_ID_LEN 16		/* hex chars */
#define GW_AUDIT_TS_LEN 24		/* 2026-11-29T09:10:11.123Z */
#define GW_AUDIT_CP_MAGIC "eidgw-audit checkpoint v1\n"
#define GW_AUDIT_MAX_SIG 1024		/* bytes of a raw signature */

/* The scheme for a public key: Ed25519, ES256 (P-256) or PS256 (RSA). */
enum eidgw_err gw_audit_key_alg(EVP_PKEY *pub, enum eidgw_sig_alg *alg, const char **name)
    EIDGW_MUST_USE;
/* First 8 bytes of SHA-256(DER SubjectPublicKeyInfo), lowercase hex. */
enum eidgw_err gw_audit_key_id(EVP_PKEY *pub, char out[GW_AUDIT_KEY_ID_LEN + 1])
    EIDGW_MUST_USE;
/* The exact bytes a checkpoint signature covers (docs/audit.md). */
enum eidgw_err gw_audit_cp_input(struct eidgw_buf *b, uint64_t size, const gw_hash root,
    const char *ts, const char *key_id) EIDGW_MUST_USE;
/*
 * Checks a checkpoint object (from a log line or a proof file): fields,
 * key id, signature.  Fills size and root.
 */
enum eidgw_err gw_audit_cp_check(json_t *cp, EVP_PKEY *pub, uint64_t *size, gw_hash root,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/* Hex helpers: 64 hex chars <-> hash. */
void gw_audit_hex32(char out[2 * GW_MERKLE_HASH_LEN + 1], const gw_hash h);
bool gw_audit_unhex32(const char *s, gw_hash out);
/* A JSON integer member in [0, 2^63); false if absent or out of range. */
bool gw_audit_json_u64(json_t *o, const char *key, uint64_t *out);

enum gw_audit_line_kind {
	GW_AUDIT_LINE_RECORD = 1,
	GW_AUDIT_LINE_CHECKPOINT,
};

/* Verifier state over a sequence of lines, across files. */
#define GW_AUDIT_MAX_KEYS 8

struct gw_audit_vstate {
	EVP_PKEY *pubs[GW_AUDIT_MAX_KEYS];	/* borrowed; none: signatures not checked */
	char kids[GW_AUDIT_MAX_KEYS][GW_AUDIT_KEY_ID_LEN + 1];
	size_t npubs;
	bool skip_unknown_keys;		/* writer: a checkpoint by an earlier key is not checked */
	struct gw_merkle_frontier fr;
	gw_hash chain;			/* SHA-256 of the previous line */
	bool any;			/* a file_start has been seen */
	bool expect_start;		/* the next line must be a file_start */
	bool mid_chain;			/* the first file continued an earlier one */
	uint64_t mid_chain_size;	/* tree size at the start of that first file */
	char file[GW_AUDIT_FILE_MAX];	/* base name of the current file */
	uint64_t line;			/* line number in the current file (1-based) */
	uint64_t n_checkpoints;
	uint64_t cp_size;		/* last checkpoint */
	gw_hash cp_root;
	char cp_ts[GW_AUDIT_TS_LEN + 8];
	bool have_cp;
	/* The line just accepted. */
	enum gw_audit_line_kind kind;
	uint64_t index;			/* record index or checkpoint size */
	gw_hash leaf;			/* record: its leaf hash */
};

void gw_audit_vstate_init(struct gw_audit_vstate *vs, EVP_PKEY *pub);
/*
 * Adds a further verification key (after a key change, checkpoints of one
 * log are signed by several keys; each is checked with the key its key_id
 * names).  Fails when the table is full or the key cannot be used.
 */
enum eidgw_err gw_audit_vstate_add_key(struct gw_audit_vstate *vs, EVP_PKEY *pub) EIDGW_MUST_USE;
/* Starts a new file; base is its base name (the continuity check uses it). */
void gw_audit_vstate_begin_file(struct gw_audit_vstate *vs, const char *base);
/*
 * Checks one line (without its newline) against the state and, if it is
 * good, takes it in.  On failure the state is unchanged and d says why (with
 * the record index); the caller adds file and line.  jout (may be NULL)
 * receives the parsed object, which the caller releases with json_decref.
 */
enum eidgw_err gw_audit_vstate_feed(struct gw_audit_vstate *vs, const char *line, size_t len,
    json_t **jout, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Reads one line of at most GW_AUDIT_MAX_LINE bytes from f into buf
 * (cap GW_AUDIT_MAX_LINE + 1).  Returns 1 for a complete line (newline
 * stripped), 0 at a clean end of file, -1 for a final line without newline
 * (torn; its bytes are in buf), -2 for a line that is too long, -3 for a read
 * error.  *len gets the bytes read (newline not counted).
 */
int gw_audit_read_line(FILE *f, char *buf, size_t *len);

#endif
