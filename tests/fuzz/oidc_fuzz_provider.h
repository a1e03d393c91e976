/*
 * oidc_fuzz_provider.h - the provider the oidc/ fuzz targets share
 * (fuzz_oidc_authorize.c, fuzz_oidc_token.c): three clients (secret_basic,
 * secret_post with PAR required, private_key_jwt), one ES256 key, an
 * in-memory store.  Included by exactly one .c per fuzz executable.
 */
#ifndef EIDGW_TESTS_OIDC_FUZZ_PROVIDER_H
#define EIDGW_TESTS_OIDC_FUZZ_PROVIDER_H

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

#endif
