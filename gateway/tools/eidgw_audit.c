/*
 * eidgw_audit.c - eidgw-audit: verify, inspect and prove the audit log
 * (docs/audit.md).  Needs only the log files and the public key.
 *
 *   eidgw-audit verify [--key PUB.pem]... [--strict] [--anchor CP.json] FILE...
 *                      (one --key per signing key used)
 *   eidgw-audit show [--from TIME] [--to TIME] [--client ID] [--country CC]
 *                    [--event NAME] FILE...
 *   eidgw-audit prove [--key PUB.pem] --record N --checkpoint SIZE|last FILE...
 *   eidgw-audit prove [--key PUB.pem] --consistency SIZE1 SIZE2|last FILE...
 *   eidgw-audit check-proof --key PUB.pem PROOF.json
 *   eidgw-audit hash-pii --hmac-key FILE VALUE
 *
 * Exit status: 0 intact / valid, 1 tampered / invalid (the place is printed),
 * 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_merkle.h"
#include "core/buf.h"
#include "core/util.h"

#define EXIT_INTACT 0
#define EXIT_TAMPERED 1
#define EXIT_USAGE 2

#define MAX_PROOF_FILE (1024 * 1024)
#define MAX_LEAVES (1ull << 24)		/* prove keeps every leaf hash in memory */
#define MAX_CHECKPOINTS (1u << 20)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: eidgw-audit verify [--key PUB.pem]... [--strict] [--anchor CHECKPOINT.json] FILE...\n"
	    "       eidgw-audit show [--from TIME] [--to TIME] [--client ID] [--country CC]\n"
	    "                        [--event NAME] FILE...\n"
	    "       eidgw-audit prove [--key PUB.pem] --record N --checkpoint SIZE|last FILE...\n"
	    "       eidgw-audit prove [--key PUB.pem] --consistency SIZE1 SIZE2|last FILE...\n"
	    "       eidgw-audit check-proof --key PUB.pem PROOF.json\n"
	    "       eidgw-audit hash-pii --hmac-key FILE VALUE\n"
	    "FILE... are the log files in order (audit-000001.log audit-000002.log ...).\n"
	    "Exit status: 0 intact or valid, 1 tampered or invalid, 2 usage or I/O error.\n");
}

static EVP_PKEY *
load_pub(const char *path)
{
	EVP_PKEY *pk = NULL;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "eidgw-audit: cannot open key %s\n", path);
		return NULL;
	}
	pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL)
		fprintf(stderr, "eidgw-audit: %s is not a PEM public key\n", path);
	return pk;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return false;
	*out = v;
	return true;
}

/* ---- walking a set of files ------------------------------------------ */

typedef void (*line_fn)(void *arg, const struct gw_audit_vstate *vs, const char *line,
    size_t len, json_t *j);

struct walk_result {
	uint64_t files;
	uint64_t first_index;
};

/*
 * Feeds every line of every file into vs.  Returns EXIT_INTACT, or
 * EXIT_TAMPERED after printing FILE:LINE: reason, or EXIT_USAGE on I/O.
 */
static int
walk(char **files, int nfiles, struct gw_audit_vstate *vs, line_fn fn, void *arg,
    struct walk_result *res)
{
	struct eidgw_diag d = { 0 };
	char *buf, *copy, *base;
	size_t len;
	json_t *j;
	FILE *f;
	int i, k, status = EXIT_INTACT;

	memset(res, 0, sizeof(*res));
	if ((buf = malloc(GW_AUDIT_MAX_LINE + 1)) == NULL)
		return EXIT_USAGE;
	for (i = 0; i < nfiles && status == EXIT_INTACT; i++) {
		if ((f = fopen(files[i], "rb")) == NULL) {
			fprintf(stderr, "eidgw-audit: cannot open %s\n", files[i]);
			status = EXIT_USAGE;
			break;
		}
		copy = eidgw_strdup(files[i]);
		base = copy != NULL ? basename(copy) : files[i];
		gw_audit_vstate_begin_file(vs, base);
		res->files++;
		while ((k = gw_audit_read_line(f, buf, &len)) != 0) {
			vs->line++;
			if (k == -3) {
				fprintf(stderr, "eidgw-audit: read error on %s\n", files[i]);
				status = EXIT_USAGE;
				break;
			}
			if (k == -1) {
				printf("%s:%llu: record %llu: TRUNCATED in the middle of a line (%zu bytes "
				    "without a newline at the end of the file)\n", files[i],
				    (unsigned long long)vs->line, (unsigned long long)vs->fr.size, len);
				status = EXIT_TAMPERED;
				break;
			}
			if (k == -2) {
				printf("%s:%llu: record %llu: line longer than %u bytes\n", files[i],
				    (unsigned long long)vs->line, (unsigned long long)vs->fr.size,
				    GW_AUDIT_MAX_LINE);
				status = EXIT_TAMPERED;
				break;
			}
			eidgw_diag_clear(&d);
			if (gw_audit_vstate_feed(vs, buf, len, &j, &d) != EIDGW_OK) {
				printf("%s:%llu: %s\n", files[i], (unsigned long long)vs->line, d.reason);
				status = EXIT_TAMPERED;
				break;
			}
			if (vs->any && res->files == 1 && vs->line == 1)
				res->first_index = vs->index;
			if (fn != NULL)
				fn(arg, vs, buf, len, j);
			json_decref(j);
		}
		if (status == EXIT_INTACT && !vs->any) {
			printf("%s:1: file is empty (no file_start record)\n", files[i]);
			status = EXIT_TAMPERED;
		}
		free(copy);
		fclose(f);
	}
	free(buf);
	return status;
}

/* ---- verify ------------------------------------------------------------ */

/*
 * An anchor is a checkpoint kept outside the gateway (a checkpoint line, or
 * a proof file, whose newest checkpoint is used).  The log must reach its
 * size and have its root there: a clean cut after a later checkpoint, which
 * the log alone cannot show, is then caught.
 */
struct anchor {
	uint64_t size;
	gw_hash root;
	char ts[GW_AUDIT_TS_LEN + 8];
	bool seen;			/* the log reached the size */
	bool match;
};

static void
anchor_line(void *arg, const struct gw_audit_vstate *vs, const char *line, size_t len, json_t *j)
{
	struct anchor *an = arg;
	gw_hash root;

	if (an->seen || vs->fr.size != an->size || vs->kind != GW_AUDIT_LINE_RECORD)
		return;
	an->seen = true;
	an->match = gw_merkle_frontier_root(&vs->fr, root) == EIDGW_OK &&
	    memcmp(root, an->root, sizeof(root)) == 0;
}

static int
load_anchor(const char *path, const struct gw_audit_vstate *vs, struct anchor *an)
{
	struct eidgw_diag d = { 0 };
	json_error_t je;
	json_t *j, *cp;
	EVP_PKEY *pk = NULL;
	const char *kid;
	size_t i;
	int status = EXIT_USAGE;

	memset(an, 0, sizeof(*an));
	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		fprintf(stderr, "eidgw-audit: anchor %s: %s\n", path, je.text);
		return EXIT_USAGE;
	}
	cp = json_object_get(j, "second");
	if (cp == NULL)
		cp = json_object_get(j, "checkpoint");
	if (cp == NULL)
		cp = j;
	kid = json_string_value(json_object_get(cp, "key_id"));
	for (i = 0; kid != NULL && i < vs->npubs; i++)
		if (strcmp(kid, vs->kids[i]) == 0)
			pk = vs->pubs[i];
	if (pk == NULL) {
		fprintf(stderr, "eidgw-audit: anchor %s: no --key for its key id\n", path);
		goto out;
	}
	if (gw_audit_cp_check(cp, pk, &an->size, an->root, &d) != EIDGW_OK) {
		printf("anchor %s: %s\n", path, d.reason);
		status = EXIT_TAMPERED;
		goto out;
	}
	(void)snprintf(an->ts, sizeof(an->ts), "%s", json_string_value(json_object_get(cp, "ts")));
	status = EXIT_INTACT;
out:
	json_decref(j);
	return status;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "strict", no_argument, NULL, 's' },
		{ "anchor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct anchor an = { 0 };
	const char *anchor = NULL;
	struct gw_audit_vstate vs;
	struct walk_result res;
	EVP_PKEY *pubs[GW_AUDIT_MAX_KEYS] = { NULL }, *pub = NULL;
	char root[2 * GW_MERKLE_HASH_LEN + 1];
	uint64_t base, tail;
	size_t npubs = 0, i;
	bool strict = false;
	int c, status = EXIT_USAGE;

	gw_audit_vstate_init(&vs, NULL);
	while ((c = getopt_long(argc, argv, "k:sa:", opts, NULL)) != -1) {
		switch (c) {
		case 'a': anchor = optarg; break;
		case 'k':
			if (npubs >= GW_AUDIT_MAX_KEYS || (pubs[npubs] = load_pub(optarg)) == NULL ||
			    gw_audit_vstate_add_key(&vs, pubs[npubs]) != EIDGW_OK) {
				fprintf(stderr, "eidgw-audit: key %s not usable (at most %d keys)\n",
				    optarg, GW_AUDIT_MAX_KEYS);
				npubs += pubs[npubs] != NULL;
				goto out;
			}
			npubs++;
			break;
		case 's': strict = true; break;
		default: usage(stderr); goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		goto out;
	}
	pub = pubs[0];
	if (anchor != NULL && (pub == NULL || (status = load_anchor(anchor, &vs, &an)) != EXIT_INTACT)) {
		if (pub == NULL)
			fprintf(stderr, "eidgw-audit: --anchor needs --key\n");
		if (status == EXIT_TAMPERED)
			printf("TAMPERED: the anchor is not a valid checkpoint\n");
		if (pub == NULL)
			status = EXIT_USAGE;
		goto out;
	}
	status = walk(argv + optind, argc - optind, &vs, anchor != NULL ? anchor_line : NULL, &an,
	    &res);
	if (status == EXIT_TAMPERED)
		printf("TAMPERED: verification stopped at the place above\n");
	if (status != EXIT_INTACT)
		goto out;
	base = vs.mid_chain ? vs.mid_chain_size : 0;
	if (anchor != NULL && an.size > 0 && an.size > base) {
		if (!an.seen) {
			printf("TRUNCATED: the log ends at tree size %llu, but the anchor (a checkpoint "
			    "of size %llu signed at %s) shows there were more records\n",
			    (unsigned long long)vs.fr.size, (unsigned long long)an.size, an.ts);
			status = EXIT_TAMPERED;
			goto out;
		}
		if (!an.match) {
			printf("TAMPERED: the anchor (size %llu, %s) has a different root than this log "
			    "at that size: records before record %llu differ\n",
			    (unsigned long long)an.size, an.ts, (unsigned long long)an.size);
			status = EXIT_TAMPERED;
			goto out;
		}
	}
	printf("files: %llu, records %llu..%llu (%llu), checkpoints: %llu\n",
	    (unsigned long long)res.files, (unsigned long long)base,
	    (unsigned long long)vs.fr.size - 1, (unsigned long long)(vs.fr.size - base),
	    (unsigned long long)vs.n_checkpoints);
	if (vs.mid_chain)
		printf("note: the first file continues an earlier file (tree size %llu at its start), "
		    "which was not given; its state is taken from the file_start record\n",
		    (unsigned long long)base);
	if (pub == NULL)
		printf("WARNING: no --key given: checkpoint signatures were NOT checked\n");
	else {
		printf("signatures: every checkpoint verified with key");
		for (i = 0; i < vs.npubs; i++)
			printf("%s %s", i == 0 ? "" : ",", vs.kids[i]);
		printf("\n");
	}
	if (vs.have_cp) {
		gw_audit_hex32(root, vs.cp_root);
		printf("last checkpoint: size %llu root %s at %s\n", (unsigned long long)vs.cp_size,
		    root, vs.cp_ts);
	}
	tail = vs.fr.size - (vs.have_cp ? vs.cp_size : base);
	if (vs.have_cp && vs.cp_size < base)
		tail = vs.fr.size - base;
	if (tail > 0) {
		printf("UNCONFIRMED: records %llu..%llu (%llu) come after the last checkpoint and no "
		    "signature covers them (log still open, not closed cleanly, or truncated after "
		    "a checkpoint)\n", (unsigned long long)(vs.fr.size - tail),
		    (unsigned long long)vs.fr.size - 1, (unsigned long long)tail);
		if (strict) {
			status = EXIT_TAMPERED;
			goto out;
		}
	}
	if (anchor != NULL && an.size > base)
		printf("anchor: the log contains the anchored tree of size %llu (%s)\n",
		    (unsigned long long)an.size, an.ts);
	else if (anchor != NULL)
		printf("anchor: size %llu is before the first file given; not checked\n",
		    (unsigned long long)an.size);
	printf("OK: intact\n");
out:
	for (i = 0; i < npubs; i++)
		EVP_PKEY_free(pubs[i]);
	return status;
}

/* ---- show -------------------------------------------------------------- */

struct show_filter {
	bool have_from, have_to;
	int64_t from, to;
	const char *client, *country, *event;
};

static bool
str_member_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strcmp(v, want) == 0;
}

static bool
show_match(const struct show_filter *flt, json_t *j)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *f = json_object_get(j, "f");
	int64_t t;

	if (type == NULL)
		return false;
	if (strcmp(type, "checkpoint") == 0) {
		if (flt->event == NULL || strcmp(flt->event, "checkpoint") != 0)
			return false;
	} else if (flt->event != NULL && !str_member_is(j, "event", flt->event))
		return false;
	if (flt->have_from || flt->have_to) {
		const char *ts = json_string_value(json_object_get(j, "ts"));

		if (ts == NULL || eidgw_time_parse(ts, &t) != EIDGW_OK)
			return false;
		if ((flt->have_from && t < flt->from) || (flt->have_to && t > flt->to))
			return false;
	}
	if (flt->client != NULL && !str_member_is(f, "client", flt->client))
		return false;
	if (flt->country != NULL && !str_member_is(f, "country", flt->country))
		return false;
	return true;
}

static int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "client", required_argument, NULL, 'c' },
		{ "country", required_argument, NULL, 'C' },
		{ "event", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_filter flt = { 0 };
	json_error_t je;
	char *buf;
	size_t len;
	json_t *j;
	FILE *f;
	uint64_t line;
	int c, i, k, status = EXIT_INTACT;

	while ((c = getopt_long(argc, argv, "f:t:c:C:e:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (eidgw_time_parse(optarg, &flt.from) != EIDGW_OK)
				goto bad;
			flt.have_from = true;
			break;
		case 't':
			if (eidgw_time_parse(optarg, &flt.to) != EIDGW_OK)
				goto bad;
			flt.have_to = true;
			break;
		case 'c': flt.client = optarg; break;
		case 'C': flt.country = optarg; break;
		case 'e': flt.event = optarg; break;
		default: goto bad;
		}
	}
	if (optind >= argc)
		goto bad;
	if ((buf = malloc(GW_AUDIT_MAX_LINE + 1)) == NULL)
		return EXIT_USAGE;
	for (i = optind; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			fprintf(stderr, "eidgw-audit: cannot open %s\n", argv[i]);
			status = EXIT_USAGE;
			break;
		}
		line = 0;
		while ((k = gw_audit_read_line(f, buf, &len)) != 0) {
			line++;
			if (k != 1) {
				fprintf(stderr, "%s:%llu: skipped (torn or too long; run verify)\n",
				    argv[i], (unsigned long long)line);
				continue;
			}
			if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
				fprintf(stderr, "%s:%llu: skipped (not JSON; run verify)\n", argv[i],
				    (unsigned long long)line);
				continue;
			}
			if (show_match(&flt, j))
				printf("%s\n", buf);
			json_decref(j);
		}
		fclose(f);
	}
	free(buf);
	return status;
bad:
	usage(stderr);
	return EXIT_USAGE;
}

/* ---- prove ------------------------------------------------------------- */

struct prove_ctx {
	gw_hash *leaves;
	uint64_t n, cap;
	bool overflow;
	json_t **cps;			/* checkpoint objects, in order */
	size_t ncps, capcps;
	uint64_t want_record;
	char *record;			/* the line of want_record */
};

static void
prove_line(void *arg, const struct gw_audit_vstate *vs, const char *line, size_t len, json_t *j)
{
	struct prove_ctx *p = arg;
	void *nv;

	if (p->overflow)
		return;
	if (vs->kind == GW_AUDIT_LINE_RECORD) {
		if (p->n == p->cap) {
			uint64_t ncap = p->cap == 0 ? 1024 : p->cap * 2;

			if (ncap > MAX_LEAVES || (nv = realloc(p->leaves, ncap * sizeof(gw_hash))) == NULL) {
				p->overflow = true;
				return;
			}
			p->leaves = nv;
			p->cap = ncap;
		}
		memcpy(p->leaves[p->n++], vs->leaf, sizeof(gw_hash));
		if (vs->index == p->want_record && p->record == NULL &&
		    (p->record = malloc(len + 1)) != NULL) {
			memcpy(p->record, line, len);
			p->record[len] = '\0';
		}
		return;
	}
	if (p->ncps == p->capcps) {
		size_t ncap = p->capcps == 0 ? 64 : p->capcps * 2;

		if (ncap > MAX_CHECKPOINTS || (nv = realloc(p->cps, ncap * sizeof(json_t *))) == NULL) {
			p->overflow = true;
			return;
		}
		p->cps = nv;
		p->capcps = ncap;
	}
	p->cps[p->ncps++] = json_incref(j);
}

/* The checkpoint of the given size; last when want is UINT64_MAX. */
static json_t *
find_cp(const struct prove_ctx *p, uint64_t want)
{
	uint64_t s;
	size_t i;

	if (want == UINT64_MAX)
		return p->ncps > 0 ? p->cps[p->ncps - 1] : NULL;
	for (i = 0; i < p->ncps; i++)
		if (gw_audit_json_u64(p->cps[i], "size", &s) && s == want)
			return p->cps[i];
	return NULL;
}

/* The checkpoint as it goes into a proof: the signed fields only. */
static json_t *
cp_for_proof(json_t *cp)
{
	static const char *const keep[] = { "size", "root", "ts", "alg", "key_id", "sig" };
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < EIDGW_ARRAY_LEN(keep); i++)
		json_object_set(o, keep[i], json_object_get(cp, keep[i]));
	return o;
}

static json_t *
path_json(const gw_hash *path, size_t n)
{
	char hex[2 * GW_MERKLE_HASH_LEN + 1];
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		gw_audit_hex32(hex, path[i]);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

static bool
parse_size_arg(const char *s, uint64_t *out)
{
	if (s != NULL && strcmp(s, "last") == 0) {
		*out = UINT64_MAX;
		return true;
	}
	return parse_u64(s, out);
}

static int
cmd_prove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "record", required_argument, NULL, 'r' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "consistency", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct prove_ctx p = { 0 };
	struct gw_audit_vstate vs;
	struct walk_result res;
	gw_hash path[GW_MERKLE_MAX_PROOF], leaf;
	EVP_PKEY *pub = NULL;
	json_t *proof = NULL, *cp1, *cp2 = NULL;
	const char *keyfile = NULL, *rec_s = NULL, *cp_s = NULL, *c1_s = NULL, *c2_s = NULL;
	char hex[2 * GW_MERKLE_HASH_LEN + 1], *text;
	uint64_t rec = 0, s1 = 0, s2 = 0, a1, a2;
	size_t plen;
	int c, status = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "k:r:c:C:", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'r': rec_s = optarg; break;
		case 'c': cp_s = optarg; break;
		case 'C': c1_s = optarg; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	/* --consistency A B: B is the next word. */
	if (c1_s != NULL && optind < argc)
		c2_s = argv[optind++];
	if (optind >= argc || ((rec_s == NULL || cp_s == NULL) == (c1_s == NULL || c2_s == NULL)) ||
	    (rec_s != NULL && (!parse_u64(rec_s, &rec) || !parse_size_arg(cp_s, &s1))) ||
	    (c1_s != NULL && (!parse_u64(c1_s, &s1) || !parse_size_arg(c2_s, &s2)))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (keyfile != NULL && (pub = load_pub(keyfile)) == NULL)
		return EXIT_USAGE;
	p.want_record = rec_s != NULL ? rec : UINT64_MAX;
	gw_audit_vstate_init(&vs, pub);
	status = walk(argv + optind, argc - optind, &vs, prove_line, &p, &res);
	if (status != EXIT_INTACT) {
		if (status == EXIT_TAMPERED)
			printf("TAMPERED: no proof from a damaged log\n");
		goto out;
	}
	status = EXIT_USAGE;
	if (p.overflow) {
		fprintf(stderr, "eidgw-audit: log too large for prove (at most %llu records)\n",
		    (unsigned long long)MAX_LEAVES);
		goto out;
	}
	if (vs.mid_chain) {
		fprintf(stderr, "eidgw-audit: prove needs every file from the first one (audit-000001.log)\n");
		goto out;
	}
	if (rec_s != NULL) {
		if ((cp1 = find_cp(&p, s1)) == NULL || !gw_audit_json_u64(cp1, "size", &a1)) {
			fprintf(stderr, "eidgw-audit: no checkpoint of size %s\n", cp_s);
			goto out;
		}
		if (rec >= a1 || p.record == NULL) {
			fprintf(stderr, "eidgw-audit: record %llu is not covered by checkpoint %llu\n",
			    (unsigned long long)rec, (unsigned long long)a1);
			goto out;
		}
		if (gw_merkle_inclusion_proof(p.leaves, a1, rec, path, &plen) != EIDGW_OK)
			goto out;
		memcpy(leaf, p.leaves[rec], sizeof(leaf));
		gw_audit_hex32(hex, leaf);
		proof = json_pack("{s:s, s:i, s:I, s:I, s:s, s:s, s:o, s:o}", "type", "inclusion",
		    "version", 1, "leaf_index", (json_int_t)rec, "tree_size", (json_int_t)a1,
		    "record", p.record, "leaf_hash", hex, "path", path_json(path, plen),
		    "checkpoint", cp_for_proof(cp1));
	} else {
		if ((cp1 = find_cp(&p, s1)) == NULL || (cp2 = find_cp(&p, s2)) == NULL ||
		    !gw_audit_json_u64(cp1, "size", &a1) || !gw_audit_json_u64(cp2, "size", &a2) ||
		    a1 > a2) {
			fprintf(stderr, "eidgw-audit: need two checkpoints, first size <= second size\n");
			goto out;
		}
		if (gw_merkle_consistency_proof(p.leaves, a2, a1, path, &plen) != EIDGW_OK)
			goto out;
		proof = json_pack("{s:s, s:i, s:o, s:o, s:o}", "type", "consistency", "version", 1,
		    "first", cp_for_proof(cp1), "second", cp_for_proof(cp2),
		    "path", path_json(path, plen));
	}
	if (proof == NULL || (text = json_dumps(proof, JSON_INDENT(2))) == NULL)
		goto out;
	printf("%s\n", text);
	free(text);
	status = EXIT_INTACT;
out:
	json_decref(proof);
	while (p.ncps > 0)
		json_decref(p.cps[--p.ncps]);
	free(p.cps);
	free(p.leaves);
	free(p.record);
	EVP_PKEY_free(pub);
	return status;
}

/* ---- check-proof ------------------------------------------------------- */

static bool
path_from_json(json_t *a, gw_hash path[GW_MERKLE_MAX_PROOF], size_t *n)
{
	size_t i;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > GW_MERKLE_MAX_PROOF)
		return false;
	for (i = 0; i < json_array_size(a); i++)
		if (!gw_audit_unhex32(json_string_value(json_array_get(a, i)), path[i]))
			return false;
	*n = json_array_size(a);
	return true;
}

static int
check_inclusion(json_t *pf, EVP_PKEY *pub)
{
	struct eidgw_diag d = { 0 };
	gw_hash path[GW_MERKLE_MAX_PROOF], root, leaf, given;
	json_error_t je;
	json_t *rj = NULL;
	const char *record, *lh, *rtype;
	uint64_t idx, size, cpsize, ri;
	size_t plen;
	int status = EXIT_TAMPERED;

	record = json_string_value(json_object_get(pf, "record"));
	lh = json_string_value(json_object_get(pf, "leaf_hash"));
	if (!gw_audit_json_u64(pf, "leaf_index", &idx) || !gw_audit_json_u64(pf, "tree_size", &size) ||
	    record == NULL || !path_from_json(json_object_get(pf, "path"), path, &plen)) {
		printf("INVALID: inclusion proof fields missing or malformed\n");
		goto out;
	}
	if (gw_audit_cp_check(json_object_get(pf, "checkpoint"), pub, &cpsize, root, &d) != EIDGW_OK) {
		printf("INVALID: %s\n", d.reason);
		goto out;
	}
	if (cpsize != size) {
		printf("INVALID: tree_size %llu differs from the signed checkpoint size %llu\n",
		    (unsigned long long)size, (unsigned long long)cpsize);
		goto out;
	}
	rj = json_loads(record, JSON_REJECT_DUPLICATES, &je);
	rtype = json_string_value(json_object_get(rj, "type"));
	if (rtype == NULL || strcmp(rtype, "record") != 0 || !gw_audit_json_u64(rj, "i", &ri) ||
	    ri != idx) {
		printf("INVALID: the record is not record %llu\n", (unsigned long long)idx);
		goto out;
	}
	if (gw_merkle_leaf_hash(record, strlen(record), leaf) != EIDGW_OK)
		goto out;
	if (lh != NULL && (!gw_audit_unhex32(lh, given) || memcmp(given, leaf, sizeof(leaf)) != 0)) {
		printf("INVALID: leaf_hash is not SHA-256(0x00 || record)\n");
		goto out;
	}
	if (!gw_merkle_verify_inclusion(idx, size, leaf, path, plen, root)) {
		printf("INVALID: the inclusion path does not lead to the signed root\n");
		goto out;
	}
	printf("OK: record %llu is in the tree of size %llu signed at %s by key %s\n",
	    (unsigned long long)idx, (unsigned long long)size,
	    json_string_value(json_object_get(json_object_get(pf, "checkpoint"), "ts")),
	    json_string_value(json_object_get(json_object_get(pf, "checkpoint"), "key_id")));
	status = EXIT_INTACT;
out:
	json_decref(rj);
	return status;
}

static int
check_consistency(json_t *pf, EVP_PKEY *pub)
{
	struct eidgw_diag d = { 0 };
	gw_hash path[GW_MERKLE_MAX_PROOF], r1, r2;
	uint64_t s1, s2;
	size_t plen;

	if (!path_from_json(json_object_get(pf, "path"), path, &plen)) {
		printf("INVALID: consistency proof path malformed\n");
		return EXIT_TAMPERED;
	}
	if (gw_audit_cp_check(json_object_get(pf, "first"), pub, &s1, r1, &d) != EIDGW_OK ||
	    gw_audit_cp_check(json_object_get(pf, "second"), pub, &s2, r2, &d) != EIDGW_OK) {
		printf("INVALID: %s\n", d.reason);
		return EXIT_TAMPERED;
	}
	if (!gw_merkle_verify_consistency(s1, s2, r1, r2, path, plen)) {
		printf("INVALID: the tree of size %llu is not a prefix of the tree of size %llu "
		    "according to this proof\n", (unsigned long long)s1, (unsigned long long)s2);
		return EXIT_TAMPERED;
	}
	printf("OK: the signed tree of size %llu is a prefix of the signed tree of size %llu\n",
	    (unsigned long long)s1, (unsigned long long)s2);
	return EXIT_INTACT;
}

static int
cmd_check_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	EVP_PKEY *pub = NULL;
	json_error_t je;
	json_t *pf = NULL;
	const char *keyfile = NULL, *type;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int c, status = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (c != 'k') {
			usage(stderr);
			return EXIT_USAGE;
		}
		keyfile = optarg;
	}
	if (keyfile == NULL || optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((pub = load_pub(keyfile)) == NULL)
		return EXIT_USAGE;
	if ((f = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "eidgw-audit: cannot open %s\n", argv[optind]);
		goto out;
	}
	if ((text = malloc(MAX_PROOF_FILE + 1)) != NULL)
		len = fread(text, 1, MAX_PROOF_FILE + 1, f);
	fclose(f);
	if (text == NULL || len > MAX_PROOF_FILE) {
		fprintf(stderr, "eidgw-audit: %s: larger than %d bytes\n", argv[optind], MAX_PROOF_FILE);
		goto out;
	}
	status = EXIT_TAMPERED;
	if ((pf = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    (type = json_string_value(json_object_get(pf, "type"))) == NULL ||
	    json_integer_value(json_object_get(pf, "version")) != 1) {
		printf("INVALID: not a version 1 proof file\n");
		goto out;
	}
	if (strcmp(type, "inclusion") == 0)
		status = check_inclusion(pf, pub);
	else if (strcmp(type, "consistency") == 0)
		status = check_consistency(pf, pub);
	else
		printf("INVALID: unknown proof type %s\n", type);
out:
	json_decref(pf);
	free(text);
	EVP_PKEY_free(pub);
	return status;
}

/* ---- hash-pii ---------------------------------------------------------- */

static int
cmd_hash_pii(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hmac-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct eidgw_buf key;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	char *text = NULL, hex[2 * 32 + 1];
	const char *keyfile = NULL;
	size_t len = 0;
	FILE *f;
	int c, status = EXIT_USAGE;

	eidgw_buf_init(&key, 4096);
	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (c != 'k')
			goto out;
		keyfile = optarg;
	}
	if (keyfile == NULL || optind != argc - 1)
		goto out;
	if ((f = fopen(keyfile, "rb")) == NULL) {
		fprintf(stderr, "eidgw-audit: cannot open %s\n", keyfile);
		goto out;
	}
	if ((text = malloc(8193)) != NULL)
		len = fread(text, 1, 8192, f);
	fclose(f);
	if (text == NULL || eidgw_b64_decode(&key, text, len, false) != EIDGW_OK || key.len < 16) {
		fprintf(stderr, "eidgw-audit: %s: not a base64 key of at least 16 bytes\n", keyfile);
		goto out;
	}
	if (HMAC(EVP_sha256(), key.data, (int)key.len, (const unsigned char *)argv[optind],
	    strlen(argv[optind]), mac, &mlen) == NULL || mlen != 32)
		goto out;
	eidgw_hex(hex, mac, 32);
	printf("%s\n", hex);
	status = EXIT_INTACT;
out:
	if (status == EXIT_USAGE && keyfile == NULL)
		usage(stderr);
	if (text != NULL) {
		eidgw_wipe(text, 8193);
		free(text);
	}
	eidgw_buf_free(&key);
	return status;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "prove") == 0)
		return cmd_prove(argc - 1, argv + 1);
	if (strcmp(argv[1], "check-proof") == 0)
		return cmd_check_proof(argc - 1, argv + 1);
	if (strcmp(argv[1], "hash-pii") == 0)
		return cmd_hash_pii(argc - 1, argv + 1);
	usage(stderr);
	return EXIT_USAGE;
}
