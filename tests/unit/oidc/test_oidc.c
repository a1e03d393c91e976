/*
 * Unit tests for the oidc/ provider: discovery, JWKS, authorization and PAR
 * validation, codes, token endpoint with every client authentication
 * method, ID tokens (verified with cjose, independently of our signer) and
 * userinfo.  Keys are generated here; nothing private is committed.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/util.h"
#include "oidc/oidc.h"

#define ISS "http://127.0.0.1:8080"
#define RP_CB "https://rp.example/cb"
#define RP_CB2 "https://rp.example/cb2?x=1"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"	/* RFC 7636 App. B */
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define BASIC_SECRET "basic-secret-0123456789"
#define POST_SECRET "post-secret-0123456789ab"
#define PID "ES/AT/02635542Y"

/* Basic base64("rp-basic:basic-secret-0123456789") is built at setup. */
static char basic_hdr[128], basic_par_hdr[128];

static struct fixture {
	EVP_PKEY *rsa, *ec, *ec_old, *cli_ec, *cli_rsa, *other_ec;
	struct eidgw_key *k_rsa, *k_ec, *k_ec_old, *k_cli_ec, *k_cli_rsa, *k_other;
	struct eidgw_store *store, *bad_store;
	struct oidc_provider *p, *p_short, *p_bad;
	char *cli_jwks;
} F;

static const unsigned char pairwise_key[32] = "0123456789abcdef0123456789abcdef";

/* ---- a store that is always down --------------------------------------- */

static enum eidgw_err
down_put(struct eidgw_store *s, const char *k, const void *v, size_t n, int64_t t)
{
	return EIDGW_E_STORE_UNAVAILABLE;
}

static enum eidgw_err
down_get(struct eidgw_store *s, const char *k, struct eidgw_buf *o)
{
	return EIDGW_E_STORE_UNAVAILABLE;
}

static enum eidgw_err
down_del(struct eidgw_store *s, const char *k)
{
	return EIDGW_E_STORE_UNAVAILABLE;
}

static enum eidgw_err
down_ping(struct eidgw_store *s)
{
	return EIDGW_E_STORE_UNAVAILABLE;
}

static void
down_destroy(struct eidgw_store *s)
{
}

static const struct eidgw_store_ops down_ops = {
	.name = "down", .put_new = down_put, .put = down_put, .get = down_get, .take = down_get,
	.del = down_del, .ping = down_ping, .destroy = down_destroy,
};
static struct eidgw_store down_store = { &down_ops, NULL };

/* ---- setup --------------------------------------------------------------- */

static const char *const cb_basic[] = { RP_CB, RP_CB2 };
static const char *const cb_one[] = { RP_CB };
static const char *const sc_basic[] = { "openid", "profile", "eidas", "email" };
static const char *const sc_min[] = { "openid", "profile" };

static void
make_config(struct oidc_config *c, struct oidc_signing_key *keys, struct oidc_client *cl)
{
	memset(c, 0, sizeof(*c));
	keys[0] = (struct oidc_signing_key){ "rsa1", OIDC_ALG_PS256, OIDC_KEY_ACTIVE, F.k_rsa };
	keys[1] = (struct oidc_signing_key){ "ec1", OIDC_ALG_ES256, OIDC_KEY_ACTIVE, F.k_ec };
	keys[2] = (struct oidc_signing_key){ "ec0", OIDC_ALG_ES256, OIDC_KEY_RETIRED, F.k_ec_old };
	keys[3] = (struct oidc_signing_key){ "rs1", OIDC_ALG_RS256, OIDC_KEY_NEXT, F.k_rsa };
	memset(cl, 0, 4 * sizeof(*cl));
	cl[0] = (struct oidc_client){ .client_id = "rp-basic", .name = "RP basic",
	    .redirect_uris = cb_basic, .n_redirect_uris = 2, .auth_method = OIDC_AUTH_SECRET_BASIC,
	    .secret = BASIC_SECRET, .scopes = sc_basic, .n_scopes = 4 };
	cl[1] = (struct oidc_client){ .client_id = "rp-post", .redirect_uris = cb_one,
	    .n_redirect_uris = 1, .auth_method = OIDC_AUTH_SECRET_POST, .secret = POST_SECRET,
	    .scopes = sc_min, .n_scopes = 2, .id_token_alg = OIDC_ALG_ES256,
	    .access_token_ttl = 120, .id_token_ttl = 90 };
	cl[2] = (struct oidc_client){ .client_id = "rp-jwt", .redirect_uris = cb_one,
	    .n_redirect_uris = 1, .auth_method = OIDC_AUTH_PRIVATE_KEY_JWT,
	    .jwks_json = F.cli_jwks, .scopes = sc_basic, .n_scopes = 4,
	    .id_token_alg = OIDC_ALG_ES256, .sector_identifier = "https://sector.example" };
	cl[3] = (struct oidc_client){ .client_id = "rp-par", .redirect_uris = cb_one,
	    .n_redirect_uris = 1, .auth_method = OIDC_AUTH_SECRET_BASIC, .secret = BASIC_SECRET,
	    .scopes = sc_basic, .n_scopes = 4, .require_par = true, .min_acr = OIDC_LOA_SUBSTANTIAL };
	c->issuer = ISS;
	c->keys = keys;
	c->n_keys = 4;
	c->pairwise_key = pairwise_key;
	c->pairwise_key_len = sizeof(pairwise_key);
	c->clients = cl;
	c->n_clients = 4;
	c->store = F.store;
}

static void
make_basic(char *out, const char *id, const char *secret)
{
	struct eidgw_buf raw, b;

	eidgw_buf_init(&raw, 256);
	eidgw_buf_init(&b, 256);
	assert_int_equal(eidgw_buf_printf(&raw, "%s:%s", id, secret), EIDGW_OK);
	assert_int_equal(eidgw_b64_encode(&b, raw.data, raw.len, false), EIDGW_OK);
	(void)snprintf(out, 128, "Basic %s", b.data);
	eidgw_buf_free(&raw);
	eidgw_buf_free(&b);
}

static int
setup(void **state)
{
	struct oidc_signing_key keys[4];
	struct oidc_client cl[4];
	struct oidc_config c;
	char *j1 = NULL, *j2 = NULL;
	struct eidgw_diag d;

	(void)state;
	memset(&d, 0, sizeof(d));
	F.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	F.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.ec_old = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.cli_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	F.cli_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	F.other_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (F.rsa == NULL || F.ec == NULL || F.ec_old == NULL || F.cli_ec == NULL ||
	    F.cli_rsa == NULL || F.other_ec == NULL)
		return -1;
	if (eidgw_key_from_pkey(F.rsa, NULL, &F.k_rsa) != EIDGW_OK ||
	    eidgw_key_from_pkey(F.ec, NULL, &F.k_ec) != EIDGW_OK ||
	    eidgw_key_from_pkey(F.ec_old, NULL, &F.k_ec_old) != EIDGW_OK ||
	    eidgw_key_from_pkey(F.cli_ec, NULL, &F.k_cli_ec) != EIDGW_OK ||
	    eidgw_key_from_pkey(F.cli_rsa, NULL, &F.k_cli_rsa) != EIDGW_OK ||
	    eidgw_key_from_pkey(F.other_ec, NULL, &F.k_other) != EIDGW_OK)
		return -1;
	if (oidc_jwk_public_json(F.k_cli_ec->pub, "cli-ec", OIDC_ALG_ES256, &j1) != EIDGW_OK ||
	    oidc_jwk_public_json(F.k_cli_rsa->pub, "cli-rsa", OIDC_ALG_PS256, &j2) != EIDGW_OK)
		return -1;
	if (asprintf(&F.cli_jwks, "{\"keys\":[%s,%s]}", j1, j2) < 0)
		return -1;
	free(j1);
	free(j2);
	if (eidgw_store_mem_new(&F.store) != EIDGW_OK)
		return -1;
	make_config(&c, keys, cl);
	if (oidc_provider_new(&c, &F.p, &d) != EIDGW_OK) {
		fprintf(stderr, "provider: %s\n", d.reason);
		return -1;
	}
	c.code_ttl = 1;
	c.par_ttl = 1;
	c.access_token_ttl = 1;
	if (oidc_provider_new(&c, &F.p_short, &d) != EIDGW_OK)
		return -1;
	c.store = &down_store;
	if (oidc_provider_new(&c, &F.p_bad, &d) != EIDGW_OK)
		return -1;
	make_basic(basic_hdr, "rp-basic", BASIC_SECRET);
	make_basic(basic_par_hdr, "rp-par", BASIC_SECRET);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	oidc_provider_free(F.p);
	oidc_provider_free(F.p_short);
	oidc_provider_free(F.p_bad);
	eidgw_store_free(F.store);
	eidgw_key_free(F.k_rsa);
	eidgw_key_free(F.k_ec);
	eidgw_key_free(F.k_ec_old);
	eidgw_key_free(F.k_cli_ec);
	eidgw_key_free(F.k_cli_rsa);
	eidgw_key_free(F.k_other);
	EVP_PKEY_free(F.rsa);
	EVP_PKEY_free(F.ec);
	EVP_PKEY_free(F.ec_old);
	EVP_PKEY_free(F.cli_ec);
	EVP_PKEY_free(F.cli_rsa);
	EVP_PKEY_free(F.other_ec);
	free(F.cli_jwks);
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static struct oidc_request
get_req(const char *q)
{
	struct oidc_request r = { "GET", q, q != NULL ? strlen(q) : 0, NULL, 0, NULL, NULL,
	    NULL, 0 };

	return r;
}

static struct oidc_request
post_req(const char *body, const char *auth)
{
	struct oidc_request r = { "POST", NULL, 0, body, strlen(body),
	    "application/x-www-form-urlencoded", auth, NULL, 0 };

	return r;
}

static enum eidgw_err
authz(const struct oidc_provider *p, const char *q, struct oidc_authz_result *res)
{
	struct oidc_request r = get_req(q);

	return oidc_authorize(p, &r, res, NULL);
}

#define GOOD_Q(client, extra) \
	"response_type=code&client_id=" client "&redirect_uri=https%3A%2F%2Frp.example%2Fcb" \
	"&scope=openid%20profile&state=st-1&nonce=n-1&code_challenge=" CHALLENGE \
	"&code_challenge_method=S256" extra

/* Value of parameter name in the query of a redirect location (new string). */
static char *
loc_param(const char *loc, const char *name)
{
	struct oidc_params ps;
	const char *q = strchr(loc, '?');
	char *v = NULL;

	assert_non_null(q);
	assert_int_equal(oidc_params_parse(q + 1, strlen(q + 1), &ps, NULL), EIDGW_OK);
	if (oidc_params_get(&ps, name) != NULL)
		v = strdup(oidc_params_get(&ps, name));
	oidc_params_free(&ps);
	return v;
}

static void
assert_loc_param(const char *loc, const char *name, const char *want)
{
	char *v = loc_param(loc, name);

	if (want == NULL) {
		assert_null(v);
	} else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	free(v);
}

/* An error redirect: to the registered URI, with error, state and iss. */
static void
assert_error_redirect(const struct oidc_authz_result *res, const char *uri, const char *err,
    const char *st)
{
	assert_int_equal(res->kind, OIDC_AUTHZ_REDIRECT);
	assert_non_null(res->location);
	assert_true(eidgw_starts_with(res->location, uri));
	assert_loc_param(res->location, "error", err);
	assert_loc_param(res->location, "state", st);
	assert_loc_param(res->location, "iss", ISS);
	assert_null(res->req);
}

static void
assert_error_page(const struct oidc_authz_result *res)
{
	assert_int_equal(res->kind, OIDC_AUTHZ_ERROR_PAGE);
	assert_null(res->location);
	assert_null(res->req);
}

static const struct oidc_claim extra_claims[] = {
	{ "email", "\"maria@example.org\"" },
	{ "gender", "\"female\"" },
	{ "address", "{\"country\":\"ES\"}" },
	{ "unknown_claim", "\"x\"" },
};

static struct oidc_identity
identity(const char *acr)
{
	struct oidc_identity id = { PID, "Maria", "Garcia", "1970-01-02", acr, 1700000000, NULL,
	    extra_claims, EIDGW_ARRAY_LEN(extra_claims) };

	return id;
}

/* Runs /authorize and the login; returns the code (new string). */
static char *
get_code(const struct oidc_provider *p, const char *q, const char *acr)
{
	struct oidc_authz_result res, fin;
	struct oidc_identity id = identity(acr);
	char *code;

	assert_int_equal(authz(p, q, &res), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_int_equal(oidc_authz_complete(p, res.req, &id, &fin, NULL), EIDGW_OK);
	assert_int_equal(fin.kind, OIDC_AUTHZ_REDIRECT);
	assert_loc_param(fin.location, "iss", ISS);
	code = loc_param(fin.location, "code");
	assert_non_null(code);
	assert_true(strlen(code) >= 22);	/* >= 128 bits */
	oidc_authz_result_free(&res);
	oidc_authz_result_free(&fin);
	return code;
}

static enum eidgw_err
token(const struct oidc_provider *p, const char *body, const char *auth,
    struct oidc_response *out)
{
	struct oidc_request r = post_req(body, auth);

	return oidc_token(p, &r, out, NULL);
}

static char *
token_body(const char *code, const char *verifier, const char *redirect, const char *extra)
{
	char *s;

	assert_true(asprintf(&s, "grant_type=authorization_code&code=%s&code_verifier=%s"
	    "&redirect_uri=%s%s", code, verifier, redirect, extra) > 0);
	return s;
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
assert_oauth_error(const struct oidc_response *r, int status, const char *err)
{
	json_t *j = body_json(r);

	assert_int_equal(r->status, status);
	assert_string_equal(json_string_value(json_object_get(j, "error")), err);
	assert_true(r->no_store);
	json_decref(j);
}

/* Verifies a JWS with cjose and the JWK of our JWKS that its kid names. */
static json_t *
verify_with_cjose(const char *jwt, const char *want_alg)
{
	struct oidc_response jw;
	json_t *set, *k, *hdr, *claims;
	cjose_jws_t *jws;
	cjose_jwk_t *jwk = NULL;
	cjose_err e;
	uint8_t *pl;
	size_t pllen, i;
	char *ks;
	const char *kid;

	jws = cjose_jws_import(jwt, strlen(jwt), &e);
	assert_non_null(jws);
	hdr = (json_t *)cjose_jws_get_protected(jws);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), want_alg);
	assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
	kid = json_string_value(json_object_get(hdr, "kid"));
	assert_non_null(kid);
	assert_int_equal(oidc_jwks(F.p, &jw), EIDGW_OK);
	set = body_json(&jw);
	json_array_foreach(json_object_get(set, "keys"), i, k) {
		if (strcmp(json_string_value(json_object_get(k, "kid")), kid) != 0)
			continue;
		ks = json_dumps(k, 0);
		jwk = cjose_jwk_import(ks, strlen(ks), &e);
		free(ks);
	}
	assert_non_null(jwk);
	assert_true(cjose_jws_verify(jws, jwk, &e));
	assert_true(cjose_jws_get_plaintext(jws, &pl, &pllen, &e));
	claims = json_loadb((const char *)pl, pllen, 0, NULL);
	assert_non_null(claims);
	cjose_jwk_release(jwk);
	cjose_jws_release(jws);
	json_decref(set);
	oidc_response_free(&jw);
	return claims;
}

/* Verifies a PS256 JWS with the openssl CLI, forcing the salt length. */
static int
openssl_pss_verify(const char *jwt, EVP_PKEY *pub, int saltlen)
{
	char *dir = tl_mkdtemp();	/* strdup'd by testlib: freed below */
	const char *sig_dot = strrchr(jwt, '.');
	struct eidgw_buf sig;
	char cmd[1024];
	FILE *f;
	int rc;

	assert_non_null(dir);
	eidgw_buf_init(&sig, 4096);
	assert_int_equal(eidgw_b64_decode(&sig, sig_dot + 1, strlen(sig_dot + 1), true), EIDGW_OK);
	assert_int_equal(tl_write_file(tl_path(dir, "in"), jwt, (size_t)(sig_dot - jwt)), 0);
	assert_int_equal(tl_write_file(tl_path(dir, "sig"), sig.data, sig.len), 0);
	f = fopen(tl_path(dir, "pub.pem"), "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, pub), 1);
	fclose(f);
	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && openssl dgst -sha256 -sigopt "
	    "rsa_padding_mode:pss -sigopt rsa_pss_saltlen:%d -sigopt rsa_mgf1_md:sha256 "
	    "-verify pub.pem -signature sig in >/dev/null 2>&1", dir, saltlen);
	rc = system(cmd);
	tl_rmtree(dir);
	free(dir);
	eidgw_buf_free(&sig);
	return rc;
}

static char *
expected_sub(const char *sector)
{
	char *sub = NULL;
	unsigned char mac[32];
	size_t ml = 0;
	struct eidgw_buf m, b;

	eidgw_buf_init(&m, 512);
	eidgw_buf_init(&b, 128);
	assert_int_equal(eidgw_buf_puts(&m, sector), EIDGW_OK);
	assert_int_equal(eidgw_buf_append(&m, "", 1), EIDGW_OK);
	assert_int_equal(eidgw_buf_puts(&m, PID), EIDGW_OK);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pairwise_key,
	    sizeof(pairwise_key), (unsigned char *)m.data, m.len, mac, sizeof(mac), &ml));
	assert_int_equal(eidgw_b64_encode(&b, mac, ml, true), EIDGW_OK);
	sub = eidgw_buf_steal(&b, NULL);
	eidgw_buf_free(&m);
	eidgw_buf_free(&b);
	return sub;
}

/* ---- discovery and JWKS ------------------------------------------------- */

static void
test_discovery(void **state)
{
	struct oidc_response r;
	json_t *j, *v;

	(void)state;
	assert_int_equal(oidc_discovery(F.p, &r), EIDGW_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "issuer")), ISS);
	assert_string_equal(json_string_value(json_object_get(j, "authorization_endpoint")),
	    ISS "/oidc/authorize");
	assert_string_equal(json_string_value(json_object_get(j, "token_endpoint")),
	    ISS "/oidc/token");
	assert_string_equal(json_string_value(json_object_get(j, "userinfo_endpoint")),
	    ISS "/oidc/userinfo");
	assert_string_equal(json_string_value(json_object_get(j, "jwks_uri")), ISS "/oidc/jwks");
	assert_string_equal(json_string_value(json_object_get(j,
	    "pushed_authorization_request_endpoint")), ISS "/oidc/par");
	assert_true(json_is_false(json_object_get(j, "require_pushed_authorization_requests")));
	assert_true(json_is_true(json_object_get(j,
	    "authorization_response_iss_parameter_supported")));
	v = json_object_get(j, "response_types_supported");
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "code");
	v = json_object_get(j, "code_challenge_methods_supported");
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "S256");
	v = json_object_get(j, "subject_types_supported");
	assert_string_equal(json_string_value(json_array_get(v, 0)), "pairwise");
	v = json_object_get(j, "acr_values_supported");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 2)), OIDC_LOA_HIGH);
	assert_int_equal(json_array_size(json_object_get(j, "token_endpoint_auth_methods_supported")),
	    3);
	/* only algorithms with an active key: rs1 (RS256) is a next key, so
	 * no client could get an RS256 ID token yet (OIDC Discovery §3) */
	v = json_object_get(j, "id_token_signing_alg_values_supported");
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "PS256");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "ES256");
	assert_non_null(json_object_get(j, "scopes_supported"));
	assert_non_null(json_object_get(j, "claims_supported"));
	json_decref(j);
	oidc_response_free(&r);
}

static void
test_jwks(void **state)
{
	struct oidc_response r;
	json_t *j, *k;
	cjose_jwk_t *jwk;
	cjose_err e;
	size_t i;
	char *ks;
	int seen = 0;

	(void)state;
	assert_int_equal(oidc_jwks(F.p, &r), EIDGW_OK);
	assert_int_equal(r.status, 200);
	j = body_json(&r);
	/* active, next and retired keys are all published */
	assert_int_equal(json_array_size(json_object_get(j, "keys")), 4);
	json_array_foreach(json_object_get(j, "keys"), i, k) {
		assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
		assert_non_null(json_string_value(json_object_get(k, "kid")));
		assert_non_null(json_string_value(json_object_get(k, "alg")));
		assert_null(json_object_get(k, "d"));	/* never private parts */
		assert_null(json_object_get(k, "p"));
		ks = json_dumps(k, 0);
		jwk = cjose_jwk_import(ks, strlen(ks), &e);	/* an independent parser */
		assert_non_null(jwk);
		cjose_jwk_release(jwk);
		free(ks);
		if (strcmp(json_string_value(json_object_get(k, "kid")), "ec1") == 0) {
			assert_string_equal(json_string_value(json_object_get(k, "crv")), "P-256");
			seen |= 1;
		}
		if (strcmp(json_string_value(json_object_get(k, "kid")), "ec0") == 0)
			seen |= 2;
		if (strcmp(json_string_value(json_object_get(k, "kid")), "rs1") == 0)
			seen |= 4;
	}
	assert_int_equal(seen, 7);
	json_decref(j);
	oidc_response_free(&r);
}

static void
test_provider_config_errors(void **state)
{
	struct oidc_signing_key keys[4];
	struct oidc_client cl[4];
	struct oidc_config c;
	struct oidc_provider *p;
	static const char *const frag[] = { "https://rp.example/cb#x" };
	static const char *const no_openid[] = { "profile" };
	static const char *const two_hosts[] = { "https://a.example/cb", "https://b.example/cb" };

	(void)state;
	make_config(&c, keys, cl);
	c.pairwise_key_len = 16;
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	assert_null(p);
	make_config(&c, keys, cl);
	c.issuer = ISS "/";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	keys[1].kid = "rsa1";	/* repeated kid */
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	keys[1].key = F.k_rsa;	/* ES256 on an RSA key */
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	keys[1].status = OIDC_KEY_NEXT;	/* rp-post signs ES256: no active key */
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[0].redirect_uris = frag;
	cl[0].n_redirect_uris = 1;
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[0].scopes = no_openid;
	cl[0].n_scopes = 1;
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[0].redirect_uris = two_hosts;	/* no sector identifier */
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[0].secret = "short";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[2].jwks_json = "{\"keys\":[]}";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[2].jwks_json = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[2].jwks_json = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[1].client_id = "rp-basic";	/* repeated client */
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
	make_config(&c, keys, cl);
	cl[1].min_acr = "urn:other:loa";
	assert_int_equal(oidc_provider_new(&c, &p, NULL), EIDGW_E_OIDC_CONFIG);
}

/* ---- authorization --------------------------------------------------------- */

static void
test_authorize_ok(void **state)
{
	struct oidc_authz_result res;
	struct oidc_authz_request *back;
	char *js;

	(void)state;
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&scope_x=1&ui_locales=de-AT%20en"
	    "&max_age=600&country=ES&prompt=login"), &res), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_null(res.location);
	assert_string_equal(res.req->client_id, "rp-basic");
	assert_string_equal(res.req->redirect_uri, RP_CB);
	assert_string_equal(res.req->state, "st-1");
	assert_string_equal(res.req->nonce, "n-1");
	assert_string_equal(res.req->scope, "openid profile");
	assert_string_equal(res.req->code_challenge, CHALLENGE);
	assert_string_equal(res.req->acr_min, OIDC_LOA_SUBSTANTIAL);	/* client default */
	assert_null(res.req->acr_values);
	assert_string_equal(res.req->ui_locales, "de-AT en");
	assert_int_equal(res.req->max_age, 600);
	assert_string_equal(res.req->country, "ES");
	assert_string_equal(res.req->prompt, "login");
	assert_false(res.req->via_par);
	/* the gateway can carry the request through its login transaction */
	assert_int_equal(oidc_authz_request_to_json(res.req, &js), EIDGW_OK);
	assert_int_equal(oidc_authz_request_from_json(js, strlen(js), &back), EIDGW_OK);
	assert_string_equal(back->code_challenge, CHALLENGE);
	assert_string_equal(back->country, "ES");
	assert_int_equal(back->max_age, 600);
	oidc_authz_request_free(back);
	free(js);
	oidc_authz_result_free(&res);
	oidc_authz_result_free(&res);	/* idempotent */

	/* POST with a form body is as good as GET */
	{
		struct oidc_request r = post_req(GOOD_Q("rp-basic", ""), NULL);

		assert_int_equal(oidc_authorize(F.p, &r, &res, NULL), EIDGW_OK);
		assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
		oidc_authz_result_free(&res);
	}
	/* a registered redirect_uri with its own query keeps it */
	assert_int_equal(authz(F.p, "response_type=code&client_id=rp-basic&redirect_uri="
	    "https%3A%2F%2Frp.example%2Fcb2%3Fx%3D1&scope=openid&code_challenge=" CHALLENGE
	    "&code_challenge_method=S256&response_type_x=1", &res), EIDGW_OK);
	assert_string_equal(res.req->redirect_uri, RP_CB2);
	oidc_authz_result_free(&res);
}

static void
test_authorize_bad_client_or_redirect(void **state)
{
	static const char *bad[] = {
		/* unknown or missing client */
		"response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
		"response_type=code&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
		/* missing, unregistered and altered redirect_uri */
		"response_type=code&client_id=rp-basic&scope=openid",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb%2F",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcbx",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2FRP.example%2Fcb",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Fa%3D1",
		"response_type=code&client_id=rp-basic&redirect_uri=http%3A%2F%2Frp.example%2Fcb",
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb2",
		/* redirect_uri of another client */
		"response_type=code&client_id=rp-post&redirect_uri=https%3A%2F%2Frp.example%2Fcb2%3Fx%3D1",
		/* repeated parameters: nothing is trusted */
		"response_type=code&client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
		    "&redirect_uri=https%3A%2F%2Fevil.example%2F",
		GOOD_Q("rp-basic", "&state=again"),
		/* malformed */
		"client_id=rp-basic&redirect_uri=%zz",
	};
	struct oidc_authz_result res;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
		assert_int_not_equal(authz(F.p, bad[i], &res), EIDGW_OK);
		assert_error_page(&res);
		oidc_authz_result_free(&res);
	}
	/* other methods */
	{
		struct oidc_request r = get_req(GOOD_Q("rp-basic", ""));

		r.method = "PUT";
		assert_int_equal(oidc_authorize(F.p, &r, &res, NULL), EIDGW_E_OIDC_METHOD);
		assert_error_page(&res);
	}
}

struct redirect_case {
	const char *q;
	const char *error;
	enum eidgw_err code;
};

#define BASE "client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=S"
#define PKCE "&code_challenge=" CHALLENGE "&code_challenge_method=S256"

static void
test_authorize_error_redirects(void **state)
{
	static const struct redirect_case cases[] = {
		/* implicit and hybrid refused */
		{ BASE "&response_type=token&scope=openid" PKCE, "unsupported_response_type",
		    EIDGW_E_OIDC_RESPONSE_TYPE },
		{ BASE "&response_type=id_token&scope=openid" PKCE, "unsupported_response_type",
		    EIDGW_E_OIDC_RESPONSE_TYPE },
		{ BASE "&response_type=code%20id_token&scope=openid" PKCE,
		    "unsupported_response_type", EIDGW_E_OIDC_RESPONSE_TYPE },
		{ BASE "&scope=openid" PKCE, "invalid_request", EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&response_mode=fragment&scope=openid" PKCE,
		    "invalid_request", EIDGW_E_OIDC_RESPONSE_TYPE },
		/* PKCE: missing, plain, default method, malformed */
		{ BASE "&response_type=code&scope=openid", "invalid_request", EIDGW_E_OIDC_PKCE },
		{ BASE "&response_type=code&scope=openid&code_challenge=" CHALLENGE
		    "&code_challenge_method=plain", "invalid_request", EIDGW_E_OIDC_PKCE },
		{ BASE "&response_type=code&scope=openid&code_challenge=" CHALLENGE,
		    "invalid_request", EIDGW_E_OIDC_PKCE },
		{ BASE "&response_type=code&scope=openid&code_challenge=abc"
		    "&code_challenge_method=S256", "invalid_request", EIDGW_E_OIDC_PKCE },
		/* scope */
		{ BASE "&response_type=code" PKCE, "invalid_scope", EIDGW_E_OIDC_SCOPE },
		{ BASE "&response_type=code&scope=profile" PKCE, "invalid_scope",
		    EIDGW_E_OIDC_SCOPE },
		{ BASE "&response_type=code&scope=openid%20address" PKCE, "invalid_scope",
		    EIDGW_E_OIDC_SCOPE },
		/* acr_values and claims */
		{ BASE "&response_type=code&scope=openid&claims=%7Bnot-json" PKCE,
		    "invalid_request", EIDGW_E_OIDC_ACR },
		/* essential acr with no value we can assert: failed authentication */
		{ BASE "&response_type=code&scope=openid&claims=%7B%22id_token%22%3A%7B%22acr%22%3A"
		    "%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22urn%3Ax%22%5D%7D%7D%7D" PKCE,
		    "unmet_authentication_requirements", EIDGW_E_OIDC_ACR_UNMET },
		{ BASE "&response_type=code&scope=openid&claims=%5B%5D" PKCE, "invalid_request",
		    EIDGW_E_OIDC_ACR },
		/* prompt */
		{ BASE "&response_type=code&scope=openid&prompt=none" PKCE, "login_required",
		    EIDGW_E_OIDC_PROMPT_NONE },
		{ BASE "&response_type=code&scope=openid&prompt=none%20login" PKCE,
		    "invalid_request", EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&scope=openid&prompt=bogus" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		/* max_age, ui_locales, country, nonce */
		{ BASE "&response_type=code&scope=openid&max_age=-1" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&scope=openid&ui_locales=de_AT" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&scope=openid&country=es" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&scope=openid&country=ESP" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		{ BASE "&response_type=code&scope=openid&nonce=a%0Ab" PKCE, "invalid_request",
		    EIDGW_E_OIDC_PARAM },
		/* request objects */
		{ BASE "&response_type=code&scope=openid&request=e30.e30." PKCE,
		    "request_not_supported", EIDGW_E_OIDC_UNSUPPORTED },
	};
	struct oidc_authz_result res;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(cases); i++) {
		assert_int_equal(authz(F.p, cases[i].q, &res), cases[i].code);
		assert_error_redirect(&res, RP_CB, cases[i].error, "S");
		oidc_authz_result_free(&res);
	}
	/* state and nonce: up to OIDC_MAX_STATE characters (FAPI 2.0 probes send 1000), not one more */
	{
		char q[8192], big[OIDC_MAX_STATE + 2];
		const char *names[] = { "state", "nonce" };
		_Static_assert(OIDC_MAX_STATE >= 1000, "FAPI 2.0 probes send 1000-character values");
		size_t k, over;

		memset(big, 's', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for (k = 0; k < 2; k++) {
			for (over = 0; over < 2; over++) {
				(void)snprintf(q, sizeof(q), "client_id=rp-basic&redirect_uri="
				    "https%%3A%%2F%%2Frp.example%%2Fcb&response_type=code&scope=openid"
				    "%s&%s=%.*s" PKCE, k == 0 ? "&nonce=n" : "&state=S", names[k],
				    (int)(OIDC_MAX_STATE + over), big);
				if (over == 0) {
					assert_int_equal(authz(F.p, q, &res), EIDGW_OK);
					assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
				} else {
					assert_int_equal(authz(F.p, q, &res), EIDGW_E_OIDC_PARAM);
					assert_error_redirect(&res, RP_CB, "invalid_request",
					    k == 0 ? NULL : "S");
				}
				oidc_authz_result_free(&res);
			}
		}
	}
	/* a malformed state is dropped, not echoed */
	assert_int_equal(authz(F.p, "client_id=rp-basic&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
	    "&state=a%01b&response_type=code&scope=openid" PKCE, &res), EIDGW_E_OIDC_PARAM);
	assert_error_redirect(&res, RP_CB, "invalid_request", NULL);
	oidc_authz_result_free(&res);
}

static void
test_authorize_acr(void **state)
{
	struct oidc_authz_result res;

	(void)state;
	/* the lowest requested level is the floor */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Fhigh%20http%3A%2F%2Feidas.europa.eu%2FLoA%2Flow"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_LOW);
	assert_false(res.req->acr_essential);
	oidc_authz_result_free(&res);
	/* essential acr from the claims parameter */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Fhigh%22%5D%7D%7D%7D"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_HIGH);
	assert_true(res.req->acr_essential);
	assert_string_equal(res.req->acr_values, OIDC_LOA_HIGH);
	oidc_authz_result_free(&res);
	/* voluntary acr_values do not weaken an essential request */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Flow&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Fhigh%22%5D%7D%7D%7D"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_HIGH);
	oidc_authz_result_free(&res);
	/* client floor over a lower request */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Flow"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_LOW);	/* rp-basic floor is low */
	oidc_authz_result_free(&res);
}

/*
 * OIDC Core §3.1.2.1: acr_values is a voluntary request and "scope values
 * used that are not understood by an implementation SHOULD be ignored".
 * Values we do not know are skipped, not refused; known scopes the client
 * may not have stay invalid_scope, and an error redirect explains itself.
 */
static void
test_authorize_voluntary_values(void **state)
{
	struct oidc_authz_result res;

	(void)state;
	/* acr_values of no eIDAS LoA: the client's default applies */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=1%202"), &res), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_string_equal(res.req->acr_min, OIDC_LOA_SUBSTANTIAL);
	assert_null(res.req->acr_values);
	oidc_authz_result_free(&res);
	/* mixed: the eIDAS value counts, the other is skipped */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=urn%3Afoo%20http%3A%2F%2F"
	    "eidas.europa.eu%2FLoA%2Fhigh"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_HIGH);
	assert_string_equal(res.req->acr_values, OIDC_LOA_HIGH);
	oidc_authz_result_free(&res);
	/* a voluntary claims acr of unknown values is skipped as well */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22values%22%3A%5B%22urn%3Ax%22%5D%7D%7D%7D"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_SUBSTANTIAL);
	assert_false(res.req->acr_essential);
	oidc_authz_result_free(&res);
	/* essential and one known value among unknown ones: that value counts */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22urn%3Ax%22%2C%22http%3A%2F%2F"
	    "eidas.europa.eu%2FLoA%2Fhigh%22%5D%7D%7D%7D"), &res), EIDGW_OK);
	assert_string_equal(res.req->acr_min, OIDC_LOA_HIGH);
	assert_true(res.req->acr_essential);
	oidc_authz_result_free(&res);
	/* essential with only unknown values: unmet, with a description */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22urn%3Ax%22%7D%7D%7D"), &res),
	    EIDGW_E_OIDC_ACR_UNMET);
	assert_error_redirect(&res, RP_CB, "unmet_authentication_requirements", "st-1");
	assert_non_null(strstr(res.location, "&error_description="));
	oidc_authz_result_free(&res);
	/* unknown scope words are not granted and not refused */
	assert_int_equal(authz(F.p, "response_type=code&client_id=rp-basic&redirect_uri=https%3A"
	    "%2F%2Frp.example%2Fcb&scope=offline_access%20openid%20foo%20profile&state=st-1"
	    "&code_challenge=" CHALLENGE "&code_challenge_method=S256", &res), EIDGW_OK);
	assert_string_equal(res.req->scope, "openid profile");
	oidc_authz_result_free(&res);
	/* a known scope the client may not have: invalid_scope, described */
	assert_int_equal(authz(F.p, "response_type=code&client_id=rp-post&redirect_uri=https%3A"
	    "%2F%2Frp.example%2Fcb&scope=openid%20email&state=st-1"
	    "&code_challenge=" CHALLENGE "&code_challenge_method=S256", &res), EIDGW_E_OIDC_SCOPE);
	assert_error_redirect(&res, RP_CB, "invalid_scope", "st-1");
	assert_loc_param(res.location, "error_description", "scope not allowed for the client");
	oidc_authz_result_free(&res);
	/* a scope of unknown words only still lacks openid */
	assert_int_equal(authz(F.p, "response_type=code&client_id=rp-basic&redirect_uri=https%3A"
	    "%2F%2Frp.example%2Fcb&scope=offline_access&state=st-1"
	    "&code_challenge=" CHALLENGE "&code_challenge_method=S256", &res), EIDGW_E_OIDC_SCOPE);
	assert_error_redirect(&res, RP_CB, "invalid_scope", "st-1");
	oidc_authz_result_free(&res);
}

static void
test_par_required(void **state)
{
	struct oidc_authz_result res;

	(void)state;
	assert_int_equal(authz(F.p, GOOD_Q("rp-par", ""), &res), EIDGW_E_OIDC_PAR_REQUIRED);
	assert_error_redirect(&res, RP_CB, "invalid_request", "st-1");
	oidc_authz_result_free(&res);
}

static char *
push_to(const struct oidc_provider *p, const char *body, const char *auth, int want_status)
{
	struct oidc_request r = post_req(body, auth);
	struct oidc_response out;
	char *ru = NULL;
	json_t *j;

	if (oidc_par(p, &r, &out, NULL) != EIDGW_OK)
		assert_int_not_equal(want_status, 201);
	assert_int_equal(out.status, want_status);
	if (want_status == 201) {
		j = body_json(&out);
		assert_int_equal(json_integer_value(json_object_get(j, "expires_in")),
		    p == F.p ? 60 : 1);
		ru = strdup(json_string_value(json_object_get(j, "request_uri")));
		assert_true(eidgw_starts_with(ru, "urn:ietf:params:oauth:request_uri:"));
		json_decref(j);
	}
	oidc_response_free(&out);
	return ru;
}

static char *
push(const char *body, const char *auth, int want_status)
{
	return push_to(F.p, body, auth, want_status);
}

static void
test_par_flow(void **state)
{
	struct oidc_authz_result res;
	struct eidgw_buf q;
	char *ru, *ru2;

	(void)state;
	ru = push(GOOD_Q("rp-par", "&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Flow"),
	    basic_par_hdr, 201);
	eidgw_buf_init(&q, 1024);
	assert_int_equal(eidgw_buf_puts(&q, "client_id=rp-par&request_uri="), EIDGW_OK);
	assert_int_equal(oidc_form_encode(&q, ru), EIDGW_OK);
	assert_int_equal(authz(F.p, q.data, &res), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_true(res.req->via_par);
	assert_string_equal(res.req->redirect_uri, RP_CB);
	assert_string_equal(res.req->state, "st-1");
	/* client floor (substantial) wins over the requested low */
	assert_string_equal(res.req->acr_min, OIDC_LOA_SUBSTANTIAL);
	/* single use, enforced when a login completes, not when /authorize is
	 * loaded (FAPI 2.0 §5.3.2.2 note 3, digest §6.1): a reload starts the
	 * login again; of the two logins only the first to finish gets a code,
	 * the other an invalid_request_uri redirect; afterwards it is refused */
	{
		struct oidc_authz_result res2, fin;
		struct oidc_identity id = identity(OIDC_LOA_SUBSTANTIAL);
		struct oidc_authz_request *back = NULL;
		char *js = NULL, *code;

		assert_int_equal(authz(F.p, q.data, &res2), EIDGW_OK);
		assert_int_equal(res2.kind, OIDC_AUTHZ_ACCEPTED);
		/* the reference survives the login transaction's JSON */
		assert_int_equal(oidc_authz_request_to_json(res2.req, &js), EIDGW_OK);
		assert_int_equal(oidc_authz_request_from_json(js, strlen(js), &back), EIDGW_OK);
		assert_non_null(back->par_ref);
		assert_string_equal(back->par_ref, res2.req->par_ref);
		assert_int_equal(oidc_authz_complete(F.p, back, &id, &fin, NULL), EIDGW_OK);
		code = loc_param(fin.location, "code");
		assert_non_null(code);
		free(code);
		oidc_authz_result_free(&fin);
		oidc_authz_request_free(back);
		free(js);
		assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL),
		    EIDGW_E_OIDC_REQUEST_URI);
		assert_error_redirect(&fin, RP_CB, "invalid_request_uri", "st-1");
		oidc_authz_result_free(&fin);
		oidc_authz_result_free(&res2);
	}
	oidc_authz_result_free(&res);
	assert_int_equal(authz(F.p, q.data, &res), EIDGW_E_OIDC_REQUEST_URI);
	assert_error_page(&res);
	oidc_authz_result_free(&res);
	/* another client cannot use it */
	ru2 = push(GOOD_Q("rp-par", ""), basic_par_hdr, 201);
	eidgw_buf_reset(&q);
	assert_int_equal(eidgw_buf_puts(&q, "client_id=rp-basic&request_uri="), EIDGW_OK);
	assert_int_equal(oidc_form_encode(&q, ru2), EIDGW_OK);
	assert_int_equal(authz(F.p, q.data, &res), EIDGW_E_OIDC_REQUEST_URI);
	assert_error_page(&res);
	oidc_authz_result_free(&res);
	free(ru2);
	/* beside the request_uri: client_id, and response_type=code and a scope
	 * with openid as OIDC Core §6.2 has RPs repeat them; nothing else */
	{
		static const char *const bad[] = { "&state=x", "&response_type=token",
		    "&scope=profile", "&redirect_uri=https%3A%2F%2Frp.example%2Fcb" };
		size_t i;

		for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
			ru2 = push(GOOD_Q("rp-par", ""), basic_par_hdr, 201);
			eidgw_buf_reset(&q);
			assert_int_equal(eidgw_buf_printf(&q, "client_id=rp-par%s&request_uri=",
			    bad[i]), EIDGW_OK);
			assert_int_equal(oidc_form_encode(&q, ru2), EIDGW_OK);
			assert_int_equal(authz(F.p, q.data, &res), EIDGW_E_OIDC_PARAM);
			assert_error_redirect(&res, RP_CB, "invalid_request", "st-1");
			oidc_authz_result_free(&res);
			free(ru2);
		}
	}
	ru2 = push(GOOD_Q("rp-par", ""), basic_par_hdr, 201);
	eidgw_buf_reset(&q);
	assert_int_equal(eidgw_buf_puts(&q, "client_id=rp-par&response_type=code"
	    "&scope=openid%20profile&request_uri="), EIDGW_OK);
	assert_int_equal(oidc_form_encode(&q, ru2), EIDGW_OK);
	assert_int_equal(authz(F.p, q.data, &res), EIDGW_OK);
	assert_int_equal(res.kind, OIDC_AUTHZ_ACCEPTED);
	assert_true(res.req->via_par);
	oidc_authz_result_free(&res);
	free(ru2);
	/* a request_uri that is not ours (a request object by reference), with
	 * a registered redirect_uri in the request: request_uri_not_supported
	 * goes back there (OIDC Core §3.1.2.6; discovery says
	 * request_uri_parameter_supported false) */
	assert_int_equal(authz(F.p, "client_id=rp-par&request_uri=https%3A%2F%2Fx.example%2Fr"
	    "&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=st-9", &res),
	    EIDGW_E_OIDC_UNSUPPORTED);
	assert_error_redirect(&res, RP_CB, "request_uri_not_supported", "st-9");
	oidc_authz_result_free(&res);
	/* the OIDC form of it: response_type, scope and redirect_uri in the
	 * query, state only inside the object */
	assert_int_equal(authz(F.p, "client_id=rp-par&response_type=code&scope=openid"
	    "&request_uri=https%3A%2F%2Fx.example%2Fr&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
	    &res), EIDGW_E_OIDC_UNSUPPORTED);
	assert_error_redirect(&res, RP_CB, "request_uri_not_supported", NULL);
	oidc_authz_result_free(&res);
	/* one in our namespace that we never issued (or too long to be ours):
	 * invalid_request_uri (OIDC Core §6.2, RFC 9126 §4) */
	assert_int_equal(authz(F.p, "client_id=rp-par&request_uri=urn%3Aietf%3Aparams%3Aoauth"
	    "%3Arequest_uri%3A" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=st-8", &res),
	    EIDGW_E_OIDC_REQUEST_URI);
	assert_error_redirect(&res, RP_CB, "invalid_request_uri", "st-8");
	oidc_authz_result_free(&res);
	assert_int_equal(authz(F.p, "client_id=rp-par&request_uri=urn%3Aietf%3Aparams%3Aoauth"
	    "%3Arequest_uri%3Aunknown&redirect_uri=https%3A%2F%2Frp.example%2Fcb", &res),
	    EIDGW_E_OIDC_REQUEST_URI);
	assert_error_redirect(&res, RP_CB, "invalid_request_uri", NULL);
	oidc_authz_result_free(&res);
	/* ... but never to an unregistered one */
	assert_int_equal(authz(F.p, "client_id=rp-par&request_uri=https%3A%2F%2Fx.example%2Fr"
	    "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb", &res), EIDGW_E_OIDC_UNSUPPORTED);
	assert_error_page(&res);
	oidc_authz_result_free(&res);
	/* a foreign request_uri */
	assert_int_equal(authz(F.p, "client_id=rp-par&request_uri=https%3A%2F%2Fx.example%2Fr",
	    &res), EIDGW_E_OIDC_UNSUPPORTED);
	assert_error_page(&res);
	assert_string_equal(res.error, "request_uri_not_supported");
	oidc_authz_result_free(&res);
	/* prompt=none pushed: login_required at authorize */
	ru2 = push(GOOD_Q("rp-par", "&prompt=none"), basic_par_hdr, 201);
	eidgw_buf_reset(&q);
	assert_int_equal(eidgw_buf_puts(&q, "client_id=rp-par&request_uri="), EIDGW_OK);
	assert_int_equal(oidc_form_encode(&q, ru2), EIDGW_OK);
	assert_int_equal(authz(F.p, q.data, &res), EIDGW_E_OIDC_PROMPT_NONE);
	assert_error_redirect(&res, RP_CB, "login_required", "st-1");
	oidc_authz_result_free(&res);
	free(ru2);
	eidgw_buf_free(&q);
	free(ru);
}

static void
test_par_refusals(void **state)
{
	char wrong[128];
	struct oidc_request r;
	struct oidc_response out;

	(void)state;
	make_basic(wrong, "rp-par", "not-the-secret-xxxxxx");
	assert_null(push(GOOD_Q("rp-par", ""), wrong, 401));
	assert_null(push(GOOD_Q("rp-par", ""), NULL, 401));
	assert_null(push(GOOD_Q("rp-par", "&request_uri=urn%3Ax"), basic_par_hdr, 400));
	assert_null(push(GOOD_Q("rp-basic", ""), basic_par_hdr, 401));	/* client_id mismatch */
	assert_null(push("response_type=code&client_id=rp-par&redirect_uri="
	    "https%3A%2F%2Fevil.example%2F&scope=openid" PKCE, basic_par_hdr, 400));
	assert_null(push(GOOD_Q("rp-par", "&code_challenge_method_x=1&response_mode=fragment"),
	    basic_par_hdr, 400));
	/* PAR is POST only */
	r = get_req(GOOD_Q("rp-par", ""));
	r.authorization = basic_par_hdr;
	assert_int_equal(oidc_par(F.p, &r, &out, NULL), EIDGW_E_OIDC_METHOD);
	assert_int_equal(out.status, 405);
	oidc_response_free(&out);
	/* errors are JSON per RFC 9126 §2.3 */
	r = post_req("response_type=token&client_id=rp-par&redirect_uri=https%3A%2F%2Frp.example"
	    "%2Fcb&scope=openid" PKCE, basic_par_hdr);
	assert_int_equal(oidc_par(F.p, &r, &out, NULL), EIDGW_E_OIDC_RESPONSE_TYPE);
	assert_oauth_error(&out, 400, "unsupported_response_type");
	oidc_response_free(&out);
}

/* ---- code, token, ID token, userinfo ------------------------------------- */

static char *
userinfo_ok(const char *at)
{
	struct oidc_request r = get_req(NULL);
	struct oidc_response out;
	char hdr[256], *body;

	(void)snprintf(hdr, sizeof(hdr), "Bearer %s", at);
	r.authorization = hdr;
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_OK);
	assert_int_equal(out.status, 200);
	assert_true(out.no_store);
	body = strdup(out.body);
	oidc_response_free(&out);
	return body;
}

static void
assert_userinfo_refused(const char *at)
{
	struct oidc_request r = get_req(NULL);
	struct oidc_response out;
	char hdr[256];

	(void)snprintf(hdr, sizeof(hdr), "Bearer %s", at);
	r.authorization = hdr;
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_TOKEN);
	assert_int_equal(out.status, 401);
	assert_non_null(out.www_authenticate);
	assert_non_null(strstr(out.www_authenticate, "error=\"invalid_token\""));
	oidc_response_free(&out);
}

#define FULL_Q(client) \
	"response_type=code&client_id=" client "&redirect_uri=https%3A%2F%2Frp.example%2Fcb" \
	"&scope=openid%20profile%20eidas%20email&state=st-2&nonce=n-2&code_challenge=" \
	CHALLENGE "&code_challenge_method=S256"

/* Exchanges a code; returns the parsed 200 body. */
static json_t *
exchange_ok(const struct oidc_provider *p, const char *code, const char *auth,
    const char *extra)
{
	struct oidc_response out;
	char *body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", extra);
	json_t *j;

	assert_int_equal(token(p, body, auth, &out), EIDGW_OK);
	assert_int_equal(out.status, 200);
	assert_true(out.no_store);		/* RFC 6749 §5.1 Cache-Control: no-store */
	assert_string_equal(out.content_type, "application/json");
	j = body_json(&out);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")), "Bearer");
	assert_true(json_integer_value(json_object_get(j, "expires_in")) > 0);
	assert_true(strlen(json_string_value(json_object_get(j, "access_token"))) >= 22);
	assert_non_null(json_string_value(json_object_get(j, "id_token")));
	oidc_response_free(&out);
	free(body);
	return j;
}

static void
test_flow_basic(void **state)
{
	json_t *j, *claims, *ui;
	char *code, *sub, *uis, name[160];
	const char *at;

	(void)state;
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_HIGH);
	j = exchange_ok(F.p, code, basic_hdr, "");
	claims = verify_with_cjose(json_string_value(json_object_get(j, "id_token")), "PS256");
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), ISS);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), "rp-basic");
	assert_string_equal(json_string_value(json_object_get(claims, "nonce")), "n-2");
	assert_string_equal(json_string_value(json_object_get(claims, "acr")), OIDC_LOA_HIGH);
	assert_int_equal(json_integer_value(json_object_get(claims, "auth_time")), 1700000000);
	assert_true(json_integer_value(json_object_get(claims, "exp")) >
	    json_integer_value(json_object_get(claims, "iat")));
	assert_null(json_object_get(claims, "amr"));
	/* at_hash (OIDC Core §3.1.3.6): left half of SHA-256 of the access token */
	{
		const char *tok = json_string_value(json_object_get(j, "access_token"));
		unsigned char md[32];
		struct eidgw_buf hb;

		(void)SHA256((const unsigned char *)tok, strlen(tok), md);
		eidgw_buf_init(&hb, 64);
		assert_int_equal(eidgw_b64_encode(&hb, md, 16, true), EIDGW_OK);
		assert_string_equal(json_string_value(json_object_get(claims, "at_hash")), hb.data);
		eidgw_buf_free(&hb);
	}
	/* pairwise sub: HMAC over the redirect host as sector */
	sub = expected_sub("rp.example");
	assert_string_equal(json_string_value(json_object_get(claims, "sub")), sub);
	assert_int_equal(strlen(sub), 43);
	/* scoped claims: profile, eidas, email; not address, not unknown */
	assert_string_equal(json_string_value(json_object_get(claims, "given_name")), "Maria");
	assert_string_equal(json_string_value(json_object_get(claims, "family_name")), "Garcia");
	assert_string_equal(json_string_value(json_object_get(claims, "birthdate")), "1970-01-02");
	assert_string_equal(json_string_value(json_object_get(claims, "gender")), "female");
	assert_string_equal(json_string_value(json_object_get(claims, "email")),
	    "maria@example.org");
	(void)snprintf(name, sizeof(name), "%s/claims/eidas_person_identifier", ISS);
	assert_string_equal(json_string_value(json_object_get(claims, name)), PID);
	(void)snprintf(name, sizeof(name), "%s/claims/eidas_country", ISS);
	assert_string_equal(json_string_value(json_object_get(claims, name)), "ES");
	assert_null(json_object_get(claims, "address"));
	assert_null(json_object_get(claims, "unknown_claim"));
	/* userinfo: the same claims */
	at = json_string_value(json_object_get(j, "access_token"));
	uis = userinfo_ok(at);
	ui = json_loads(uis, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(ui, "sub")), sub);
	assert_string_equal(json_string_value(json_object_get(ui, "given_name")), "Maria");
	assert_string_equal(json_string_value(json_object_get(ui, "email")), "maria@example.org");
	assert_null(json_object_get(ui, "address"));
	/* RFC 7518 §3.5 PS256: the openssl CLI agrees, with salt length 32 only */
	assert_int_equal(openssl_pss_verify(json_string_value(json_object_get(j, "id_token")),
	    F.k_rsa->pub, 32), 0);
	assert_int_not_equal(openssl_pss_verify(json_string_value(json_object_get(j, "id_token")),
	    F.k_rsa->pub, 20), 0);
	/* a tampered ID token fails cjose verification */
	{
		char *t = strdup(json_string_value(json_object_get(j, "id_token")));
		char *dot = strchr(t, '.') + 1;
		cjose_err e;
		cjose_jws_t *jws;
		cjose_jwk_t *jwk;
		char *jwkjs = NULL;

		*dot = *dot == 'A' ? 'B' : 'A';
		assert_int_equal(oidc_jwk_public_json(F.k_rsa->pub, "rsa1", OIDC_ALG_PS256, &jwkjs),
		    EIDGW_OK);
		jwk = cjose_jwk_import(jwkjs, strlen(jwkjs), &e);
		jws = cjose_jws_import(t, strlen(t), &e);
		if (jws != NULL)
			assert_false(cjose_jws_verify(jws, jwk, &e));
		cjose_jws_release(jws);
		cjose_jwk_release(jwk);
		free(jwkjs);
		free(t);
	}
	json_decref(ui);
	free(uis);
	free(sub);
	json_decref(claims);
	json_decref(j);
	free(code);
}

static void
test_code_reuse_revokes(void **state)
{
	struct oidc_response out;
	json_t *j;
	char *code, *body, *at;

	(void)state;
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	j = exchange_ok(F.p, code, basic_hdr, "");
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	free(userinfo_ok(at));
	/* second use: invalid_grant, and the first tokens die */
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_CODE_REUSE);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	assert_userinfo_refused(at);
	/* and a third use is refused as well */
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_CODE_REUSE);
	oidc_response_free(&out);
	free(body);
	free(at);
	json_decref(j);
	free(code);
}

static void
test_token_grant_refusals(void **state)
{
	struct oidc_response out;
	struct oidc_authz_result res;
	struct eidgw_buf q;
	char *code, *body, *c2, *ru;

	(void)state;
	/* wrong verifier (well-formed) */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	body = token_body(code, "aBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	    "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_VERIFIER);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	/* the code is burnt by the failed attempt: the right verifier now fails */
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_not_equal(token(F.p, body, basic_hdr, &out), EIDGW_OK);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	free(code);
	/* verifier too short / bad characters: the challenge's own text */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	body = token_body(code, "short", "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_VERIFIER);
	oidc_response_free(&out);
	free(body);
	free(code);
	/* missing verifier */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	assert_true(asprintf(&body, "grant_type=authorization_code&code=%s&redirect_uri="
	    "https%%3A%%2F%%2Frp.example%%2Fcb", code) > 0);
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_PARAM);
	assert_oauth_error(&out, 400, "invalid_request");
	oidc_response_free(&out);
	free(body);
	/* wrong redirect_uri */
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb2%3Fx%3D1", "");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_GRANT);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	free(code);
	/* code of another client */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb",
	    "&client_id=rp-post&client_secret=" POST_SECRET);
	assert_int_equal(token(F.p, body, NULL, &out), EIDGW_E_OIDC_GRANT);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	free(code);
	/* unknown code */
	body = token_body("bm90LWEtY29kZQ", VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_GRANT);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	/* expired code and expired request_uri (provider with 1 s lifetimes) */
	c2 = get_code(F.p_short, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	ru = push_to(F.p_short, GOOD_Q("rp-par", ""), basic_par_hdr, 201);
	sleep(2);
	eidgw_buf_init(&q, 1024);
	assert_int_equal(eidgw_buf_puts(&q, "client_id=rp-par&request_uri="), EIDGW_OK);
	assert_int_equal(oidc_form_encode(&q, ru), EIDGW_OK);
	assert_int_equal(authz(F.p_short, q.data, &res), EIDGW_E_OIDC_REQUEST_URI);
	assert_error_page(&res);
	oidc_authz_result_free(&res);
	eidgw_buf_free(&q);
	free(ru);
	body = token_body(c2, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p_short, body, basic_hdr, &out), EIDGW_E_OIDC_GRANT);
	assert_oauth_error(&out, 400, "invalid_grant");
	oidc_response_free(&out);
	free(body);
	free(c2);
	/* grant types */
	assert_int_equal(token(F.p, "grant_type=password&username=a&password=b", basic_hdr, &out),
	    EIDGW_E_OIDC_GRANT_TYPE);
	assert_oauth_error(&out, 400, "unsupported_grant_type");
	oidc_response_free(&out);
	assert_int_equal(token(F.p, "code=x", basic_hdr, &out), EIDGW_E_OIDC_PARAM);
	assert_oauth_error(&out, 400, "invalid_request");
	oidc_response_free(&out);
	/* repeated parameter */
	assert_int_not_equal(token(F.p, "grant_type=authorization_code&code=a&code=b", basic_hdr,
	    &out), EIDGW_OK);
	assert_oauth_error(&out, 400, "invalid_request");
	oidc_response_free(&out);
	/* GET, query string, wrong content type */
	{
		struct oidc_request r = post_req("grant_type=authorization_code", basic_hdr);

		r.method = "GET";
		assert_int_equal(oidc_token(F.p, &r, &out, NULL), EIDGW_E_OIDC_METHOD);
		assert_int_equal(out.status, 405);
		oidc_response_free(&out);
		r.method = "POST";
		r.query = "code=x";
		r.query_len = 6;
		assert_int_not_equal(oidc_token(F.p, &r, &out, NULL), EIDGW_OK);
		assert_oauth_error(&out, 400, "invalid_request");
		oidc_response_free(&out);
		r.query = NULL;
		r.query_len = 0;
		r.content_type = "application/json";
		assert_int_not_equal(oidc_token(F.p, &r, &out, NULL), EIDGW_OK);
		assert_oauth_error(&out, 400, "invalid_request");
		oidc_response_free(&out);
	}
}

static void
test_token_client_auth_secrets(void **state)
{
	struct oidc_response out;
	char wrong[128], *code, *body;
	json_t *j, *claims;

	(void)state;
	/* wrong Basic secret: 401 + WWW-Authenticate */
	make_basic(wrong, "rp-basic", "basic-secret-012345678X");
	assert_int_equal(token(F.p, "grant_type=authorization_code&code=x&redirect_uri=y"
	    "&code_verifier=z", wrong, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	assert_non_null(out.www_authenticate);
	assert_true(eidgw_starts_with(out.www_authenticate, "Basic"));
	oidc_response_free(&out);
	/* unknown client in Basic */
	make_basic(wrong, "nobody", BASIC_SECRET);
	assert_int_equal(token(F.p, "grant_type=authorization_code", wrong, &out),
	    EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	/* malformed Basic */
	assert_int_equal(token(F.p, "grant_type=authorization_code", "Basic %%%", &out),
	    EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	/* no authentication */
	assert_int_equal(token(F.p, "grant_type=authorization_code&client_id=rp-basic", NULL, &out),
	    EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	/* a basic client may not use client_secret_post */
	assert_int_equal(token(F.p, "grant_type=authorization_code&client_id=rp-basic"
	    "&client_secret=" BASIC_SECRET, NULL, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	/* wrong post secret */
	assert_int_equal(token(F.p, "grant_type=authorization_code&client_id=rp-post"
	    "&client_secret=post-secret-0123456789aX", NULL, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	/* every 401 carries a challenge (RFC 9110 §15.5.2), not only after Basic */
	assert_string_equal(out.www_authenticate, "Basic realm=\"eidgw\"");
	oidc_response_free(&out);
	/* no client authentication at all: 401 with the challenge too */
	assert_int_equal(token(F.p, "grant_type=authorization_code&code=x", NULL, &out),
	    EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	assert_string_equal(out.www_authenticate, "Basic realm=\"eidgw\"");
	oidc_response_free(&out);
	/* two methods at once */
	assert_int_equal(token(F.p, "grant_type=authorization_code&client_id=rp-basic"
	    "&client_secret=" BASIC_SECRET, basic_hdr, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 400, "invalid_request");
	oidc_response_free(&out);
	/* client_secret_post works, ID token ES256 (r||s, checked by cjose) */
	code = get_code(F.p, GOOD_Q("rp-post", ""), OIDC_LOA_SUBSTANTIAL);
	j = exchange_ok(F.p, code, NULL, "&client_id=rp-post&client_secret=" POST_SECRET);
	claims = verify_with_cjose(json_string_value(json_object_get(j, "id_token")), "ES256");
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), "rp-post");
	/* per-client lifetimes */
	assert_int_equal(json_integer_value(json_object_get(j, "expires_in")), 120);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")) -
	    json_integer_value(json_object_get(claims, "iat")), 90);
	assert_null(json_object_get(claims, "email"));	/* scope not granted */
	json_decref(claims);
	json_decref(j);
	free(code);
	/* Basic with a body client_id naming another client */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "&client_id=rp-post");
	assert_int_equal(token(F.p, body, basic_hdr, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	oidc_response_free(&out);
	free(body);
	free(code);
}

/* A client assertion signed by key k (kid) with the given claims. */
static char *
assertion(const struct eidgw_key *k, enum oidc_alg alg, const char *kid, const char *iss,
    const char *sub, const char *aud, int64_t exp_delta, const char *jti)
{
	char *payload, *jwt = NULL;
	int64_t now = eidgw_now();

	assert_true(asprintf(&payload, "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":%s,\"exp\":%lld,"
	    "\"iat\":%lld,\"jti\":\"%s\"}", iss, sub, aud, (long long)(now + exp_delta),
	    (long long)now, jti) > 0);
	assert_int_equal(oidc_jws_sign(k, alg, kid, payload, &jwt), EIDGW_OK);
	free(payload);
	return jwt;
}

static char *
b64u(const char *s)
{
	struct eidgw_buf b;
	char *r;

	eidgw_buf_init(&b, 4096);
	assert_int_equal(eidgw_b64_encode(&b, s, strlen(s), true), EIDGW_OK);
	r = eidgw_buf_steal(&b, NULL);
	eidgw_buf_free(&b);
	return r;
}

static enum eidgw_err
token_jwt(const char *code, const char *jwt, struct oidc_response *out)
{
	char *extra, *body;
	enum eidgw_err rc;

	assert_true(asprintf(&extra, "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
	    "client-assertion-type%%3Ajwt-bearer&client_assertion=%s", jwt) > 0);
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", extra);
	rc = token(F.p, body, NULL, out);
	free(body);
	free(extra);
	return rc;
}

static void
test_token_private_key_jwt(void **state)
{
	struct oidc_response out;
	char *code, *jwt, *h, *pl, *bad, *t;
	json_t *j, *claims;
	size_t i;
	struct {
		const struct eidgw_key *k;
		enum oidc_alg alg;
		const char *kid, *iss, *sub, *aud;
		int64_t exp;
		enum eidgw_err want;
	} cases[] = {
		/* wrong key, unregistered kid */
		{ F.k_other, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"", 60,
		    EIDGW_E_OIDC_ASSERTION },
		{ F.k_cli_ec, OIDC_ALG_ES256, "nope", "rp-jwt", "rp-jwt", "\"" ISS "\"", 60,
		    EIDGW_E_OIDC_ASSERTION },
		/* alg not fitting the key */
		{ F.k_cli_rsa, OIDC_ALG_RS256, "cli-rsa", "rp-jwt", "rp-jwt", "\"" ISS "\"", 60,
		    EIDGW_E_OIDC_ASSERTION },
		/* sub != iss, wrong aud, expired, too far ahead */
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-basic", "\"" ISS "\"", 60,
		    EIDGW_E_OIDC_ASSERTION },
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt",
		    "\"https://other.example\"", 60, EIDGW_E_OIDC_ASSERTION },
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "/oidc/par\"",
		    60, EIDGW_E_OIDC_ASSERTION },
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"", -60,
		    EIDGW_E_OIDC_ASSERTION },
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"", 3600,
		    EIDGW_E_OIDC_ASSERTION },
		/* iss names an unknown client */
		{ F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "nobody", "nobody", "\"" ISS "\"", 60,
		    EIDGW_E_OIDC_ASSERTION },
	};

	(void)state;
	code = get_code(F.p, FULL_Q("rp-jwt"), OIDC_LOA_SUBSTANTIAL);
	for (i = 0; i < EIDGW_ARRAY_LEN(cases); i++) {
		char jti[32];

		(void)snprintf(jti, sizeof(jti), "case-%zu", i);
		jwt = assertion(cases[i].k, cases[i].alg, cases[i].kid, cases[i].iss, cases[i].sub,
		    cases[i].aud, cases[i].exp, jti);
		assert_int_equal(token_jwt(code, jwt, &out), cases[i].want);
		assert_oauth_error(&out, 401, "invalid_client");
		oidc_response_free(&out);
		free(jwt);
	}
	/* alg none and HS256 with a valid-looking payload */
	assert_true(asprintf(&pl, "{\"iss\":\"rp-jwt\",\"sub\":\"rp-jwt\",\"aud\":\"%s\","
	    "\"exp\":%lld,\"jti\":\"none-1\"}", ISS, (long long)eidgw_now() + 60) > 0);
	t = b64u(pl);
	h = b64u("{\"alg\":\"none\"}");
	assert_true(asprintf(&bad, "%s.%s.", h, t) > 0);
	assert_int_equal(token_jwt(code, bad, &out), EIDGW_E_OIDC_ASSERTION);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(bad);
	free(h);
	h = b64u("{\"alg\":\"HS256\",\"kid\":\"cli-ec\"}");
	assert_true(asprintf(&bad, "%s.%s.c2lnbmF0dXJl", h, t) > 0);
	assert_int_equal(token_jwt(code, bad, &out), EIDGW_E_OIDC_ASSERTION);
	oidc_response_free(&out);
	free(bad);
	free(h);
	free(t);
	free(pl);
	/* tampered payload of a good assertion */
	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"",
	    60, "tamper-1");
	{
		char *c = strchr(jwt, '.') + 3;	/* its own name: t was freed above */

		*c = *c == 'A' ? 'B' : 'A';
	}
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_ASSERTION);
	oidc_response_free(&out);
	free(jwt);
	/* not a JWS at all */
	assert_int_equal(token_jwt(code, "abc", &out), EIDGW_E_OIDC_ASSERTION);
	oidc_response_free(&out);
	/* the good one: aud as an array with the token endpoint, RSA PS256 key */
	jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt",
	    "[\"x\",\"" ISS "/oidc/token\"]", 120, "good-1");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_OK);
	assert_int_equal(out.status, 200);
	j = body_json(&out);
	claims = verify_with_cjose(json_string_value(json_object_get(j, "id_token")), "ES256");
	{
		char *sub = expected_sub("https://sector.example");

		assert_string_equal(json_string_value(json_object_get(claims, "sub")), sub);
		free(sub);
	}
	json_decref(claims);
	json_decref(j);
	oidc_response_free(&out);
	free(code);
	/* replayed jti: refused even with a fresh code */
	code = get_code(F.p, FULL_Q("rp-jwt"), OIDC_LOA_SUBSTANTIAL);
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_JTI_REPLAY);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(jwt);
	/* no kid: every fitting key is tried; ES256 client key */
	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, NULL, "rp-jwt", "rp-jwt", "\"" ISS "\"", 60,
	    "good-2");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_OK);
	oidc_response_free(&out);
	free(jwt);
	free(code);
	/* wrong assertion type */
	code = get_code(F.p, FULL_Q("rp-jwt"), OIDC_LOA_SUBSTANTIAL);
	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"",
	    60, "good-3");
	assert_true(asprintf(&bad, "grant_type=authorization_code&code=%s&code_verifier=%s"
	    "&redirect_uri=https%%3A%%2F%%2Frp.example%%2Fcb&client_assertion_type=saml"
	    "&client_assertion=%s", code, VERIFIER, jwt) > 0);
	assert_int_equal(token(F.p, bad, NULL, &out), EIDGW_E_OIDC_CLIENT_AUTH);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(bad);
	free(jwt);
	free(code);
}

/* A PAR request by rp-jwt authenticated with a client assertion for aud. */
static void
par_with_assertion(const char *aud, const char *jti, int want_status)
{
	char *jwt, *body, *ru;

	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", aud, 60, jti);
	assert_true(asprintf(&body, "%s&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
	    "client-assertion-type%%3Ajwt-bearer&client_assertion=%s", GOOD_Q("rp-jwt", ""),
	    jwt) > 0);
	ru = push(body, NULL, want_status);
	if (want_status != 201)
		assert_null(ru);
	free(ru);
	free(body);
	free(jwt);
}

/*
 * A client registered with token_endpoint_auth_signing_alg (RFC 7591) gets
 * only that alg accepted: here PS256 (a FAPI 2.0 client), so the same
 * client's valid ES256 assertion is refused and its PS256 one accepted.
 */
static void
test_token_assertion_alg_pinned(void **state)
{
	struct oidc_signing_key keys[4];
	struct oidc_client cl[4];
	struct oidc_config c;
	struct oidc_provider *saved = F.p, *pinned = NULL;
	struct oidc_response out;
	struct eidgw_diag d = { 0 };
	char *code, *jwt;

	(void)state;
	make_config(&c, keys, cl);
	cl[2].token_endpoint_auth_signing_alg = OIDC_ALG_PS256;
	assert_int_equal(oidc_provider_new(&c, &pinned, &d), EIDGW_OK);
	F.p = pinned;
	code = get_code(F.p, FULL_Q("rp-jwt"), OIDC_LOA_SUBSTANTIAL);
	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"",
	    60, "pinned-es");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_ASSERTION);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(jwt);
	/* FAPI 2.0 §5.3.2.1: a pinned (FAPI 2.0) client's aud is the issuer as a
	 * string, nothing else: not the token endpoint, not an array (even one
	 * holding only the issuer); refused before the code is taken */
	jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt",
	    "\"" ISS "/oidc/token\"", 60, "pinned-aud-1");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_ASSERTION);
	assert_oauth_error(&out, 401, "invalid_client");
	oidc_response_free(&out);
	free(jwt);
	jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt",
	    "[\"" ISS "\",\"https://other.example\"]", 60, "pinned-aud-2");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_ASSERTION);
	oidc_response_free(&out);
	free(jwt);
	jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt",
	    "[\"" ISS "\"]", 60, "pinned-aud-3");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_E_OIDC_ASSERTION);
	oidc_response_free(&out);
	free(jwt);
	jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt", "\"" ISS "\"",
	    60, "pinned-ps");
	assert_int_equal(token_jwt(code, jwt, &out), EIDGW_OK);
	assert_int_equal(out.status, 200);
	oidc_response_free(&out);
	free(jwt);
	free(code);
	/* at PAR likewise: the PAR endpoint URL, the token endpoint URL and an
	 * array are refused for it (401 invalid_client), the issuer accepted */
	{
		static const char *const bad[] = {
			"\"" ISS "/oidc/par\"", "\"" ISS "/oidc/token\"",
			"[\"" ISS "\",\"https://other.example\"]",
		};
		char *body, *ru, jti[32];
		size_t i;

		for (i = 0; i <= EIDGW_ARRAY_LEN(bad); i++) {
			(void)snprintf(jti, sizeof(jti), "pinned-par-%zu", i);
			jwt = assertion(F.k_cli_rsa, OIDC_ALG_PS256, "cli-rsa", "rp-jwt", "rp-jwt",
			    i < EIDGW_ARRAY_LEN(bad) ? bad[i] : "\"" ISS "\"", 60, jti);
			assert_true(asprintf(&body, "%s&client_assertion_type=urn%%3Aietf%%3Aparams"
			    "%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s",
			    GOOD_Q("rp-jwt", ""), jwt) > 0);
			ru = push(body, NULL, i < EIDGW_ARRAY_LEN(bad) ? 401 : 201);
			if (i < EIDGW_ARRAY_LEN(bad))
				assert_null(ru);
			else
				assert_non_null(ru);
			free(ru);
			free(body);
			free(jwt);
		}
	}
	F.p = saved;
	oidc_provider_free(pinned);
	/* an alg outside the allow-list cannot be registered */
	make_config(&c, keys, cl);
	cl[2].token_endpoint_auth_signing_alg = (enum oidc_alg)99;
	assert_int_equal(oidc_provider_new(&c, &pinned, &d), EIDGW_E_OIDC_CONFIG);
}

static void
test_par_private_key_jwt(void **state)
{
	(void)state;
	/* at PAR the PAR endpoint URL is an accepted audience (RFC 9126 §2) */
	par_with_assertion("\"" ISS "/oidc/par\"", "par-1", 201);
	/* ... and the token endpoint URL as well */
	par_with_assertion("\"" ISS "/oidc/token\"", "par-2", 201);
	/* a foreign audience is refused at PAR too */
	par_with_assertion("\"" ISS "/oidc/userinfo\"", "par-3", 401);
}

static void
test_unmet_acr(void **state)
{
	struct oidc_authz_result res, fin;
	struct oidc_identity id;

	(void)state;
	/* asserted below the requested level */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&acr_values=http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Fhigh"), &res), EIDGW_OK);
	id = identity(OIDC_LOA_SUBSTANTIAL);
	assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL),
	    EIDGW_E_OIDC_ACR_UNMET);
	assert_error_redirect(&fin, RP_CB, "unmet_authentication_requirements", "st-1");
	oidc_authz_result_free(&fin);
	/* a non-notified LoA never satisfies */
	id = identity("http://eidas.europa.eu/NotNotified/LoA/high");
	assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL),
	    EIDGW_E_OIDC_ACR_UNMET);
	oidc_authz_result_free(&fin);
	oidc_authz_result_free(&res);
	/* essential acr via claims */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", "&claims=%7B%22id_token%22%3A%7B%22acr%22"
	    "%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22http%3A%2F%2Feidas.europa.eu"
	    "%2FLoA%2Fhigh%22%7D%7D%7D"), &res), EIDGW_OK);
	id = identity(OIDC_LOA_LOW);
	assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL),
	    EIDGW_E_OIDC_ACR_UNMET);
	assert_error_redirect(&fin, RP_CB, "unmet_authentication_requirements", "st-1");
	oidc_authz_result_free(&fin);
	oidc_authz_result_free(&res);
	/* the client default floor (substantial) applies with nothing requested */
	assert_int_equal(authz(F.p, GOOD_Q("rp-basic", ""), &res), EIDGW_OK);
	id = identity(OIDC_LOA_LOW);
	assert_int_equal(oidc_authz_complete(F.p, res.req, &id, &fin, NULL),
	    EIDGW_E_OIDC_ACR_UNMET);
	oidc_authz_result_free(&fin);
	/* a failed login goes back as an error redirect */
	assert_int_equal(oidc_authz_fail(F.p, res.req, "access_denied", NULL, &fin), EIDGW_OK);
	assert_error_redirect(&fin, RP_CB, "access_denied", "st-1");
	oidc_authz_result_free(&fin);
	oidc_authz_result_free(&res);
}

static void
test_userinfo_refusals(void **state)
{
	struct oidc_request r;
	struct oidc_response out;
	json_t *j;
	char *code, *at, *body;

	(void)state;
	/* no token: 401 with bare Bearer and DPoP challenges (RFC 6750 §3.1,
	 * RFC 9449 §7.2) */
	r = get_req(NULL);
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_TOKEN);
	assert_int_equal(out.status, 401);
	assert_string_equal(out.www_authenticate,
	    "Bearer realm=\"eidgw\", DPoP algs=\"ES256 PS256 EdDSA Ed25519\"");
	oidc_response_free(&out);
	/* unknown and malformed tokens */
	assert_userinfo_refused("bm90LWEtdG9rZW4");
	assert_userinfo_refused("a b");
	/* a Basic header is not a bearer token */
	r.authorization = basic_hdr;
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_TOKEN);
	assert_int_equal(out.status, 401);
	oidc_response_free(&out);
	/* token in the query string is refused */
	r = get_req("access_token=abc");
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_METHOD);
	assert_int_equal(out.status, 400);
	oidc_response_free(&out);
	/* POST form body works; header + body together is refused */
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	j = exchange_ok(F.p, code, basic_hdr, "");
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	assert_true(asprintf(&body, "access_token=%s", at) > 0);
	r = post_req(body, NULL);
	assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_OK);
	assert_int_equal(out.status, 200);
	oidc_response_free(&out);
	{
		char hdr[128];

		(void)snprintf(hdr, sizeof(hdr), "Bearer %s", at);
		r.authorization = hdr;
		assert_int_equal(oidc_userinfo(F.p, &r, &out, NULL), EIDGW_E_OIDC_TOKEN);
		assert_int_equal(out.status, 400);
		oidc_response_free(&out);
	}
	free(body);
	free(at);
	json_decref(j);
	free(code);
	/* an expired access token (provider with 1 s lifetime) */
	code = get_code(F.p_short, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	j = exchange_ok(F.p_short, code, basic_hdr, "");
	at = strdup(json_string_value(json_object_get(j, "access_token")));
	sleep(2);
	assert_userinfo_refused(at);
	free(at);
	json_decref(j);
	free(code);
}

static void
test_store_down_fails_closed(void **state)
{
	struct oidc_authz_result res, fin;
	struct oidc_identity id = identity(OIDC_LOA_HIGH);
	struct oidc_response out;
	struct oidc_request r;
	char *body;

	(void)state;
	assert_int_equal(authz(F.p_bad, GOOD_Q("rp-basic", ""), &res), EIDGW_OK);
	assert_int_equal(oidc_authz_complete(F.p_bad, res.req, &id, &fin, NULL),
	    EIDGW_E_STORE_UNAVAILABLE);
	assert_error_redirect(&fin, RP_CB, "temporarily_unavailable", "st-1");
	oidc_authz_result_free(&fin);
	oidc_authz_result_free(&res);
	body = token_body("Y29kZQ", VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	assert_int_equal(token(F.p_bad, body, basic_hdr, &out), EIDGW_E_STORE_UNAVAILABLE);
	assert_oauth_error(&out, 503, "temporarily_unavailable");
	oidc_response_free(&out);
	free(body);
	r = post_req(GOOD_Q("rp-par", ""), basic_par_hdr);
	assert_int_equal(oidc_par(F.p_bad, &r, &out, NULL), EIDGW_E_STORE_UNAVAILABLE);
	assert_oauth_error(&out, 503, "temporarily_unavailable");
	oidc_response_free(&out);
	r = get_req(NULL);
	r.authorization = "Bearer abc";
	assert_int_equal(oidc_userinfo(F.p_bad, &r, &out, NULL), EIDGW_E_STORE_UNAVAILABLE);
	assert_int_equal(out.status, 503);
	oidc_response_free(&out);
}

/* Every single-character change of a good client assertion is refused. */
static void
test_assertion_mutations(void **state)
{
	struct oidc_response out;
	char *code, *jwt, *m;
	size_t i, n;
	enum eidgw_err rc;

	(void)state;
	code = get_code(F.p, FULL_Q("rp-jwt"), OIDC_LOA_SUBSTANTIAL);
	jwt = assertion(F.k_cli_ec, OIDC_ALG_ES256, "cli-ec", "rp-jwt", "rp-jwt", "\"" ISS "\"",
	    60, "mutate-1");
	n = strlen(jwt);
	m = strdup(jwt);
	for (i = 0; i < n; i++) {
		if (jwt[i] == '.')
			continue;
		memcpy(m, jwt, n + 1);
		/* another base64url character, so only the meaning changes */
		m[i] = jwt[i] == 'A' ? 'B' : 'A';
		rc = token_jwt(code, m, &out);
		if (rc == EIDGW_OK)
			fail_msg("mutation at %zu of %zu accepted", i, n);
		assert_int_equal(out.status, 401);
		oidc_response_free(&out);
	}
	/* the same signature spelled non-canonically (a leftover bit set) */
	{
		static const char al[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(al, jwt[n - 1]) - al);

		memcpy(m, jwt, n + 1);
		m[n - 1] = al[v | 1];	/* 86 chars carry 4 spare bits */
		if (m[n - 1] != jwt[n - 1]) {
			assert_int_equal(token_jwt(code, m, &out), EIDGW_E_OIDC_ASSERTION);
			oidc_response_free(&out);
		}
	}
	free(m);
	free(jwt);
	free(code);
}

struct race_arg {
	const char *body;
	enum eidgw_err rc;
	char *at;
};

static void *
race_thread(void *arg)
{
	struct race_arg *a = arg;
	struct oidc_response out;
	json_t *j;

	a->rc = token(F.p, a->body, basic_hdr, &out);
	if (a->rc == EIDGW_OK) {
		j = json_loads(out.body, 0, NULL);
		a->at = strdup(json_string_value(json_object_get(j, "access_token")));
		json_decref(j);
	}
	oidc_response_free(&out);
	return NULL;
}

/* Concurrent redemptions of one code: one wins, the others are replays, and
 * the winner's token is revoked whatever the interleaving. */
static void
test_code_race(void **state)
{
	enum { N = 8 };
	pthread_t th[N];
	struct race_arg a[N];
	char *code, *body;
	int i, ok = 0, reuse = 0;

	(void)state;
	code = get_code(F.p, FULL_Q("rp-basic"), OIDC_LOA_SUBSTANTIAL);
	body = token_body(code, VERIFIER, "https%3A%2F%2Frp.example%2Fcb", "");
	memset(a, 0, sizeof(a));
	for (i = 0; i < N; i++) {
		a[i].body = body;
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &a[i]), 0);
	}
	for (i = 0; i < N; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < N; i++) {
		if (a[i].rc == EIDGW_OK) {
			ok++;
			assert_userinfo_refused(a[i].at);
			free(a[i].at);
		} else if (a[i].rc == EIDGW_E_OIDC_CODE_REUSE) {
			reuse++;
		}
	}
	assert_int_equal(ok, 1);
	assert_int_equal(reuse, N - 1);
	free(body);
	free(code);
}

/* Replays tests/data/oidc/authorize_hostile.txt (outcome, error, query). */
static void
test_hostile_authorize_data(void **state)
{
	struct oidc_authz_result res;
	char *data, *line, *save = NULL, outcome[16], err[48];
	int pos, count = 0;

	(void)state;
	data = tl_read_data("oidc/authorize_hostile.txt", NULL);
	assert_non_null(data);
	for (line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		pos = 0;
		assert_int_equal(sscanf(line, "%15s %47s %n", outcome, err, &pos), 2);
		(void)authz(F.p, line + pos, &res);
		if (strcmp(outcome, "page") == 0) {
			if (res.kind != OIDC_AUTHZ_ERROR_PAGE)
				fail_msg("expected an error page: %s", line);
			assert_null(res.location);
			assert_string_equal(res.error, err);
		} else if (strcmp(outcome, "redirect") == 0) {
			if (res.kind != OIDC_AUTHZ_REDIRECT)
				fail_msg("expected a redirect: %s", line);
			assert_error_redirect(&res, RP_CB, err, "S");
		} else {
			assert_string_equal(outcome, "accept");
			if (res.kind != OIDC_AUTHZ_ACCEPTED)
				fail_msg("expected acceptance: %s", line);
		}
		oidc_authz_result_free(&res);
		count++;
	}
	assert_true(count >= 30);
	free(data);
}

/* oidc_jws_sign for every allowed alg, verified by cjose with our JWK. */
static void
test_jws_sign_algs(void **state)
{
	struct {
		const struct eidgw_key *k;
		enum oidc_alg alg;
		size_t siglen;
	} c[] = {
		{ NULL, OIDC_ALG_PS256, 342 }, { NULL, OIDC_ALG_RS256, 342 },
		{ NULL, OIDC_ALG_ES256, 86 },	/* r||s = 64 bytes (RFC 7518 §3.4) */
	};
	char *jwt, *jwk;
	cjose_jwk_t *cj;
	cjose_jws_t *jws;
	cjose_err e;
	size_t i;

	(void)state;
	c[0].k = F.k_rsa;
	c[1].k = F.k_rsa;
	c[2].k = F.k_ec;
	for (i = 0; i < EIDGW_ARRAY_LEN(c); i++) {
		assert_int_equal(oidc_jws_sign(c[i].k, c[i].alg, "k", "{\"a\":1}", &jwt), EIDGW_OK);
		assert_int_equal(strlen(strrchr(jwt, '.') + 1), c[i].siglen);
		assert_int_equal(oidc_jwk_public_json(c[i].k->pub, "k", c[i].alg, &jwk), EIDGW_OK);
		cj = cjose_jwk_import(jwk, strlen(jwk), &e);
		jws = cjose_jws_import(jwt, strlen(jwt), &e);
		assert_non_null(cj);
		assert_non_null(jws);
		assert_true(cjose_jws_verify(jws, cj, &e));
		cjose_jws_release(jws);
		cjose_jwk_release(cj);
		free(jwk);
		free(jwt);
	}
	/* no alg outside the allow-list, no key/alg mismatch */
	assert_int_equal(oidc_jws_sign(F.k_rsa, OIDC_ALG_DEFAULT, "k", "{}", &jwt), EIDGW_E_INVAL);
	assert_null(jwt);
	assert_int_not_equal(oidc_jws_sign(F.k_ec, OIDC_ALG_PS256, "k", "{}", &jwt), EIDGW_OK);
	assert_null(jwt);
	assert_int_not_equal(oidc_jwk_public_json(F.k_ec->pub, "k", OIDC_ALG_RS256, &jwk),
	    EIDGW_OK);
	assert_int_equal(oidc_alg_from_name("none"), OIDC_ALG_DEFAULT);
	assert_int_equal(oidc_alg_from_name("HS256"), OIDC_ALG_DEFAULT);
	assert_int_equal(oidc_alg_from_name("ps256"), OIDC_ALG_DEFAULT);
}

static void
test_pairwise(void **state)
{
	char *a, *b, *c;

	(void)state;
	assert_int_equal(oidc_pairwise_sub(pairwise_key, 32, "rp.example", PID, &a), EIDGW_OK);
	assert_int_equal(oidc_pairwise_sub(pairwise_key, 32, "rp.example", PID, &b), EIDGW_OK);
	assert_int_equal(oidc_pairwise_sub(pairwise_key, 32, "other.example", PID, &c), EIDGW_OK);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 43);
	free(a);
	free(b);
	free(c);
	/* the separator keeps (sector, pid) unambiguous */
	assert_int_equal(oidc_pairwise_sub(pairwise_key, 32, "ab", "c", &a), EIDGW_OK);
	assert_int_equal(oidc_pairwise_sub(pairwise_key, 32, "a", "bc", &b), EIDGW_OK);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_jwks),
		cmocka_unit_test(test_provider_config_errors),
		cmocka_unit_test(test_authorize_ok),
		cmocka_unit_test(test_authorize_bad_client_or_redirect),
		cmocka_unit_test(test_authorize_error_redirects),
		cmocka_unit_test(test_authorize_acr),
		cmocka_unit_test(test_authorize_voluntary_values),
		cmocka_unit_test(test_par_required),
		cmocka_unit_test(test_par_flow),
		cmocka_unit_test(test_par_refusals),
		cmocka_unit_test(test_flow_basic),
		cmocka_unit_test(test_code_reuse_revokes),
		cmocka_unit_test(test_token_grant_refusals),
		cmocka_unit_test(test_token_client_auth_secrets),
		cmocka_unit_test(test_token_private_key_jwt),
		cmocka_unit_test(test_token_assertion_alg_pinned),
		cmocka_unit_test(test_par_private_key_jwt),
		cmocka_unit_test(test_unmet_acr),
		cmocka_unit_test(test_userinfo_refusals),
		cmocka_unit_test(test_store_down_fails_closed),
		cmocka_unit_test(test_pairwise),
		cmocka_unit_test(test_jws_sign_algs),
		cmocka_unit_test(test_hostile_authorize_data),
		cmocka_unit_test(test_assertion_mutations),
		cmocka_unit_test(test_code_race),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
