/*
 * bench_stages.c - the crypto floor of one login and the in-process stages,
 * on one core, for one key profile (issue 6).
 *
 *   bench-stages --keys DIR --profile eidas|ec|rsa2048 [--seconds S] [--json FILE]
 *
 * The floor is the bare OpenSSL work one login needs, with the very keys of
 * the profile (read from DIR, the same files the daemon is configured with);
 * each stage is then timed through the libraries and printed with its ratio
 * to its own floor.  Figures, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "bench.h"
#include "core/store.h"
#include "core/util.h"
#include "oidc/oidc.h"
#include "saml/saml.h"
#include "saml/xmldsig.h"
#include "saml/xmlenc.h"

#define SIGNED_INFO_LEN 600	/* a ds:SignedInfo after c14n, about */
#define ID_TOKEN_LEN	700	/* header.payload of an ID token, about */
#define BENCH_SECRET	"bench-client-secret-0123456789abcdef"
#define BENCH_REDIRECT	"http://127.0.0.1:9/cb"
#define BENCH_VERIFIER	"bench-verifier-0123456789abcdefghijklmnopqrstuvwxyz"

/* The bare keys of the floor and the sizes of the real documents. */
struct floor_ctx {
	const struct bench_profile *prof;
	EVP_PKEY *sp_sign, *sp_enc, *oidc, *idp_pub, *eph;
	unsigned char wrapped[512], gcm_ct[64 * 1024], gcm_tag[16], gcm_key[32], gcm_iv[12];
	unsigned char kw[40];
	size_t wrapped_len, authn_len, resp_len, asrt_len;
	unsigned char sig_resp[512], sig_asrt[512];
	size_t sig_resp_len, sig_asrt_len;
	unsigned char *doc;	/* random octets standing in for the documents */
};

typedef enum eidgw_err (*op_fn)(void *ctx);

static double min_seconds = 1.0;

/*
 * Runs fn until min_seconds of this process's CPU time have passed; CPU µs
 * per call, or -1 on failure.  CPU time, not wall time: the machine is shared
 * (other builds, the load generator), and a single-threaded loop's own CPU
 * time is what it costs.
 */
static double
time_op(const char *what, op_fn fn, void *ctx)
{
	uint64_t t0, t, n = 0;
	enum eidgw_err rc;

	if ((rc = fn(ctx)) != EIDGW_OK) {	/* warm-up, and fail early */
		fprintf(stderr, "bench-stages: %s failed: %s\n", what, eidgw_err_name(rc));
		return -1;
	}
	t0 = bench_cpu_ns();
	do {
		if ((rc = fn(ctx)) != EIDGW_OK) {
			fprintf(stderr, "bench-stages: %s failed: %s\n", what, eidgw_err_name(rc));
			return -1;
		}
		n++;
		t = bench_cpu_ns();
	} while (t - t0 < (uint64_t)(min_seconds * 1e9));
	return (double)(t - t0) / 1e3 / (double)n;
}

static EVP_PKEY *
read_key(const char *dir, const char *file, bool priv)
{
	char path[4096];
	EVP_PKEY *k = NULL;
	X509 *x;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (priv) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	} else if ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		k = X509_get_pubkey(x);
		X509_free(x);
	}
	(void)fclose(f);
	return k;
}

/* Hash of the referenced octets, then the signature over SignedInfo. */
static enum eidgw_err
bare_sign(EVP_PKEY *key, enum eidgw_sig_alg alg, const unsigned char *doc, size_t doclen,
    unsigned char *sig, size_t *siglen)
{
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;

	if (doclen > 0 && EVP_Digest(doc, doclen, md, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	if (c == NULL || EVP_DigestSignInit(c, &pc, EVP_sha256(), NULL, key) != 1)
		goto out;
	if (alg >= EIDGW_SIG_RSA_PSS_SHA256 && alg <= EIDGW_SIG_RSA_PSS_SHA512 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (EVP_DigestSign(c, sig, siglen, doc, SIGNED_INFO_LEN) != 1)
		goto out;
	rc = EIDGW_OK;
out:
	EVP_MD_CTX_free(c);
	return rc;
}

static enum eidgw_err
bare_verify(EVP_PKEY *key, enum eidgw_sig_alg alg, const unsigned char *doc, size_t doclen,
    const unsigned char *sig, size_t siglen)
{
	unsigned char md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;

	if (EVP_Digest(doc, doclen, md, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	if (c == NULL || EVP_DigestVerifyInit(c, &pc, EVP_sha256(), NULL, key) != 1)
		goto out;
	if (alg >= EIDGW_SIG_RSA_PSS_SHA256 && alg <= EIDGW_SIG_RSA_PSS_SHA512 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (EVP_DigestVerify(c, sig, siglen, doc, SIGNED_INFO_LEN) != 1)
		goto out;
	rc = EIDGW_OK;
out:
	EVP_MD_CTX_free(c);
	return rc;
}

static enum eidgw_err
op_authn_sign(void *ctx)
{
	struct floor_ctx *f = ctx;
	unsigned char sig[512];
	size_t n = sizeof(sig);

	return bare_sign(f->sp_sign, f->prof->sp_alg, f->doc, f->authn_len, sig, &n);
}

static enum eidgw_err
op_resp_verify(void *ctx)
{
	struct floor_ctx *f = ctx;

	return bare_verify(f->idp_pub, f->prof->idp_alg, f->doc, f->resp_len, f->sig_resp,
	    f->sig_resp_len);
}

static enum eidgw_err
op_asrt_verify(void *ctx)
{
	struct floor_ctx *f = ctx;

	return bare_verify(f->idp_pub, f->prof->idp_alg, f->doc, f->asrt_len, f->sig_asrt,
	    f->sig_asrt_len);
}

/* RSA-OAEP (SHA-256, MGF1-SHA-256) unwrap, or ECDH + ConcatKDF + AES key unwrap. */
static enum eidgw_err
op_key_transport(void *ctx)
{
	struct floor_ctx *f = ctx;
	unsigned char out[512], z[66], kek[32], cek[40];
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(f->sp_enc, NULL);
	EVP_CIPHER_CTX *cc = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t n = sizeof(out), zl = sizeof(z);
	int l1 = 0, l2 = 0;

	if (pc == NULL)
		goto out;
	if (EVP_PKEY_get_base_id(f->sp_enc) == EVP_PKEY_RSA) {
		if (EVP_PKEY_decrypt_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) != 1 ||
		    EVP_PKEY_decrypt(pc, out, &n, f->wrapped, f->wrapped_len) != 1 || n != 32)
			goto out;
	} else {
		unsigned char kdf_in[128];
		EVP_PKEY_CTX *qc = EVP_PKEY_CTX_new_from_pkey(NULL, f->eph, NULL);
		int ok;

		/* what the ephemeral key needs: one on-curve check (cofactor-1 curves), then ECDH */
		ok = qc != NULL && EVP_PKEY_public_check_quick(qc) == 1;
		EVP_PKEY_CTX_free(qc);
		if (!ok || EVP_PKEY_derive_init(pc) != 1 || EVP_PKEY_derive_set_peer_ex(pc, f->eph, 0) != 1 ||
		    EVP_PKEY_derive(pc, z, &zl) != 1)
			goto out;
		/* ConcatKDF, one round: counter || Z || OtherInfo. */
		memset(kdf_in, 0, sizeof(kdf_in));
		memcpy(kdf_in + 4, z, zl);
		if (EVP_Digest(kdf_in, 4 + zl + 40, kek, NULL, EVP_sha256(), NULL) != 1)
			goto out;
		if ((cc = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_DecryptInit_ex(cc, EVP_aes_256_wrap(), NULL, f->gcm_key, NULL) != 1 ||
		    EVP_DecryptUpdate(cc, cek, &l1, f->kw, 40) != 1 ||
		    EVP_DecryptFinal_ex(cc, cek + l1, &l2) != 1)
			goto out;
	}
	rc = EIDGW_OK;
out:
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

static enum eidgw_err
op_gcm(void *ctx)
{
	struct floor_ctx *f = ctx;
	static unsigned char pt[64 * 1024];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	int l = 0, l2 = 0;

	if (c == NULL || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, f->gcm_key, f->gcm_iv) != 1 ||
	    EVP_DecryptUpdate(c, pt, &l, f->gcm_ct, (int)f->asrt_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, f->gcm_tag) != 1 ||
	    EVP_DecryptFinal_ex(c, pt + l, &l2) != 1)
		goto out;
	rc = EIDGW_OK;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static enum eidgw_err
op_idtoken_sign(void *ctx)
{
	struct floor_ctx *f = ctx;
	unsigned char sig[512];
	size_t n = sizeof(sig);
	enum eidgw_sig_alg a = f->prof->oidc_alg == OIDC_ALG_ES256 ? EIDGW_SIG_ECDSA_SHA256 :
	    f->prof->oidc_alg == OIDC_ALG_PS256 ? EIDGW_SIG_RSA_PSS_SHA256 :
	    EIDGW_SIG_RSA_PKCS1_SHA256;

	return bare_sign(f->oidc, a, f->doc, 0, sig, &n);
}

/* Prepares the inputs of the floor's operations (encrypted once, signed once). */
static enum eidgw_err
floor_prepare(struct floor_ctx *f)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_CIPHER_CTX *cc = NULL;
	unsigned char cek[32];
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	int l = 0, l2 = 0;

	if ((f->doc = malloc(sizeof(f->gcm_ct))) == NULL)
		return EIDGW_E_NOMEM;
	if (RAND_bytes(f->doc, (int)sizeof(f->gcm_ct)) != 1 || RAND_bytes(cek, 32) != 1 ||
	    RAND_bytes(f->gcm_key, 32) != 1 || RAND_bytes(f->gcm_iv, 12) != 1)
		goto out;
	if (f->asrt_len > sizeof(f->gcm_ct))
		f->asrt_len = sizeof(f->gcm_ct);
	if (f->resp_len > sizeof(f->gcm_ct))
		f->resp_len = sizeof(f->gcm_ct);
	/* The IdP's signatures, made with the IdP's key. */
	f->sig_resp_len = f->sig_asrt_len = sizeof(f->sig_resp);
	if ((pc = EVP_PKEY_CTX_new(f->sp_enc, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_get_base_id(f->sp_enc) == EVP_PKEY_RSA) {
		f->wrapped_len = sizeof(f->wrapped);
		if (EVP_PKEY_encrypt_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) != 1 ||
		    EVP_PKEY_encrypt(pc, f->wrapped, &f->wrapped_len, cek, 32) != 1)
			goto out;
	} else {
		f->eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (f->eph == NULL ||
		    (cc = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_EncryptInit_ex(cc, EVP_aes_256_wrap(), NULL, f->gcm_key, NULL) != 1 ||
		    EVP_EncryptUpdate(cc, f->kw, &l, cek, 32) != 1 ||
		    EVP_EncryptFinal_ex(cc, f->kw + l, &l2) != 1)
			goto out;
		EVP_CIPHER_CTX_free(cc);
		cc = NULL;
	}
	if ((cc = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(cc, EVP_aes_256_gcm(), NULL, f->gcm_key, f->gcm_iv) != 1 ||
	    EVP_EncryptUpdate(cc, f->gcm_ct, &l, f->doc, (int)f->asrt_len) != 1 ||
	    EVP_EncryptFinal_ex(cc, f->gcm_ct + l, &l2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, f->gcm_tag) != 1)
		goto out;
	rc = EIDGW_OK;
out:
	EVP_CIPHER_CTX_free(cc);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

/* ---- the stages -------------------------------------------------------- */

struct stage_ctx {
	const struct bench_keys *k;
	const struct bench_profile *prof;
	/* AuthnRequest */
	struct saml_requested_attr attrs[4];
	/* Response */
	struct eidgw_buf b64, xml, plain;
	struct saml_response_expect e;
	EVP_PKEY *trust_keys[1];
	struct saml_trust trust;
	const struct eidgw_key *dec[1];
	const char *required[4];
	xmlDocPtr vdoc, adoc;		/* parsed once: for the per-step breakdown */
	xmlNodePtr enc_node, asrt_node;
	struct saml_sig_policy pol;
	/* OIDC */
	struct eidgw_store *store;
	struct oidc_provider *op;
	struct oidc_authz_request *az;
	char **codes, **tokens;
	size_t ncodes, next_code, ntokens, next_token;
	char *basic;
};

static const char *const mds[4] = {
	"http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier",
	"http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
	"http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
	"http://eidas.europa.eu/attributes/naturalperson/DateOfBirth",
};

static enum eidgw_err
op_authnrequest(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct saml_authnrequest_params p;
	struct saml_authnrequest *ar = NULL;
	enum eidgw_err rc;

	memset(&p, 0, sizeof(p));
	p.issuer = "http://127.0.0.1:8080/saml/metadata";
	p.destination = BENCH_IDP_SSO;
	p.sp_type = "public";
	p.attrs = s->attrs;
	p.nattrs = 4;
	p.nameid_format = SAML_NAMEID_PERSISTENT;
	p.loa = SAML_LOA_SUBSTANTIAL;
	p.provider_name = "Bench service";
	p.now = eidgw_now();
	p.key = s->k->sp_sign;
	p.alg = s->prof->sp_alg;
	rc = saml_authnrequest_build(&p, &ar, NULL);
	saml_authnrequest_free(ar);
	return rc;
}

/* The replay cache is the store's business (measured over HTTP): always new here. */
static enum eidgw_err
replay_ok(void *ctx, const char *id, int64_t ttl)
{
	(void)ctx;
	(void)id;
	(void)ttl;
	return EIDGW_OK;
}

static enum eidgw_err
op_validate(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct saml_result r;
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc;

	rc = saml_response_validate(s->b64.data, s->b64.len, &s->e, &r, &d);
	if (rc != EIDGW_OK)
		fprintf(stderr, "bench-stages: validate: %s\n", d.reason);
	saml_result_clear(&r);
	return rc;
}

static enum eidgw_err
op_parse_outer(void *ctx)
{
	struct stage_ctx *s = ctx;
	xmlDocPtr doc = xmlReadMemory(s->xml.data, (int)s->xml.len, NULL, NULL, XML_PARSE_NONET);

	if (doc == NULL)
		return EIDGW_E_MALFORMED;
	xmlFreeDoc(doc);
	return EIDGW_OK;
}

static enum eidgw_err
op_parse_inner(void *ctx)
{
	struct stage_ctx *s = ctx;
	xmlDocPtr doc = xmlReadMemory(s->plain.data, (int)s->plain.len, NULL, NULL,
	    XML_PARSE_NONET);

	if (doc == NULL)
		return EIDGW_E_MALFORMED;
	xmlFreeDoc(doc);
	return EIDGW_OK;
}

static enum eidgw_err
op_b64_decode(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 1024 * 1024);
	rc = eidgw_b64_decode(&b, s->b64.data, s->b64.len, false);
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
op_lib_resp_verify(void *ctx)
{
	struct stage_ctx *s = ctx;

	return saml_sig_verify_enveloped(s->vdoc, xmlDocGetRootElement(s->vdoc), "ID", &s->trust,
	    &s->pol, NULL);
}

static enum eidgw_err
op_lib_asrt_verify(void *ctx)
{
	struct stage_ctx *s = ctx;

	return saml_sig_verify_enveloped(s->adoc, s->asrt_node, "ID", &s->trust, &s->pol, NULL);
}

static enum eidgw_err
op_lib_decrypt(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct saml_dec_policy dp = { 0 };
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 1024 * 1024);
	rc = saml_decrypt(s->enc_node, s->dec, 1, &dp, &b, NULL);
	eidgw_wipe(b.data, b.len);
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
op_token(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct oidc_request rq;
	struct oidc_response r = { 0 };
	struct eidgw_buf body;
	json_t *j = NULL;
	const char *at;
	enum eidgw_err rc;

	eidgw_buf_init(&body, 8192);
	if (s->next_code >= s->ncodes)
		return EIDGW_E_INTERNAL;
	/* newest first: codes live 60 s, and a loaded machine stretches wall time */
	EIDGW_TRY(eidgw_buf_printf(&body, "grant_type=authorization_code&code=%s&redirect_uri="
	    "http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb&code_verifier=" BENCH_VERIFIER,
	    s->codes[s->ncodes - 1 - s->next_code++]));
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.body = body.data;
	rq.body_len = body.len;
	rq.content_type = "application/x-www-form-urlencoded";
	rq.authorization = s->basic;
	EIDGW_TRY(oidc_token(s->op, &rq, &r, NULL));
	if (r.status != 200 || (j = json_loads(r.body, 0, NULL)) == NULL ||
	    (at = json_string_value(json_object_get(j, "access_token"))) == NULL)
		EIDGW_FAIL(NULL, EIDGW_E_INTERNAL, "no access token");
	if (s->ntokens < s->ncodes && (s->tokens[s->ntokens] = strdup(at)) != NULL)
		s->ntokens++;
	rc = EIDGW_OK;
out:
	json_decref(j);
	oidc_response_free(&r);
	eidgw_buf_free(&body);
	return rc;
}

static enum eidgw_err
op_userinfo(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct oidc_request rq;
	struct oidc_response r = { 0 };
	char hdr[1024];
	enum eidgw_err rc;

	if (s->ntokens == 0)
		return EIDGW_E_INTERNAL;
	(void)snprintf(hdr, sizeof(hdr), "Bearer %s", s->tokens[s->next_token++ % s->ntokens]);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.authorization = hdr;
	rc = oidc_userinfo(s->op, &rq, &r, NULL);
	if (rc == EIDGW_OK && r.status != 200)
		rc = EIDGW_E_INTERNAL;
	oidc_response_free(&r);
	return rc;
}

static const struct oidc_identity bench_identity = {
	.person_identifier = BENCH_PID_PREFIX "1",
	.given_name = "Eleni",
	.family_name = "Papadopoulos",
	.birthdate = "1970-05-31",
	.acr = SAML_LOA_SUBSTANTIAL,
	.auth_time = 1,
	.country = BENCH_COUNTRY,
};

static enum eidgw_err
op_authz_complete(void *ctx)
{
	struct stage_ctx *s = ctx;
	struct oidc_authz_result res = { 0 };
	const char *c, *e;
	enum eidgw_err rc;

	rc = oidc_authz_complete(s->op, s->az, &bench_identity, &res, NULL);
	if (rc == EIDGW_OK && (res.location == NULL ||
	    (c = strstr(res.location, "code=")) == NULL))
		rc = EIDGW_E_INTERNAL;
	if (rc == EIDGW_OK && s->ncodes < 200000) {
		c += 5;
		e = strchr(c, '&');
		if ((s->codes[s->ncodes] = strndup(c, e != NULL ? (size_t)(e - c) :
		    strlen(c))) != NULL)
			s->ncodes++;
	}
	oidc_authz_result_free(&res);
	return rc;
}

static enum eidgw_err
oidc_setup(struct stage_ctx *s)
{
	static const char *const scopes[] = { "openid", "profile" };
	static const char *const uris[] = { BENCH_REDIRECT };
	struct oidc_signing_key key;
	struct oidc_client cl;
	struct oidc_config conf;
	struct oidc_request rq;
	struct oidc_authz_result ar = { 0 };
	struct eidgw_buf q, cred;
	unsigned char pw[32];
	unsigned char ch[32];
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc;

	eidgw_buf_init(&q, 8192);
	eidgw_buf_init(&cred, 1024);
	memset(pw, 7, sizeof(pw));
	EIDGW_TRY(eidgw_store_mem_new(&s->store));
	memset(&key, 0, sizeof(key));
	key.kid = "bench-1";
	key.alg = s->prof->oidc_alg;
	key.key = s->k->oidc;
	memset(&cl, 0, sizeof(cl));
	cl.client_id = "bench";
	cl.redirect_uris = uris;
	cl.n_redirect_uris = 1;
	cl.auth_method = OIDC_AUTH_SECRET_BASIC;
	cl.secret = BENCH_SECRET;
	cl.scopes = scopes;
	cl.n_scopes = 2;
	cl.id_token_alg = s->prof->oidc_alg;
	memset(&conf, 0, sizeof(conf));
	conf.issuer = "http://127.0.0.1:8080";
	conf.keys = &key;
	conf.n_keys = 1;
	conf.pairwise_key = pw;
	conf.pairwise_key_len = sizeof(pw);
	conf.clients = &cl;
	conf.n_clients = 1;
	conf.store = s->store;
	EIDGW_TRY(oidc_provider_new(&conf, &s->op, &d));
	if (EVP_Digest(BENCH_VERIFIER, strlen(BENCH_VERIFIER), ch, NULL, EVP_sha256(), NULL) != 1)
		EIDGW_FAIL(&d, EIDGW_E_CRYPTO, "sha256");
	EIDGW_TRY(eidgw_buf_puts(&q, "response_type=code&client_id=bench&redirect_uri="
	    "http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid%20profile&state=st&nonce=nn"
	    "&code_challenge_method=S256&code_challenge="));
	EIDGW_TRY(eidgw_b64_encode(&q, ch, sizeof(ch), true));
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.query = q.data;
	rq.query_len = q.len;
	EIDGW_TRY(oidc_authorize(s->op, &rq, &ar, &d));
	if (ar.kind != OIDC_AUTHZ_ACCEPTED || ar.req == NULL)
		EIDGW_FAIL(&d, EIDGW_E_INTERNAL, "authorize not accepted");
	s->az = ar.req;
	ar.req = NULL;
	EIDGW_TRY(eidgw_buf_puts(&cred, "Basic "));
	EIDGW_TRY(eidgw_b64_encode(&cred, "bench:" BENCH_SECRET, strlen("bench:" BENCH_SECRET),
	    false));
	s->basic = eidgw_buf_steal(&cred, NULL);
	if ((s->codes = calloc(200000, sizeof(char *))) == NULL ||
	    (s->tokens = calloc(200000, sizeof(char *))) == NULL)
		EIDGW_FAIL(&d, EIDGW_E_NOMEM, "codes");
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		fprintf(stderr, "bench-stages: oidc setup: %s %s\n", eidgw_err_name(rc), d.reason);
	oidc_authz_result_free(&ar);
	eidgw_buf_free(&q);
	eidgw_buf_free(&cred);
	return rc;
}

/* The real documents: Response (encrypted, both signatures) and its pieces. */
static enum eidgw_err
saml_setup(struct stage_ctx *s, struct floor_ctx *f)
{
	struct bench_resp_params rp;
	struct saml_dec_policy dp = { 0 };
	struct saml_authnrequest_params p;
	struct saml_authnrequest *ar = NULL;
	struct eidgw_diag d = { 0 };
	xmlNodePtr root, n;
	enum eidgw_err rc;
	size_t i;

	eidgw_buf_init(&s->xml, 1024 * 1024);
	eidgw_buf_init(&s->b64, 2 * 1024 * 1024);
	eidgw_buf_init(&s->plain, 1024 * 1024);
	for (i = 0; i < 4; i++) {
		s->attrs[i].name = mds[i];
		s->attrs[i].required = true;
		s->required[i] = mds[i];
	}
	memset(&rp, 0, sizeof(rp));
	rp.in_response_to = "_0123456789abcdef0123456789abcdef";
	rp.acs_url = "http://127.0.0.1:8080/saml/acs";
	rp.sp_entity_id = "http://127.0.0.1:8080/saml/metadata";
	rp.loa = SAML_LOA_SUBSTANTIAL;
	rp.serial = 1;
	rp.encrypt = true;
	rp.sign_assertion = true;
	EIDGW_TRY(bench_resp_build(s->k, &rp, &s->xml, &d));
	EIDGW_TRY(eidgw_b64_encode(&s->b64, s->xml.data, s->xml.len, false));
	s->trust_keys[0] = s->k->idp->pub;
	s->trust.keys = s->trust_keys;
	s->trust.nkeys = 1;
	s->dec[0] = s->k->sp_enc;
	s->pol.min_rsa_bits = s->prof->min_rsa_bits;
	memset(&s->e, 0, sizeof(s->e));
	s->e.idp_entity_id = BENCH_IDP_ENTITY;
	s->e.idp_country = BENCH_COUNTRY;
	s->e.idp_trust = &s->trust;
	s->e.acs_url = rp.acs_url;
	s->e.sp_entity_id = rp.sp_entity_id;
	s->e.request_id = rp.in_response_to;
	s->e.requested_loa = SAML_LOA_SUBSTANTIAL;
	s->e.requested_nameid_format = SAML_NAMEID_PERSISTENT;
	s->e.required_attrs = s->required;
	s->e.nrequired_attrs = 4;
	s->e.skew_s = -1;
	s->e.dec_keys = s->dec;
	s->e.ndec_keys = 1;
	s->e.require_encryption = true;
	s->e.require_assertion_signature = true;
	s->e.replay_fn = replay_ok;
	/* the pieces, for the breakdown and the floor's sizes */
	EIDGW_TRY(saml_xml_parse(s->xml.data, s->xml.len, s->xml.max, &s->vdoc, &d));
	root = xmlDocGetRootElement(s->vdoc);
	s->enc_node = saml_xml_child(root, "urn:oasis:names:tc:SAML:2.0:assertion",
	    "EncryptedAssertion", NULL);
	if (s->enc_node == NULL)
		EIDGW_FAIL(&d, EIDGW_E_INTERNAL, "no EncryptedAssertion");
	EIDGW_TRY(saml_decrypt(s->enc_node, s->dec, 1, &dp, &s->plain, &d));
	EIDGW_TRY(saml_xml_parse(s->xml.data, s->xml.len, s->xml.max, &s->adoc, &d));
	root = xmlDocGetRootElement(s->adoc);
	n = saml_xml_child(root, "urn:oasis:names:tc:SAML:2.0:assertion", "EncryptedAssertion",
	    NULL);
	EIDGW_TRY(saml_decrypt_assertion(s->adoc, n, s->dec, 1, &dp, &s->asrt_node, &d));
	/* sizes for the floor */
	memset(&p, 0, sizeof(p));
	p.issuer = "http://127.0.0.1:8080/saml/metadata";
	p.destination = BENCH_IDP_SSO;
	p.sp_type = "public";
	p.attrs = s->attrs;
	p.nattrs = 4;
	p.loa = SAML_LOA_SUBSTANTIAL;
	p.now = eidgw_now();
	EIDGW_TRY(saml_authnrequest_build(&p, &ar, &d));
	f->authn_len = ar->xml_len;
	f->resp_len = s->xml.len;
	f->asrt_len = s->plain.len;
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		fprintf(stderr, "bench-stages: saml setup: %s %s\n", eidgw_err_name(rc), d.reason);
	saml_authnrequest_free(ar);
	return rc;
}

static void
stage_free(struct stage_ctx *s)
{
	size_t i;

	for (i = 0; i < s->ncodes; i++)
		free(s->codes[i]);
	for (i = 0; i < s->ntokens; i++)
		free(s->tokens[i]);
	free(s->codes);
	free(s->tokens);
	free(s->basic);
	oidc_authz_request_free(s->az);
	oidc_provider_free(s->op);
	eidgw_store_free(s->store);
	xmlFreeDoc(s->vdoc);
	xmlFreeDoc(s->adoc);
	eidgw_buf_free(&s->xml);
	eidgw_buf_free(&s->b64);
	eidgw_wipe(s->plain.data, s->plain.len);
	eidgw_buf_free(&s->plain);
}

/* ---- output ------------------------------------------------------------ */

static void
row(json_t *o, const char *key, const char *label, double us, double floor_us)
{
	char ratio[32] = "-";

	if (floor_us > 0 && us > 0)
		(void)snprintf(ratio, sizeof(ratio), "%5.1f%%", 100.0 * floor_us / us);
	printf("  %-44s %10.1f us  %10.0f /s  %s\n", label, us, us > 0 ? 1e6 / us : 0, ratio);
	(void)json_object_set_new(o, key, json_real(us));
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *pname = NULL, *jpath = NULL;
	const struct bench_profile *prof;
	struct bench_keys k;
	struct floor_ctx f;
	struct stage_ctx s;
	struct eidgw_diag d = { 0 };
	double u_authn, u_rv, u_av, u_kt, u_gcm, u_idt, sum, u, fl, p_out, p_in;
	json_t *jo = json_object(), *jf = json_object(), *js = json_object();
	int i, ret = 1;
	size_t n;

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	memset(&k, 0, sizeof(k));
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--keys") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--profile") == 0)
			pname = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			min_seconds = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--json") == 0)
			jpath = argv[i + 1];
	}
	if (dir == NULL || pname == NULL || (prof = bench_profile_find(pname)) == NULL ||
	    min_seconds <= 0) {
		fprintf(stderr, "usage: bench-stages --keys DIR --profile eidas|ec|rsa2048 "
		    "[--seconds S] [--json FILE]\n");
		goto out;
	}
	if (saml_library_init() != EIDGW_OK || bench_keys_load(dir, prof, &k, &d) != EIDGW_OK) {
		fprintf(stderr, "bench-stages: keys: %s\n", d.reason);
		goto out;
	}
	f.prof = s.prof = prof;
	s.k = &k;
	f.sp_sign = read_key(dir, "sp-sign.key", true);
	f.sp_enc = read_key(dir, "sp-enc.key", true);
	f.oidc = read_key(dir, "oidc.key", true);
	f.idp_pub = read_key(dir, "idp.crt", false);
	if (f.sp_sign == NULL || f.sp_enc == NULL || f.oidc == NULL || f.idp_pub == NULL) {
		fprintf(stderr, "bench-stages: cannot read the keys in %s\n", dir);
		goto out;
	}
	if (saml_setup(&s, &f) != EIDGW_OK || floor_prepare(&f) != EIDGW_OK ||
	    oidc_setup(&s) != EIDGW_OK)
		goto out;
	{
		/* The IdP's signatures over the stand-in SignedInfo, for the verifications. */
		EVP_PKEY *idp_priv = read_key(dir, "idp.key", true);

		if (idp_priv == NULL ||
		    bare_sign(idp_priv, prof->idp_alg, f.doc, 0, f.sig_resp, &f.sig_resp_len) !=
		    EIDGW_OK ||
		    bare_sign(idp_priv, prof->idp_alg, f.doc, 0, f.sig_asrt, &f.sig_asrt_len) !=
		    EIDGW_OK) {
			EVP_PKEY_free(idp_priv);
			fprintf(stderr, "bench-stages: IdP signature\n");
			goto out;
		}
		EVP_PKEY_free(idp_priv);
	}

	printf("profile %s  (Response %zu bytes, assertion %zu bytes, AuthnRequest %zu bytes)\n",
	    prof->name, f.resp_len, f.asrt_len, f.authn_len);
	printf(" crypto floor (bare OpenSSL, same keys)\n");
	if ((u_authn = time_op("authn sign", op_authn_sign, &f)) < 0 ||
	    (u_rv = time_op("response verify", op_resp_verify, &f)) < 0 ||
	    (u_av = time_op("assertion verify", op_asrt_verify, &f)) < 0 ||
	    (u_kt = time_op("key transport", op_key_transport, &f)) < 0 ||
	    (u_gcm = time_op("gcm", op_gcm, &f)) < 0 ||
	    (u_idt = time_op("id token sign", op_idtoken_sign, &f)) < 0)
		goto out;
	row(jf, "authnrequest_sign_us", "AuthnRequest signature", u_authn, 0);
	row(jf, "response_verify_us", "Response signature verification", u_rv, 0);
	row(jf, "assertion_verify_us", "assertion signature verification", u_av, 0);
	row(jf, "key_transport_us", EVP_PKEY_get_base_id(f.sp_enc) == EVP_PKEY_RSA ?
	    "key transport (RSA-OAEP unwrap)" : "key agreement (ECDH-ES + KDF + unwrap)", u_kt, 0);
	row(jf, "aes_gcm_us", "AES-256-GCM decrypt of the assertion", u_gcm, 0);
	row(jf, "id_token_sign_us", "ID token signature", u_idt, 0);
	sum = u_authn + u_rv + u_av + u_kt + u_gcm + u_idt;
	row(jf, "crypto_us_per_login", "= crypto per login", sum, 0);

	printf(" stages (in-process, one thread; ratio = its crypto floor / its time)\n");
	if ((u = time_op("authnrequest", op_authnrequest, &s)) < 0)
		goto out;
	row(js, "authnrequest_us", "AuthnRequest build + sign", u, u_authn);
	fl = u_rv + u_av + u_kt + u_gcm;
	if ((u = time_op("validate", op_validate, &s)) < 0)
		goto out;
	row(js, "response_validate_us", "Response decode + parse + validate + decrypt", u, fl);
	if ((p_out = time_op("parse", op_parse_outer, &s)) < 0 ||
	    (p_in = time_op("parse", op_parse_inner, &s)) < 0)
		goto out;
	row(js, "parse_response_us", "  one libxml2 parse of the Response", p_out, 0);
	row(js, "parse_assertion_us", "  one libxml2 parse of the decrypted assertion", p_in, 0);
	printf("  %-44s %10.1f us  (validation / that: %.2fx; target <= 2x)\n",
	    "  floor + both parses", fl + p_out + p_in, u / (fl + p_out + p_in));
	(void)json_object_set_new(js, "validate_vs_floor_plus_parse",
	    json_real(u / (fl + p_out + p_in)));
	if ((u = time_op("b64", op_b64_decode, &s)) < 0)
		goto out;
	row(js, "b64_decode_us", "  base64 decode of the form value", u, 0);
	if ((u = time_op("lib response verify", op_lib_resp_verify, &s)) < 0)
		goto out;
	row(js, "lib_response_verify_us", "  saml/ Response signature check", u, u_rv);
	if ((u = time_op("lib decrypt", op_lib_decrypt, &s)) < 0)
		goto out;
	row(js, "lib_decrypt_us", "  saml/ decrypt (unwrap + GCM)", u, u_kt + u_gcm);
	if ((u = time_op("lib assertion verify", op_lib_asrt_verify, &s)) < 0)
		goto out;
	row(js, "lib_assertion_verify_us", "  saml/ assertion signature check", u, u_av);
	if ((u = time_op("authz complete", op_authz_complete, &s)) < 0)
		goto out;
	row(js, "authz_complete_us", "code issue (oidc_authz_complete)", u, 0);
	/* Enough codes for the token run: the token loop consumes one per call. */
	n = (size_t)(min_seconds * 20000) + 100;
	while (s.ncodes < n && s.ncodes < 200000)
		if (op_authz_complete(&s) != EIDGW_OK)
			goto out;
	if ((u = time_op("token", op_token, &s)) < 0)
		goto out;
	row(js, "token_us", "code -> token (ID token signed)", u, u_idt);
	if ((u = time_op("userinfo", op_userinfo, &s)) < 0)
		goto out;
	row(js, "userinfo_us", "userinfo (no private-key operation)", u, 0);

	(void)json_object_set_new(jo, "profile", json_string(prof->name));
	(void)json_object_set_new(jo, "response_bytes", json_integer((json_int_t)f.resp_len));
	(void)json_object_set_new(jo, "assertion_bytes", json_integer((json_int_t)f.asrt_len));
	(void)json_object_set_new(jo, "floor", jf);
	(void)json_object_set_new(jo, "stages", js);
	jf = js = NULL;
	if (jpath != NULL && json_dump_file(jo, jpath, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "bench-stages: cannot write %s\n", jpath);
		goto out;
	}
	ret = 0;
out:
	json_decref(jo);
	json_decref(jf);
	json_decref(js);
	stage_free(&s);
	free(f.doc);
	EVP_PKEY_free(f.sp_sign);
	EVP_PKEY_free(f.sp_enc);
	EVP_PKEY_free(f.oidc);
	EVP_PKEY_free(f.idp_pub);
	EVP_PKEY_free(f.eph);
	bench_keys_free(&k);
	saml_library_cleanup();
	return ret;
}
