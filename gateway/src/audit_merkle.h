/*
 * audit_merkle.h - the Merkle tree of the audit log, RFC 9162 (Certificate
 * Transparency v2) section 2.1: leaf hash = SHA-256(0x00 || leaf bytes),
 * node hash = SHA-256(0x01 || left || right), the tree head of n leaves split
 * at the largest power of two below n.
 *
 * Two views of a tree:
 *   - a frontier (compact range): one hash per set bit of the size, the roots
 *     of the perfect subtrees that make up the tree, O(log n) memory.  The
 *     writer and the verifier keep only this.
 *   - an array of leaf hashes, for the proof generator (eidgw-audit prove).
 */
#ifndef EIDGW_GW_AUDIT_MERKLE_H
#define EIDGW_GW_AUDIT_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define GW_MERKLE_HASH_LEN 32
#define GW_MERKLE_LEVELS 64		/* a 64-bit size has at most 64 subtrees */
#define GW_MERKLE_MAX_PROOF 64		/* hashes in any proof for a 64-bit size */

typedef unsigned char gw_hash[GW_MERKLE_HASH_LEN];

struct gw_merkle_frontier {
	uint64_t size;
	gw_hash h[GW_MERKLE_LEVELS];	/* h[l] valid when bit l of size is set */
};

enum eidgw_err gw_merkle_leaf_hash(const void *data, size_t len, gw_hash out) EIDGW_MUST_USE;
enum eidgw_err gw_merkle_node_hash(const gw_hash left, const gw_hash right, gw_hash out)
    EIDGW_MUST_USE;
/* SHA-256 of data (the hash chain of lines uses it). */
enum eidgw_err gw_sha256(const void *data, size_t len, gw_hash out) EIDGW_MUST_USE;

void gw_merkle_frontier_init(struct gw_merkle_frontier *f);
enum eidgw_err gw_merkle_frontier_add(struct gw_merkle_frontier *f, const gw_hash leaf)
    EIDGW_MUST_USE;
/* The tree head; SHA-256 of the empty string for size 0 (RFC 9162 2.1.1). */
enum eidgw_err gw_merkle_frontier_root(const struct gw_merkle_frontier *f, gw_hash out)
    EIDGW_MUST_USE;
/*
 * The subtree roots from left (largest subtree) to right; returns how many
 * (the number of set bits of the size).
 */
size_t gw_merkle_frontier_list(const struct gw_merkle_frontier *f, gw_hash out[GW_MERKLE_LEVELS]);
/* Rebuilds a frontier from a size and its list; n must equal popcount(size). */
enum eidgw_err gw_merkle_frontier_from_list(struct gw_merkle_frontier *f, uint64_t size,
    const gw_hash *list, size_t n) EIDGW_MUST_USE;

/* The tree head over leaf hashes leaves[0..n). */
enum eidgw_err gw_merkle_root(const gw_hash *leaves, uint64_t n, gw_hash out) EIDGW_MUST_USE;
/*
 * RFC 9162 2.1.3.1: the inclusion proof of leaf m in the tree of the first n
 * leaves.  path gets up to GW_MERKLE_MAX_PROOF hashes, *plen how many.
 */
enum eidgw_err gw_merkle_inclusion_proof(const gw_hash *leaves, uint64_t n, uint64_t m,
    gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen) EIDGW_MUST_USE;
/* RFC 9162 2.1.4.1: the consistency proof between the trees of sizes m <= n. */
enum eidgw_err gw_merkle_consistency_proof(const gw_hash *leaves, uint64_t n, uint64_t m,
    gw_hash path[GW_MERKLE_MAX_PROOF], size_t *plen) EIDGW_MUST_USE;
/* RFC 9162 2.1.3.2. */
bool gw_merkle_verify_inclusion(uint64_t leaf_index, uint64_t tree_size, const gw_hash leaf,
    const gw_hash *path, size_t plen, const gw_hash root);
/*
 * RFC 9162 2.1.4.2, extended with the two trivial cases: first == second
 * (empty proof, equal roots) and first == 0 (empty proof, empty-tree root).
 */
bool gw_merkle_verify_consistency(uint64_t first, uint64_t second, const gw_hash first_root,
    const gw_hash second_root, const gw_hash *path, size_t plen);

#endif
