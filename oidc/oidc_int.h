/*
 * oidc_int.h - what the files of oidc/ share and the gateway does not see:
 * the provider's private layout and small helpers.
 */
#ifndef EIDGW_OIDC_INT_H
#define EIDGW_OIDC_INT_H

#include <jansson.h>

#include "oidc/oidc.h"

#define OIDC_CLIENT_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define OIDC_REQUEST_URI_PREFIX "urn:ietf:params:oauth:request_uri:"
#define OIDC_CLOCK_SKEW 10		/* seconds accepted for iat/nbf/exp (digest §6.1) */
#define OIDC_ASSERTION_MAX_LIFE 300	/* client assertion exp at most 5 min ahead */

struct oidc_pclient {
	char *client_id;
	char *name;
	char **redirect_uris;
	size_t n_redirect_uris;
	enum oidc_auth_method auth_method;
	char *secret;
	char *jwks_json;
	char **scopes;
	size_t n_scopes;
	char *sector;
	enum oidc_alg id_token_alg;
	bool require_par;
	int min_rank;
	int default_rank;
	bool dpop_required;	/* dpop_bound_access_tokens */
	enum oidc_alg assertion_alg;	/* DEFAULT: any allowed alg */
	int64_t at_ttl, idt_ttl;
};

struct oidc_pkey {
	char *kid;
	enum oidc_alg alg;
	enum oidc_key_status status;
	const struct eidgw_key *key;
	char *jwk_json;
};

struct oidc_provider {
	char *issuer;
	char *ep_authorize, *ep_par, *ep_token, *ep_userinfo, *ep_jwks;
	struct oidc_pkey *keys;
	size_t n_keys;
	unsigned char *pairwise_key;
	size_t pairwise_key_len;
	struct oidc_pclient *clients;
	size_t n_clients;
	struct eidgw_store *store;
	int64_t code_ttl, par_ttl, at_ttl, idt_ttl;
	int64_t max_at_ttl;	/* longest access-token lifetime of any client */
};

const struct oidc_pclient *oidc_client_find(const struct oidc_provider *p, const char *id);
const struct oidc_pkey *oidc_signing_key_for(const struct oidc_provider *p, enum oidc_alg alg);
const char *oidc_loa_uri(int rank);
/* Is the scope word s (length n) one of the scopes this provider knows? */
bool oidc_scope_known(const char *s, size_t n);

/* Fills r with an RFC 6749 §5.2 JSON error (status, error, optional description). */
enum eidgw_err oidc_response_error(struct oidc_response *r, int status, const char *error,
    const char *description);
/* Fills r with a JSON body from j (j is not consumed). */
enum eidgw_err oidc_response_json(struct oidc_response *r, int status, json_t *j);

/* SHA-256 of s as lowercase hex (65 bytes) - store keys never hold a usable secret. */
void oidc_sha256_hex(const char *s, char out[65]);
void oidc_issued_free(struct oidc_issued *is);

/* Loads a JSON object from untrusted text (duplicates rejected, size-bounded). */
json_t *oidc_json_parse_object(const char *s, size_t len, size_t max);

/*
 * Client authentication shared by the token and PAR endpoints.  aud_ep is
 * the endpoint URL accepted in a client assertion's aud beside the issuer.
 */
enum eidgw_err oidc_client_authenticate(const struct oidc_provider *p,
    const struct oidc_request *rq, const struct oidc_params *body, const char *aud_ep,
    const struct oidc_pclient **client, struct oidc_response *err_out,
    struct eidgw_diag *d);

/* Verifies a client assertion (RFC 7523 §3) for client c. */
enum eidgw_err oidc_client_assertion_verify(const struct oidc_provider *p,
    const struct oidc_pclient *c, const char *assertion, const char *aud_ep,
    struct eidgw_diag *d);

/* The JSON error for a failed oidc_dpop_proof_check at the token or PAR
 * endpoint: 400 invalid_dpop_proof, 503 when the store cannot answer. */
void oidc_dpop_error_json(struct oidc_response *out, enum eidgw_err rc);

/* Compact JWS syntax: three canonical base64url segments (RFC 7515 §7.1). */
bool oidc_compact_ok(const char *s, size_t n);

/* Extracts iss from an unverified JWT (to pick the client whose keys verify it). */
enum eidgw_err oidc_jwt_peek_iss(const char *jwt, char **iss);

/* Checks that the request uses POST with a form body and no query. */
enum eidgw_err oidc_require_form_post(const struct oidc_request *rq, struct oidc_params *body,
    struct eidgw_diag *d);

#endif
