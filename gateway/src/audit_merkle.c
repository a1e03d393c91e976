/* audit_merkle.c - see audit_merkle.h.  Section numbers are RFC 9162's. */
#include "audit_merkle.h"

#include <string.h>

#include <openssl/evp.h>

enum eidgw_err
gw_sha256(const void *data, size_t len, gw_hash out)
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1 ?
	    EIDGW_OK : EIDGW_E_CRYPTO;
}

/* 2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
enum eidgw_err
gw_merkle_leaf_hash(const void *data, size_t len, gw_hash out)
{
	static const unsigned char zero = 0x00;
	EVP_MD_CTX *ctx;
	enum eidgw_err rc = EIDGW_E_CRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return EIDGW_E_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
	    (len == 0 || EVP_DigestUpdate(ctx, data, len) == 1) &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1)
		rc = EIDGW_OK;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 2.1.1: SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])). */
enum eidgw_err
gw_merkle_node_hash(const gw_hash left, const gw_hash right, gw_hash out)
{
	unsigned char in[1 + 2 * GW_MERKLE_HASH_LEN];

	in[0] = 0x01;
	memcpy(in + 1, left, GW_MERKLE_HASH_LEN);
	memcpy(in + 1 + GW_MERKLE_HASH_LEN, right, GW_MERKLE_HASH_LEN);
	return gw_sha256(in, sizeof(in), out);
}

void
gw_merkle_frontier_init(struct gw_merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

/*
 * Adding a leaf is a binary increment: equal-sized subtrees to the left
 * merge with the carry until a free level is found.
 */
enum eidgw_err
gw_merkle_frontier_add(struct gw_merkle_frontier *f, const gw_hash leaf)
{
	gw_hash carry;
	enum eidgw_err rc;
	unsigned int l;

	if (f->size == UINT64_MAX)
		return EIDGW_E_TOO_LARGE;
	memcpy(carry, leaf, GW_MERKLE_HASH_LEN);
	for (l = 0; l < GW_MERKLE_LEVELS && (f->size >> l & 1u) != 0; l++)
		if ((rc = gw_merkle_node_hash(f->h[l], carry, carry)) != EIDGW_OK)
			return rc;
	memcpy(f->h[l], carry, GW_MERKLE_HASH_LEN);
	f->size++;
	return EIDGW_OK;
}

/*
 * The subtrees are folded from the smallest (rightmost) to the largest:
 * that is exactly the left-balanced split of 2.1.1.
 */
enum eidgw_err
gw_merkle_frontier_root(const struct gw_merkle_frontier *f, gw_hash out)
{
	gw_hash acc;
	enum eidgw_err rc;
	bool have = false;
	unsigned int l;

	if (f->size == 0)
		return gw_sha256("", 0, out);
	for (l = 0; l < GW_MERKLE_LEVELS; l++) {
		if ((f->size >> l & 1u) == 0)
			continue;
		if (!have) {
			memcpy(acc, f->h[l], GW_MERKLE_HASH_LEN);
			have = true;
		} else if ((rc = gw_merkle_node_hash(f->h[l], acc, acc)) != EIDGW_OK)
			return rc;
	}
	memcpy(out, acc, GW_MERKLE_HASH_LEN);
	return EIDGW_OK;
}

size_t
gw_merkle_frontier_list(const struct gw_merkle_frontier *f, gw_hash out[GW_MERKLE_LEVELS])
{
	size_t n = 0;
	int l;

	for (l = GW_MERKLE_LEVELS - 1; l >= 0; l--)
		if ((f->size >> l & 1u) != 0)
			memcpy(out[n++], f->h[l], GW_MERKLE_HASH_LEN);
	return n;
}

enum eidgw_err
gw_merkle_frontier_from_list(struct gw_merkle_frontier *f, uint64_t size, const gw_hash *list,
    size_t n)
{
	size_t i = 0;
	int l;

	gw_merkle_frontier_init(f);
	if ((size_t)__builtin_popcountll(size) != n)
		return EIDGW_E_MALFORMED;
	for (l = GW_MERKLE_LEVELS - 1; l >= 0; l--)
		if ((size >> l & 1u) != 0)
			memcpy(f->h[l], list[i++], GW_MERKLE_HASH_LEN);
	f->size = size;
	return EIDGW_OK;
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

enum eidgw_err
gw_merkle_root(const gw_hash *leaves, uint64_t n, gw_hash out)
{
	gw_hash l, r;
	enum eidgw_err rc;
	uint64_t k;

	if (n == 0)
		return gw_sha256("", 0, out);
	if (n == 1) {
		memcpy(out, leaves[0], GW_MERKLE_HASH_LEN);
		return EIDGW_OK;
	}
	k = split_point(n);
	if ((rc = gw_merkle_root(leaves, k, l)) != EIDGW_OK ||
	    (rc = gw_merkle_root(leaves + k, n - k, r)) != EIDGW_OK)
		return rc;
	return gw_merkle_node_hash(l, r, out);
}

static enum eidgw_err
path_push(gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen, const gw_hash *leaves, uint64_t n)
{
	if (*plen >= GW_MERKLE_MAX_PROOF)
		return EIDGW_E_TOO_LARGE;
	return gw_merkle_root(leaves, n, path[(*plen)++]);
}

/* 2.1.3.1: PATH(m, D[n]). */
static enum eidgw_err
incl_path(const gw_hash *leaves, uint64_t n, uint64_t m, gw_hash path[GW_MERKLE_MAX_PROOF],
    size_t *plen)
{
	enum eidgw_err rc;
	uint64_t k;

	if (n <= 1)
		return EIDGW_OK;
	k = split_point(n);
	if (m < k) {
		if ((rc = incl_path(leaves, k, m, path, plen)) != EIDGW_OK)
			return rc;
		return path_push(path, plen, leaves + k, n - k);
	}
	if ((rc = incl_path(leaves + k, n - k, m - k, path, plen)) != EIDGW_OK)
		return rc;
	return path_push(path, plen, leaves, k);
}

enum eidgw_err
gw_merkle_inclusion_proof(const gw_hash *leaves, uint64_t n, uint64_t m,
    gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen)
{
	*plen = 0;
	if (m >= n)
		return EIDGW_E_INVAL;
	return incl_path(leaves, n, m, path, plen);
}

/* 2.1.4.1: SUBPROOF(m, D[n], b). */
static enum eidgw_err
subproof(const gw_hash *leaves, uint64_t n, uint64_t m, bool b,
    gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen)
{
	enum eidgw_err rc;
	uint64_t k;

	if (m == n)
		return b ? EIDGW_OK : path_push(path, plen, leaves, n);
	k = split_point(n);
	if (m <= k) {
		if ((rc = subproof(leaves, k, m, b, path, plen)) != EIDGW_OK)
			return rc;
		return path_push(path, plen, leaves + k, n - k);
	}
	if ((rc = subproof(leaves + k, n - k, m - k, false, path, plen)) != EIDGW_OK)
		return rc;
	return path_push(path, plen, leaves, k);
}

enum eidgw_err
gw_merkle_consistency_proof(const gw_hash *leaves, uint64_t n, uint64_t m,
    gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen)
{
	*plen = 0;
	if (m > n)
		return EIDGW_E_INVAL;
	if (m == 0 || m == n)
		return EIDGW_OK;
	return subproof(leaves, n, m, true, path, plen);
}

static bool
hash_eq(const gw_hash a, const gw_hash b)
{
	return memcmp(a, b, GW_MERKLE_HASH_LEN) == 0;	/* public values */
}

/* 2.1.3.2, step by step. */
bool
gw_merkle_verify_inclusion(uint64_t leaf_index, uint64_t tree_size, const gw_hash leaf,
    const gw_hash *path, size_t plen, const gw_hash root)
{
	gw_hash r;
	uint64_t fn, sn;
	size_t i;

	if (leaf_index >= tree_size || plen > GW_MERKLE_MAX_PROOF)
		return false;
	fn = leaf_index;
	sn = tree_size - 1;
	memcpy(r, leaf, GW_MERKLE_HASH_LEN);
	for (i = 0; i < plen; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1u) != 0 || fn == sn) {
			if (gw_merkle_node_hash(path[i], r, r) != EIDGW_OK)
				return false;
			while ((fn & 1u) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (gw_merkle_node_hash(r, path[i], r) != EIDGW_OK)
			return false;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(r, root);
}

/* 2.1.4.2, step by step. */
bool
gw_merkle_verify_consistency(uint64_t first, uint64_t second, const gw_hash first_root,
    const gw_hash second_root, const gw_hash *path, size_t plen)
{
	gw_hash p[GW_MERKLE_MAX_PROOF + 1], fr, sr, empty;
	uint64_t fn, sn;
	size_t n = 0, i;

	if (first > second || plen > GW_MERKLE_MAX_PROOF)
		return false;
	if (first == second)
		return plen == 0 && hash_eq(first_root, second_root);
	if (first == 0)
		return plen == 0 && gw_sha256("", 0, empty) == EIDGW_OK &&
		    hash_eq(first_root, empty);
	if (plen == 0)
		return false;
	/* 2: an exact power of two: the first root is the first node. */
	if ((first & (first - 1)) == 0)
		memcpy(p[n++], first_root, GW_MERKLE_HASH_LEN);
	for (i = 0; i < plen; i++)
		memcpy(p[n++], path[i], GW_MERKLE_HASH_LEN);
	fn = first - 1;
	sn = second - 1;
	while ((fn & 1u) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, p[0], GW_MERKLE_HASH_LEN);
	memcpy(sr, p[0], GW_MERKLE_HASH_LEN);
	for (i = 1; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1u) != 0 || fn == sn) {
			if (gw_merkle_node_hash(p[i], fr, fr) != EIDGW_OK ||
			    gw_merkle_node_hash(p[i], sr, sr) != EIDGW_OK)
				return false;
			while ((fn & 1u) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (gw_merkle_node_hash(sr, p[i], sr) != EIDGW_OK)
			return false;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(fr, first_root) && hash_eq(sr, second_root);
}
