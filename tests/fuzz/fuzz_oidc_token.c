/* fuzz-lib: eidgw_oidc */
/*
 * fuzz_oidc_token.c - the input is a token request form body, tried with
 * and without Basic client credentials; its first line is also used as an
 * Authorization header for the Basic parser and the userinfo endpoint.
 */
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/store.h"
#include "core/util.h"
#include "oidc/oidc.h"

/* A provider built once per process (EC keys in memory, in-memory store). */
static struct oidc_provider *
fuzz_provider(void)
{
	static struct oidc_provider *p;
	static const char *const cbs[] = { "https://rp.example/cb", "https://rp.example/cb2?x=1" };
	static const char *const scopes[] = { "openid", "profile", "eidas", "email" };
	static const unsigned char pk[32] = "fuzz-pairwise-key-0123456789abcd";
	static struct eidgw_key *key;
	static struct eidgw_store *store;
	static char jwks[1024];
	struct oidc_signing_key keys[1];
	struct oidc_client cl[3];
	struct oidc_config c;
	EVP_PKEY *pkey;
	char *jwk = NULL;

	if (p != NULL)
		return p;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    eidgw_key_from_pkey(pkey, NULL, &key) != EIDGW_OK ||
	    eidgw_store_mem_new(&store) != EIDGW_OK ||
	    oidc_jwk_public_json(key->pub, "cli", OIDC_ALG_ES256, &jwk) != EIDGW_OK)
		abort();
	EVP_PKEY_free(pkey);
	(void)snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", jwk);
	free(jwk);
	keys[0] = (struct oidc_signing_key){ "k1", OIDC_ALG_ES256, OIDC_KEY_ACTIVE, key };
	memset(cl, 0, sizeof(cl));
	cl[0] = (struct oidc_client){ .client_id = "rp", .redirect_uris = cbs,
	    .n_redirect_uris = 2, .auth_method = OIDC_AUTH_SECRET_BASIC,
	    .secret = "fuzz-secret-0123456789", .scopes = scopes, .n_scopes = 4,
	    .id_token_alg = OIDC_ALG_ES256 };
	cl[1] = (struct oidc_client){ .client_id = "rp-post", .redirect_uris = cbs,
	    .n_redirect_uris = 1, .auth_method = OIDC_AUTH_SECRET_POST,
	    .secret = "fuzz-secret-0123456789", .scopes = scopes, .n_scopes = 2,
	    .id_token_alg = OIDC_ALG_ES256, .require_par = true };
	cl[2] = (struct oidc_client){ .client_id = "rp-jwt", .redirect_uris = cbs,
	    .n_redirect_uris = 1, .auth_method = OIDC_AUTH_PRIVATE_KEY_JWT, .jwks_json = jwks,
	    .scopes = scopes, .n_scopes = 4, .id_token_alg = OIDC_ALG_ES256 };
	memset(&c, 0, sizeof(c));
	c.issuer = "http://127.0.0.1:8080";
	c.keys = keys;
	c.n_keys = 1;
	c.pairwise_key = pk;
	c.pairwise_key_len = sizeof(pk);
	c.clients = cl;
	c.n_clients = 3;
	c.store = store;
	if (oidc_provider_new(&c, &p, NULL) != EIDGW_OK)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oidc_provider *p = fuzz_provider();
	struct oidc_request rq = { "POST", NULL, 0, (const char *)data, size,
	    "application/x-www-form-urlencoded", NULL };
	struct oidc_response out;
	enum eidgw_err rc;
	char *hdr, *id = NULL, *secret = NULL;
	size_t n;

	rc = oidc_token(p, &rq, &out, NULL);
	oidc_response_free(&out);
	rq.authorization = "Basic cnA6ZnV6ei1zZWNyZXQtMDEyMzQ1Njc4OQ==";
	rc = oidc_token(p, &rq, &out, NULL);
	oidc_response_free(&out);
	/* first line as a header */
	for (n = 0; n < size && data[n] != '\n' && data[n] != '\0'; n++)
		;
	if ((hdr = malloc(n + 1)) == NULL)
		return 0;
	memcpy(hdr, data, n);
	hdr[n] = '\0';
	if (oidc_basic_auth_parse(hdr, &id, &secret) == EIDGW_OK) {
		free(id);
		eidgw_free_secret_str(secret);
	}
	rq.method = "GET";
	rq.body = NULL;
	rq.body_len = 0;
	rq.authorization = hdr;
	rc = oidc_userinfo(p, &rq, &out, NULL);
	oidc_response_free(&out);
	free(hdr);
	(void)rc;
	return 0;
}
