/*
 * keyops.h - the one interface through which every private-key operation
 * goes (DESIGN.md, Keys).  Callers hold a struct eidgw_key: an opaque handle
 * with the public half readable and the private operations behind a backend
 * vtable.  Backends: PEM file in-process (keyops_pem.c, the default); later
 * PKCS#11 and a separate key process.  Parsers of network input receive an
 * eidgw_key, never an EVP_PKEY with private material.
 *
 * Keys load once at start-up and are shared read-only between threads; all
 * operations are thread-safe (OpenSSL 3 EVP_PKEY is safe for concurrent use
 * as long as it is not modified).
 */
#ifndef EIDGW_CORE_KEYOPS_H
#define EIDGW_CORE_KEYOPS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "err.h"

enum eidgw_key_type {
	EIDGW_KEY_RSA = 1,
	EIDGW_KEY_EC,
	EIDGW_KEY_ED25519,
};

/* Signature schemes; the digest is part of the scheme. */
enum eidgw_sig_alg {
	EIDGW_SIG_NONE = 0,
	EIDGW_SIG_RSA_PKCS1_SHA256,	/* only for national schemes that ask for it */
	EIDGW_SIG_RSA_PKCS1_SHA384,
	EIDGW_SIG_RSA_PKCS1_SHA512,
	EIDGW_SIG_RSA_PSS_SHA256,	/* salt length = digest length, MGF1 same digest */
	EIDGW_SIG_RSA_PSS_SHA384,
	EIDGW_SIG_RSA_PSS_SHA512,
	EIDGW_SIG_ECDSA_SHA256,		/* output DER; callers convert to r||s where needed */
	EIDGW_SIG_ECDSA_SHA384,
	EIDGW_SIG_ECDSA_SHA512,
	EIDGW_SIG_ED25519,
};

struct eidgw_key;

struct eidgw_key_ops {
	const char *backend;
	/* Signs data with alg; appends the signature (DER for ECDSA) to out. */
	enum eidgw_err (*sign)(const struct eidgw_key *k, enum eidgw_sig_alg alg,
	    const unsigned char *data, size_t len, struct eidgw_buf *out);
	/*
	 * RSA-OAEP decryption of a wrapped key; oaep_md and mgf1_md are digest
	 * names ("SHA1", "SHA256", ...), label may be NULL.  Used for xmlenc
	 * key transport.  The result goes to out (wipe it after use).
	 */
	enum eidgw_err (*rsa_oaep_decrypt)(const struct eidgw_key *k, const char *oaep_md,
	    const char *mgf1_md, const unsigned char *label, size_t label_len,
	    const unsigned char *in, size_t inlen, struct eidgw_buf *out);
	/* ECDH: the raw shared secret Z with the peer's public key. */
	enum eidgw_err (*ecdh_derive)(const struct eidgw_key *k, EVP_PKEY *peer,
	    struct eidgw_buf *out);
	void (*destroy)(struct eidgw_key *k);
};

struct eidgw_key {
	const struct eidgw_key_ops *ops;
	void *priv;			/* backend state */
	EVP_PKEY *pub;			/* public half, always present */
	X509 *cert;			/* certificate, when configured (may be NULL) */
	enum eidgw_key_type type;
	int bits;			/* RSA modulus or EC field size */
	char id[64];			/* a label for logs: kid or file base name */
};

/*
 * Loads a private key from a PEM file and, when cert_path is not NULL, its
 * certificate, checking that they match.  Refuses RSA below min_rsa_bits.
 */
enum eidgw_err eidgw_key_load_pem(const char *key_path, const char *cert_path,
    int min_rsa_bits, struct eidgw_key **out, struct eidgw_diag *d) EIDGW_MUST_USE;
/* Wraps an existing private EVP_PKEY (the key is up-ref'd), for tests and benches. */
enum eidgw_err eidgw_key_from_pkey(EVP_PKEY *pkey, X509 *cert, struct eidgw_key **out) EIDGW_MUST_USE;
void eidgw_key_free(struct eidgw_key *k);

enum eidgw_err eidgw_key_sign(const struct eidgw_key *k, enum eidgw_sig_alg alg,
    const unsigned char *data, size_t len, struct eidgw_buf *out) EIDGW_MUST_USE;
enum eidgw_err eidgw_key_rsa_oaep_decrypt(const struct eidgw_key *k, const char *oaep_md,
    const char *mgf1_md, const unsigned char *label, size_t label_len,
    const unsigned char *in, size_t inlen, struct eidgw_buf *out) EIDGW_MUST_USE;
enum eidgw_err eidgw_key_ecdh_derive(const struct eidgw_key *k, EVP_PKEY *peer,
    struct eidgw_buf *out) EIDGW_MUST_USE;

/* Verifies a signature with a public key (no private material involved). */
enum eidgw_err eidgw_sig_verify(EVP_PKEY *pub, enum eidgw_sig_alg alg,
    const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen) EIDGW_MUST_USE;

/* The digest of a scheme ("SHA256"...), NULL for Ed25519 / none. */
const char *eidgw_sig_alg_md(enum eidgw_sig_alg alg);

#endif
