/*
 * Unit tests for the audit log: the Merkle tree against independent known
 * answers (tests/data/audit/merkle_kat.py, hashlib only), proofs, the writer
 * (checkpoints, reopen, torn-tail recovery, rotation, 8 concurrent threads),
 * field validation and the PII hash.
 *
 * The binary also has a helper mode for the CLI tests in
 * tests/integration/test_audit_cli.sh:
 *   gateway_test_audit --write-log DIR KEY.pem N [EVERY [ROTATE_AT [noclose,ack]]]
 * appends N realistic records (rotating once after ROTATE_AT if > 0) and
 * closes the log (or exits without closing with "noclose"); with "ack" it
 * prints "acked I" once record I (counting from 0) is durable.
 */
#include "testlib.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit.h"
#include "audit_int.h"
#include "audit_merkle.h"
#include "core/keyops.h"
#include "core/util.h"

static void
unhex(const char *s, gw_hash out)
{
	assert_true(gw_audit_unhex32(s, out));
}

/* RFC 6962 / CT test leaves. */
static const unsigned char L3[] = { 0x20, 0x21 }, L4[] = { 0x30, 0x31 },
    L5[] = { 0x40, 0x41, 0x42, 0x43 }, L6[] = { 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 },
    L7[] = { 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
	0x6e, 0x6f }, L1[] = { 0x00 }, L2[] = { 0x10 };
static const struct { const unsigned char *p; size_t n; } kat_leaves[8] = {
	{ NULL, 0 }, { L1, 1 }, { L2, 1 }, { L3, 2 }, { L4, 2 }, { L5, 4 }, { L6, 8 }, { L7, 16 },
};
static const char *const kat_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void
kat_leaf_hashes(gw_hash out[8])
{
	size_t i;

	for (i = 0; i < 8; i++)
		assert_int_equal(gw_merkle_leaf_hash(kat_leaves[i].p, kat_leaves[i].n, out[i]), EIDGW_OK);
}

static void
test_merkle_kat(void **state)
{
	struct gw_merkle_frontier f;
	gw_hash leaves[8], want, got;
	size_t n;

	(void)state;
	kat_leaf_hashes(leaves);
	gw_merkle_frontier_init(&f);
	for (n = 0; n <= 8; n++) {
		unhex(kat_roots[n], want);
		assert_int_equal(gw_merkle_root(leaves, n, got), EIDGW_OK);
		assert_memory_equal(got, want, 32);
		assert_int_equal(gw_merkle_frontier_root(&f, got), EIDGW_OK);
		assert_memory_equal(got, want, 32);
		if (n < 8)
			assert_int_equal(gw_merkle_frontier_add(&f, leaves[n]), EIDGW_OK);
	}
}

static void
test_merkle_proof_kat(void **state)
{
	static const char *const incl_2_7[] = {
		"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
	};
	static const char *const incl_5_8[] = {
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	};
	static const char *const cons_3_7[] = {
		"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
		"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
	};
	static const char *const cons_4_8[] = {
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	};
	gw_hash leaves[8], path[GW_MERKLE_MAX_PROOF], want, r1, r2;
	size_t plen, i;

	(void)state;
	kat_leaf_hashes(leaves);
	assert_int_equal(gw_merkle_inclusion_proof(leaves, 7, 2, path, &plen), EIDGW_OK);
	assert_int_equal(plen, 3);
	for (i = 0; i < plen; i++) {
		unhex(incl_2_7[i], want);
		assert_memory_equal(path[i], want, 32);
	}
	assert_int_equal(gw_merkle_inclusion_proof(leaves, 8, 5, path, &plen), EIDGW_OK);
	assert_int_equal(plen, 3);
	for (i = 0; i < plen; i++) {
		unhex(incl_5_8[i], want);
		assert_memory_equal(path[i], want, 32);
	}
	assert_int_equal(gw_merkle_consistency_proof(leaves, 7, 3, path, &plen), EIDGW_OK);
	assert_int_equal(plen, 4);
	for (i = 0; i < plen; i++) {
		unhex(cons_3_7[i], want);
		assert_memory_equal(path[i], want, 32);
	}
	unhex(kat_roots[3], r1);
	unhex(kat_roots[7], r2);
	assert_true(gw_merkle_verify_consistency(3, 7, r1, r2, path, plen));
	assert_int_equal(gw_merkle_consistency_proof(leaves, 8, 4, path, &plen), EIDGW_OK);
	assert_int_equal(plen, 1);
	unhex(cons_4_8[0], want);
	assert_memory_equal(path[0], want, 32);
}

/* Every (index, size) and (first, second) pair up to 70 leaves, and forgeries. */
static void
test_merkle_proofs_all(void **state)
{
	enum { N = 70 };
	gw_hash *leaves, roots[N + 1], path[GW_MERKLE_MAX_PROOF], bad;
	struct gw_merkle_frontier f;
	unsigned char b[8];
	size_t plen;
	uint64_t n, m;

	(void)state;
	leaves = calloc(N, sizeof(gw_hash));
	assert_non_null(leaves);
	gw_merkle_frontier_init(&f);
	for (n = 0; n < N; n++) {
		memcpy(b, &n, sizeof(b));
		assert_int_equal(gw_merkle_leaf_hash(b, sizeof(b), leaves[n]), EIDGW_OK);
	}
	for (n = 0; n <= N; n++) {
		assert_int_equal(gw_merkle_root(leaves, n, roots[n]), EIDGW_OK);
		assert_int_equal(gw_merkle_frontier_root(&f, bad), EIDGW_OK);
		assert_memory_equal(bad, roots[n], 32);
		if (n < N)
			assert_int_equal(gw_merkle_frontier_add(&f, leaves[n]), EIDGW_OK);
	}
	for (n = 1; n <= N; n++) {
		for (m = 0; m < n; m++) {
			assert_int_equal(gw_merkle_inclusion_proof(leaves, n, m, path, &plen), EIDGW_OK);
			assert_true(gw_merkle_verify_inclusion(m, n, leaves[m], path, plen, roots[n]));
			/* wrong index, wrong size, wrong leaf, changed path hash, short path */
			assert_false(gw_merkle_verify_inclusion((m + 1) % n == m ? n : (m + 1) % n, n,
			    leaves[m], path, plen, roots[n]) && n > 1);
			assert_false(gw_merkle_verify_inclusion(m, n + 1, leaves[m], path, plen, roots[n + 1 <= N ? n + 1 : n]) && n + 1 <= N);
			assert_false(gw_merkle_verify_inclusion(m, n, leaves[(m + 1) % N], path, plen, roots[n]));
			if (plen > 0) {
				path[plen / 2][5] ^= 0x01;
				assert_false(gw_merkle_verify_inclusion(m, n, leaves[m], path, plen, roots[n]));
				path[plen / 2][5] ^= 0x01;
				assert_false(gw_merkle_verify_inclusion(m, n, leaves[m], path, plen - 1, roots[n]));
			}
		}
		for (m = 0; m <= n; m++) {
			assert_int_equal(gw_merkle_consistency_proof(leaves, n, m, path, &plen), EIDGW_OK);
			assert_true(gw_merkle_verify_consistency(m, n, roots[m], roots[n], path, plen));
			if (m > 0 && m < n) {
				assert_false(gw_merkle_verify_consistency(m, n, roots[m], roots[n - 1], path, plen) && n - 1 != m);
				memcpy(bad, roots[m], 32);
				bad[0] ^= 0x80;
				assert_false(gw_merkle_verify_consistency(m, n, bad, roots[n], path, plen));
				path[0][31] ^= 0x01;
				assert_false(gw_merkle_verify_consistency(m, n, roots[m], roots[n], path, plen));
				path[0][31] ^= 0x01;
				if (plen > 1)
					assert_false(gw_merkle_verify_consistency(m, n, roots[m], roots[n], path, plen - 1));
			}
		}
	}
	free(leaves);
}

/* ---- writer ------------------------------------------------------------ */

static struct eidgw_key *
new_key(const char *type)
{
	struct eidgw_key *k = NULL;
	EVP_PKEY *pk;

	if (strcmp(type, "EC") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(type, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(pk);
	assert_int_equal(eidgw_key_from_pkey(pk, NULL, &k), EIDGW_OK);
	EVP_PKEY_free(pk);
	return k;
}

static const unsigned char hmac_key[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, 26, 27, 28, 29, 30, 31,
};

static void
append_login(struct gw_audit *a, int i)
{
	struct eidgw_diag d = { 0 };
	char txn[32];
	struct gw_audit_field f[] = {
		GW_AUDIT_STR("client", i % 2 ? "demo-rp" : "tax-office"),
		GW_AUDIT_STR("country", i % 3 ? "DE" : "AT"),
		GW_AUDIT_STR("requested_loa", "http://eidas.europa.eu/LoA/substantial"),
		GW_AUDIT_STR("txn", txn),
		GW_AUDIT_INT("n", i),
		GW_AUDIT_PII("subject", "DE/AT/123456789"),
	};

	(void)snprintf(txn, sizeof(txn), "txn-%d", i);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_LOGIN_STARTED, f, EIDGW_ARRAY_LEN(f), &d),
	    EIDGW_OK);
}

/* Verifies files in order with the library verifier; returns the final state. */
static enum eidgw_err
verify_files(const char *dir, const char *const *names, size_t n, EVP_PKEY *pub,
    struct gw_audit_vstate *vs, char *why, size_t cap)
{
	struct eidgw_diag d = { 0 };
	char *buf = malloc(GW_AUDIT_MAX_LINE + 1);
	size_t i, len;
	FILE *f;
	int k;

	assert_non_null(buf);
	gw_audit_vstate_init(vs, pub);
	for (i = 0; i < n; i++) {
		f = fopen(tl_path(dir, names[i]), "rb");
		assert_non_null(f);
		gw_audit_vstate_begin_file(vs, names[i]);
		while ((k = gw_audit_read_line(f, buf, &len)) == 1) {
			vs->line++;
			if (gw_audit_vstate_feed(vs, buf, len, NULL, &d) != EIDGW_OK) {
				(void)snprintf(why, cap, "%s:%llu: %s", names[i],
				    (unsigned long long)vs->line, d.reason);
				fclose(f);
				free(buf);
				return d.code;
			}
		}
		fclose(f);
		if (k != 0) {
			(void)snprintf(why, cap, "%s: torn", names[i]);
			free(buf);
			return EIDGW_E_AUDIT_CORRUPT;
		}
	}
	free(buf);
	return EIDGW_OK;
}

static void
test_write_verify(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	int i;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, sizeof(hmac_key), 16, 0, &a, &d), EIDGW_OK);
	for (i = 0; i < 150; i++)
		append_login(a, i);
	assert_int_equal(gw_audit_size(a), 151);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.fr.size, 151);
	assert_true(vs.have_cp);
	assert_int_equal(vs.cp_size, 151);		/* closed with a final checkpoint */
	assert_int_equal(vs.n_checkpoints, 151 / 16 + 1);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* Each accepted key type signs checkpoints that verify: Ed25519, ES256, PS256. */
static void
test_key_types(void **state)
{
	static const char *const types[] = { "ED25519", "EC", "RSA" };
	static const char *const algs[] = { "\"alg\":\"Ed25519\"", "\"alg\":\"ES256\"",
		"\"alg\":\"PS256\"" };
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	const char *names[] = { "audit-000001.log" };
	char why[512] = "", *text;
	size_t t;
	int i;

	(void)state;
	for (t = 0; t < EIDGW_ARRAY_LEN(types); t++) {
		struct eidgw_key *k = new_key(types[t]);
		struct gw_audit *a = NULL;
		char *dir = tl_mkdtemp();

		assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 3, 0, &a, &d), EIDGW_OK);
		for (i = 0; i < 7; i++)
			append_login(a, i);
		assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
		if (verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)) != EIDGW_OK)
			fail_msg("%s: %s", types[t], why);
		assert_int_equal(vs.n_checkpoints, 3);
		text = tl_read_file(tl_path(dir, names[0]), NULL);
		assert_non_null(strstr(text, algs[t]));
		free(text);
		tl_rmtree(dir);
		free(dir);
		eidgw_key_free(k);
	}
}

static void
test_pii_and_fields(void **state)
{
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	char *dir = tl_mkdtemp(), *text, hex[GW_AUDIT_PII_HEX_LEN + 1], longv[GW_AUDIT_MAX_VALUE + 2];
	struct gw_audit_field dup[] = { GW_AUDIT_STR("a", "x"), GW_AUDIT_STR("a", "y") };
	struct gw_audit_field badname[] = { GW_AUDIT_STR("Client", "x") };
	struct gw_audit_field ctl[] = { GW_AUDIT_STR("a", "x\ny") };
	struct gw_audit_field badutf[] = { GW_AUDIT_STR("a", "\xc3\x28") };
	struct gw_audit_field lng[] = { GW_AUDIT_STR("a", longv) };
	struct gw_audit_field ok[] = { GW_AUDIT_STR("a", "K\xc3\xb6ln \xe2\x82\xac \"q\""),
		GW_AUDIT_PII("person", "DE/123456") };

	(void)state;
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(gw_audit_open(dir, k, hmac_key, sizeof(hmac_key), 1000, 0, &a, &d), EIDGW_OK);
	/* HMAC-SHA-256(00..1f, "DE/123456") from Python's hmac module. */
	assert_int_equal(gw_audit_hash_pii(a, "DE/123456", hex), EIDGW_OK);
	assert_string_equal(hex, "f28651f4c83537a892c0d0c187c41031f785f88f7ed98bd9bf1238f7ecaf0d37");
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, dup, 2, NULL), EIDGW_E_AUDIT_FIELD);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, badname, 1, NULL), EIDGW_E_AUDIT_FIELD);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, ctl, 1, NULL), EIDGW_E_AUDIT_FIELD);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, badutf, 1, NULL), EIDGW_E_AUDIT_FIELD);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, lng, 1, NULL), EIDGW_E_AUDIT_FIELD);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_FILE_START, NULL, 0, NULL), EIDGW_E_INVAL);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, ok, 2, &d), EIDGW_OK);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	text = tl_read_file(tl_path(dir, "audit-000001.log"), NULL);
	assert_non_null(text);
	assert_null(strstr(text, "DE/123456"));		/* never in clear */
	assert_non_null(strstr(text, "\"person\":\"f28651f4c83537a892c0d0c187c41031f785f88f7ed98bd9bf1238f7ecaf0d37\""));
	free(text);
	/* Without an HMAC key, PII cannot be recorded at all. */
	assert_int_equal(gw_audit_open(dir, k, NULL, 0, 1000, 0, &a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_START, ok, 2, NULL), EIDGW_E_AUDIT_NO_HMAC_KEY);
	assert_int_equal(gw_audit_hash_pii(a, "x", hex), EIDGW_E_AUDIT_NO_HMAC_KEY);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

static void
test_reopen_continuity(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("EC");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	int round, i;

	(void)state;
	for (round = 0; round < 3; round++) {
		assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 7, 0, &a, &d), EIDGW_OK);
		for (i = 0; i < 10; i++)
			append_login(a, i);
		assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	}
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.fr.size, 31);
	assert_int_equal(vs.cp_size, 31);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

static int
count_files_with(const char *dir, const char *needle)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	(void)snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c -- '%s'", dir, needle);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void
append_raw(const char *path, const char *s)
{
	FILE *f = fopen(path, "ab");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	fclose(f);
}

static void
test_torn_recovery(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "", *text, *nl;
	const char *log;
	size_t len;
	int i;

	(void)state;
	log = tl_path(dir, "audit-000001.log");
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 5, 0, &a, &d), EIDGW_OK);
	for (i = 0; i < 12; i++)
		append_login(a, i);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);

	/* 1. A half-written record (no newline). */
	append_raw(log, "{\"type\":\"record\",\"i\":14,\"ts\":\"2026-11-29T09:");
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 5, 0, &a, &d), EIDGW_OK);
	append_login(a, 100);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(count_files_with(dir, "audit-000001.log.torn-"), 1);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	text = tl_read_file(log, &len);
	assert_non_null(strstr(text, "\"event\":\"recovered\""));
	free(text);

	/* 2. A complete line that is not valid (bad JSON, with newline). */
	append_raw(log, "{\"type\":\"record\",\"i\":99,garbage}\n");
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 5, 0, &a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);

	/* 3. A record whose hash chain is wrong, as last line: also cut. */
	text = tl_read_file(log, &len);
	nl = strstr(text, "\n");			/* copy line 2 to the end */
	assert_non_null(nl);
	{
		char *l2 = nl + 1, *e = strchr(l2, '\n');
		char save = e[1];

		e[1] = '\0';
		append_raw(log, l2);
		e[1] = save;
	}
	free(text);
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 5, 0, &a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(count_files_with(dir, "audit-000001.log.torn-"), 3);

	/* 4. Damage before the last line: open refuses. */
	text = tl_read_file(log, &len);
	nl = strstr(text, "\"n\":3");
	assert_non_null(nl);
	nl[4] = '4';
	assert_int_equal(tl_write_file(log, text, len), 0);
	free(text);
	eidgw_diag_clear(&d);
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 5, 0, &a, &d), EIDGW_E_AUDIT_CORRUPT);
	assert_null(a);
	assert_non_null(strstr(d.reason, "hash chain broken"));
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

static void
test_rotation(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log", "audit-000002.log", "audit-000003.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	int i;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 4, 0, &a, &d), EIDGW_OK);
	for (i = 0; i < 9; i++)
		append_login(a, i);
	assert_int_equal(gw_audit_rotate(a, &d), EIDGW_OK);
	assert_string_equal(gw_audit_file(a), "audit-000002.log");
	for (i = 0; i < 6; i++)
		append_login(a, i);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	/* Reopen continues in file 2, then rotate to 3. */
	if (gw_audit_open(dir, k, hmac_key, 32, 4, 0, &a, &d) != EIDGW_OK)
		fail_msg("%s", d.reason);
	assert_string_equal(gw_audit_file(a), "audit-000002.log");
	append_login(a, 50);
	assert_int_equal(gw_audit_rotate(a, &d), EIDGW_OK);
	append_login(a, 51);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);

	assert_int_equal(verify_files(dir, names, 3, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.fr.size, 1 + 9 + 1 + 6 + 1 + 1 + 1);
	assert_int_equal(vs.cp_size, vs.fr.size);
	/* A later file alone verifies from its file_start. */
	assert_int_equal(verify_files(dir, names + 1, 2, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_true(vs.mid_chain);
	/* Rotation by size: 3 more files of about 2 KiB each. */
	{
		const char *five[] = { "audit-000001.log", "audit-000002.log", "audit-000003.log",
			"audit-000004.log", "audit-000005.log", "audit-000006.log" };

		assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 4, 0, &a, &d), EIDGW_OK);
		gw_audit_set_rotate_bytes(a, 2048);
		for (i = 0; i < 12; i++)
			append_login(a, i);
		assert_string_equal(gw_audit_file(a), "audit-000006.log");
		assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
		if (verify_files(dir, five, 6, k->pub, &vs, why, sizeof(why)) != EIDGW_OK)
			fail_msg("%s", why);
		assert_int_equal(vs.cp_size, vs.fr.size);
	}
	/* Files out of order or with a gap are caught. */
	{
		const char *gap[] = { "audit-000001.log", "audit-000003.log" };

		assert_int_equal(verify_files(dir, gap, 2, k->pub, &vs, why, sizeof(why)),
		    EIDGW_E_AUDIT_CORRUPT);
		assert_non_null(strstr(why, "audit-000003.log:1:"));
	}
	/* A crash right after creating the next file (empty file) is repaired on open. */
	assert_int_equal(tl_write_file(tl_path(dir, "audit-000007.log"), "", 0), 0);
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 4, 0, &a, &d), EIDGW_OK);
	assert_string_equal(gw_audit_file(a), "audit-000007.log");
	append_login(a, 60);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	{
		const char *all[] = { "audit-000001.log", "audit-000002.log", "audit-000003.log",
			"audit-000004.log", "audit-000005.log", "audit-000006.log", "audit-000007.log" };

		if (verify_files(dir, all, 7, k->pub, &vs, why, sizeof(why)) != EIDGW_OK)
			fail_msg("%s", why);
	}
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

struct thr_arg {
	struct gw_audit *a;
	int id;
};

/* Runs n writer threads fn(&args[i]) on a and asserts each returned NULL. */
static void
run_writers(struct gw_audit *a, void *(*fn)(void *), struct thr_arg *args, int n)
{
	pthread_t th[16];
	void *ret;
	int i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		args[i].a = a;
		args[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, fn, &args[i]), 0);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
}

#define THREADS 8
#define PER_THREAD 150

static void *
thr_main(void *p)
{
	struct thr_arg *t = p;
	struct eidgw_diag d = { 0 };
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		struct gw_audit_field f[] = { GW_AUDIT_INT("thread", t->id), GW_AUDIT_INT("n", i) };

		if (gw_audit_append(t->a, GW_AUDIT_TOKENS_ISSUED, f, 2, &d) != EIDGW_OK)
			return (void *)1;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	struct thr_arg args[THREADS];
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "", *text, *p, needle[64];
	int i, j;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 50, 1, &a, &d), EIDGW_OK);
	run_writers(a, thr_main, args, THREADS);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.fr.size, 1 + THREADS * PER_THREAD);
	text = tl_read_file(tl_path(dir, names[0]), NULL);
	for (i = 0; i < THREADS; i++)
		for (j = 0; j < PER_THREAD; j++) {
			(void)snprintf(needle, sizeof(needle), "{\"thread\":%d,\"n\":%d}", i, j);
			p = strstr(text, needle);
			assert_non_null(p);
			assert_null(strstr(p + 1, needle));
		}
	free(text);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* The interval timer writes a checkpoint without any further append. */
static void
test_interval_checkpoint(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	int i;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 1, &a, &d), EIDGW_OK);
	append_login(a, 1);
	for (i = 0; i < 40; i++) {
		usleep(100000);
		assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
		if (vs.have_cp && vs.cp_size == 2)
			break;
	}
	assert_true(vs.have_cp);
	assert_int_equal(vs.cp_size, 2);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* One writer per directory; a new audit key continues the same log. */
static void
test_lock_and_key_change(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k1 = new_key("ED25519"), *k2 = new_key("EC");
	struct gw_audit *a = NULL, *b = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";

	(void)state;
	assert_int_equal(gw_audit_open(dir, k1, hmac_key, 32, 3, 0, &a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_open(dir, k1, hmac_key, 32, 3, 0, &b, &d), EIDGW_E_AUDIT_BUSY);
	assert_null(b);
	append_login(a, 1);
	append_login(a, 2);
	append_login(a, 3);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_open(dir, k2, hmac_key, 32, 3, 0, &a, &d), EIDGW_OK);
	append_login(a, 4);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	/* Only the new key: the old checkpoints are reported. */
	assert_int_equal(verify_files(dir, names, 1, k2->pub, &vs, why, sizeof(why)),
	    EIDGW_E_AUDIT_SIGNATURE);
	assert_non_null(strstr(why, "which is not a verification key given"));
	/* Both keys: intact. */
	gw_audit_vstate_init(&vs, k1->pub);
	{
		struct eidgw_diag d2 = { 0 };
		char *buf = malloc(GW_AUDIT_MAX_LINE + 1);
		size_t len;
		FILE *f = fopen(tl_path(dir, names[0]), "rb");

		assert_non_null(buf);
		assert_non_null(f);
		assert_int_equal(gw_audit_vstate_add_key(&vs, k2->pub), EIDGW_OK);
		gw_audit_vstate_begin_file(&vs, names[0]);
		while (gw_audit_read_line(f, buf, &len) == 1) {
			vs.line++;
			if (gw_audit_vstate_feed(&vs, buf, len, NULL, &d2) != EIDGW_OK)
				fail_msg("%s", d2.reason);
		}
		fclose(f);
		free(buf);
		assert_int_equal(vs.n_checkpoints, 3);
	}
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k1);
	eidgw_key_free(k2);
}

/*
 * A write that fails half-way (file size limit) is cut back, reported as
 * EIDGW_E_AUDIT_IO, and leaves a log that verifies; writing works again once
 * the disk has room.
 */
static void
test_write_failure(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	struct rlimit old, lim;
	struct stat st;
	struct gw_audit_field f[] = { GW_AUDIT_STR("client", "demo-rp") };
	enum eidgw_err rc = EIDGW_OK;
	int i;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 0, &a, &d), EIDGW_OK);
	append_login(a, 1);
	assert_int_equal(stat(tl_path(dir, names[0]), &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 150;	/* room for about half a record */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 5 && rc == EIDGW_OK; i++)
		rc = gw_audit_append(a, GW_AUDIT_CODE_REUSE, f, 1, &d);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, EIDGW_E_AUDIT_IO);
	assert_int_equal(stat(tl_path(dir, names[0]), &st), 0);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(gw_audit_append(a, GW_AUDIT_CODE_REUSE, f, 1, &d), EIDGW_OK);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.cp_size, vs.fr.size);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* ---- answers held until durable (gw_audit_write + gw_audit_when_durable) -- */

#define HELD_THREADS 4
#define HELD_PER_THREAD 60

struct held {
	struct gw_audit_waiter w;
	atomic_int calls;
	enum eidgw_err rc;
	bool immediate;
};

static void
held_done(void *arg, enum eidgw_err rc)
{
	struct held *h = arg;

	h->rc = rc;
	atomic_fetch_add(&h->calls, 1);
}

struct held_thr {
	struct gw_audit *a;
	int id;
	struct held h[HELD_PER_THREAD];
};

static void *
held_main(void *p)
{
	struct held_thr *t = p;
	struct eidgw_diag d = { 0 };
	uint64_t ticket, last = 0;
	int i;

	for (i = 0; i < HELD_PER_THREAD; i++) {
		struct gw_audit_field f[] = { GW_AUDIT_INT("thread", t->id), GW_AUDIT_INT("n", i) };
		struct held *h = &t->h[i];

		if (gw_audit_write(t->a, GW_AUDIT_TOKENS_ISSUED, f, 2, &ticket, &d) != EIDGW_OK ||
		    ticket <= last)
			return (void *)1;
		last = ticket;
		h->w = (struct gw_audit_waiter){ .ticket = ticket, .done = held_done, .arg = h };
		h->immediate = gw_audit_when_durable(t->a, &h->w, &h->rc);
	}
	return NULL;
}

/*
 * Records written without waiting are released by the sync thread: each
 * waiter exactly once with EIDGW_OK (or at once, then never called), all of
 * them before close returns, and the log verifies with every record in it.
 */
static void
test_held_until_durable(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	struct held_thr *t = calloc(HELD_THREADS, sizeof(*t));
	pthread_t th[HELD_THREADS];
	const char *names[] = { "audit-000001.log" };
	char *dir = tl_mkdtemp(), why[512] = "";
	void *ret;
	int i, j, queued = 0;
	struct timespec pause = { 0, 1000000 };

	(void)state;
	assert_non_null(t);
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 40, 0, &a, &d), EIDGW_OK);
	for (i = 0; i < HELD_THREADS; i++) {
		t[i].a = a;
		t[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, held_main, &t[i]), 0);
	}
	for (i = 0; i < HELD_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	/* the sync thread releases the queued ones by itself, well before close */
	for (j = 0; j < 5000; j++) {
		int pending = 0;

		for (i = 0; i < HELD_THREADS * HELD_PER_THREAD; i++) {
			struct held *h = &t[i / HELD_PER_THREAD].h[i % HELD_PER_THREAD];

			if (!h->immediate && atomic_load(&h->calls) == 0)
				pending++;
		}
		if (pending == 0)
			break;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < HELD_THREADS * HELD_PER_THREAD; i++) {
		struct held *h = &t[i / HELD_PER_THREAD].h[i % HELD_PER_THREAD];

		assert_int_equal(atomic_load(&h->calls), h->immediate ? 0 : 1);
		assert_int_equal(h->rc, EIDGW_OK);
		queued += !h->immediate;
	}
	assert_true(queued > 0);	/* nothing was synced by the writers themselves */
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	assert_int_equal(verify_files(dir, names, 1, k->pub, &vs, why, sizeof(why)), EIDGW_OK);
	assert_int_equal(vs.fr.size, 1 + HELD_THREADS * HELD_PER_THREAD);
	free(t);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* A waiter still queued when the log closes is released by the close, with its record on disk. */
static void
test_held_released_by_close(void **state)
{
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("EC");
	struct gw_audit *a = NULL;
	struct held h[20];
	char *dir = tl_mkdtemp(), *text;
	uint64_t ticket;
	int i;

	(void)state;
	memset(h, 0, sizeof(h));
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 0, &a, &d), EIDGW_OK);
	for (i = 0; i < 20; i++) {
		struct gw_audit_field f[] = { GW_AUDIT_INT("held", i) };

		assert_int_equal(gw_audit_write(a, GW_AUDIT_CODE_REUSE, f, 1, &ticket, &d), EIDGW_OK);
		h[i].w = (struct gw_audit_waiter){ .ticket = ticket, .done = held_done, .arg = &h[i] };
		h[i].immediate = gw_audit_when_durable(a, &h[i].w, &h[i].rc);
	}
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	for (i = 0; i < 20; i++) {
		assert_int_equal(atomic_load(&h[i].calls), h[i].immediate ? 0 : 1);
		assert_int_equal(h[i].rc, EIDGW_OK);
	}
	text = tl_read_file(tl_path(dir, "audit-000001.log"), NULL);
	assert_non_null(strstr(text, "{\"held\":19}"));
	free(text);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* A record written without a waiter reaches the disk by itself within about a second. */
static void
test_unwaited_record_synced(void **state)
{
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	struct gw_audit_field f[] = { GW_AUDIT_STR("client", "demo-rp") };
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	char *dir = tl_mkdtemp();
	uint64_t ticket;
	int i;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 0, &a, &d), EIDGW_OK);
	assert_int_equal(gw_audit_unsynced(a), 0);
	assert_int_equal(gw_audit_write(a, GW_AUDIT_LOGIN_STARTED, f, 1, &ticket, &d), EIDGW_OK);
	assert_true(gw_audit_unsynced(a) >= 1);
	for (i = 0; i < 150 && gw_audit_unsynced(a) != 0; i++)	/* up to 3 s */
		nanosleep(&pause, NULL);
	assert_int_equal(gw_audit_unsynced(a), 0);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/*
 * Size rotation while 4 threads write (held-answer writes and plain appends
 * mixed): every rotated file is sealed (its last line is a checkpoint), holds
 * records beyond its file_start (no rotation twice in a row), and the chain
 * of all files verifies with every record in it.
 */
#define ROT_THREADS 4
#define ROT_PER_THREAD 150

static void *
rot_main(void *p)
{
	struct thr_arg *t = p;
	struct eidgw_diag d = { 0 };
	struct held h;
	uint64_t ticket;
	int i;

	for (i = 0; i < ROT_PER_THREAD; i++) {
		struct gw_audit_field f[] = { GW_AUDIT_INT("thread", t->id), GW_AUDIT_INT("n", i) };

		if (i % 2 == 0) {
			if (gw_audit_append(t->a, GW_AUDIT_TOKENS_ISSUED, f, 2, &d) != EIDGW_OK)
				return (void *)1;
			continue;
		}
		memset(&h, 0, sizeof(h));
		if (gw_audit_write(t->a, GW_AUDIT_CODE_REUSE, f, 2, &ticket, &d) != EIDGW_OK)
			return (void *)1;
		h.w = (struct gw_audit_waiter){ .ticket = ticket, .done = held_done, .arg = &h };
		if (!gw_audit_when_durable(t->a, &h.w, &h.rc))
			while (atomic_load(&h.calls) == 0)
				sched_yield();
		if (h.rc != EIDGW_OK)
			return (void *)1;
	}
	return NULL;
}

static void
test_rotation_under_load(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	struct thr_arg args[ROT_THREADS];
	char *dir = tl_mkdtemp(), why[512] = "", name[64], *text, *last;
	const char *names[256];
	char namebuf[256][64];
	unsigned int nfiles = 0, i;
	size_t len;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 0, &a, &d), EIDGW_OK);
	gw_audit_set_rotate_bytes(a, 8192);
	run_writers(a, rot_main, args, ROT_THREADS);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	for (i = 1; i < 256; i++) {
		(void)snprintf(name, sizeof(name), "audit-%06u.log", i);
		if (access(tl_path(dir, name), F_OK) != 0)
			break;
		(void)snprintf(namebuf[nfiles], sizeof(namebuf[0]), "%s", name);
		names[nfiles] = namebuf[nfiles];
		nfiles++;
	}
	assert_true(nfiles >= 3);	/* ~50 KiB of records at 8 KiB per file */
	for (i = 0; i < nfiles; i++) {
		text = tl_read_file(tl_path(dir, names[i]), &len);
		assert_non_null(text);
		assert_true(len > 0 && text[len - 1] == '\n');
		text[len - 1] = '\0';
		last = strrchr(text, '\n');
		last = last != NULL ? last + 1 : text;
		if (strstr(last, "\"type\":\"checkpoint\"") == NULL)
			fail_msg("%s does not end with a checkpoint: %.120s", names[i], last);
		/* more than a file_start and the seal: records */
		if (strstr(text, "\"event\":\"tokens_issued\"") == NULL &&
		    strstr(text, "\"event\":\"code_reuse\"") == NULL)
			fail_msg("%s holds no record beyond its file_start", names[i]);
		free(text);
	}
	if (verify_files(dir, names, nfiles, k->pub, &vs, why, sizeof(why)) != EIDGW_OK)
		fail_msg("%s", why);
	assert_int_equal(vs.fr.size, nfiles + ROT_THREADS * ROT_PER_THREAD);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* Records written without waiting (the HTTP path) rotate on the sync thread, and every file is sealed. */
static void
test_rotation_by_sync_thread(void **state)
{
	struct gw_audit_vstate vs;
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = new_key("ED25519");
	struct gw_audit *a = NULL;
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	const char *names[] = { "audit-000001.log", "audit-000002.log", "audit-000003.log" };
	char *dir = tl_mkdtemp(), why[512] = "", *text;
	uint64_t ticket;
	size_t len;
	int i;

	(void)state;
	assert_int_equal(gw_audit_open(dir, k, hmac_key, 32, 1000, 0, &a, &d), EIDGW_OK);
	gw_audit_set_rotate_bytes(a, 4096);
	for (i = 0; i < 40; i++) {
		struct gw_audit_field f[] = { GW_AUDIT_INT("n", i) };

		assert_int_equal(gw_audit_write(a, GW_AUDIT_LOGIN_STARTED, f, 1, &ticket, &d),
		    EIDGW_OK);
	}
	/* 40 records are well past 4 KiB: the sync thread rotates shortly after, by itself */
	for (i = 0; i < 300 && access(tl_path(dir, names[1]), F_OK) != 0; i++)
		nanosleep(&pause, NULL);
	assert_int_equal(access(tl_path(dir, names[1]), F_OK), 0);
	assert_int_equal(gw_audit_close(a, &d), EIDGW_OK);
	text = tl_read_file(tl_path(dir, names[0]), &len);
	assert_non_null(text);
	text[len - 1] = '\0';
	assert_non_null(strstr(strrchr(text, '\n') + 1, "\"type\":\"checkpoint\""));	/* sealed */
	free(text);
	if (verify_files(dir, names, access(tl_path(dir, names[2]), F_OK) == 0 ? 3 : 2, k->pub,
	    &vs, why, sizeof(why)) != EIDGW_OK)
		fail_msg("%s", why);
	tl_rmtree(dir);
	free(dir);
	eidgw_key_free(k);
}

/* ---- helper mode for the CLI tests --------------------------------------- */

static int
write_log(int argc, char **argv)
{
	struct eidgw_diag d = { 0 };
	struct eidgw_key *k = NULL;
	struct gw_audit *a = NULL;
	char txn[32];
	long n, every = 16, rot = 0, i;
	bool noclose = false, ack = false;

	if (argc < 5)
		return 2;
	n = strtol(argv[4], NULL, 10);
	if (argc > 5)
		every = strtol(argv[5], NULL, 10);
	if (argc > 6)
		rot = strtol(argv[6], NULL, 10);
	noclose = argc > 7 && strstr(argv[7], "noclose") != NULL;
	ack = argc > 7 && strstr(argv[7], "ack") != NULL;
	if (eidgw_key_load_pem(argv[3], NULL, 2048, &k, &d) != EIDGW_OK ||
	    gw_audit_open(argv[2], k, hmac_key, sizeof(hmac_key), (unsigned int)every, 0, &a, &d) != EIDGW_OK) {
		fprintf(stderr, "write-log: %s\n", d.reason);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct gw_audit_field f[] = {
			GW_AUDIT_STR("client", i % 2 ? "demo-rp" : "tax-office"),
			GW_AUDIT_STR("country", i % 3 ? "DE" : "AT"),
			GW_AUDIT_STR("txn", txn),
			GW_AUDIT_PII("subject", "DE/AT/123456789"),
		};

		(void)snprintf(txn, sizeof(txn), "txn-%ld", i);
		if (gw_audit_append(a, i % 4 == 3 ? GW_AUDIT_TOKENS_ISSUED : GW_AUDIT_LOGIN_STARTED,
		    f, EIDGW_ARRAY_LEN(f), &d) != EIDGW_OK) {
			fprintf(stderr, "write-log: %s\n", d.reason);
			return 1;
		}
		if (ack) {
			/* The record is durable: this is where a response would be sent. */
			printf("acked %ld\n", i);
			fflush(stdout);
		}
		if (rot > 0 && i + 1 == rot && gw_audit_rotate(a, &d) != EIDGW_OK) {
			fprintf(stderr, "write-log: %s\n", d.reason);
			return 1;
		}
	}
	if (noclose)
		_exit(0);
	if (gw_audit_close(a, &d) != EIDGW_OK) {
		fprintf(stderr, "write-log: %s\n", d.reason);
		return 1;
	}
	eidgw_key_free(k);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle_kat),
		cmocka_unit_test(test_merkle_proof_kat),
		cmocka_unit_test(test_merkle_proofs_all),
		cmocka_unit_test(test_write_verify),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_pii_and_fields),
		cmocka_unit_test(test_reopen_continuity),
		cmocka_unit_test(test_torn_recovery),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_interval_checkpoint),
		cmocka_unit_test(test_lock_and_key_change),
		cmocka_unit_test(test_write_failure),
		cmocka_unit_test(test_held_until_durable),
		cmocka_unit_test(test_held_released_by_close),
		cmocka_unit_test(test_unwaited_record_synced),
		cmocka_unit_test(test_rotation_under_load),
		cmocka_unit_test(test_rotation_by_sync_thread),
	};

	if (argc > 1 && strcmp(argv[1], "--write-log") == 0)
		return write_log(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
