/*
 * dpop.c - DPoP proofs (RFC 9449): the checks of §4.3 on one proof, the
 * RFC 7638 thumbprint of its key, and the single use of its jti.
 *
 * The key that verifies a proof comes from the proof itself (its "jwk"
 * header); what makes that safe is what the caller does with the thumbprint:
 * bind a new access token or code to it, or compare it with the thumbprint an
 * access token or code is already bound to.
 *
 * Store record: oidc:dpop:<first 16 hex of h(jkt)>:<h(jti)>, kept while a
 * proof with that iat could still be accepted.
 */
#include "oidc/oidc_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/cjose.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/util.h"

#define B64URL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/*
 * The proof algorithms accepted (OIDC_DPOP_ALGS, FAPI 2.0 §5.4): ES256 and
 * PS256 through cjose, and EdDSA with Ed25519 keys (RFC 8037), which cjose
 * 0.6 does not know, verified here with OpenSSL.  "Ed25519" is the same
 * signature under its fully-specified name (RFC 9864), which current
 * clients (oauth4webapi) put in the header.  Both are DPoP-only names:
 * enum oidc_alg (ID tokens, client assertions) does not have them.
 */
static bool
dpop_alg_allowed(enum oidc_alg alg)
{
	return alg == OIDC_ALG_ES256 || alg == OIDC_ALG_PS256;
}

static bool
is_eddsa_name(const char *a)
{
	return a != NULL && (strcmp(a, "EdDSA") == 0 || strcmp(a, "Ed25519") == 0);
}

/* A string of min..max base64url characters. */
static bool
b64url_str(json_t *v, size_t min, size_t max)
{
	const char *s = json_string_value(v);
	size_t n;

	if (s == NULL)
		return false;
	n = json_string_length(v);
	return n >= min && n <= max && strlen(s) == n && strspn(s, B64URL_CHARS) == n;
}

/*
 * The proof's jwk: a public key of the type the alg needs, nothing private
 * (RFC 9449 §4.3 item 7 "the jwk JOSE Header Parameter does not contain a
 * private key").  RSA 2048-8192 bits, EC P-256 only.
 */
static bool
jwk_public_ok(json_t *jwk, enum oidc_alg alg, bool eddsa)
{
	static const char *const private_members[] = {
		"d", "p", "q", "dp", "dq", "qi", "oth", "k",
	};
	const char *kty;
	size_t i;

	if (!json_is_object(jwk) || (kty = json_string_value(json_object_get(jwk, "kty"))) == NULL)
		return false;
	for (i = 0; i < EIDGW_ARRAY_LEN(private_members); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return false;
	if (eddsa) {
		const char *crv = json_string_value(json_object_get(jwk, "crv"));

		/* RFC 8037 §2: an Ed25519 public key is 32 bytes = 43 characters. */
		return strcmp(kty, "OKP") == 0 && crv != NULL && strcmp(crv, "Ed25519") == 0 &&
		    b64url_str(json_object_get(jwk, "x"), 43, 43);
	}
	if (alg == OIDC_ALG_ES256) {
		const char *crv = json_string_value(json_object_get(jwk, "crv"));

		/* RFC 7518 §6.2.1: P-256 coordinates are 32 bytes = 43 characters. */
		return strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0 &&
		    b64url_str(json_object_get(jwk, "x"), 43, 43) &&
		    b64url_str(json_object_get(jwk, "y"), 43, 43);
	}
	/* RSA: n of 2048 (342 characters) to 8192 bits (1366), e at most 8 bytes. */
	return strcmp(kty, "RSA") == 0 && b64url_str(json_object_get(jwk, "n"), 342, 1366) &&
	    b64url_str(json_object_get(jwk, "e"), 1, 11);
}

/*
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order,
 * no whitespace; the values were checked to be plain base64url, so they
 * need no escaping.
 */
static enum eidgw_err
jwk_thumbprint(json_t *jwk, char out[OIDC_JKT_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct eidgw_buf canon, b;
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	enum eidgw_err rc;

	eidgw_buf_init(&canon, 2048);
	eidgw_buf_init(&b, 64);
	if (kty != NULL && strcmp(kty, "OKP") == 0)	/* RFC 8037 §2 */
		rc = eidgw_buf_printf(&canon, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}",
		    json_string_value(json_object_get(jwk, "crv")),
		    json_string_value(json_object_get(jwk, "x")));
	else if (kty != NULL && strcmp(kty, "EC") == 0)
		rc = eidgw_buf_printf(&canon, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    json_string_value(json_object_get(jwk, "crv")),
		    json_string_value(json_object_get(jwk, "x")),
		    json_string_value(json_object_get(jwk, "y")));
	else
		rc = eidgw_buf_printf(&canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		    json_string_value(json_object_get(jwk, "e")),
		    json_string_value(json_object_get(jwk, "n")));
	if (rc != EIDGW_OK)
		goto out;
	(void)SHA256((const unsigned char *)canon.data, canon.len, md);
	EIDGW_TRY(eidgw_b64_encode(&b, md, sizeof(md), true));
	if (b.len != OIDC_JKT_LEN) {
		rc = EIDGW_E_INTERNAL;
		goto out;
	}
	memcpy(out, b.data, OIDC_JKT_LEN + 1);
out:
	eidgw_buf_free(&canon);
	eidgw_buf_free(&b);
	return rc;
}

/* One absolute http(s) URL split into scheme, authority and path. */
struct url_parts {
	const char *scheme, *auth, *path;
	size_t scheme_len, auth_len, path_len;
};

static bool
url_split(const char *u, size_t n, struct url_parts *o)
{
	const char *sep = NULL, *end = u + n, *s;

	for (s = u; s + 3 <= end; s++)
		if (memcmp(s, "://", 3) == 0) {
			sep = s;
			break;
		}
	if (sep == NULL || sep == u)
		return false;
	o->scheme = u;
	o->scheme_len = (size_t)(sep - u);
	o->auth = sep + 3;
	for (s = o->auth; s < end && *s != '/'; s++)
		;
	o->auth_len = (size_t)(s - o->auth);
	o->path = s;
	o->path_len = (size_t)(end - s);
	if (o->auth_len == 0 || memchr(o->auth, '@', o->auth_len) != NULL)
		return false;	/* no host, or userinfo (never part of our endpoints) */
	/* RFC 3986 §6.2.3: the default port is the same as no port. */
	if (o->scheme_len == 5 && strncasecmp(o->scheme, "https", 5) == 0 && o->auth_len > 4 &&
	    memcmp(o->auth + o->auth_len - 4, ":443", 4) == 0)
		o->auth_len -= 4;
	else if (o->scheme_len == 4 && strncasecmp(o->scheme, "http", 4) == 0 &&
	    o->auth_len > 3 && memcmp(o->auth + o->auth_len - 3, ":80", 3) == 0)
		o->auth_len -= 3;
	return true;
}

/*
 * RFC 9449 §4.3 item 9: htu matches the URI of the request "ignoring any
 * query and fragment parts", after RFC 3986 §6.2.2/§6.2.3 normalisation:
 * scheme and host compared without case, a default port dropped; the path
 * compared exactly.
 */
static bool
htu_matches(const char *claim, const char *ep)
{
	struct url_parts a, b;
	size_t n = strcspn(claim, "?#");

	if (!url_split(claim, n, &a) || !url_split(ep, strlen(ep), &b))
		return false;
	return a.scheme_len == b.scheme_len && strncasecmp(a.scheme, b.scheme, a.scheme_len) == 0 &&
	    a.auth_len == b.auth_len && strncasecmp(a.auth, b.auth, a.auth_len) == 0 &&
	    a.path_len == b.path_len && memcmp(a.path, b.path, a.path_len) == 0;
}

/* ath = base64url(SHA-256(ASCII(access token))) (RFC 9449 §4.2). */
static bool
ath_matches(json_t *v, const char *token)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct eidgw_buf b;
	bool ok;

	if (!json_is_string(v))
		return false;
	(void)SHA256((const unsigned char *)token, strlen(token), md);
	eidgw_buf_init(&b, 64);
	ok = eidgw_b64_encode(&b, md, sizeof(md), true) == EIDGW_OK &&
	    eidgw_ct_streq(json_string_value(v), b.data);
	eidgw_buf_free(&b);
	return ok;
}

/* A base64url part of a compact JWS (no padding) into out; false if it does not decode. */
static bool
b64url_part(const char *s, size_t n, struct eidgw_buf *out)
{
	return n > 0 && eidgw_b64_decode(out, s, n, true) == EIDGW_OK;
}

/* Part k (0 header, 1 payload, 2 signature) of a compact JWS, base64url-decoded into out. */
static bool
jws_part(const char *proof, size_t n, int k, struct eidgw_buf *out)
{
	const char *b = proof, *end = proof + n, *e;

	for (; k > 0; k--) {
		if ((b = memchr(b, '.', (size_t)(end - b))) == NULL)
			return false;
		b++;
	}
	if ((e = memchr(b, '.', (size_t)(end - b))) == NULL)
		e = end;
	return b64url_part(b, (size_t)(e - b), out);
}

/* Part k of a compact JWS as a JSON object (the strict reader), or NULL. */
static json_t *
jws_json_part(const char *proof, size_t n, int k)
{
	struct eidgw_buf part;
	json_t *o = NULL;

	eidgw_buf_init(&part, OIDC_MAX_DPOP);
	if (jws_part(proof, n, k, &part))
		o = oidc_json_parse_object(part.data, part.len, OIDC_MAX_DPOP);
	eidgw_buf_free(&part);
	return o;
}

/* Ed25519 (RFC 8032) over the JWS signing input, with the jwk's x. */
static bool
eddsa_verify(json_t *jwk, const char *proof, size_t n, const struct eidgw_buf *sig)
{
	const char *x = json_string_value(json_object_get(jwk, "x"));
	const char *d2 = proof + n;
	struct eidgw_buf raw;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *mctx = NULL;
	bool ok = false;

	while (d2 > proof && d2[-1] != '.')
		d2--;
	eidgw_buf_init(&raw, 64);
	if (x == NULL || d2 == proof || !b64url_part(x, strlen(x), &raw) || raw.len != 32)
		goto out;
	if ((pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    (const unsigned char *)raw.data, raw.len)) == NULL ||
	    (mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, pk, NULL) != 1)
		goto out;
	ok = EVP_DigestVerify(mctx, (const unsigned char *)sig->data, sig->len,
	    (const unsigned char *)proof, (size_t)(d2 - 1 - proof)) == 1;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pk);
	eidgw_buf_free(&raw);
	return ok;
}

enum eidgw_err
oidc_dpop_proof_check(const struct oidc_provider *p, const char *proof, const char *htm,
    const char *htu, const char *access_token, char jkt[OIDC_JKT_LEN + 1],
    struct eidgw_diag *d)
{
	cjose_jws_t *jws = NULL;
	cjose_jwk_t *key = NULL;
	cjose_err cerr;
	json_t *hdr, *jwk, *cl = NULL, *v, *own_hdr = NULL;
	struct eidgw_buf sig;
	const char *alg_hdr;
	bool eddsa;
	uint8_t *plain = NULL;
	size_t plain_len = 0, n;
	char *jwks = NULL, storekey[128], h1[65], h2[65];
	const char *typ;
	enum oidc_alg alg;
	enum eidgw_err rc;
	int64_t now = eidgw_now(), iat;

	jkt[0] = '\0';
	if (p == NULL || htm == NULL || htu == NULL)
		return EIDGW_E_INVAL;
	n = proof != NULL ? strlen(proof) : 0;
	/* §4.3 item 2: "the DPoP HTTP request header value is a single and
	 * well-formed JWT". */
	eidgw_buf_init(&sig, 128);
	if (n == 0 || n > OIDC_MAX_DPOP || !oidc_compact_ok(proof, n))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof is not a compact JWS");
	/* the header read once by the strict reader: which path verifies the proof */
	own_hdr = jws_json_part(proof, n, 0);
	eddsa = own_hdr != NULL && is_eddsa_name(json_string_value(json_object_get(own_hdr, "alg")));
	if (eddsa) {
		/* cjose 0.6 has no EdDSA: payload and signature by hand (RFC 8037) */
		if ((cl = jws_json_part(proof, n, 1)) == NULL || !jws_part(proof, n, 2, &sig) ||
		    sig.len != 64)
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof cannot be parsed");
		hdr = own_hdr;
	} else {
		/* ES256/PS256: cjose reads and verifies, with its own view of the header */
		json_decref(own_hdr);
		own_hdr = NULL;
		if ((jws = cjose_jws_import(proof, n, &cerr)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof cannot be parsed");
		hdr = (json_t *)cjose_jws_get_protected(jws);
	}
	/* §4.3 item 4: typ is dpop+jwt (a media type: no case, RFC 7515 §4.1.9). */
	if ((typ = json_string_value(json_object_get(hdr, "typ"))) == NULL ||
	    strcasecmp(typ, "dpop+jwt") != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof typ is not dpop+jwt");
	/* §4.3 item 5: an asymmetric algorithm from our allow-list; never
	 * "none" or a MAC (RFC 8725 §3.1).  FAPI 2.0 §5.4 allows only PS256,
	 * ES256 and EdDSA for signatures, so RS256 (PKCS#1 v1.5) is refused
	 * here although ID tokens and client assertions may still use it. */
	alg_hdr = json_string_value(json_object_get(hdr, "alg"));
	alg = oidc_alg_from_name(alg_hdr);
	if (eddsa ? !is_eddsa_name(alg_hdr) : !dpop_alg_allowed(alg))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof alg not allowed");
	if (json_object_get(hdr, "crit") != NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof has crit");
	/* §4.3 item 7: the jwk header is a public key; the signature verifies with it. */
	jwk = json_object_get(hdr, "jwk");
	if (!jwk_public_ok(jwk, alg, eddsa))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF,
		    "DPoP proof jwk missing, private, of another type or too weak");
	if (eddsa) {
		if (!eddsa_verify(jwk, proof, n, &sig))
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof signature not valid");
	} else {
		if ((jwks = json_dumps(jwk, JSON_COMPACT)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		if ((key = cjose_jwk_import(jwks, strlen(jwks), &cerr)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof jwk not a usable key");
		if (!cjose_jws_verify(jws, key, &cerr))
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof signature not valid");
		if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr) ||
		    (cl = oidc_json_parse_object((const char *)plain, plain_len,
		    OIDC_MAX_DPOP)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF,
			    "DPoP proof payload not a JSON object");
	}
	/* §4.3 item 3 / §4.2: jti, htm, htu, iat required. */
	if (!json_is_string(v = json_object_get(cl, "jti")) || json_string_length(v) == 0 ||
	    json_string_length(v) > 256 || strlen(json_string_value(v)) != json_string_length(v))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof jti missing or too long");
	/* §4.3 item 8: htm matches the method (method names are case-sensitive). */
	if (!json_is_string(v = json_object_get(cl, "htm")) ||
	    strcmp(json_string_value(v), htm) != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof htm is not %s", htm);
	if (!json_is_string(v = json_object_get(cl, "htu")) ||
	    !htu_matches(json_string_value(v), htu))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof htu is not this endpoint");
	/* §4.3 item 11: iat within an acceptable window (§11.1): at most
	 * OIDC_DPOP_MAX_AGE old, at most OIDC_DPOP_FUTURE ahead. */
	if (!json_is_number(v = json_object_get(cl, "iat")))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof iat missing");
	if (json_number_value(v) > (double)(now + OIDC_DPOP_FUTURE) ||
	    json_number_value(v) < (double)(now - OIDC_DPOP_MAX_AGE))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof iat outside the window");
	iat = (int64_t)json_number_value(v);
	/* §4.3 item 10: at a resource, ath is the hash of the token presented. */
	if (access_token != NULL && !ath_matches(json_object_get(cl, "ath"), access_token))
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "DPoP proof ath missing or not the token's");
	if ((rc = jwk_thumbprint(jwk, jkt)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "DPoP key thumbprint");
	/* §11.1: a jti is accepted once while its proof could be accepted. */
	oidc_sha256_hex(jkt, h1);
	oidc_sha256_hex(json_string_value(json_object_get(cl, "jti")), h2);
	(void)snprintf(storekey, sizeof(storekey), "oidc:dpop:%.16s:%s", h1, h2);
	rc = p->store->ops->put_new(p->store, storekey, "1", 1,
	    iat + OIDC_DPOP_MAX_AGE - now + 1 > 1 ? iat + OIDC_DPOP_MAX_AGE - now + 1 : 1);
	if (rc == EIDGW_E_STORE_EXISTS)
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_REPLAY, "DPoP proof jti replayed");
	if (rc != EIDGW_OK)
		EIDGW_FAIL(d, rc, "store refused the DPoP jti");
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		jkt[0] = '\0';
	free(jwks);
	json_decref(cl);
	json_decref(own_hdr);
	eidgw_buf_free(&sig);
	cjose_jwk_release(key);
	cjose_jws_release(jws);
	return rc;
}

void
oidc_dpop_error_json(struct oidc_response *out, enum eidgw_err rc)
{
	/* RFC 9449 §5: "invalid_dpop_proof" (RFC 6749 §5.2 JSON, 400). */
	if (rc == EIDGW_E_OIDC_DPOP_PROOF || rc == EIDGW_E_OIDC_DPOP_REPLAY)
		(void)oidc_response_error(out, 400, "invalid_dpop_proof", NULL);
	else if (eidgw_err_category(rc) == EIDGW_CAT_UNAVAILABLE)
		(void)oidc_response_error(out, 503, "temporarily_unavailable", NULL);
	else
		(void)oidc_response_error(out, 500, "server_error", NULL);
}
