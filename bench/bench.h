/*
 * bench.h - shared pieces of the benchmark programs (bench/): key
 * profiles loaded from the key directory scripts/bench.sh writes, the
 * benchmark's own identity provider (a signed, encrypted eIDAS Response built
 * with the saml/ library's signing and encryption functions), signed IdP
 * metadata, and timing helpers.  Nothing here is on the gateway's path.
 */
#ifndef EIDGW_BENCH_H
#define EIDGW_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"
#include "oidc/oidc.h"

#define BENCH_COUNTRY	"LU"
#define BENCH_IDP_ENTITY "http://127.0.0.1:9/bench-idp/metadata"
#define BENCH_IDP_SSO	"http://127.0.0.1:9/bench-idp/sso"
#define BENCH_PID_PREFIX "LU/BE/BENCH-"

/*
 * One key profile: which files of the key directory play which role and
 * with which algorithm.  File names are fixed (scripts/bench.sh):
 *   idp.key idp.crt          the national IdP's signing key
 *   md.key md.crt            the IdP metadata signer
 *   sp-sign.key sp-sign.crt  eidgw's AuthnRequest signing key
 *   sp-enc.key sp-enc.crt    eidgw's decryption key (RSA-OAEP or ECDH-ES)
 *   oidc.key                 eidgw's ID-token signing key
 */
struct bench_profile {
	const char *name;		/* eidas, ec, rsa2048 */
	enum eidgw_sig_alg idp_alg;	/* Response and assertion signatures */
	enum eidgw_sig_alg sp_alg;	/* AuthnRequest signature */
	enum oidc_alg oidc_alg;		/* ID token */
	int min_rsa_bits;
};

struct bench_keys {
	const struct bench_profile *prof;
	struct eidgw_key *idp;		/* private: the IdP signs with it */
	struct eidgw_key *md;		/* private: signs the IdP metadata */
	struct eidgw_key *sp_sign;	/* private: eidgw's AuthnRequest key */
	struct eidgw_key *sp_enc;	/* private: eidgw's decryption key */
	struct eidgw_key *oidc;		/* private: eidgw's ID-token key */
};

/* The profile named name, or NULL. */
const struct bench_profile *bench_profile_find(const char *name);
enum eidgw_err bench_keys_load(const char *dir, const struct bench_profile *prof,
    struct bench_keys *k, struct eidgw_diag *d) EIDGW_MUST_USE;
void bench_keys_free(struct bench_keys *k);

/* What a Response answers and to whom. */
struct bench_resp_params {
	const char *in_response_to;	/* the AuthnRequest ID */
	const char *acs_url;		/* Destination and Recipient */
	const char *sp_entity_id;	/* Audience */
	const char *loa;		/* AuthnContextClassRef */
	uint64_t serial;		/* makes IDs and the PersonIdentifier unique */
	bool encrypt;			/* EncryptedAssertion to sp_enc's public key */
	bool sign_assertion;		/* assertion signed before encryption */
};

/*
 * Builds, signs (assertion, then Response) and optionally encrypts an
 * eIDAS natural-person Response; appends the serialised XML to out.
 */
enum eidgw_err bench_resp_build(const struct bench_keys *k, const struct bench_resp_params *p,
    struct eidgw_buf *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* Writes the IdP's metadata (signed by k->md) to path; valid for a week. */
enum eidgw_err bench_idp_metadata_write(const struct bench_keys *k, const char *path,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/* Monotonic time in nanoseconds. */
uint64_t bench_ns(void);
/* CPU time (user + system) of this process in nanoseconds. */
uint64_t bench_cpu_ns(void);

#endif
