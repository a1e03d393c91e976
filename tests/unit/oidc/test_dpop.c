/*
 * Unit tests for DPoP (RFC 9449) in oidc/: the proof rules of §4.3 one by
 * one (positive and negative), DPoP-bound access tokens at the token
 * endpoint, code binding with dpop_jkt and with a proof at PAR (§10), the
 * per-client dpop_bound_access_tokens flag (§5.2) and the resource rules at
 * userinfo (§7.1).  Proofs, JWKs and thumbprints are built here with OpenSSL
 * directly, never with the code under test.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "core/keyops.h"
#include "core/store.h"
#include "core/util.h"
#include "oidc/oidc.h"

#define ISS "https://gw.example"
#define EP_TOKEN ISS "/oidc/token"
#define EP_USERINFO ISS "/oidc/userinfo"
#define EP_PAR ISS "/oidc/par"
#define RP_CB_ENC "https%3A%2F%2Frp.example%2Fcb"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"	/* RFC 7636 App. B */
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define SECRET "dpop-test-secret-0123456789"

static struct {
	EVP_PKEY *sign_ec;		/* the provider's ID-token key */
	struct eidgw_key *k_sign;
	EVP_PKEY *ec, *ec2, *rsa, *ed;	/* client DPoP keys */
	struct eidgw_store *store;
	struct oidc_provider *p;
	char basic[128], basic_dpop[128], basic_par[128];
} F;

static const unsigned char pairwise_key[32] = "0123456789abcdef0123456789abcdef";
static const char *const cb[] = { "https://rp.example/cb" };
static const char *const scopes[] = { "openid", "profile" };

/* ---- independent JOSE helpers (OpenSSL only) ----------------------------- */

static char *
b64u(const void *in, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	size_t i, m;

	assert_non_null(s);
	m = (size_t)EVP_EncodeBlock((unsigned char *)s, in, (int)n);
	while (m > 0 && s[m - 1] == '=')
		m--;
	s[m] = '\0';
	for (i = 0; i < m; i++)
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	return s;
}

static char *
b64u_str(const char *s)
{
	return b64u(s, strlen(s));
}

static char *
bn_b64u(EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = pad != 0 ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
	assert_true(n > 0);
	BN_free(bn);
	return b64u(buf, (size_t)n);
}

/* The raw Ed25519 public key of k, base64url (RFC 8037 "x"). */
static char *
ed_x(EVP_PKEY *k)
{
	unsigned char raw[32];
	size_t n = sizeof(raw);

	assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &n), 1);
	assert_int_equal(n, 32);
	return b64u(raw, n);
}

/* The public JWK of k (EC P-256, RSA or Ed25519) as JSON members, with extra appended. */
static char *
jwk_json(EVP_PKEY *k, const char *extra)
{
	char *a, *b, *s;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		a = ed_x(k);
		assert_true(asprintf(&s, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"%s}", a,
		    extra != NULL ? extra : "") > 0);
		free(a);
		return s;
	}
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		a = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		assert_true(asprintf(&s, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%s}",
		    a, b, extra != NULL ? extra : "") > 0);
	} else {
		a = bn_b64u(k, OSSL_PKEY_PARAM_RSA_N, 0);
		b = bn_b64u(k, OSSL_PKEY_PARAM_RSA_E, 0);
		assert_true(asprintf(&s, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", a, b,
		    extra != NULL ? extra : "") > 0);
	}
	free(a);
	free(b);
	return s;
}

/* RFC 7638 thumbprint of k, computed here. */
static char *
thumbprint(EVP_PKEY *k)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *a, *b, *s, *t;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		/* RFC 8037 §2: crv, kty, x */
		a = ed_x(k);
		b = NULL;
		assert_true(asprintf(&s, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", a) > 0);
	} else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		a = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		assert_true(asprintf(&s, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    a, b) > 0);
	} else {
		a = bn_b64u(k, OSSL_PKEY_PARAM_RSA_N, 0);
		b = bn_b64u(k, OSSL_PKEY_PARAM_RSA_E, 0);
		assert_true(asprintf(&s, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", b, a) > 0);
	}
	(void)SHA256((const unsigned char *)s, strlen(s), md);
	t = b64u(md, sizeof(md));
	free(a);
	free(b);
	free(s);
	return t;
}

static char *
ath_of(const char *token)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	(void)SHA256((const unsigned char *)token, strlen(token), md);
	return b64u(md, sizeof(md));
}

/* Signs input with alg using k (HS256: k unused, a fixed MAC key). */
static char *
sign(const char *alg, EVP_PKEY *k, const char *input)
{
	unsigned char sig[1024], rs[64];
	size_t n = sizeof(sig);
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;

	if (strcmp(alg, "none") == 0)
		return strdup("");
	if (strcmp(alg, "HS256") == 0) {
		unsigned int mlen = 0;

		assert_non_null(HMAC(EVP_sha256(), "0123456789abcdef0123456789abcdef", 32,
		    (const unsigned char *)input, strlen(input), sig, &mlen));
		return b64u(sig, mlen);
	}
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		/* RFC 8037 §3.1: Ed25519 over the signing input, 64 bytes */
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
		assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input,
		    strlen(input)), 1);
		EVP_MD_CTX_free(ctx);
		assert_int_equal(n, 64);
		return b64u(sig, n);
	}
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, k), 1);
	if (strcmp(alg, "PS256") == 0) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input,
	    strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	if (strcmp(alg, "ES256") == 0) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		const BIGNUM *r, *s;

		assert_non_null(es);
		ECDSA_SIG_get0(es, &r, &s);
		assert_int_equal(BN_bn2binpad(r, rs, 32), 32);
		assert_int_equal(BN_bn2binpad(s, rs + 32, 32), 32);
		ECDSA_SIG_free(es);
		return b64u(rs, sizeof(rs));
	}
	return b64u(sig, n);
}

/* What a test proof looks like; zero fields take the defaults of a good proof. */
struct popts {
	const char *typ;		/* default dpop+jwt; "-" leaves it out */
	const char *alg;		/* default ES256 (PS256 for RSA keys) */
	EVP_PKEY *key;			/* signer, default F.ec */
	EVP_PKEY *jwk_key;		/* key in the header, default = key */
	const char *jwk_extra;		/* extra JWK members (",\"d\":\"...\"") */
	const char *hdr_extra;		/* extra header members */
	const char *htm;		/* default POST */
	const char *htu;		/* default the token endpoint */
	long iat_off;			/* seconds from now */
	const char *jti;		/* default a fresh one; "-" leaves it out */
	const char *token;		/* ath = hash of this */
	const char *ath;		/* ath literally */
	bool no_iat;
	bool flip_sig;
};

static char *
proof(const struct popts *o)
{
	static unsigned long counter;
	EVP_PKEY *key = o->key != NULL ? o->key : F.ec;
	EVP_PKEY *jk = o->jwk_key != NULL ? o->jwk_key : key;
	const char *alg = o->alg != NULL ? o->alg :
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "ES256" :
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? "EdDSA" : "PS256";
	char *jwk = jwk_json(jk, o->jwk_extra), *hdr, *pl, *h64, *p64, *input, *sig, *out;
	char jti[64], typ[64] = "", iat[64] = "", jtim[400] = "", athm[128] = "";
	char *ath = NULL;

	if (o->typ == NULL || strcmp(o->typ, "-") != 0)
		(void)snprintf(typ, sizeof(typ), "\"typ\":\"%s\",", o->typ != NULL ? o->typ :
		    "dpop+jwt");
	assert_true(asprintf(&hdr, "{%s\"alg\":\"%s\",\"jwk\":%s%s}", typ, alg, jwk,
	    o->hdr_extra != NULL ? o->hdr_extra : "") > 0);
	(void)snprintf(jti, sizeof(jti), "jti-%lu-%ld", ++counter, (long)eidgw_now());
	if (o->jti == NULL || strcmp(o->jti, "-") != 0)
		(void)snprintf(jtim, sizeof(jtim), ",\"jti\":\"%s\"", o->jti != NULL ? o->jti : jti);
	if (!o->no_iat)
		(void)snprintf(iat, sizeof(iat), ",\"iat\":%ld", (long)eidgw_now() + o->iat_off);
	if (o->token != NULL)
		ath = ath_of(o->token);
	if (o->ath != NULL || ath != NULL)
		(void)snprintf(athm, sizeof(athm), ",\"ath\":\"%s\"", o->ath != NULL ? o->ath : ath);
	assert_true(asprintf(&pl, "{\"htm\":\"%s\",\"htu\":\"%s\"%s%s%s}",
	    o->htm != NULL ? o->htm : "POST", o->htu != NULL ? o->htu : EP_TOKEN, jtim, iat,
	    athm) > 0);
	h64 = b64u_str(hdr);
	p64 = b64u_str(pl);
	assert_true(asprintf(&input, "%s.%s", h64, p64) > 0);
	sig = sign(alg, key, input);
	if (o->flip_sig && sig[0] != '\0')
		sig[3] = sig[3] == 'A' ? 'B' : 'A';
	assert_true(asprintf(&out, "%s.%s", input, sig) > 0);
	free(jwk);
	free(hdr);
	free(pl);
	free(h64);
	free(p64);
	free(input);
	free(sig);
	free(ath);
	return out;
}

/* ---- fixture ---------------------------------------------------------------- */

static void
make_basic(char *out, const char *id)
{
	char raw[128], *b;

	(void)snprintf(raw, sizeof(raw), "%s:%s", id, SECRET);
	b = malloc(256);
	assert_non_null(b);
	(void)EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)raw, (int)strlen(raw));
	(void)snprintf(out, 128, "Basic %s", b);
	free(b);
}

static int
setup(void **state)
{
	struct oidc_signing_key keys[1];
	struct oidc_client cl[3];
	struct oidc_config c;
	struct eidgw_diag d = { 0 };

	(void)state;
	F.sign_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.ec2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	F.ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (F.sign_ec == NULL || F.ec == NULL || F.ec2 == NULL || F.rsa == NULL || F.ed == NULL ||
	    eidgw_key_from_pkey(F.sign_ec, NULL, &F.k_sign) != EIDGW_OK ||
	    eidgw_store_mem_new(&F.store) != EIDGW_OK)
		return -1;
	keys[0] = (struct oidc_signing_key){ "ec1", OIDC_ALG_ES256, OIDC_KEY_ACTIVE, F.k_sign };
	memset(cl, 0, sizeof(cl));
	cl[0] = (struct oidc_client){ .client_id = "rp", .redirect_uris = cb, .n_redirect_uris = 1,
	    .auth_method = OIDC_AUTH_SECRET_BASIC, .secret = SECRET, .scopes = scopes,
	    .n_scopes = 2, .id_token_alg = OIDC_ALG_ES256 };
	cl[1] = cl[0];
	cl[1].client_id = "rp-dpop";
	cl[1].dpop_bound_access_tokens = true;
	cl[2] = cl[0];
	cl[2].client_id = "rp-par";
	cl[2].require_par = true;
	memset(&c, 0, sizeof(c));
	c.issuer = ISS;
	c.keys = keys;
	c.n_keys = 1;
	c.pairwise_key = pairwise_key;
	c.pairwise_key_len = sizeof(pairwise_key);
	c.clients = cl;
	c.n_clients = 3;
	c.store = F.store;
	if (oidc_provider_new(&c, &F.p, &d) != EIDGW_OK) {
		fprintf(stderr, "provider: %s\n", d.reason);
		return -1;
	}
	make_basic(F.basic, "rp");
	make_basic(F.basic_dpop, "rp-dpop");
	make_basic(F.basic_par, "rp-par");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	oidc_provider_free(F.p);
	eidgw_store_free(F.store);
	eidgw_key_free(F.k_sign);
	EVP_PKEY_free(F.sign_ec);
	EVP_PKEY_free(F.ec);
	EVP_PKEY_free(F.ec2);
	EVP_PKEY_free(F.rsa);
	EVP_PKEY_free(F.ed);
	return 0;
}

/* ---- flow helpers ------------------------------------------------------------ */

#define AUTHZ_Q(client, extra) \
	"response_type=code&client_id=" client "&redirect_uri=" RP_CB_ENC \
	"&scope=openid%20profile&state=st&nonce=n&code_challenge=" CHALLENGE \
	"&code_challenge_method=S256" extra

static struct oidc_request
req(const char *method, const char *query, const char *body, const char *auth,
    const char *dpop, unsigned int n_dpop)
{
	struct oidc_request r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.query = query;
	r.query_len = query != NULL ? strlen(query) : 0;
	r.body = body;
	r.body_len = body != NULL ? strlen(body) : 0;
	r.content_type = body != NULL ? "application/x-www-form-urlencoded" : NULL;
	r.authorization = auth;
	r.dpop = dpop;
	r.n_dpop = n_dpop != 0 ? n_dpop : (dpop != NULL ? 1 : 0);
	return r;
}

/* The code for an accepted authorization request (query q, or client_id+request_uri). */
static char *
code_for(const char *q)
{
	struct oidc_request r = req("GET", q, NULL, NULL, NULL, 0);
	struct oidc_authz_result res, fin;
	struct oidc_identity id = { "ES/AT/02635542Y", "Maria", "Garcia", "1970-01-02",
	    OIDC_LOA_HIGH, 1700000000, NULL, NULL, 0 };
	const char *c;
	char *code;

	assert_int_equal(oidc_authorize(F.p, &r, &res, NULL), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL), EIDGW_OK);
	assert_non_null(fin.location);
	c = strstr(fin.location, "code=");
	assert_non_null(c);
	code = strndup(c + 5, strcspn(c + 5, "&"));
	oidc_authz_result_free(&res);
	oidc_authz_result_free(&fin);
	return code;
}

static enum eidgw_err
redeem(const char *code, const char *auth, const char *dpop, unsigned int n_dpop,
    struct oidc_response *out)
{
	char *body;
	struct oidc_request r;
	enum eidgw_err rc;

	assert_true(asprintf(&body, "grant_type=authorization_code&code=%s&code_verifier="
	    VERIFIER "&redirect_uri=%s", code, RP_CB_ENC) > 0);
	r = req("POST", NULL, body, auth, dpop, n_dpop);
	rc = oidc_token(F.p, &r, out, NULL);
	free(body);
	return rc;
}

static json_t *
body_json(const struct oidc_response *r)
{
	json_t *j;

	assert_non_null(r->body);
	j = json_loads(r->body, 0, NULL);
	assert_non_null(j);
	return j;
}

static void
assert_error(const struct oidc_response *r, int status, const char *err)
{
	json_t *j = body_json(r);

	assert_int_equal(r->status, status);
	assert_string_equal(json_string_value(json_object_get(j, "error")), err);
	json_decref(j);
}

/* A DPoP-bound access token for rp, proven with key k (new string). */
static char *
dpop_token(EVP_PKEY *k)
{
	struct oidc_response out;
	char *code = code_for(AUTHZ_Q("rp", "")), *pr, *at;
	struct popts o = { .key = k };
	json_t *j;

	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_OK);
	assert_int_equal(out.status, 200);
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "DPoP");
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	oidc_response_free(&out);
	free(pr);
	free(code);
	return at;
}

/* The diag reason of the last check(), to see that a refusal has the intended cause. */
static char last_reason[256];

static enum eidgw_err
check(const struct popts *o, const char *htm, const char *htu, const char *token, char *jkt)
{
	struct eidgw_diag d;
	char *pr = proof(o);
	enum eidgw_err rc;

	memset(&d, 0, sizeof(d));
	rc = oidc_dpop_proof_check(F.p, pr, htm, htu, token, jkt, &d);
	(void)snprintf(last_reason, sizeof(last_reason), "%s", d.reason);
	free(pr);
	return rc;
}

#define REFUSED_FOR(what) assert_non_null(strstr(last_reason, (what)))

/* ---- proof rules (§4.3), one at a time ---------------------------------------- */

static void
test_proof_ok_and_thumbprint(void **state)
{
	char jkt[OIDC_JKT_LEN + 1], *want;
	struct popts o = { 0 };

	(void)state;
	/* ES256 with an EC P-256 key: the thumbprint is RFC 7638's */
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	want = thumbprint(F.ec);
	assert_string_equal(jkt, want);
	free(want);
	/* PS256 with an RSA key */
	o.key = F.rsa;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	want = thumbprint(F.rsa);
	assert_string_equal(jkt, want);
	free(want);
	/* iat inside the window on both sides */
	memset(&o, 0, sizeof(o));
	o.iat_off = -55;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	o.iat_off = 8;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	/* htu: query and fragment ignored, scheme/host case and default port normalised */
	o.iat_off = 0;
	o.htu = EP_TOKEN "?a=b#frag";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	o.htu = "HTTPS://GW.Example:443/oidc/token";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	/* ath present when no token is involved is not an error */
	o.htu = NULL;
	o.ath = "abc";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
}

/*
 * EdDSA (RFC 8037) with an Ed25519 key, which FAPI 2.0 §5.4 allows beside
 * ES256 and PS256: accepted with the OKP thumbprint, and refused whenever
 * the key, the curve, the signature or the alg does not fit.
 */
static void
test_proof_eddsa(void **state)
{
	char jkt[OIDC_JKT_LEN + 1], *want, *pr, *code;
	struct popts o = { 0 };
	struct oidc_response out;
	json_t *j;

	(void)state;
	o.key = F.ed;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	want = thumbprint(F.ed);
	assert_string_equal(jkt, want);
	/* the same signature under its RFC 9864 name */
	o.alg = "Ed25519";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	assert_string_equal(jkt, want);
	free(want);
	o.alg = "Ed448";		/* not supported */
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	o.alg = NULL;
	/* the signature must be the key's */
	o.flip_sig = true;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	o.flip_sig = false;
	o.jwk_key = F.ec;		/* EdDSA, but an EC key in the header */
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	o.jwk_key = NULL;
	o.key = F.ec;			/* ES256 header, OKP key: type mismatch */
	o.jwk_key = F.ed;
	o.alg = "ES256";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	memset(&o, 0, sizeof(o));
	o.key = F.ed;
	o.jwk_extra = ",\"d\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"";	/* private */
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	/* other claims are checked as for every alg */
	o.jwk_extra = NULL;
	o.htm = "GET";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	o.htm = NULL;
	o.iat_off = -3600;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	/* a token bound to the Ed25519 key */
	memset(&o, 0, sizeof(o));
	o.key = F.ed;
	code = code_for(AUTHZ_Q("rp", ""));
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_OK);
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "DPoP");
	json_decref(j);
	oidc_response_free(&out);
	free(pr);
	free(code);
}

static void
test_proof_header_rules(void **state)
{
	char jkt[OIDC_JKT_LEN + 1] = "x", *d, *extra;
	struct popts o;

	(void)state;
	/* typ: wrong, missing */
	o = (struct popts){ .typ = "JWT" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("typ is not");
	assert_string_equal(jkt, "");
	o = (struct popts){ .typ = "-" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("typ is not");
	/* alg: none, HS256, one outside the list, one not fitting the key */
	o = (struct popts){ .alg = "none" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("alg not allowed");
	o = (struct popts){ .alg = "HS256" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("alg not allowed");
	o = (struct popts){ .alg = "ES384" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("alg not allowed");
	/* RS256, correctly signed with an RSA key: FAPI 2.0 §5.4 allows only
	 * PS256, ES256 and EdDSA, so no PKCS#1 v1.5 proof is accepted */
	o = (struct popts){ .alg = "RS256", .key = F.rsa };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	assert_string_equal(jkt, "");
	REFUSED_FOR("alg not allowed");
	o = (struct popts){ .alg = "PS256", .key = F.rsa, .jwk_key = F.ec };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jwk missing");
	/* a private key in the jwk (EC d; RSA private members) */
	d = bn_b64u(F.ec, OSSL_PKEY_PARAM_PRIV_KEY, 32);
	assert_true(asprintf(&extra, ",\"d\":\"%s\"", d) > 0);
	o = (struct popts){ .jwk_extra = extra };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jwk missing");
	free(extra);
	free(d);
	o = (struct popts){ .key = F.rsa, .jwk_extra = ",\"p\":\"AQAB\"" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jwk missing");
	/* a symmetric jwk */
	o = (struct popts){ .jwk_extra = ",\"k\":\"AAAA\"" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jwk missing");
	/* crit is refused */
	o = (struct popts){ .hdr_extra = ",\"crit\":[\"x\"],\"x\":1" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("has crit");
}

static void
test_proof_signature(void **state)
{
	char jkt[OIDC_JKT_LEN + 1];
	struct popts o;
	char *pr;

	(void)state;
	/* a flipped signature */
	o = (struct popts){ .flip_sig = true };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("signature not valid");
	o = (struct popts){ .key = F.rsa, .flip_sig = true };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("signature not valid");
	/* signed by a key other than the one in the header */
	o = (struct popts){ .key = F.ec2, .jwk_key = F.ec };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("signature not valid");
	/* not a compact JWS at all, or too long */
	assert_int_equal(oidc_dpop_proof_check(F.p, "a.b", "POST", EP_TOKEN, NULL, jkt, NULL),
	    EIDGW_E_OIDC_DPOP_PROOF);
	assert_int_equal(oidc_dpop_proof_check(F.p, "", "POST", EP_TOKEN, NULL, jkt, NULL),
	    EIDGW_E_OIDC_DPOP_PROOF);
	pr = malloc(OIDC_MAX_DPOP + 2);
	assert_non_null(pr);
	memset(pr, 'A', OIDC_MAX_DPOP + 1);
	pr[10] = '.';
	pr[20] = '.';
	pr[OIDC_MAX_DPOP + 1] = '\0';
	assert_int_equal(oidc_dpop_proof_check(F.p, pr, "POST", EP_TOKEN, NULL, jkt, NULL),
	    EIDGW_E_OIDC_DPOP_PROOF);
	free(pr);
}

static void
test_proof_claims(void **state)
{
	char jkt[OIDC_JKT_LEN + 1], longjti[300];
	struct popts o;

	(void)state;
	/* htm */
	o = (struct popts){ .htm = "GET" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htm is not");
	o = (struct popts){ .htm = "post" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htm is not");
	/* htu: another endpoint, another host, another scheme, a longer path */
	o = (struct popts){ .htu = EP_USERINFO };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htu is not");
	o = (struct popts){ .htu = "https://evil.example/oidc/token" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htu is not");
	o = (struct popts){ .htu = "http://gw.example/oidc/token" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htu is not");
	o = (struct popts){ .htu = EP_TOKEN "/" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htu is not");
	o = (struct popts){ .htu = "https://gw.example:8443/oidc/token" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("htu is not");
	/* iat: too old, too far ahead, missing */
	o = (struct popts){ .iat_off = -(OIDC_DPOP_MAX_AGE + 5) };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("iat outside");
	o = (struct popts){ .iat_off = OIDC_DPOP_FUTURE + 5 };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("iat outside");
	o = (struct popts){ .no_iat = true };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("iat missing");
	/* jti: missing, too long */
	o = (struct popts){ .jti = "-" };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jti missing");
	memset(longjti, 'j', 257);
	longjti[257] = '\0';
	o = (struct popts){ .jti = longjti };
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("jti missing");
}

static void
test_proof_jti_replay(void **state)
{
	char jkt[OIDC_JKT_LEN + 1], *pr;
	struct popts o = { 0 };

	(void)state;
	pr = proof(&o);
	assert_int_equal(oidc_dpop_proof_check(F.p, pr, "POST", EP_TOKEN, NULL, jkt, NULL),
	    EIDGW_OK);
	assert_int_equal(oidc_dpop_proof_check(F.p, pr, "POST", EP_TOKEN, NULL, jkt, NULL),
	    EIDGW_E_OIDC_DPOP_REPLAY);
	free(pr);
	/* the same jti from another key is that key's own */
	o.jti = "shared-jti";
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	o.key = F.ec2;
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_OK);
	assert_int_equal(check(&o, "POST", EP_TOKEN, NULL, jkt), EIDGW_E_OIDC_DPOP_REPLAY);
}

static void
test_proof_ath(void **state)
{
	char jkt[OIDC_JKT_LEN + 1];
	const char *tok = "an-access-token-value";
	struct popts o;

	(void)state;
	o = (struct popts){ .htm = "GET", .htu = EP_USERINFO, .token = tok };
	assert_int_equal(check(&o, "GET", EP_USERINFO, tok, jkt), EIDGW_OK);
	/* missing ath */
	o = (struct popts){ .htm = "GET", .htu = EP_USERINFO };
	assert_int_equal(check(&o, "GET", EP_USERINFO, tok, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("ath missing");
	/* ath of another token */
	o = (struct popts){ .htm = "GET", .htu = EP_USERINFO, .token = "another-token" };
	assert_int_equal(check(&o, "GET", EP_USERINFO, tok, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("ath missing");
	/* ath the token itself rather than its hash */
	o = (struct popts){ .htm = "GET", .htu = EP_USERINFO, .ath = tok };
	assert_int_equal(check(&o, "GET", EP_USERINFO, tok, jkt), EIDGW_E_OIDC_DPOP_PROOF);
	REFUSED_FOR("ath missing");
}

/* ---- token endpoint (§5) ------------------------------------------------------- */

static void
test_token_binds(void **state)
{
	struct oidc_response out;
	char *code, *pr, *at, *body;
	struct popts o = { 0 };
	json_t *j;

	(void)state;
	/* without a proof: a Bearer token, as before */
	code = code_for(AUTHZ_Q("rp", ""));
	assert_int_equal(redeem(code, F.basic, NULL, 0, &out), EIDGW_OK);
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "Bearer");
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	oidc_response_free(&out);
	free(code);
	{
		/* a plain bearer token still works at userinfo */
		char hdr[600];
		struct oidc_request r;

		(void)snprintf(hdr, sizeof(hdr), "Bearer %s", at);
		r = req("GET", NULL, NULL, hdr, NULL, 0);
		assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_OK);
		assert_int_equal(out.status, 200);
		oidc_response_free(&out);
	}
	free(at);
	/* with a proof: token_type DPoP, the ID token as usual */
	code = code_for(AUTHZ_Q("rp", ""));
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_OK);
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "DPoP");
	assert_non_null(json_string_value(json_object_get(j, "id_token")));
	json_decref(j);
	oidc_response_free(&out);
	free(pr);
	free(code);
	/* an invalid proof: 400 invalid_dpop_proof, and the code survives */
	code = code_for(AUTHZ_Q("rp", ""));
	o = (struct popts){ .htu = EP_USERINFO };
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* a replayed proof likewise */
	o = (struct popts){ 0 };
	pr = proof(&o);
	{
		char jkt[OIDC_JKT_LEN + 1];

		assert_int_equal(oidc_dpop_proof_check(F.p, pr, "POST", EP_TOKEN, NULL, jkt, NULL),
		    EIDGW_OK);
	}
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_E_OIDC_DPOP_REPLAY);
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* an RS256 proof (FAPI 2.0 §5.4): refused like any invalid proof */
	o = (struct popts){ .alg = "RS256", .key = F.rsa };
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	o = (struct popts){ 0 };
	/* two DPoP header fields */
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 2, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* still redeemable with a good proof */
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	free(code);
	/* a client that failed authentication learns nothing about its proof */
	code = code_for(AUTHZ_Q("rp", ""));
	pr = proof(&o);
	assert_true(asprintf(&body, "Basic %s", "cnA6d3Jvbmc=") > 0);	/* rp:wrong */
	assert_int_equal(redeem(code, body, pr, 1, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_int_equal(out.status, 401);
	oidc_response_free(&out);
	free(body);
	free(pr);
	free(code);
}

static void
test_token_dpop_required_client(void **state)
{
	struct oidc_response out;
	char *code, *pr;
	struct popts o = { 0 };
	json_t *j;

	(void)state;
	code = code_for(AUTHZ_Q("rp-dpop", ""));
	assert_int_equal(redeem(code, F.basic_dpop, NULL, 0, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	/* the refusal came before the code was taken: it works with a proof */
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic_dpop, pr, 1, &out), EIDGW_OK);
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "DPoP");
	json_decref(j);
	oidc_response_free(&out);
	free(pr);
	free(code);
}

/* ---- code binding (§10) ---------------------------------------------------------- */

static void
test_dpop_jkt_binding(void **state)
{
	struct oidc_response out;
	struct oidc_authz_result res;
	struct oidc_request r;
	char *jkt = thumbprint(F.ec), *q, *code, *pr;
	struct popts o = { 0 };

	(void)state;
	assert_true(asprintf(&q, "%s&dpop_jkt=%s", AUTHZ_Q("rp", ""), jkt) > 0);
	/* a proof by another key: refused */
	code = code_for(q);
	o.key = F.ec2;
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_E_OIDC_DPOP_BINDING);
	assert_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(pr);
	free(code);
	/* no proof at all: refused */
	code = code_for(q);
	assert_int_equal(redeem(code, F.basic, NULL, 0, &out), EIDGW_E_OIDC_DPOP_BINDING);
	assert_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(code);
	/* the bound key: accepted */
	code = code_for(q);
	o.key = F.ec;
	pr = proof(&o);
	assert_int_equal(redeem(code, F.basic, pr, 1, &out), EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	free(code);
	free(q);
	/* a malformed dpop_jkt is an invalid_request redirect */
	r = req("GET", AUTHZ_Q("rp", "&dpop_jkt=short"), NULL, NULL, NULL, 0);
	assert_int_equal(oidc_authorize(F.p, &r, &res, NULL), EIDGW_E_OIDC_PARAM);
	assert_int_equal(res.kind, OIDC_AUTHZ_REDIRECT);
	assert_non_null(strstr(res.location, "error=invalid_request"));
	oidc_authz_result_free(&res);
	free(jkt);
}

/* PAR with a proof; returns the request_uri (new string) or NULL on refusal. */
static char *
par(const char *extra, const char *dpop, struct oidc_response *out, enum eidgw_err want)
{
	char *body, *ru = NULL;
	struct oidc_request r;
	json_t *j;

	assert_true(asprintf(&body, "response_type=code&redirect_uri=%s"
	    "&scope=openid&state=st&code_challenge=" CHALLENGE "&code_challenge_method=S256%s",
	    RP_CB_ENC, extra) > 0);
	r = req("POST", NULL, body, F.basic_par, dpop, 0);
	assert_int_equal(oidc_par(F.p, &r, out, NULL), want);
	if (want == EIDGW_OK) {
		assert_int_equal(out->status, 201);
		j = body_json(out);
		ru = strdup(json_string_value(json_object_get(j, "request_uri")));
		json_decref(j);
	}
	free(body);
	return ru;
}

static void
test_par_binding(void **state)
{
	struct oidc_response out;
	struct popts po = { .htu = EP_PAR }, to = { 0 };
	char *pr, *ru, *q, *code, *jkt2 = thumbprint(F.ec2), *extra;

	(void)state;
	/* a proof at PAR binds the code to its key */
	pr = proof(&po);
	ru = par("", pr, &out, EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	assert_true(asprintf(&q, "client_id=rp-par&request_uri=%s", ru) > 0);
	code = code_for(q);
	to.key = F.ec2;
	pr = proof(&to);
	assert_int_equal(redeem(code, F.basic_par, pr, 1, &out), EIDGW_E_OIDC_DPOP_BINDING);
	oidc_response_free(&out);
	free(pr);
	free(code);
	free(q);
	free(ru);
	/* ... and the same key redeems it */
	pr = proof(&po);
	ru = par("", pr, &out, EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	assert_true(asprintf(&q, "client_id=rp-par&request_uri=%s", ru) > 0);
	code = code_for(q);
	to.key = F.ec;
	pr = proof(&to);
	assert_int_equal(redeem(code, F.basic_par, pr, 1, &out), EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	free(code);
	free(q);
	free(ru);
	/* dpop_jkt and a proof of another key: invalid_dpop_proof */
	assert_true(asprintf(&extra, "&dpop_jkt=%s", jkt2) > 0);
	pr = proof(&po);
	assert_null(par(extra, pr, &out, EIDGW_E_OIDC_DPOP_BINDING));
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* an invalid proof at PAR (htu of the token endpoint) */
	po.htu = EP_TOKEN;
	pr = proof(&po);
	assert_null(par("", pr, &out, EIDGW_E_OIDC_DPOP_PROOF));
	assert_error(&out, 400, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	free(extra);
	free(jkt2);
}

/* ---- userinfo (§7) ----------------------------------------------------------------- */

static enum eidgw_err
userinfo(const char *method, const char *auth, const char *dpop, unsigned int n,
    struct oidc_response *out)
{
	struct oidc_request r = req(method, NULL, NULL, auth, dpop, n);

	return oidc_userinfo(F.p, &r, out, NULL);
}

static void
assert_dpop_challenge(const struct oidc_response *out, const char *err)
{
	char want[128];

	assert_int_equal(out->status, 401);
	assert_non_null(out->www_authenticate);
	assert_true(strncmp(out->www_authenticate, "DPoP ", 5) == 0);
	(void)snprintf(want, sizeof(want), "error=\"%s\"", err);
	assert_non_null(strstr(out->www_authenticate, want));
	assert_non_null(strstr(out->www_authenticate, "algs=\"ES256 PS256 EdDSA Ed25519\""));
}

static void
test_userinfo_dpop(void **state)
{
	struct oidc_response out;
	char *at = dpop_token(F.ec), *pr, hdr[600], *body;
	struct popts o = { .htm = "GET", .htu = EP_USERINFO };
	struct oidc_request r;

	(void)state;
	o.token = at;
	(void)snprintf(hdr, sizeof(hdr), "DPoP %s", at);
	/* the right way: DPoP scheme, proof with ath by the bound key */
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_OK);
	assert_int_equal(out.status, 200);
	oidc_response_free(&out);
	/* the same proof again: replay */
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_REPLAY);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* scheme name is case-insensitive; POST with htm POST works too */
	o.htm = "POST";
	pr = proof(&o);
	hdr[0] = 'd';
	hdr[1] = 'p';
	assert_int_equal(userinfo("POST", hdr, pr, 1, &out), EIDGW_OK);
	oidc_response_free(&out);
	free(pr);
	(void)snprintf(hdr, sizeof(hdr), "DPoP %s", at);
	/* htm of another method */
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	o.htm = "GET";
	/* no proof */
	assert_int_equal(userinfo("GET", hdr, NULL, 0, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	/* two DPoP headers */
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 2, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	/* missing ath, wrong ath */
	o.token = NULL;
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_PROOF);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	o.token = "not-this-token";
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_PROOF);
	oidc_response_free(&out);
	free(pr);
	/* a valid proof by another key (jkt mismatch) */
	o.token = at;
	o.key = F.ec2;
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_BINDING);
	assert_dpop_challenge(&out, "invalid_dpop_proof");
	oidc_response_free(&out);
	free(pr);
	o.key = NULL;
	/* the bound token presented as a Bearer token, with or without a proof */
	(void)snprintf(hdr, sizeof(hdr), "Bearer %s", at);
	assert_int_equal(userinfo("GET", hdr, NULL, 0, &out), EIDGW_E_OIDC_DPOP_BINDING);
	assert_dpop_challenge(&out, "invalid_token");
	oidc_response_free(&out);
	pr = proof(&o);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_DPOP_BINDING);
	assert_dpop_challenge(&out, "invalid_token");
	oidc_response_free(&out);
	free(pr);
	/* ... or in a form body */
	assert_true(asprintf(&body, "access_token=%s", at) > 0);
	r = req("POST", NULL, body, NULL, NULL, 0);
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_DPOP_BINDING);
	assert_dpop_challenge(&out, "invalid_token");
	oidc_response_free(&out);
	free(body);
	/* an unknown token under the DPoP scheme */
	pr = proof(&(struct popts){ .htm = "GET", .htu = EP_USERINFO,
	    .token = "bm90LWEtdG9rZW4" });
	assert_int_equal(userinfo("GET", "DPoP bm90LWEtdG9rZW4", pr, 1, &out), EIDGW_E_OIDC_TOKEN);
	assert_dpop_challenge(&out, "invalid_token");
	oidc_response_free(&out);
	free(pr);
	free(at);
}

static void
test_userinfo_unbound_under_dpop(void **state)
{
	struct oidc_response out;
	char *code = code_for(AUTHZ_Q("rp", "")), *at, hdr[600], *pr;
	struct popts o = { .htm = "GET", .htu = EP_USERINFO };
	json_t *j;

	(void)state;
	assert_int_equal(redeem(code, F.basic, NULL, 0, &out), EIDGW_OK);
	j = body_json(&out);
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	oidc_response_free(&out);
	/* a bearer token is not a DPoP token, even with a good proof */
	o.token = at;
	pr = proof(&o);
	(void)snprintf(hdr, sizeof(hdr), "DPoP %s", at);
	assert_int_equal(userinfo("GET", hdr, pr, 1, &out), EIDGW_E_OIDC_TOKEN);
	assert_dpop_challenge(&out, "invalid_token");
	oidc_response_free(&out);
	free(pr);
	free(at);
	free(code);
}

static void
test_discovery_and_unknown_client(void **state)
{
	struct oidc_response out;
	json_t *j, *a;
	char *code;

	(void)state;
	assert_int_equal(oidc_discovery(F.p, &out), EIDGW_OK);
	j = body_json(&out);
	a = json_object_get(j, "dpop_signing_alg_values_supported");
	assert_true(json_is_array(a));
	/* FAPI 2.0 §5.4: ES256, PS256 and EdDSA (also as Ed25519, RFC 9864), no RS256 */
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "ES256");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "PS256");
	assert_string_equal(json_string_value(json_array_get(a, 2)), "EdDSA");
	assert_string_equal(json_string_value(json_array_get(a, 3)), "Ed25519");
	json_decref(j);
	oidc_response_free(&out);
	/* an unknown client and a wrong secret get the same answer */
	code = code_for(AUTHZ_Q("rp", ""));
	assert_int_equal(redeem(code, "Basic bm9ib2R5OmRwb3AtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==",
	    NULL, 0, &out), EIDGW_E_OIDC_CLIENT_AUTH);	/* nobody:<the secret> */
	assert_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	assert_int_equal(redeem(code, "Basic cnA6ZHBvcC10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5WA==",
	    NULL, 0, &out), EIDGW_E_OIDC_CLIENT_AUTH);	/* rp:<the secret>X */
	assert_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(code);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proof_ok_and_thumbprint),
		cmocka_unit_test(test_proof_eddsa),
		cmocka_unit_test(test_proof_header_rules),
		cmocka_unit_test(test_proof_signature),
		cmocka_unit_test(test_proof_claims),
		cmocka_unit_test(test_proof_jti_replay),
		cmocka_unit_test(test_proof_ath),
		cmocka_unit_test(test_token_binds),
		cmocka_unit_test(test_token_dpop_required_client),
		cmocka_unit_test(test_dpop_jkt_binding),
		cmocka_unit_test(test_par_binding),
		cmocka_unit_test(test_userinfo_dpop),
		cmocka_unit_test(test_userinfo_unbound_under_dpop),
		cmocka_unit_test(test_discovery_and_unknown_client),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
