/*
 * audit_verify.c - the verifier core shared by the writer's recovery on open
 * and by eidgw-audit: one line at a time, against a small state (frontier,
 * hash chain, last checkpoint).  See docs/audit.md for the format.
 */
#include "audit_int.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "core/util.h"

enum eidgw_err
gw_audit_key_alg(EVP_PKEY *pub, enum eidgw_sig_alg *alg, const char **name)
{
	char group[64];
	size_t glen = 0;

	*alg = EIDGW_SIG_NONE;
	*name = NULL;
	if (pub == NULL)
		return EIDGW_E_INVAL;
	if (EVP_PKEY_is_a(pub, "ED25519")) {
		*alg = EIDGW_SIG_ED25519;
		*name = "Ed25519";
	} else if (EVP_PKEY_is_a(pub, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), &glen) != 1 || strcmp(group, "prime256v1") != 0)
			return EIDGW_E_KEY_WEAK;
		*alg = EIDGW_SIG_ECDSA_SHA256;
		*name = "ES256";
	} else if (EVP_PKEY_is_a(pub, "RSA")) {
		if (EVP_PKEY_get_bits(pub) < 2048)
			return EIDGW_E_KEY_WEAK;
		*alg = EIDGW_SIG_RSA_PSS_SHA256;
		*name = "PS256";
	} else
		return EIDGW_E_KEY_WEAK;
	return EIDGW_OK;
}

enum eidgw_err
gw_audit_key_id(EVP_PKEY *pub, char out[GW_AUDIT_KEY_ID_LEN + 1])
{
	unsigned char *der = NULL;
	gw_hash h;
	enum eidgw_err rc;
	int n;

	out[0] = '\0';
	if (pub == NULL || (n = i2d_PUBKEY(pub, &der)) <= 0)
		return EIDGW_E_CRYPTO;
	rc = gw_sha256(der, (size_t)n, h);
	OPENSSL_free(der);
	if (rc == EIDGW_OK)
		eidgw_hex(out, h, GW_AUDIT_KEY_ID_LEN / 2);
	return rc;
}

enum eidgw_err
gw_audit_cp_input(struct eidgw_buf *b, uint64_t size, const gw_hash root, const char *ts,
    const char *key_id)
{
	char hex[2 * GW_MERKLE_HASH_LEN + 1];

	gw_audit_hex32(hex, root);
	return eidgw_buf_printf(b, GW_AUDIT_CP_MAGIC "%llu\n%s\n%s\n%s\n",
	    (unsigned long long)size, hex, ts, key_id);
}

void
gw_audit_hex32(char out[2 * GW_MERKLE_HASH_LEN + 1], const gw_hash h)
{
	eidgw_hex(out, h, GW_MERKLE_HASH_LEN);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* lowercase only: one spelling per hash */
}

bool
gw_audit_unhex32(const char *s, gw_hash out)
{
	size_t i;
	int hi, lo;

	if (s == NULL || strlen(s) != 2 * GW_MERKLE_HASH_LEN)
		return false;
	for (i = 0; i < GW_MERKLE_HASH_LEN; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool
gw_audit_json_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool
ts_ok(const char *ts)
{
	int64_t t;

	return ts != NULL && strlen(ts) == GW_AUDIT_TS_LEN && eidgw_time_parse(ts, &t) == EIDGW_OK;
}

enum eidgw_err
gw_audit_cp_check(json_t *cp, EVP_PKEY *pub, uint64_t *size, gw_hash root, struct eidgw_diag *d)
{
	struct eidgw_buf in, sig;
	enum eidgw_sig_alg alg;
	const char *ts, *algname, *kid, *sigb64, *want_alg;
	char want_kid[GW_AUDIT_KEY_ID_LEN + 1];
	enum eidgw_err rc;

	eidgw_buf_init(&in, 512);
	eidgw_buf_init(&sig, GW_AUDIT_MAX_SIG);
	*size = 0;
	EIDGW_CHECK(json_is_object(cp), d, EIDGW_E_AUDIT_CORRUPT, "checkpoint is not an object");
	ts = json_string_value(json_object_get(cp, "ts"));
	algname = json_string_value(json_object_get(cp, "alg"));
	kid = json_string_value(json_object_get(cp, "key_id"));
	sigb64 = json_string_value(json_object_get(cp, "sig"));
	EIDGW_CHECK(gw_audit_json_u64(cp, "size", size), d, EIDGW_E_AUDIT_CORRUPT,
	    "checkpoint: \"size\" missing or not a non-negative integer");
	EIDGW_CHECK(gw_audit_unhex32(json_string_value(json_object_get(cp, "root")), root), d,
	    EIDGW_E_AUDIT_CORRUPT, "checkpoint (size %llu): \"root\" is not 64 lowercase hex digits",
	    (unsigned long long)*size);
	EIDGW_CHECK(ts_ok(ts) && algname != NULL && kid != NULL &&
	    strlen(kid) == GW_AUDIT_KEY_ID_LEN && sigb64 != NULL, d, EIDGW_E_AUDIT_CORRUPT,
	    "checkpoint (size %llu): \"ts\", \"alg\", \"key_id\" or \"sig\" missing or malformed",
	    (unsigned long long)*size);
	if (pub == NULL) {
		rc = EIDGW_OK;
		goto out;
	}
	EIDGW_CHECK(gw_audit_key_alg(pub, &alg, &want_alg) == EIDGW_OK, d, EIDGW_E_KEY_WEAK,
	    "the verification key is not Ed25519, P-256 or RSA >= 2048");
	EIDGW_TRY(gw_audit_key_id(pub, want_kid));
	EIDGW_CHECK(strcmp(kid, want_kid) == 0, d, EIDGW_E_AUDIT_SIGNATURE,
	    "checkpoint (size %llu): signed by key %s, which is not a verification key given (%s...)",
	    (unsigned long long)*size, kid, want_kid);
	EIDGW_CHECK(strcmp(algname, want_alg) == 0, d, EIDGW_E_AUDIT_SIGNATURE,
	    "checkpoint (size %llu): algorithm %s does not fit the key (%s)",
	    (unsigned long long)*size, algname, want_alg);
	EIDGW_CHECK(strlen(sigb64) <= 2 * GW_AUDIT_MAX_SIG &&
	    eidgw_b64_decode(&sig, sigb64, strlen(sigb64), false) == EIDGW_OK && sig.len > 0, d,
	    EIDGW_E_AUDIT_SIGNATURE, "checkpoint (size %llu): \"sig\" is not base64",
	    (unsigned long long)*size);
	EIDGW_TRY(gw_audit_cp_input(&in, *size, root, ts, kid));
	EIDGW_CHECK(eidgw_sig_verify(pub, alg, (const unsigned char *)in.data, in.len,
	    (const unsigned char *)sig.data, sig.len) == EIDGW_OK, d, EIDGW_E_AUDIT_SIGNATURE,
	    "checkpoint (size %llu): signature does not verify", (unsigned long long)*size);
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&in);
	eidgw_buf_free(&sig);
	return rc;
}

void
gw_audit_vstate_init(struct gw_audit_vstate *vs, EVP_PKEY *pub)
{
	memset(vs, 0, sizeof(*vs));
	gw_merkle_frontier_init(&vs->fr);
	if (pub != NULL && gw_audit_vstate_add_key(vs, pub) != EIDGW_OK) {
		/* No key id: every checkpoint check then fails on this key, never silently passes. */
		vs->pubs[0] = pub;
		vs->kids[0][0] = '\0';
		vs->npubs = 1;
	}
}

enum eidgw_err
gw_audit_vstate_add_key(struct gw_audit_vstate *vs, EVP_PKEY *pub)
{
	enum eidgw_err rc;

	if (vs->npubs >= GW_AUDIT_MAX_KEYS || pub == NULL)
		return EIDGW_E_TOO_LARGE;
	if ((rc = gw_audit_key_id(pub, vs->kids[vs->npubs])) != EIDGW_OK)
		return rc;
	vs->pubs[vs->npubs++] = pub;
	return EIDGW_OK;
}

/* The key a checkpoint names; NULL when none of ours (cp_check then says which). */
static EVP_PKEY *
pick_key(const struct gw_audit_vstate *vs, json_t *cp)
{
	const char *kid = json_string_value(json_object_get(cp, "key_id"));
	size_t i;

	for (i = 0; kid != NULL && i < vs->npubs; i++)
		if (strcmp(kid, vs->kids[i]) == 0)
			return vs->pubs[i];
	return vs->npubs > 0 ? vs->pubs[0] : NULL;
}

void
gw_audit_vstate_begin_file(struct gw_audit_vstate *vs, const char *base)
{
	vs->expect_start = true;
	vs->line = 0;
	/* vs->file keeps the previous name until the file_start has been checked. */
	(void)base;
}

static bool
event_known(const char *ev)
{
	int e;

	for (e = 1; e < GW_AUDIT_EVENT_MAX_; e++)
		if (strcmp(ev, gw_audit_event_name((enum gw_audit_event)e)) == 0)
			return true;
	return false;
}

/* The checks of a file_start record's "f" against the state before it. */
static enum eidgw_err
check_file_start(struct gw_audit_vstate *vs, json_t *f, uint64_t idx, const gw_hash prev,
    struct gw_merkle_frontier *fr, gw_hash chain, struct eidgw_diag *d)
{
	gw_hash list[GW_MERKLE_LEVELS], mine[GW_MERKLE_LEVELS], root, proot, zero;
	const char *name, *pfile;
	json_t *jl, *v;
	uint64_t psize;
	size_t n, i;
	enum eidgw_err rc;

	memset(zero, 0, sizeof(zero));
	name = json_string_value(json_object_get(f, "file"));
	jl = json_object_get(f, "frontier");
	v = json_object_get(f, "prev_file");
	pfile = json_string_value(v);
	EIDGW_CHECK(name != NULL && strlen(name) < GW_AUDIT_FILE_MAX && json_is_array(jl) &&
	    json_array_size(jl) <= GW_MERKLE_LEVELS && (json_is_null(v) || (pfile != NULL &&
	    strlen(pfile) < GW_AUDIT_FILE_MAX)) && gw_audit_json_u64(f, "prev_size", &psize) &&
	    gw_audit_unhex32(json_string_value(json_object_get(f, "prev_root")), proot), d,
	    EIDGW_E_AUDIT_CORRUPT, "record %llu: file_start fields missing or malformed",
	    (unsigned long long)idx);
	n = json_array_size(jl);
	for (i = 0; i < n; i++)
		EIDGW_CHECK(gw_audit_unhex32(json_string_value(json_array_get(jl, i)), list[i]), d,
		    EIDGW_E_AUDIT_CORRUPT, "record %llu: file_start frontier entry %zu malformed",
		    (unsigned long long)idx, i);
	if (!vs->any) {
		/* The first file we are given: genesis, or the continuation of a file we do not have. */
		if (pfile == NULL)
			EIDGW_CHECK(idx == 0 && psize == 0 && n == 0 && memcmp(prev, zero, 32) == 0, d,
			    EIDGW_E_AUDIT_CORRUPT,
			    "record %llu: a genesis file_start must have index 0, prev_size 0, an empty frontier and a zero prev",
			    (unsigned long long)idx);
		EIDGW_CHECK(idx == psize, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: file_start index differs from prev_size %llu",
		    (unsigned long long)idx, (unsigned long long)psize);
		EIDGW_CHECK(gw_merkle_frontier_from_list(fr, psize, list, n) == EIDGW_OK, d,
		    EIDGW_E_AUDIT_CORRUPT, "record %llu: frontier has %zu hashes, size %llu needs %d",
		    (unsigned long long)idx, n, (unsigned long long)psize,
		    __builtin_popcountll(psize));
		EIDGW_TRY(gw_merkle_frontier_root(fr, root));
		EIDGW_CHECK(memcmp(root, proot, 32) == 0, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: file_start frontier does not hash to its prev_root",
		    (unsigned long long)idx);
		memcpy(chain, prev, GW_MERKLE_HASH_LEN);
		vs->mid_chain = pfile != NULL;
		vs->mid_chain_size = psize;
	} else {
		EIDGW_CHECK(pfile != NULL && strcmp(pfile, vs->file) == 0, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: file_start names previous file %s, but the previous file is %s",
		    (unsigned long long)idx, pfile != NULL ? pfile : "(none)", vs->file);
		EIDGW_TRY(gw_merkle_frontier_root(fr, root));
		EIDGW_CHECK(psize == fr->size && memcmp(root, proot, 32) == 0, d,
		    EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: file_start says the previous file ended at size %llu, but it ended at %llu (or its root differs)",
		    (unsigned long long)idx, (unsigned long long)psize,
		    (unsigned long long)fr->size);
		EIDGW_CHECK(gw_merkle_frontier_list(fr, mine) == n &&
		    (n == 0 || memcmp(mine, list, n * GW_MERKLE_HASH_LEN) == 0), d,
		    EIDGW_E_AUDIT_CORRUPT, "record %llu: file_start frontier differs from the previous file's",
		    (unsigned long long)idx);
	}
	rc = EIDGW_OK;
out:
	return rc;
}

enum eidgw_err
gw_audit_vstate_feed(struct gw_audit_vstate *vs, const char *line, size_t len, json_t **jout,
    struct eidgw_diag *d)
{
	struct gw_merkle_frontier fr;
	gw_hash prev, chain, leaf, root, cproot;
	json_error_t je;
	json_t *j = NULL, *f;
	const char *type, *ev, *ts, *name = NULL;
	uint64_t idx, cpsize;
	enum eidgw_err rc;
	bool is_start = false;

	if (jout != NULL)
		*jout = NULL;
	memcpy(&fr, &vs->fr, sizeof(fr));
	memcpy(chain, vs->chain, sizeof(chain));
	idx = vs->fr.size;
	EIDGW_CHECK(len <= GW_AUDIT_MAX_LINE, d, EIDGW_E_AUDIT_CORRUPT,
	    "record %llu: line longer than %u bytes", (unsigned long long)idx, GW_AUDIT_MAX_LINE);
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	EIDGW_CHECK(json_is_object(j), d, EIDGW_E_AUDIT_CORRUPT,
	    "record %llu: not a JSON object (%s)", (unsigned long long)idx,
	    j == NULL ? je.text : "wrong type");
	type = json_string_value(json_object_get(j, "type"));
	EIDGW_CHECK(type != NULL && (strcmp(type, "record") == 0 ||
	    strcmp(type, "checkpoint") == 0), d, EIDGW_E_AUDIT_CORRUPT,
	    "record %llu: \"type\" is neither record nor checkpoint", (unsigned long long)idx);
	if (strcmp(type, "record") == 0) {
		uint64_t i;

		EIDGW_CHECK(gw_audit_json_u64(j, "i", &i), d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: \"i\" missing", (unsigned long long)idx);
		/* The first file of a set may continue a tree we have not seen. */
		if (vs->expect_start && !vs->any)
			idx = i;
		EIDGW_CHECK(i == idx, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: line holds record %llu (%s)", (unsigned long long)idx,
		    (unsigned long long)i, i > idx ? "records missing or reordered before it" :
		    "record repeated, inserted or reordered");
	}
	EIDGW_CHECK(gw_audit_unhex32(json_string_value(json_object_get(j, "prev")), prev), d,
	    EIDGW_E_AUDIT_CORRUPT, "record %llu: \"prev\" missing or malformed",
	    (unsigned long long)idx);
	if (strcmp(type, "record") == 0) {
		ev = json_string_value(json_object_get(j, "event"));
		ts = json_string_value(json_object_get(j, "ts"));
		f = json_object_get(j, "f");
		EIDGW_CHECK(ev != NULL && event_known(ev) && ts_ok(ts) && json_is_object(f), d,
		    EIDGW_E_AUDIT_CORRUPT, "record %llu: \"event\", \"ts\" or \"f\" missing or malformed",
		    (unsigned long long)idx);
		is_start = strcmp(ev, "file_start") == 0;
		EIDGW_CHECK(is_start == vs->expect_start, d, EIDGW_E_AUDIT_CORRUPT,
		    is_start ? "record %llu: file_start in the middle of a file" :
		    "record %llu: a file must begin with a file_start record", (unsigned long long)idx);
		if (is_start) {
			EIDGW_TRY(check_file_start(vs, f, idx, prev, &fr, chain, d));
			name = json_string_value(json_object_get(f, "file"));
		}
		EIDGW_CHECK(memcmp(prev, chain, sizeof(prev)) == 0 || vs->line > 1, d,
		    EIDGW_E_AUDIT_CORRUPT, "record %llu: hash chain broken: \"prev\" is not the hash "
		    "of the last line of the previous file (that line was altered, or a file or lines "
		    "are missing)", (unsigned long long)idx);
		EIDGW_CHECK(memcmp(prev, chain, sizeof(prev)) == 0, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: hash chain broken: \"prev\" is not the hash of line %llu "
		    "(line %llu was altered, or lines were removed or inserted before this one)",
		    (unsigned long long)idx, (unsigned long long)vs->line - 1,
		    (unsigned long long)vs->line - 1);
		EIDGW_TRY(gw_merkle_leaf_hash(line, len, leaf));
		EIDGW_CHECK(gw_merkle_frontier_add(&fr, leaf) == EIDGW_OK, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: tree full", (unsigned long long)idx);
		vs->kind = GW_AUDIT_LINE_RECORD;
		vs->index = idx;
		memcpy(vs->leaf, leaf, sizeof(leaf));
	} else {
		EIDGW_CHECK(!vs->expect_start, d, EIDGW_E_AUDIT_CORRUPT,
		    "record %llu: a file must begin with a file_start record", (unsigned long long)idx);
		EIDGW_CHECK(memcmp(prev, chain, sizeof(prev)) == 0, d, EIDGW_E_AUDIT_CORRUPT,
		    "checkpoint after record %llu: hash chain broken: \"prev\" is not the hash of "
		    "line %llu (line %llu was altered, or lines were removed or inserted before this one)",
		    (unsigned long long)idx - 1, (unsigned long long)vs->line - 1,
		    (unsigned long long)vs->line - 1);
		{
			EVP_PKEY *pk = pick_key(vs, j);
			const char *kid = json_string_value(json_object_get(j, "key_id"));
			size_t k;
			bool known = false;

			for (k = 0; kid != NULL && k < vs->npubs; k++)
				known = known || strcmp(kid, vs->kids[k]) == 0;
			if (!known && vs->skip_unknown_keys)
				pk = NULL;
			EIDGW_TRY(gw_audit_cp_check(j, pk, &cpsize, cproot, d));
		}
		EIDGW_CHECK(cpsize == fr.size, d, EIDGW_E_AUDIT_CORRUPT,
		    "checkpoint (size %llu): %llu records precede it (records removed or inserted)",
		    (unsigned long long)cpsize, (unsigned long long)fr.size);
		EIDGW_TRY(gw_merkle_frontier_root(&fr, root));
		EIDGW_CHECK(memcmp(root, cproot, sizeof(root)) == 0, d, EIDGW_E_AUDIT_CORRUPT,
		    "checkpoint (size %llu): signed root differs from the root of the records before "
		    "it (a record before it was changed)", (unsigned long long)cpsize);
		EIDGW_CHECK(!vs->have_cp || cpsize >= vs->cp_size, d, EIDGW_E_AUDIT_CORRUPT,
		    "checkpoint (size %llu): smaller than the one before (%llu)",
		    (unsigned long long)cpsize, (unsigned long long)vs->cp_size);
		vs->kind = GW_AUDIT_LINE_CHECKPOINT;
		vs->index = cpsize;
		vs->cp_size = cpsize;
		memcpy(vs->cp_root, cproot, sizeof(cproot));
		(void)snprintf(vs->cp_ts, sizeof(vs->cp_ts), "%s",
		    json_string_value(json_object_get(j, "ts")));
		vs->have_cp = true;
		vs->n_checkpoints++;
	}
	/* Commit. */
	EIDGW_TRY(gw_sha256(line, len, vs->chain));
	memcpy(&vs->fr, &fr, sizeof(fr));
	if (is_start) {
		(void)snprintf(vs->file, sizeof(vs->file), "%s", name);
		vs->expect_start = false;
		vs->any = true;
	}
	if (jout != NULL) {
		*jout = j;
		j = NULL;
	}
	rc = EIDGW_OK;
out:
	json_decref(j);
	return rc;
}

int
gw_audit_read_line(FILE *f, char *buf, size_t *len)
{
	size_t n = 0;
	int c;

	*len = 0;
	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF) {
			*len = n;
			if (ferror(f))
				return -3;
			return n == 0 ? 0 : -1;
		}
		if (c == '\n') {
			*len = n;
			buf[n] = '\0';
			return 1;
		}
		if (n >= GW_AUDIT_MAX_LINE) {
			/* Skip the rest so the caller can report the line and stop. */
			while ((c = getc_unlocked(f)) != EOF && c != '\n')
				;
			*len = n;
			return -2;
		}
		buf[n++] = (char)c;
		buf[n] = '\0';
	}
}
