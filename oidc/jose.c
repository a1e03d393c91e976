/*
 * jose.c - JWS production through keyops (the private key never leaves
 * eidgw_key) and verification of client assertions (RFC 7523) with cjose
 * against the client's configured JWKS.
 */
#include "oidc/oidc_int.h"

#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <openssl/ec.h>

#include "core/util.h"

static enum eidgw_sig_alg
sig_alg_of(enum oidc_alg a)
{
	switch (a) {
	case OIDC_ALG_PS256: return EIDGW_SIG_RSA_PSS_SHA256;	/* RFC 7518 §3.5: salt = 32 */
	case OIDC_ALG_RS256: return EIDGW_SIG_RSA_PKCS1_SHA256;
	case OIDC_ALG_ES256: return EIDGW_SIG_ECDSA_SHA256;
	default: return EIDGW_SIG_NONE;
	}
}

/* DER ECDSA-Sig-Value -> JOSE r||s with 32-byte halves (RFC 7518 §3.4). */
static enum eidgw_err
ecdsa_der_to_jose(const struct eidgw_buf *der, unsigned char out[64])
{
	const unsigned char *p = (const unsigned char *)der->data;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	enum eidgw_err rc = EIDGW_E_CRYPTO;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)der->len)) == NULL)
		return rc;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32)
		rc = EIDGW_OK;
	ECDSA_SIG_free(sig);
	return rc;
}

enum eidgw_err
oidc_jws_sign(const struct eidgw_key *key, enum oidc_alg alg, const char *kid,
    const char *payload, char **out)
{
	struct eidgw_buf in, sig;
	unsigned char rs[64];
	json_t *h = NULL;
	char *hs = NULL;
	enum eidgw_err rc;

	*out = NULL;
	eidgw_buf_init(&in, 65536);
	eidgw_buf_init(&sig, 1024);
	if (key == NULL || payload == NULL || sig_alg_of(alg) == EIDGW_SIG_NONE)
		return EIDGW_E_INVAL;
	rc = EIDGW_E_NOMEM;
	/* RFC 7515 §4.1: alg; kid selects the key in our JWKS; typ JWT (RFC 7519 §5.1). */
	if ((h = json_object()) == NULL ||
	    json_object_set_new(h, "alg", json_string(oidc_alg_name(alg))) != 0 ||
	    (kid != NULL && json_object_set_new(h, "kid", json_string(kid)) != 0) ||
	    json_object_set_new(h, "typ", json_string("JWT")) != 0 ||
	    (hs = json_dumps(h, JSON_COMPACT)) == NULL)
		goto out;
	EIDGW_TRY(eidgw_b64_encode(&in, hs, strlen(hs), true));
	EIDGW_TRY(eidgw_buf_append(&in, ".", 1));
	EIDGW_TRY(eidgw_b64_encode(&in, payload, strlen(payload), true));
	EIDGW_TRY(eidgw_key_sign(key, sig_alg_of(alg), (const unsigned char *)in.data, in.len,
	    &sig));
	EIDGW_TRY(eidgw_buf_append(&in, ".", 1));
	if (alg == OIDC_ALG_ES256) {
		EIDGW_TRY(ecdsa_der_to_jose(&sig, rs));
		EIDGW_TRY(eidgw_b64_encode(&in, rs, sizeof(rs), true));
	} else {
		EIDGW_TRY(eidgw_b64_encode(&in, sig.data, sig.len, true));
	}
	*out = eidgw_buf_steal(&in, NULL);
	rc = *out != NULL ? EIDGW_OK : EIDGW_E_NOMEM;
out:
	free(hs);
	json_decref(h);
	eidgw_buf_free(&in);
	eidgw_buf_free(&sig);
	return rc;
}

/* Compact JWS syntax: three base64url segments (RFC 7515 §7.1). */
bool
oidc_compact_ok(const char *s, size_t n)
{
	size_t i, dots = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	if (dots != 2)
		return false;
	/* Each segment must be canonical base64url (zero leftover bits), so a
	 * token has exactly one spelling (no malleable signatures). */
	{
		struct eidgw_buf b;
		const char *seg = s, *end = s + n, *dot;
		bool ok = true;

		while (ok && seg <= end) {
			dot = memchr(seg, '.', (size_t)(end - seg));
			if (dot == NULL)
				dot = end;
			eidgw_buf_init(&b, n);
			ok = eidgw_b64_decode(&b, seg, (size_t)(dot - seg), true) == EIDGW_OK;
			eidgw_buf_free(&b);
			seg = dot + 1;
		}
		return ok;
	}
}

enum eidgw_err
oidc_jwt_peek_iss(const char *jwt, char **iss)
{
	const char *a, *b;
	struct eidgw_buf pl;
	json_t *j = NULL, *v;
	enum eidgw_err rc = EIDGW_E_MALFORMED;
	size_t n;

	*iss = NULL;
	n = jwt != NULL ? strlen(jwt) : 0;
	if (n == 0 || n > OIDC_MAX_ASSERTION || !oidc_compact_ok(jwt, n))
		return EIDGW_E_MALFORMED;
	eidgw_buf_init(&pl, OIDC_MAX_ASSERTION);
	a = strchr(jwt, '.') + 1;
	b = strchr(a, '.');
	if (eidgw_b64_decode(&pl, a, (size_t)(b - a), true) != EIDGW_OK)
		goto out;
	if ((j = oidc_json_parse_object(pl.data, pl.len, OIDC_MAX_ASSERTION)) == NULL)
		goto out;
	if (!json_is_string(v = json_object_get(j, "iss")) || json_string_length(v) > 256)
		goto out;
	if ((*iss = strdup(json_string_value(v))) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	rc = EIDGW_OK;
out:
	json_decref(j);
	eidgw_buf_free(&pl);
	return rc;
}

/* Does key k (a JWK object) fit header alg a and kid? */
static bool
jwk_fits(json_t *k, enum oidc_alg a, const char *kid)
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const char *kalg = json_string_value(json_object_get(k, "alg"));
	const char *use = json_string_value(json_object_get(k, "use"));
	const char *kkid = json_string_value(json_object_get(k, "kid"));

	if (kty == NULL)
		return false;
	if (a == OIDC_ALG_ES256 ? strcmp(kty, "EC") != 0 : strcmp(kty, "RSA") != 0)
		return false;
	if (kalg != NULL && strcmp(kalg, oidc_alg_name(a)) != 0)
		return false;
	if (use != NULL && strcmp(use, "sig") != 0)
		return false;
	if (kid != NULL && (kkid == NULL || strcmp(kid, kkid) != 0))
		return false;
	return true;
}

static bool
verify_with_jwks(const struct oidc_pclient *c, cjose_jws_t *jws, enum oidc_alg a,
    const char *kid)
{
	json_t *set = NULL, *keys, *k;
	cjose_jwk_t *jwk;
	cjose_err cerr;
	bool ok = false;
	size_t i;
	char *ks;

	set = oidc_json_parse_object(c->jwks_json, strlen(c->jwks_json), 65536);
	if (set == NULL || !json_is_array(keys = json_object_get(set, "keys")))
		goto out;
	json_array_foreach(keys, i, k) {
		if (!json_is_object(k) || !jwk_fits(k, a, kid))
			continue;
		if ((ks = json_dumps(k, JSON_COMPACT)) == NULL)
			continue;
		jwk = cjose_jwk_import(ks, strlen(ks), &cerr);
		free(ks);
		if (jwk == NULL)
			continue;
		ok = cjose_jws_verify(jws, jwk, &cerr);
		cjose_jwk_release(jwk);
		if (ok)
			break;
	}
out:
	json_decref(set);
	return ok;
}

/*
 * A client registered with token_endpoint_auth_signing_alg PS256 or ES256 is
 * a FAPI 2.0 client (the algs FAPI 2.0 §5.4 allows; docs/oidc.md): its
 * assertions follow FAPI 2.0 §5.3.2.1 for aud as well.
 */
static bool
fapi2_client(const struct oidc_pclient *c)
{
	return c->assertion_alg == OIDC_ALG_PS256 || c->assertion_alg == OIDC_ALG_ES256;
}

/* Is s one of the audiences that identify us (issuer, endpoint, token endpoint)? */
static bool
aud_is_us(const char *s, const char *const *us, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, us[i]) == 0)
			return true;
	return false;
}

static bool
aud_contains(json_t *aud, const char *const *us, size_t n)
{
	json_t *v;
	size_t i;

	if (json_is_string(aud))
		return aud_is_us(json_string_value(aud), us, n);
	if (!json_is_array(aud) || json_array_size(aud) > 16)
		return false;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && aud_is_us(json_string_value(v), us, n))
			return true;
	return false;
}

enum eidgw_err
oidc_client_assertion_verify(const struct oidc_provider *p, const struct oidc_pclient *c,
    const char *assertion, const char *aud_ep, struct eidgw_diag *d)
{
	cjose_jws_t *jws = NULL;
	cjose_err cerr;
	json_t *hdr, *cl = NULL, *v;
	uint8_t *plain = NULL;
	size_t plain_len = 0, n;
	enum eidgw_err rc;
	enum oidc_alg alg;
	const char *kid = NULL;
	char key[160], h1[65], h2[65];
	int64_t now = eidgw_now(), exp;
	json_int_t e;

	n = assertion != NULL ? strlen(assertion) : 0;
	if (c->auth_method != OIDC_AUTH_PRIVATE_KEY_JWT || c->jwks_json == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH, "client not registered for private_key_jwt");
	if (n == 0 || n > OIDC_MAX_ASSERTION || !oidc_compact_ok(assertion, n))
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion is not a compact JWS");
	if ((jws = cjose_jws_import(assertion, n, &cerr)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion cannot be parsed");
	hdr = (json_t *)cjose_jws_get_protected(jws);
	/* RFC 8725 §3.1/§3.2: use an allow-list of algorithms; never "none",
	 * never a MAC keyed with something the client and we share. */
	alg = oidc_alg_from_name(json_string_value(json_object_get(hdr, "alg")));
	if (alg == OIDC_ALG_DEFAULT)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion alg not allowed");
	/* RFC 7591 token_endpoint_auth_signing_alg: a client registered for one alg uses only it. */
	if (c->assertion_alg != OIDC_ALG_DEFAULT && alg != c->assertion_alg)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion alg is not the client's registered alg");
	/* RFC 7515 §4.1.11: unknown critical extensions MUST be rejected. */
	if (json_object_get(hdr, "crit") != NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion has crit");
	if ((v = json_object_get(hdr, "kid")) != NULL) {
		if (!json_is_string(v))
			EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion kid not a string");
		kid = json_string_value(v);
	}
	/* RFC 7523 §3 item 9: "The JWT MUST be digitally signed"; keys come
	 * from the client's registered JWKS only, never from the header. */
	if (!verify_with_jwks(c, jws, alg, kid))
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion signature not valid");
	if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr) ||
	    (cl = oidc_json_parse_object((const char *)plain, plain_len, OIDC_MAX_ASSERTION)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion payload not a JSON object");
	/* OIDC Core §9 private_key_jwt: iss and sub MUST be the client_id. */
	if (!json_is_string(v = json_object_get(cl, "iss")) ||
	    strcmp(json_string_value(v), c->client_id) != 0 ||
	    !json_is_string(v = json_object_get(cl, "sub")) ||
	    strcmp(json_string_value(v), c->client_id) != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion iss/sub not the client_id");
	if (fapi2_client(c)) {
		/* FAPI 2.0 §5.3.2.1: the authorization server "shall only accept
		 * its issuer identifier value ... as a string in the aud claim";
		 * an endpoint URL or an array would let an assertion made for
		 * another server be replayed here (audience injection; also
		 * draft-ietf-oauth-rfc7523bis). */
		v = json_object_get(cl, "aud");
		if (!json_is_string(v) || strcmp(json_string_value(v), p->issuer) != 0)
			EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION,
			    "client assertion aud is not the issuer as a string (FAPI 2.0 client)");
	} else {
		/* RFC 7523 §3 item 3: aud MUST identify the authorization server;
		 * we accept the issuer, the token endpoint and the endpoint called.
		 * RFC 9126 §2: at PAR the AS "MUST accept its issuer identifier,
		 * token endpoint URL, or pushed authorization request endpoint URL". */
		const char *us[] = { p->issuer, p->ep_token, aud_ep };

		if (!aud_contains(json_object_get(cl, "aud"), us, EIDGW_ARRAY_LEN(us)))
			EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion aud not this server");
	}
	/* RFC 7523 §3 item 4: exp MUST be present and in the future. */
	if (!json_is_integer(v = json_object_get(cl, "exp")))
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion exp missing");
	e = json_integer_value(v);
	exp = (int64_t)e;
	if (exp + OIDC_CLOCK_SKEW <= now)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion expired");
	if (exp > now + OIDC_ASSERTION_MAX_LIFE + OIDC_CLOCK_SKEW)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion exp too far ahead");
	if ((v = json_object_get(cl, "nbf")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) > now + OIDC_CLOCK_SKEW))
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion not yet valid");
	if ((v = json_object_get(cl, "iat")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) > now + OIDC_CLOCK_SKEW))
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion iat in the future");
	/* RFC 7523 §3 item 7: jti; we make it single use (digest §6.1). */
	if (!json_is_string(v = json_object_get(cl, "jti")) || json_string_length(v) == 0 ||
	    json_string_length(v) > 256)
		EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion jti missing");
	oidc_sha256_hex(c->client_id, h1);
	oidc_sha256_hex(json_string_value(v), h2);
	(void)snprintf(key, sizeof(key), "oidc:jti:%.16s:%s", h1, h2);
	rc = p->store->ops->put_new(p->store, key, "1", 1,
	    exp - now + OIDC_CLOCK_SKEW + 1);
	if (rc == EIDGW_E_STORE_EXISTS)
		EIDGW_FAIL(d, EIDGW_E_OIDC_JTI_REPLAY, "client assertion jti replayed");
	if (rc != EIDGW_OK)
		EIDGW_FAIL(d, rc, "store refused the jti");
	rc = EIDGW_OK;
out:
	json_decref(cl);
	cjose_jws_release(jws);
	return rc;
}
