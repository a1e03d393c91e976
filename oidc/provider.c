/*
 * provider.c - the provider object built from a configuration snapshot,
 * discovery and JWKS documents, and helpers the endpoints share.
 */
#include "oidc/oidc_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/util.h"

/* Scopes this provider knows (digest §7); clients may be allowed a subset. */
static const char *const known_scopes[] = {
	"openid", "profile", "eidas", "address", "email", "phone", "eidas_extended",
};

const char *
oidc_version(void)
{
	return "eidgw-oidc 0.1";
}

const char *
oidc_alg_name(enum oidc_alg a)
{
	switch (a) {
	case OIDC_ALG_PS256: return "PS256";
	case OIDC_ALG_ES256: return "ES256";
	case OIDC_ALG_RS256: return "RS256";
	default: return NULL;
	}
}

enum oidc_alg
oidc_alg_from_name(const char *s)
{
	if (s == NULL)
		return OIDC_ALG_DEFAULT;
	if (strcmp(s, "PS256") == 0)
		return OIDC_ALG_PS256;
	if (strcmp(s, "ES256") == 0)
		return OIDC_ALG_ES256;
	if (strcmp(s, "RS256") == 0)
		return OIDC_ALG_RS256;
	return OIDC_ALG_DEFAULT;
}

int
oidc_loa_rank(const char *uri)
{
	if (uri == NULL)
		return 0;
	if (strcmp(uri, OIDC_LOA_LOW) == 0)
		return 1;
	if (strcmp(uri, OIDC_LOA_SUBSTANTIAL) == 0)
		return 2;
	if (strcmp(uri, OIDC_LOA_HIGH) == 0)
		return 3;
	return 0;
}

const char *
oidc_loa_uri(int rank)
{
	switch (rank) {
	case 1: return OIDC_LOA_LOW;
	case 2: return OIDC_LOA_SUBSTANTIAL;
	case 3: return OIDC_LOA_HIGH;
	default: return NULL;
	}
}

void
oidc_sha256_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	(void)SHA256((const unsigned char *)s, strlen(s), md);
	eidgw_hex(out, md, sizeof(md));
}

json_t *
oidc_json_parse_object(const char *s, size_t len, size_t max)
{
	json_error_t jerr;
	json_t *j;

	if (s == NULL || len > max)
		return NULL;
	j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

const struct oidc_pclient *
oidc_client_find(const struct oidc_provider *p, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < p->n_clients; i++)
		if (strcmp(p->clients[i].client_id, id) == 0)
			return &p->clients[i];
	return NULL;
}

const struct oidc_pkey *
oidc_signing_key_for(const struct oidc_provider *p, enum oidc_alg alg)
{
	size_t i;

	for (i = 0; i < p->n_keys; i++)
		if (p->keys[i].status == OIDC_KEY_ACTIVE && p->keys[i].alg == alg)
			return &p->keys[i];
	return NULL;
}

/* ---- JWK of a public key ---------------------------------------------- */

static enum eidgw_err
json_set_b64url(json_t *o, const char *name, const unsigned char *p, size_t n)
{
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, 4096);
	if ((rc = eidgw_b64_encode(&b, p, n, true)) == EIDGW_OK &&
	    json_object_set_new(o, name, json_string(b.data != NULL ? b.data : "")) != 0)
		rc = EIDGW_E_NOMEM;
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
json_set_bn(json_t *o, const char *name, EVP_PKEY *pk, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *raw = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	int n;

	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
		goto out;
	n = BN_num_bytes(bn);
	if (n <= 0 || (raw = malloc((size_t)n)) == NULL)
		goto out;
	if (BN_bn2bin(bn, raw) != n)
		goto out;
	rc = json_set_b64url(o, name, raw, (size_t)n);
out:
	free(raw);
	BN_free(bn);
	return rc;
}

enum eidgw_err
oidc_jwk_public_json(EVP_PKEY *pub, const char *kid, enum oidc_alg alg, char **out)
{
	json_t *o = NULL;
	unsigned char pt[133];
	char curve[32];
	size_t ptlen = 0;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	int id;

	*out = NULL;
	if (pub == NULL || kid == NULL || oidc_alg_name(alg) == NULL)
		return EIDGW_E_INVAL;
	id = EVP_PKEY_get_base_id(pub);
	if ((o = json_object()) == NULL)
		goto out;
	if (alg == OIDC_ALG_ES256) {
		/* RFC 7518 §6.2.1: crv, x, y (fixed 32-byte coordinates for P-256). */
		rc = EIDGW_E_KEY_WEAK;
		if (id != EVP_PKEY_EC ||
		    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve,
		    sizeof(curve), NULL) != 1 || strcmp(curve, "prime256v1") != 0)
			goto out;
		if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		    pt, sizeof(pt), &ptlen) != 1 || ptlen != 65 || pt[0] != 0x04)
			goto out;
		rc = EIDGW_E_NOMEM;
		if (json_object_set_new(o, "kty", json_string("EC")) != 0 ||
		    json_object_set_new(o, "crv", json_string("P-256")) != 0)
			goto out;
		if ((rc = json_set_b64url(o, "x", pt + 1, 32)) != EIDGW_OK ||
		    (rc = json_set_b64url(o, "y", pt + 33, 32)) != EIDGW_OK)
			goto out;
	} else {
		rc = EIDGW_E_KEY_WEAK;
		if ((id != EVP_PKEY_RSA) || EVP_PKEY_get_bits(pub) < 2048)
			goto out;
		rc = EIDGW_E_NOMEM;
		if (json_object_set_new(o, "kty", json_string("RSA")) != 0)
			goto out;
		if ((rc = json_set_bn(o, "n", pub, OSSL_PKEY_PARAM_RSA_N)) != EIDGW_OK ||
		    (rc = json_set_bn(o, "e", pub, OSSL_PKEY_PARAM_RSA_E)) != EIDGW_OK)
			goto out;
	}
	rc = EIDGW_E_NOMEM;
	if (json_object_set_new(o, "kid", json_string(kid)) != 0 ||
	    json_object_set_new(o, "use", json_string("sig")) != 0 ||
	    json_object_set_new(o, "alg", json_string(oidc_alg_name(alg))) != 0)
		goto out;
	if ((*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	rc = EIDGW_OK;
out:
	json_decref(o);
	return rc;
}

enum eidgw_err
oidc_pairwise_sub(const unsigned char *key, size_t keylen, const char *sector,
    const char *pid, char **out)
{
	unsigned char mac[32];
	struct eidgw_buf msg, b;
	size_t maclen = 0;
	enum eidgw_err rc;

	*out = NULL;
	if (key == NULL || keylen == 0 || sector == NULL || pid == NULL)
		return EIDGW_E_INVAL;
	eidgw_buf_init(&msg, 2048);
	eidgw_buf_init(&b, 128);
	/* digest §6.5: HMAC-SHA-256(K, sector || 0x00 || PersonIdentifier);
	 * the 0x00 separator keeps (sector, pid) pairs unambiguous. */
	EIDGW_TRY(eidgw_buf_puts(&msg, sector));
	EIDGW_TRY(eidgw_buf_append(&msg, "", 1));
	EIDGW_TRY(eidgw_buf_puts(&msg, pid));
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (const unsigned char *)msg.data, msg.len, mac, sizeof(mac), &maclen) == NULL ||
	    maclen != sizeof(mac)) {
		rc = EIDGW_E_CRYPTO;
		goto out;
	}
	EIDGW_TRY(eidgw_b64_encode(&b, mac, sizeof(mac), true));
	*out = eidgw_buf_steal(&b, NULL);
	rc = *out != NULL ? EIDGW_OK : EIDGW_E_NOMEM;
out:
	eidgw_wipe(mac, sizeof(mac));
	eidgw_buf_free(&msg);
	eidgw_buf_free(&b);
	return rc;
}

/* ---- provider ---------------------------------------------------------- */

static char *
str_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 1);

	if (r != NULL) {
		memcpy(r, a, la);
		memcpy(r + la, b, lb + 1);
	}
	return r;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
strv_dup(const char *const *v, size_t n)
{
	char **r;
	size_t i;

	if ((r = calloc(n + 1, sizeof(*r))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i] == NULL || (r[i] = strdup(v[i])) == NULL) {
			strv_free(r, n);
			return NULL;
		}
	return r;
}

/* Host part of an absolute http(s) URI into out; false when there is none. */
static bool
uri_host(const char *uri, char *out, size_t outsz)
{
	const char *h, *e;

	if ((h = strstr(uri, "://")) == NULL)
		return false;
	h += 3;
	e = h + strcspn(h, "/?#");
	/* drop userinfo and port */
	{
		const char *at = memchr(h, '@', (size_t)(e - h));

		if (at != NULL)
			h = at + 1;
	}
	{
		const char *colon = memchr(h, ':', (size_t)(e - h));

		if (colon != NULL && h[0] != '[')
			e = colon;
	}
	if (e == h || (size_t)(e - h) >= outsz)
		return false;
	memcpy(out, h, (size_t)(e - h));
	out[e - h] = '\0';
	return true;
}

static bool
is_abs_uri(const char *u)
{
	return (eidgw_starts_with(u, "https://") || eidgw_starts_with(u, "http://")) &&
	    strchr(u, '#') == NULL && strlen(u) <= 2048;
}

bool
oidc_scope_known(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(known_scopes); i++)
		if (strlen(known_scopes[i]) == n && memcmp(s, known_scopes[i], n) == 0)
			return true;
	return false;
}

static bool
scope_known(const char *s)
{
	return oidc_scope_known(s, strlen(s));
}

/* Client keys: public only, RSA >= 2048 bits (n >= 342 base64url chars) or P-256. */
static bool
client_jwks_ok(json_t *keys)
{
	const char *kty, *crv, *n;
	json_t *k;
	size_t i;

	json_array_foreach(keys, i, k) {
		if (!json_is_object(k) || (kty = json_string_value(json_object_get(k, "kty"))) == NULL)
			return false;
		if (json_object_get(k, "d") != NULL)	/* a private key was pasted */
			return false;
		if (strcmp(kty, "RSA") == 0) {
			n = json_string_value(json_object_get(k, "n"));
			if (n == NULL || strlen(n) < 342)
				return false;
		} else if (strcmp(kty, "EC") == 0) {
			crv = json_string_value(json_object_get(k, "crv"));
			if (crv == NULL || strcmp(crv, "P-256") != 0)
				return false;
		} else {
			return false;	/* no "oct": MAC keys are not client authentication */
		}
	}
	return true;
}

static enum eidgw_err
client_copy(struct oidc_pclient *c, const struct oidc_client *in, struct eidgw_diag *d)
{
	char host[256], other[256];
	enum eidgw_err rc;
	json_t *jwks = NULL, *keys;
	bool has_openid = false;
	size_t i;

	if (in->client_id == NULL || in->client_id[0] == '\0' || strlen(in->client_id) > 128 ||
	    strpbrk(in->client_id, " :") != NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client_id empty, too long or with ' ' or ':'");
	if ((c->client_id = strdup(in->client_id)) == NULL ||
	    (in->name != NULL && (c->name = strdup(in->name)) == NULL))
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if (in->n_redirect_uris == 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: no redirect_uris", c->client_id);
	for (i = 0; i < in->n_redirect_uris; i++)
		if (in->redirect_uris[i] == NULL || !is_abs_uri(in->redirect_uris[i]))
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "client %s: redirect_uri %zu not an absolute URI without fragment",
			    c->client_id, i);
	if ((c->redirect_uris = strv_dup(in->redirect_uris, in->n_redirect_uris)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	c->n_redirect_uris = in->n_redirect_uris;
	c->auth_method = in->auth_method;
	switch (in->auth_method) {
	case OIDC_AUTH_SECRET_BASIC:
	case OIDC_AUTH_SECRET_POST:
		if (in->secret == NULL || strlen(in->secret) < 16 || strlen(in->secret) > 1024)
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "client %s: secret missing or shorter than 16 chars", c->client_id);
		if ((c->secret = strdup(in->secret)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		break;
	case OIDC_AUTH_PRIVATE_KEY_JWT:
		if (in->jwks_json == NULL ||
		    (jwks = oidc_json_parse_object(in->jwks_json, strlen(in->jwks_json),
		    65536)) == NULL || !json_is_array(keys = json_object_get(jwks, "keys")) ||
		    json_array_size(keys) == 0)
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "client %s: jwks is not a JSON key set with keys", c->client_id);
		if (!client_jwks_ok(keys))
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "client %s: jwks keys must be public RSA >= 2048 bits or EC P-256",
			    c->client_id);
		if ((c->jwks_json = strdup(in->jwks_json)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		break;
	default:
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: unknown auth method", c->client_id);
	}
	for (i = 0; i < in->n_scopes; i++) {
		if (in->scopes[i] == NULL || !scope_known(in->scopes[i]))
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: unknown scope %zu",
			    c->client_id, i);
		if (strcmp(in->scopes[i], "openid") == 0)
			has_openid = true;
	}
	if (!has_openid)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: scopes must include openid",
		    c->client_id);
	if ((c->scopes = strv_dup(in->scopes, in->n_scopes)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	c->n_scopes = in->n_scopes;
	if (in->sector_identifier != NULL) {
		c->sector = strdup(in->sector_identifier);
	} else {
		/* OIDC Core §8.1: without sector_identifier_uri the host of the
		 * redirect_uri is the sector; with several hosts it is ambiguous. */
		if (!uri_host(c->redirect_uris[0], host, sizeof(host)))
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: redirect_uri has no host",
			    c->client_id);
		for (i = 1; i < c->n_redirect_uris; i++)
			if (!uri_host(c->redirect_uris[i], other, sizeof(other)) ||
			    strcmp(host, other) != 0)
				EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
				    "client %s: redirect_uris on several hosts need a sector identifier",
				    c->client_id);
		c->sector = strdup(host);
	}
	if (c->sector == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	c->id_token_alg = in->id_token_alg == OIDC_ALG_DEFAULT ? OIDC_ALG_PS256 : in->id_token_alg;
	if (oidc_alg_name(c->id_token_alg) == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: id_token alg not allowed",
		    c->client_id);
	c->require_par = in->require_par;
	c->dpop_required = in->dpop_bound_access_tokens;
	c->assertion_alg = in->token_endpoint_auth_signing_alg;
	if (c->assertion_alg != OIDC_ALG_DEFAULT && oidc_alg_name(c->assertion_alg) == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: assertion alg not allowed",
		    c->client_id);
	c->min_rank = in->min_acr != NULL ? oidc_loa_rank(in->min_acr) : 1;
	c->default_rank = in->default_acr != NULL ? oidc_loa_rank(in->default_acr) : 2;
	if (c->min_rank == 0 || c->default_rank == 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client %s: min/default acr not an eIDAS LoA URI",
		    c->client_id);
	if (c->default_rank < c->min_rank)
		c->default_rank = c->min_rank;
	rc = EIDGW_OK;
out:
	json_decref(jwks);
	return rc;
}

static void
client_clear(struct oidc_pclient *c)
{
	free(c->client_id);
	free(c->name);
	strv_free(c->redirect_uris, c->n_redirect_uris);
	eidgw_free_secret_str(c->secret);
	free(c->jwks_json);
	strv_free(c->scopes, c->n_scopes);
	free(c->sector);
}

void
oidc_provider_free(struct oidc_provider *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->issuer);
	free(p->ep_authorize);
	free(p->ep_par);
	free(p->ep_token);
	free(p->ep_userinfo);
	free(p->ep_jwks);
	for (i = 0; i < p->n_keys; i++) {
		free(p->keys[i].kid);
		free(p->keys[i].jwk_json);
	}
	free(p->keys);
	if (p->pairwise_key != NULL) {
		eidgw_wipe(p->pairwise_key, p->pairwise_key_len);
		free(p->pairwise_key);
	}
	for (i = 0; i < p->n_clients; i++)
		client_clear(&p->clients[i]);
	free(p->clients);
	free(p);
}

static bool
kid_ok(const char *kid)
{
	size_t n = kid != NULL ? strlen(kid) : 0;

	return n > 0 && n <= 64 && strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

static int64_t
ttl_or(int64_t v, int64_t def, int64_t max)
{
	if (v <= 0)
		return def;
	return v > max ? max : v;
}

enum eidgw_err
oidc_provider_new(const struct oidc_config *conf, struct oidc_provider **out,
    struct eidgw_diag *d)
{
	struct oidc_provider *p = NULL;
	enum eidgw_err rc;
	size_t i, j;

	*out = NULL;
	if (conf == NULL || conf->issuer == NULL || conf->store == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "issuer and store are required");
	/* OIDC Discovery §3: issuer is an https URL without query or fragment
	 * (http is tolerated for the local demo issuer). */
	if (!is_abs_uri(conf->issuer) || strchr(conf->issuer, '?') != NULL ||
	    conf->issuer[strlen(conf->issuer) - 1] == '/')
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
		    "issuer must be an absolute URL without query, fragment or trailing '/'");
	if (conf->pairwise_key == NULL || conf->pairwise_key_len < 32)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "pairwise key shorter than 32 bytes");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	if ((p->issuer = strdup(conf->issuer)) == NULL ||
	    (p->ep_authorize = str_cat(conf->issuer, "/oidc/authorize")) == NULL ||
	    (p->ep_par = str_cat(conf->issuer, "/oidc/par")) == NULL ||
	    (p->ep_token = str_cat(conf->issuer, "/oidc/token")) == NULL ||
	    (p->ep_userinfo = str_cat(conf->issuer, "/oidc/userinfo")) == NULL ||
	    (p->ep_jwks = str_cat(conf->issuer, "/oidc/jwks")) == NULL ||
	    (p->pairwise_key = malloc(conf->pairwise_key_len)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	memcpy(p->pairwise_key, conf->pairwise_key, conf->pairwise_key_len);
	p->pairwise_key_len = conf->pairwise_key_len;
	p->store = conf->store;
	p->code_ttl = ttl_or(conf->code_ttl, 60, 60);	/* digest §6.1: codes <= 60 s */
	p->par_ttl = ttl_or(conf->par_ttl, 60, 600);
	p->at_ttl = ttl_or(conf->access_token_ttl, 300, 86400);
	p->idt_ttl = ttl_or(conf->id_token_ttl, 300, 86400);
	p->max_at_ttl = p->at_ttl;

	if (conf->n_keys == 0 || conf->n_keys > 16)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "1 to 16 signing keys required");
	if ((p->keys = calloc(conf->n_keys, sizeof(*p->keys))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	for (i = 0; i < conf->n_keys; i++) {
		const struct oidc_signing_key *k = &conf->keys[i];

		if (!kid_ok(k->kid) || k->key == NULL || oidc_alg_name(k->alg) == NULL)
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "signing key %zu: bad kid, key or alg", i);
		for (j = 0; j < i; j++)
			if (strcmp(p->keys[j].kid, k->kid) == 0)
				EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "signing key kid %s repeated",
				    k->kid);
		if ((p->keys[i].kid = strdup(k->kid)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		p->n_keys = i + 1;
		p->keys[i].alg = k->alg;
		p->keys[i].status = k->status;
		p->keys[i].key = k->key;
		if ((rc = oidc_jwk_public_json(k->key->pub, k->kid, k->alg,
		    &p->keys[i].jwk_json)) != EIDGW_OK)
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "signing key %s: key type or size does not fit %s", k->kid,
			    oidc_alg_name(k->alg));
	}

	if (conf->n_clients > 10000)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "too many clients");
	if (conf->n_clients != 0 &&
	    (p->clients = calloc(conf->n_clients, sizeof(*p->clients))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	for (i = 0; i < conf->n_clients; i++) {
		p->n_clients = i + 1;
		EIDGW_TRY(client_copy(&p->clients[i], &conf->clients[i], d));
		for (j = 0; j < i; j++)
			if (strcmp(p->clients[j].client_id, p->clients[i].client_id) == 0)
				EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG, "client_id %s repeated",
				    p->clients[i].client_id);
		p->clients[i].at_ttl = ttl_or(conf->clients[i].access_token_ttl, p->at_ttl, 86400);
		p->clients[i].idt_ttl = ttl_or(conf->clients[i].id_token_ttl, p->idt_ttl, 86400);
		if (p->clients[i].at_ttl > p->max_at_ttl)
			p->max_at_ttl = p->clients[i].at_ttl;
		if (oidc_signing_key_for(p, p->clients[i].id_token_alg) == NULL)
			EIDGW_FAIL(d, EIDGW_E_OIDC_CONFIG,
			    "client %s: no active signing key for %s", p->clients[i].client_id,
			    oidc_alg_name(p->clients[i].id_token_alg));
	}
	*out = p;
	p = NULL;
	rc = EIDGW_OK;
out:
	oidc_provider_free(p);
	return rc;
}

/* ---- responses --------------------------------------------------------- */

void
oidc_issued_free(struct oidc_issued *is)
{
	if (is == NULL)
		return;
	free(is->client_id);
	free(is->sub);
	free(is->scope);
	free(is);
}

void
oidc_response_free(struct oidc_response *r)
{
	if (r == NULL)
		return;
	free(r->www_authenticate);
	free(r->location);
	eidgw_free_secret_str(r->body);		/* token responses carry secrets */
	oidc_issued_free(r->issued);
	memset(r, 0, sizeof(*r));
}

enum eidgw_err
oidc_response_json(struct oidc_response *r, int status, json_t *j)
{
	char *s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		return EIDGW_E_NOMEM;
	eidgw_free_secret_str(r->body);
	r->body = s;
	r->body_len = strlen(s);
	r->status = status;
	r->content_type = "application/json";
	r->no_store = true;
	return EIDGW_OK;
}

enum eidgw_err
oidc_response_error(struct oidc_response *r, int status, const char *error,
    const char *description)
{
	enum eidgw_err rc = EIDGW_E_NOMEM;
	json_t *j;

	/* RFC 6749 §5.2: {"error": ..., "error_description": ...}, 400 unless
	 * stated otherwise; the description never carries personal data. */
	if ((j = json_object()) == NULL)
		return rc;
	if (json_object_set_new(j, "error", json_string(error)) == 0 &&
	    (description == NULL ||
	    json_object_set_new(j, "error_description", json_string(description)) == 0))
		rc = oidc_response_json(r, status, j);
	json_decref(j);
	return rc;
}

/* ---- discovery and JWKS ----------------------------------------------- */

static json_t *
json_strv(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

enum eidgw_err
oidc_discovery(const struct oidc_provider *p, struct oidc_response *out)
{
	static const char *const code[] = { "code" };
	static const char *const grants[] = { "authorization_code" };
	static const char *const s256[] = { "S256" };
	static const char *const pairwise[] = { "pairwise" };
	static const char *const query[] = { "query" };
	static const char *const auth[] = {
		"private_key_jwt", "client_secret_basic", "client_secret_post",
	};
	static const char *const algs[] = { "PS256", "ES256", "RS256" };
	static const char *const dpop_algs[] = { "ES256", "PS256", "EdDSA", "Ed25519" };	/* OIDC_DPOP_ALGS */
	static const char *const acrs[] = { OIDC_LOA_LOW, OIDC_LOA_SUBSTANTIAL, OIDC_LOA_HIGH };
	static const char *const claims[] = {
		"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr",
		"given_name", "family_name", "birthdate", "gender", "address", "email",
		"email_verified", "phone_number", "phone_number_verified", "place_of_birth",
		"nationalities",
	};
	static const char *const claim_suffix[] = {
		"/claims/eidas_person_identifier", "/claims/eidas_country",
		"/claims/birth_name", "/claims/country_of_residence", "/claims/eidas_node_country",
	};
	json_t *j = NULL, *cl = NULL, *idalgs = NULL;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	char *s;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((j = json_object()) == NULL || (cl = json_strv(claims, EIDGW_ARRAY_LEN(claims))) == NULL ||
	    (idalgs = json_array()) == NULL)
		goto out;
	/* OIDC Discovery §3: the ID-token algorithms the OP can actually use,
	 * i.e. those with an active signing key (a client may only be
	 * configured for one of these), in the order of algs[]. */
	for (i = 0; i < EIDGW_ARRAY_LEN(algs); i++)
		if (oidc_signing_key_for(p, oidc_alg_from_name(algs[i])) != NULL &&
		    json_array_append_new(idalgs, json_string(algs[i])) != 0)
			goto out;
	for (i = 0; i < EIDGW_ARRAY_LEN(claim_suffix); i++) {
		if ((s = str_cat(p->issuer, claim_suffix[i])) == NULL)
			goto out;
		if (json_array_append_new(cl, json_string(s)) != 0) {
			free(s);
			goto out;
		}
		free(s);
	}
	/* OIDC Discovery §3 and RFC 8414 §2: the metadata the RP needs. */
	if (json_object_set_new(j, "issuer", json_string(p->issuer)) != 0 ||
	    json_object_set_new(j, "authorization_endpoint", json_string(p->ep_authorize)) != 0 ||
	    json_object_set_new(j, "token_endpoint", json_string(p->ep_token)) != 0 ||
	    json_object_set_new(j, "userinfo_endpoint", json_string(p->ep_userinfo)) != 0 ||
	    json_object_set_new(j, "jwks_uri", json_string(p->ep_jwks)) != 0 ||
	    json_object_set_new(j, "pushed_authorization_request_endpoint",
	    json_string(p->ep_par)) != 0 ||
	    /* RFC 9126 §5: global flag; clients may still be required per config. */
	    json_object_set_new(j, "require_pushed_authorization_requests", json_false()) != 0 ||
	    json_object_set_new(j, "response_types_supported", json_strv(code, 1)) != 0 ||
	    json_object_set_new(j, "response_modes_supported", json_strv(query, 1)) != 0 ||
	    json_object_set_new(j, "grant_types_supported", json_strv(grants, 1)) != 0 ||
	    json_object_set_new(j, "code_challenge_methods_supported", json_strv(s256, 1)) != 0 ||
	    json_object_set_new(j, "subject_types_supported", json_strv(pairwise, 1)) != 0 ||
	    json_object_set_new(j, "token_endpoint_auth_methods_supported",
	    json_strv(auth, EIDGW_ARRAY_LEN(auth))) != 0 ||
	    json_object_set_new(j, "token_endpoint_auth_signing_alg_values_supported",
	    json_strv(algs, EIDGW_ARRAY_LEN(algs))) != 0 ||
	    json_object_set(j, "id_token_signing_alg_values_supported", idalgs) != 0 ||
	    json_object_set_new(j, "acr_values_supported",
	    json_strv(acrs, EIDGW_ARRAY_LEN(acrs))) != 0 ||
	    /* RFC 9449 §5.1: the algorithms accepted for DPoP proofs. */
	    json_object_set_new(j, "dpop_signing_alg_values_supported",
	    json_strv(dpop_algs, EIDGW_ARRAY_LEN(dpop_algs))) != 0 ||
	    json_object_set_new(j, "scopes_supported",
	    json_strv(known_scopes, EIDGW_ARRAY_LEN(known_scopes))) != 0 ||
	    json_object_set(j, "claims_supported", cl) != 0 ||
	    json_object_set_new(j, "claims_parameter_supported", json_true()) != 0 ||
	    json_object_set_new(j, "request_parameter_supported", json_false()) != 0 ||
	    json_object_set_new(j, "request_uri_parameter_supported", json_false()) != 0 ||
	    json_object_set_new(j, "prompt_values_supported", json_strv(
	    (const char *const[]){ "none", "login" }, 2)) != 0 ||
	    /* RFC 9207 §3: advertise that every authorization response has iss. */
	    json_object_set_new(j, "authorization_response_iss_parameter_supported",
	    json_true()) != 0)
		goto out;
	rc = oidc_response_json(out, 200, j);
	out->no_store = false;
out:
	json_decref(idalgs);
	json_decref(cl);
	json_decref(j);
	return rc;
}

enum eidgw_err
oidc_jwks(const struct oidc_provider *p, struct oidc_response *out)
{
	json_t *j = NULL, *keys, *k;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((j = json_object()) == NULL || (keys = json_array()) == NULL ||
	    json_object_set_new(j, "keys", keys) != 0)
		goto out;
	/* Active, next and retired keys are all published: a next key is
	 * known to RPs before it signs, a retired one until its tokens expire. */
	for (i = 0; i < p->n_keys; i++) {
		if ((k = json_loads(p->keys[i].jwk_json, 0, NULL)) == NULL)
			goto out;
		if (json_array_append_new(keys, k) != 0)
			goto out;
	}
	rc = oidc_response_json(out, 200, j);
	out->no_store = false;
	if (rc == EIDGW_OK)
		out->content_type = "application/jwk-set+json";
out:
	json_decref(j);
	return rc;
}
