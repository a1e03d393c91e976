/*
 * oidc.h - public entry points of the oidc/ library: an OpenID Provider on
 * plain request/response structs (DESIGN.md, rooms: oidc/).  No HTTP server,
 * no config files, no gateway headers: the gateway fills the structs from its
 * configuration snapshot and from the HTTP request, and turns the results
 * into HTTP responses.
 *
 * Life cycle:
 *   oidc_provider_new()      once per configuration snapshot; read-only and
 *                            safe to share between threads afterwards
 *   oidc_discovery()         GET /.well-known/openid-configuration
 *   oidc_jwks()              GET /oidc/jwks
 *   oidc_par()               POST /oidc/par
 *   oidc_authorize()         GET|POST /oidc/authorize -> typed outcome
 *   oidc_authz_complete()    after the eIDAS login: code + redirect
 *   oidc_authz_fail()        after a failed login: error redirect
 *   oidc_token()             POST /oidc/token
 *   oidc_userinfo()          GET|POST /oidc/userinfo
 *
 * Every endpoint function fills its output even when it refuses, and
 * returns the eidgw_err code that explains the refusal (EIDGW_OK when the
 * request was served), so the gateway can log/audit the code while sending
 * the prepared response.  Reasons in the diag never contain secrets or
 * personal data.
 */
#ifndef EIDGW_OIDC_H
#define EIDGW_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"
#include "core/store.h"

const char *oidc_version(void);

/* ---- limits on outside input ----------------------------------------- */

#define OIDC_MAX_QUERY		8192	/* query string or form body */
#define OIDC_MAX_PARAMS		64	/* parameters in one request */
#define OIDC_MAX_VALUE		4096	/* one decoded parameter value */
#define OIDC_MAX_STATE		2048	/* state, nonce (FAPI 2.0 probes send 1000) */
#define OIDC_MAX_ASSERTION	8192	/* client_assertion */
#define OIDC_MAX_CLAIMS_PARAM	4096	/* claims parameter (JSON) */
#define OIDC_MAX_AUTH_HEADER	4096	/* Authorization header */
#define OIDC_MAX_DPOP		8192	/* one DPoP proof (RFC 9449 header value) */
#define OIDC_MAX_LOGIN_TTL	3600	/* longest login transaction the gateway keeps (s) */

/* ---- form / query strings and HTTP Basic ------------------------------ */

struct oidc_param {
	char *name;
	char *value;
};

struct oidc_params {
	struct oidc_param *v;	/* owned */
	size_t n;
};

/*
 * Parses application/x-www-form-urlencoded text (also a URL query string):
 * '&'-separated name=value pairs, '+' is a space, %XX is decoded.  Refuses
 * (EIDGW_E_OIDC_PARAM_DUP) a name given twice: RFC 6749 §3.1 "Request and
 * response parameters MUST NOT be included more than once".  Refuses malformed
 * escapes, decoded NUL bytes, more than OIDC_MAX_PARAMS pairs and values
 * above OIDC_MAX_VALUE.  Empty segments ("a=1&&b=2") are skipped; a
 * parameter with an empty value is treated as omitted (RFC 6749 §3.1).
 * s may be NULL (no parameters).  *out is emptied on entry.
 */
enum eidgw_err oidc_params_parse(const char *s, size_t len, struct oidc_params *out,
    struct eidgw_diag *d) EIDGW_MUST_USE;
/* The value of name, or NULL. */
const char *oidc_params_get(const struct oidc_params *p, const char *name);
/* Wipes (values may be secrets) and frees; NULL and zeroed structs are fine. */
void oidc_params_free(struct oidc_params *p);

/* Percent-decodes one form-urlencoded component into a new string ('+' -> space). */
enum eidgw_err oidc_form_decode(const char *s, size_t len, size_t max, char **out) EIDGW_MUST_USE;
/* Appends s form-urlencoded (unreserved kept, space -> %20) to b. */
enum eidgw_err oidc_form_encode(struct eidgw_buf *b, const char *s) EIDGW_MUST_USE;

/*
 * Parses "Basic <base64(id:secret)>" (scheme case-insensitive).  RFC 6749
 * §2.3.1: the client identifier and password are form-urlencoded before
 * they are joined, so both halves are form-decoded here.  Returns
 * EIDGW_E_NOT_FOUND when the header is not of the Basic scheme,
 * EIDGW_E_MALFORMED when it is but cannot be parsed.  *secret is a new
 * string the caller frees with eidgw_free_secret_str().
 */
enum eidgw_err oidc_basic_auth_parse(const char *header, char **id, char **secret)
    EIDGW_MUST_USE;

/* ---- configuration --------------------------------------------------- */

enum oidc_alg {
	OIDC_ALG_DEFAULT = 0,	/* client: PS256 */
	OIDC_ALG_PS256,
	OIDC_ALG_ES256,
	OIDC_ALG_RS256,
};

/* "PS256", "ES256", "RS256"; NULL for anything else. */
const char *oidc_alg_name(enum oidc_alg a);
/* The inverse (exact match); OIDC_ALG_DEFAULT when not in the allow-list. */
enum oidc_alg oidc_alg_from_name(const char *s);

enum oidc_key_status {
	OIDC_KEY_ACTIVE = 0,	/* signs, published */
	OIDC_KEY_NEXT,		/* published ahead of a rollover, does not sign */
	OIDC_KEY_RETIRED,	/* published until its tokens expired, does not sign */
};

struct oidc_signing_key {
	const char *kid;		/* unique, 1-64 chars of [A-Za-z0-9._-] */
	enum oidc_alg alg;		/* PS256/RS256 need RSA >= 2048, ES256 needs P-256 */
	enum oidc_key_status status;
	const struct eidgw_key *key;	/* borrowed: must outlive the provider */
};

enum oidc_auth_method {
	OIDC_AUTH_SECRET_BASIC = 1,
	OIDC_AUTH_SECRET_POST,
	OIDC_AUTH_PRIVATE_KEY_JWT,
};

struct oidc_client {
	const char *client_id;		/* 1-128 printable ASCII, no space, no ':' */
	const char *name;		/* display name (may be NULL) */
	const char *const *redirect_uris; /* absolute, no fragment; exact match */
	size_t n_redirect_uris;
	enum oidc_auth_method auth_method;
	const char *secret;		/* secret_basic / secret_post (>= 16 chars) */
	const char *jwks_json;		/* private_key_jwt: {"keys":[...]} with public keys */
	const char *const *scopes;	/* allowed scopes; must include "openid" */
	size_t n_scopes;
	/* Pairwise sector (OIDC Core §8.1); NULL: the host of the redirect URIs,
	 * which must then all share one host. */
	const char *sector_identifier;
	enum oidc_alg id_token_alg;	/* DEFAULT -> PS256 */
	bool require_par;
	const char *min_acr;		/* eIDAS LoA URI floor; NULL -> low */
	const char *default_acr;	/* when nothing is requested; NULL -> substantial */
	int64_t access_token_ttl;	/* seconds; 0 -> the provider's */
	int64_t id_token_ttl;		/* seconds; 0 -> the provider's */
	/* RFC 9449 §5.2 metadata of the same name: every token request must
	 * carry a DPoP proof, so every access token is DPoP-bound. */
	bool dpop_bound_access_tokens;
	/* private_key_jwt: the one alg accepted for client assertions (RFC 7591
	 * token_endpoint_auth_signing_alg); DEFAULT = any of PS256/ES256/RS256. */
	enum oidc_alg token_endpoint_auth_signing_alg;
};

struct oidc_config {
	const char *issuer;		/* e.g. "http://127.0.0.1:8080", no trailing '/' */
	const struct oidc_signing_key *keys;
	size_t n_keys;
	const unsigned char *pairwise_key;	/* HMAC key for sub, >= 32 bytes (copied) */
	size_t pairwise_key_len;
	const struct oidc_client *clients;
	size_t n_clients;
	struct eidgw_store *store;	/* borrowed: codes, tokens, PAR, jti */
	/* Lifetimes in seconds; 0 -> default. */
	int64_t code_ttl;		/* default 60, at most 60 */
	int64_t par_ttl;		/* default 60, at most 600 */
	int64_t access_token_ttl;	/* default 300 */
	int64_t id_token_ttl;		/* default 300 */
};

struct oidc_provider;

/* Deep-copies conf (except keys and store, which are borrowed) and checks it. */
enum eidgw_err oidc_provider_new(const struct oidc_config *conf, struct oidc_provider **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;
void oidc_provider_free(struct oidc_provider *p);

/* ---- requests and responses ----------------------------------------- */

struct oidc_request {
	const char *method;		/* "GET" or "POST" */
	const char *query;		/* raw query string without '?', may be NULL */
	size_t query_len;
	const char *body;		/* raw body, may be NULL */
	size_t body_len;
	const char *content_type;	/* Content-Type header, may be NULL */
	const char *authorization;	/* Authorization header, may be NULL */
	/* DPoP (RFC 9449): the DPoP header value (NULL when absent) and how
	 * many DPoP header fields the request had; more than one is refused. */
	const char *dpop;
	unsigned int n_dpop;
};

/* What the token endpoint issued (200 only), so the caller can record it without re-parsing. */
struct oidc_issued {
	char *client_id;		/* owned: the authenticated client */
	char *sub;			/* owned: the ID token's (pairwise) subject, NULL if none */
	char *scope;			/* owned: the granted scopes, NULL if none */
	const char *token_type;		/* "Bearer" or "DPoP" (static) */
	char access_token_sha256[65];	/* lowercase hex */
	char id_token_sha256[65];
};

struct oidc_response {
	struct oidc_issued *issued;	/* owned; set by oidc_token on success, else NULL */
	int status;
	const char *content_type;	/* static string, NULL when there is no body */
	bool no_store;			/* send Cache-Control: no-store and Pragma: no-cache */
	char *www_authenticate;		/* owned, NULL when absent */
	char *location;			/* owned, NULL when absent */
	char *body;			/* owned, NUL-terminated */
	size_t body_len;
};

void oidc_response_free(struct oidc_response *r);

enum eidgw_err oidc_discovery(const struct oidc_provider *p, struct oidc_response *out)
    EIDGW_MUST_USE;
enum eidgw_err oidc_jwks(const struct oidc_provider *p, struct oidc_response *out)
    EIDGW_MUST_USE;

/* ---- authorization ---------------------------------------------------- */

/* The validated authorization request (owned strings; NULL when absent). */
struct oidc_authz_request {
	char *client_id;
	char *redirect_uri;
	char *state;
	char *nonce;
	char *scope;			/* granted scopes, space separated, openid first */
	char *code_challenge;		/* S256 challenge */
	char *acr_values;		/* requested LoA URIs, space separated (acr_values or claims) */
	bool acr_essential;		/* claims.id_token.acr.essential */
	char *acr_min;			/* the floor to ask the eIDAS node for (minimum comparison) */
	char *ui_locales;
	char *prompt;
	int64_t max_age;		/* -1 when absent */
	char country[3];		/* ISO 3166-1 alpha-2 upper case, "" when absent */
	bool via_par;
	char *dpop_jkt;			/* RFC 9449 §10: the code's DPoP key thumbprint, or NULL */
	/* Came by a PAR request_uri: SHA-256 hex of it.  The request_uri is
	 * used up when a login with it completes (oidc_authz_complete), not
	 * when /authorize is loaded (FAPI 2.0 §5.3.2.2 note 3). */
	char *par_ref;
};

void oidc_authz_request_free(struct oidc_authz_request *r);
/* Serialises for the gateway's login transaction (JSON; may carry the nonce). */
enum eidgw_err oidc_authz_request_to_json(const struct oidc_authz_request *r, char **out)
    EIDGW_MUST_USE;
enum eidgw_err oidc_authz_request_from_json(const char *json, size_t len,
    struct oidc_authz_request **out) EIDGW_MUST_USE;

enum oidc_authz_kind {
	OIDC_AUTHZ_ERROR_PAGE = 1,	/* show an error page; never redirect */
	OIDC_AUTHZ_REDIRECT,		/* send 303 to location (error or code) */
	OIDC_AUTHZ_ACCEPTED,		/* start the login with req */
};

struct oidc_authz_result {
	enum oidc_authz_kind kind;
	const char *error;		/* OAuth error code (static), NULL on success */
	char *location;			/* REDIRECT: the full redirect URL */
	struct oidc_authz_request *req;	/* ACCEPTED: owned */
};

void oidc_authz_result_free(struct oidc_authz_result *r);

/*
 * Validates an authorization request (query for GET, form body for POST,
 * or client_id + request_uri from PAR).  Returns EIDGW_OK with kind ACCEPTED,
 * otherwise the refusal code with kind ERROR_PAGE (client or redirect_uri not
 * trusted) or REDIRECT (error sent back per RFC 6749 §4.1.2.1 with iss).
 */
enum eidgw_err oidc_authorize(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_authz_result *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* POST /oidc/par (RFC 9126): 201 with request_uri, or an RFC 6749 JSON error. */
enum eidgw_err oidc_par(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* Further claims, already mapped to OIDC names (digest §7), as JSON values. */
struct oidc_claim {
	const char *name;	/* e.g. "address", "email", "gender" */
	const char *json;	/* JSON value text: "\"x@y\"", "{...}" */
};

/* The identity the connector returned (digest §7 mapping). */
struct oidc_identity {
	const char *person_identifier;	/* eIDAS PersonIdentifier, required */
	const char *given_name;
	const char *family_name;
	const char *birthdate;		/* YYYY-MM-DD */
	const char *acr;		/* LoA URI asserted, required */
	int64_t auth_time;		/* AuthnInstant, epoch seconds */
	const char *country;		/* issuing country (alpha-2) or NULL: first 2 chars of the PID */
	const struct oidc_claim *extra;
	size_t n_extra;
};

/*
 * Finishes a login: checks the asserted LoA against the request and the
 * client floor (EIDGW_E_OIDC_ACR_UNMET -> redirect with
 * unmet_authentication_requirements), issues a single-use code and fills a
 * REDIRECT result with code, state and iss.
 */
enum eidgw_err oidc_authz_complete(const struct oidc_provider *p,
    const struct oidc_authz_request *req, const struct oidc_identity *id,
    struct oidc_authz_result *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* An error redirect for a login that failed (error: "access_denied", ...). */
enum eidgw_err oidc_authz_fail(const struct oidc_provider *p,
    const struct oidc_authz_request *req, const char *error, const char *description,
    struct oidc_authz_result *out) EIDGW_MUST_USE;

/* ---- token and userinfo ---------------------------------------------- */

enum eidgw_err oidc_token(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d) EIDGW_MUST_USE;
enum eidgw_err oidc_userinfo(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* ---- JOSE helpers (also used by tests and tools) --------------------- */

/*
 * Signs payload (JSON text) as a compact JWS with header {alg, kid, typ:JWT}
 * through eidgw_key_sign (the private key never leaves keyops).  ES256
 * signatures are converted to JOSE r||s (RFC 7518 §3.4).
 */
enum eidgw_err oidc_jws_sign(const struct eidgw_key *key, enum oidc_alg alg, const char *kid,
    const char *payload, char **out) EIDGW_MUST_USE;
/* The public JWK of pub as a JSON object text with kty, kid, use=sig, alg. */
enum eidgw_err oidc_jwk_public_json(EVP_PKEY *pub, const char *kid, enum oidc_alg alg,
    char **out) EIDGW_MUST_USE;
/* sub = base64url(HMAC-SHA-256(key, sector || 0x00 || person_identifier)) (digest §6.5). */
enum eidgw_err oidc_pairwise_sub(const unsigned char *key, size_t keylen, const char *sector,
    const char *person_identifier, char **out) EIDGW_MUST_USE;

/* ---- DPoP (RFC 9449) ------------------------------------------------ */

#define OIDC_DPOP_MAX_AGE	60	/* a proof's iat may be at most this old (s) */
#define OIDC_DPOP_FUTURE	10	/* ... and at most this far in the future (s) */
#define OIDC_JKT_LEN		43	/* base64url of a SHA-256 JWK thumbprint */
/* The proof algorithms accepted, as advertised in discovery: FAPI 2.0 §5.4
 * allows PS256, ES256 and EdDSA; RS256 is refused (EdDSA is not supported). */
#define OIDC_DPOP_ALGS		"ES256 PS256 EdDSA Ed25519"

/*
 * Checks one DPoP proof (RFC 9449 §4.3) for a request with method htm to the
 * endpoint URL htu (no query).  access_token non-NULL: the proof must carry
 * ath = base64url(SHA-256(access_token)) (§4.3 item 10, at a resource).
 * The jti is recorded in the provider's store (single use while the proof
 * could be accepted).  On success jkt holds the RFC 7638 SHA-256 thumbprint
 * of the proof's key (43 base64url characters and a NUL).  Refusals are
 * EIDGW_E_OIDC_DPOP_PROOF, EIDGW_E_OIDC_DPOP_REPLAY, or the store's code
 * when it cannot answer.
 */
enum eidgw_err oidc_dpop_proof_check(const struct oidc_provider *p, const char *proof,
    const char *htm, const char *htu, const char *access_token,
    char jkt[OIDC_JKT_LEN + 1], struct eidgw_diag *d) EIDGW_MUST_USE;

/* eIDAS notified LoA URIs (digest §0) and their order (1..3; 0 unknown). */
#define OIDC_LOA_LOW		"http://eidas.europa.eu/LoA/low"
#define OIDC_LOA_SUBSTANTIAL	"http://eidas.europa.eu/LoA/substantial"
#define OIDC_LOA_HIGH		"http://eidas.europa.eu/LoA/high"
int oidc_loa_rank(const char *uri);

#endif
