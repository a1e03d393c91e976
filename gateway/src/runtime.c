/* runtime.c - see runtime.h. */
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "app.h"
#include "core/util.h"
#include "fetch.h"
#include "log.h"
#include "saml/xmldsig.h"

#define RT_JWKS_MAX (64u * 1024u)

const char *
gw_loa_uri(enum gw_loa loa)
{
	switch (loa) {
	case GW_LOA_LOW: return OIDC_LOA_LOW;
	case GW_LOA_SUBSTANTIAL: return OIDC_LOA_SUBSTANTIAL;
	case GW_LOA_HIGH: return OIDC_LOA_HIGH;
	default: return NULL;
	}
}

enum gw_loa
gw_loa_from_uri(const char *uri)
{
	switch (uri != NULL ? oidc_loa_rank(uri) : 0) {
	case 1: return GW_LOA_LOW;
	case 2: return GW_LOA_SUBSTANTIAL;
	case 3: return GW_LOA_HIGH;
	default: return GW_LOA_NONE;
	}
}

bool
gw_country_serves(const struct gw_country_rt *c, int64_t now)
{
	if (c == NULL || c->state != GW_COUNTRY_READY)
		return false;
	return c->idp == NULL || c->idp->valid_until == 0 || now < c->idp->valid_until;
}

const struct gw_country_rt *
gw_runtime_country(const struct gw_runtime *rt, const char *code)
{
	size_t i;

	if (rt == NULL || code == NULL)
		return NULL;
	for (i = 0; i < rt->n_countries; i++)
		if (strcmp(rt->countries[i].conf->code, code) == 0)
			return &rt->countries[i];
	return NULL;
}

static void
runtime_free(void *p)
{
	struct gw_runtime *rt = p;
	size_t i;

	if (rt == NULL)
		return;
	oidc_provider_free(rt->oidc);
	for (i = 0; i < rt->n_countries; i++) {
		saml_idp_metadata_free(rt->countries[i].idp);
		gw_connector_free(rt->countries[i].plugin);
	}
	free(rt->countries);
	for (i = 0; i < rt->n_fetched_jwks; i++) {
		free(rt->fetched_jwks_client[i]);
		free(rt->fetched_jwks[i]);
	}
	free(rt->fetched_jwks_client);
	free(rt->fetched_jwks);
	free(rt->entity_id);
	free(rt->acs_url);
	free(rt->return_url);
	free(rt);
}

/* Reads a small file whole (NUL-terminated); NULL on any failure. */
static char *
read_small_file(const char *path, size_t max, size_t *lenp)
{
	struct eidgw_buf b;
	char chunk[4096];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	eidgw_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (eidgw_buf_append(&b, chunk, n) != EIDGW_OK) {
			fclose(f);
			eidgw_buf_free(&b);
			return NULL;
		}
	}
	fclose(f);
	if (b.data == NULL && eidgw_buf_append(&b, "", 0) != EIDGW_OK)
		return NULL;
	return eidgw_buf_steal(&b, lenp);
}

static enum oidc_key_status
key_status(enum gw_key_status s)
{
	switch (s) {
	case GW_KEY_NEXT: return OIDC_KEY_NEXT;
	case GW_KEY_RETIRED: return OIDC_KEY_RETIRED;
	default: return OIDC_KEY_ACTIVE;
	}
}

static enum oidc_auth_method
auth_method(enum gw_client_auth a)
{
	switch (a) {
	case GW_AUTH_CLIENT_SECRET_POST: return OIDC_AUTH_SECRET_POST;
	case GW_AUTH_PRIVATE_KEY_JWT: return OIDC_AUTH_PRIVATE_KEY_JWT;
	default: return OIDC_AUTH_SECRET_BASIC;
	}
}

/* The JWKS the snapshot in service fetched for client_id, if any. */
static const char *
last_good_jwks(struct gw_app *app, const char *client_id)
{
	const struct gw_config *cur = atomic_load(&app->cfg);
	const struct gw_runtime *rt = cur != NULL ? cur->runtime : NULL;
	size_t i;

	/* main thread only (start, reload): the current snapshot cannot go away under us */
	for (i = 0; rt != NULL && i < rt->n_fetched_jwks; i++)
		if (strcmp(rt->fetched_jwks_client[i], client_id) == 0)
			return rt->fetched_jwks[i];
	return NULL;
}

/*
 * A key set that no one can sign for: the public half of a key generated
 * and thrown away here.  A client whose keys could never be fetched gets
 * it, so its assertions fail closed while every other client is served.
 */
static char *
unusable_jwks(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *jwk = NULL, *out = NULL;

	if (k != NULL && oidc_jwk_public_json(k, "unavailable", OIDC_ALG_ES256, &jwk) == EIDGW_OK &&
	    asprintf(&out, "{\"keys\":[%s]}", jwk) < 0)
		out = NULL;
	free(jwk);
	EVP_PKEY_free(k);
	return out;
}

static enum eidgw_err
keep_fetched(struct gw_runtime *rt, const char *client_id, const char *jwks)
{
	char **c, **j;

	c = realloc(rt->fetched_jwks_client, (rt->n_fetched_jwks + 1) * sizeof(*c));
	if (c == NULL)
		return EIDGW_E_NOMEM;
	rt->fetched_jwks_client = c;
	j = realloc(rt->fetched_jwks, (rt->n_fetched_jwks + 1) * sizeof(*j));
	if (j == NULL)
		return EIDGW_E_NOMEM;
	rt->fetched_jwks = j;
	c[rt->n_fetched_jwks] = strdup(client_id);
	j[rt->n_fetched_jwks] = strdup(jwks);
	if (c[rt->n_fetched_jwks] == NULL || j[rt->n_fetched_jwks] == NULL) {
		free(c[rt->n_fetched_jwks]);
		free(j[rt->n_fetched_jwks]);
		return EIDGW_E_NOMEM;
	}
	rt->n_fetched_jwks++;
	return EIDGW_OK;
}

static enum eidgw_err
build_oidc(struct gw_app *app, const struct gw_config *cfg, struct gw_runtime *rt,
    struct gw_config_errors *errs)
{
	struct oidc_signing_key *keys = NULL;
	struct oidc_client *clients = NULL;
	char **jwks = NULL;
	struct oidc_config oc;
	struct eidgw_diag d = { 0 };
	enum eidgw_err rc = EIDGW_E_NOMEM;
	size_t i;

	keys = calloc(cfg->n_oidc_keys + 1, sizeof(*keys));
	clients = calloc(cfg->n_clients + 1, sizeof(*clients));
	jwks = calloc(cfg->n_clients + 1, sizeof(*jwks));
	if (keys == NULL || clients == NULL || jwks == NULL)
		goto out;
	for (i = 0; i < cfg->n_oidc_keys; i++) {
		keys[i].kid = cfg->oidc_keys[i].kid;
		keys[i].alg = oidc_alg_from_name(cfg->oidc_keys[i].alg);
		keys[i].status = key_status(cfg->oidc_keys[i].status);
		keys[i].key = cfg->oidc_keys[i].key;
	}
	for (i = 0; i < cfg->n_clients; i++) {
		const struct gw_client_conf *c = &cfg->clients[i];
		struct oidc_client *o = &clients[i];

		o->client_id = c->client_id;
		o->name = c->client_name;
		o->redirect_uris = (const char *const *)c->redirect_uris;
		o->n_redirect_uris = c->n_redirect_uris;
		o->auth_method = auth_method(c->auth_method);
		o->secret = c->client_secret;
		if (c->auth_method == GW_AUTH_PRIVATE_KEY_JWT && c->jwks_file == NULL) {
			/*
			 * Fetched when the snapshot is built (start, reload).  When the
			 * client's JWKS cannot be had, the client gets an empty key set:
			 * its assertions fail (closed) until a reload finds the keys,
			 * and the rest of the gateway serves.
			 */
			struct eidgw_buf b;
			const char *last;
			char why[160];

			eidgw_buf_init(&b, RT_JWKS_MAX);
			if (gw_fetch(c->jwks_uri, 0, &b, why, sizeof(why)) == GW_FETCH_OK) {
				jwks[i] = eidgw_buf_steal(&b, NULL);
			} else {
				eidgw_buf_free(&b);
				last = last_good_jwks(app, c->client_id);
				gw_logkv(LOG_ERR, NULL, "client.jwks_unavailable", why, "client",
				    c->client_id, "url", c->jwks_uri, "using", last != NULL ?
				    "last good copy" : "no key (assertions refused)", (const char *)NULL);
				jwks[i] = last != NULL ? strdup(last) : unusable_jwks();
			}
			if (jwks[i] == NULL)
				goto out;
			o->jwks_json = jwks[i];
			if (keep_fetched(rt, c->client_id, jwks[i]) != EIDGW_OK)
				goto out;
		} else if (c->auth_method == GW_AUTH_PRIVATE_KEY_JWT) {
			if ((jwks[i] = read_small_file(c->jwks_file, RT_JWKS_MAX, NULL)) == NULL) {
				(void)gw_config_errors_add(errs, c->file, c->line, EIDGW_E_CONFIG_FILE,
				    "client %s: cannot read jwks_file %s", c->client_id, c->jwks_file);
				rc = EIDGW_E_CONFIG;
				goto out;
			}
			o->jwks_json = jwks[i];
		}
		o->scopes = (const char *const *)c->scopes;
		o->n_scopes = c->n_scopes;
		o->sector_identifier = c->sector_identifier;
		o->id_token_alg = c->id_token_alg != NULL ? oidc_alg_from_name(c->id_token_alg) :
		    OIDC_ALG_DEFAULT;
		o->require_par = c->require_par;
		o->token_endpoint_auth_signing_alg = c->assertion_alg != NULL ?
		    oidc_alg_from_name(c->assertion_alg) : OIDC_ALG_DEFAULT;
		o->dpop_bound_access_tokens = c->dpop_bound_access_tokens;
		o->min_acr = gw_loa_uri(c->min_loa);
		o->default_acr = gw_loa_uri(c->default_loa);
	}
	memset(&oc, 0, sizeof(oc));
	oc.issuer = cfg->server.public_url;
	oc.keys = keys;
	oc.n_keys = cfg->n_oidc_keys;
	oc.pairwise_key = cfg->pairwise_key;
	oc.pairwise_key_len = sizeof(cfg->pairwise_key);
	oc.clients = clients;
	oc.n_clients = cfg->n_clients;
	oc.store = app->store;
	oc.code_ttl = cfg->limits.code_ttl_s;
	oc.par_ttl = cfg->limits.par_ttl_s;
	oc.access_token_ttl = cfg->limits.access_token_ttl_s;
	oc.id_token_ttl = cfg->limits.id_token_ttl_s;
	if ((rc = oidc_provider_new(&oc, &rt->oidc, &d)) != EIDGW_OK) {
		(void)gw_config_errors_add(errs, cfg->path, 0, rc, "OpenID provider: %s", d.reason);
		goto out;
	}
	rc = EIDGW_OK;
out:
	for (i = 0; jwks != NULL && i < cfg->n_clients; i++)
		free(jwks[i]);
	free(jwks);
	free(keys);
	free(clients);
	return rc;
}

static void
country_unavailable(struct gw_country_rt *c, const char *fmt, ...) EIDGW_PRINTF(2, 3);

static void
country_unavailable(struct gw_country_rt *c, const char *fmt, ...)
{
	va_list ap;

	c->state = GW_COUNTRY_UNAVAILABLE;
	va_start(ap, fmt);
	(void)vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	gw_logkv(LOG_ERR, NULL, "country.unavailable", c->reason, "country", c->conf->code,
	    (const char *)NULL);
}

/* eidas-saml: the IdP's metadata, verified against the configured signer. */
static void
load_saml_country(const struct gw_config *cfg, struct gw_country_rt *c)
{
	const struct gw_country_saml_conf *s = &c->conf->saml;
	struct saml_sig_policy pol = { 0 };
	struct eidgw_diag d = { 0 };
	struct saml_trust trust;
	EVP_PKEY *signers[GW_MAX_MD_SIGNERS];
	size_t i;
	const char *src = s->metadata_file != NULL ? s->metadata_file : s->metadata_cache_file;
	size_t len = 0;
	char *xml;

	if (src == NULL) {
		country_unavailable(c, "metadata_url needs metadata_cache_file (the last good "
		    "copy is served from there)");
		return;
	}
	if (s->n_metadata_signers == 0) {
		country_unavailable(c, "no metadata_signing_cert: metadata cannot be trusted");
		return;
	}
	if ((xml = read_small_file(src, SAML_METADATA_MAX_BYTES, &len)) == NULL) {
		country_unavailable(c, "cannot read IdP metadata %s", src);
		return;
	}
	for (i = 0; i < s->n_metadata_signers; i++)
		signers[i] = X509_get0_pubkey(s->metadata_signers[i]);
	trust.keys = signers;
	trust.nkeys = s->n_metadata_signers;
	pol.allow_rsa_pkcs1 = s->allow_rsa_pkcs1;
	pol.min_rsa_bits = (int)cfg->min_rsa_bits;
	if (saml_idp_metadata_parse(xml, len, &trust, &pol, eidgw_now(), s->idp_entity_id,
	    &c->idp, &d) != EIDGW_OK) {
		country_unavailable(c, "IdP metadata %s refused: %s (%s)", src, d.reason,
		    eidgw_err_name(d.code));
		free(xml);
		return;
	}
	free(xml);
	if (c->idp->sso_post == NULL && s->binding == GW_BINDING_POST) {
		country_unavailable(c, "IdP metadata has no HTTP-POST SingleSignOnService");
		return;
	}
	if (c->idp->sso_redirect == NULL && s->binding == GW_BINDING_REDIRECT) {
		country_unavailable(c, "IdP metadata has no HTTP-Redirect SingleSignOnService");
		return;
	}
	c->state = GW_COUNTRY_READY;
	gw_logkv(LOG_INFO, NULL, "country.ready", "IdP metadata verified", "country",
	    c->conf->code, "idp", c->idp->entity_id, (const char *)NULL);
}

static void
load_plugin_country(struct gw_app *app, const struct gw_config *cfg, struct gw_country_rt *c)
{
	struct eidgw_diag d = { 0 };

	if (gw_connector_load_plugin(app, cfg, c->conf, &c->plugin, &d) != EIDGW_OK) {
		country_unavailable(c, "connector %s: %s", c->conf->connector, d.reason);
		return;
	}
	c->state = GW_COUNTRY_READY;
	gw_logkv(LOG_INFO, NULL, "country.ready", "connector loaded", "country", c->conf->code,
	    "connector", c->conf->connector, (const char *)NULL);
}

enum eidgw_sig_alg
gw_sig_alg_from_name(const char *a)
{
	enum eidgw_sig_alg alg;

	if (a == NULL)
		return EIDGW_SIG_NONE;
	if ((alg = saml_sig_alg_from_uri(a)) != EIDGW_SIG_NONE)
		return alg;
	if (strcmp(a, "ecdsa-sha256") == 0) return EIDGW_SIG_ECDSA_SHA256;
	if (strcmp(a, "ecdsa-sha384") == 0) return EIDGW_SIG_ECDSA_SHA384;
	if (strcmp(a, "ecdsa-sha512") == 0) return EIDGW_SIG_ECDSA_SHA512;
	if (strcmp(a, "rsa-pss-sha256") == 0) return EIDGW_SIG_RSA_PSS_SHA256;
	if (strcmp(a, "rsa-pss-sha384") == 0) return EIDGW_SIG_RSA_PSS_SHA384;
	if (strcmp(a, "rsa-pss-sha512") == 0) return EIDGW_SIG_RSA_PSS_SHA512;
	if (strcmp(a, "rsa-sha256") == 0) return EIDGW_SIG_RSA_PKCS1_SHA256;
	if (strcmp(a, "rsa-sha384") == 0) return EIDGW_SIG_RSA_PKCS1_SHA384;
	if (strcmp(a, "rsa-sha512") == 0) return EIDGW_SIG_RSA_PKCS1_SHA512;
	return EIDGW_SIG_NONE;
}

static enum eidgw_sig_alg
saml_alg_of(const struct gw_config *cfg)
{
	if (cfg->saml_signature_alg == NULL)
		return cfg->saml_signing.key != NULL && cfg->saml_signing.key->type == EIDGW_KEY_RSA ?
		    EIDGW_SIG_RSA_PSS_SHA256 : EIDGW_SIG_ECDSA_SHA256;
	return gw_sig_alg_from_name(cfg->saml_signature_alg);
}

enum eidgw_err
gw_runtime_attach(struct gw_app *app, struct gw_config *cfg, struct gw_config_errors *errs)
{
	struct gw_runtime *rt;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	size_t i;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return EIDGW_E_NOMEM;
	/* only the one that failed is undefined: the others are freed at out */
	if (asprintf(&rt->entity_id, "%s/saml/metadata", cfg->server.public_url) < 0)
		rt->entity_id = NULL;
	else if (asprintf(&rt->acs_url, "%s/saml/acs", cfg->server.public_url) < 0)
		rt->acs_url = NULL;
	else if (asprintf(&rt->return_url, "%s/login/return", cfg->server.public_url) < 0)
		rt->return_url = NULL;
	if (rt->entity_id == NULL || rt->acs_url == NULL || rt->return_url == NULL)
		goto out;
	if ((rt->saml_sig_alg = saml_alg_of(cfg)) == EIDGW_SIG_NONE) {
		(void)gw_config_errors_add(errs, cfg->path, 0, EIDGW_E_CONFIG_VALUE,
		    "keys.saml_signature_alg: '%s' is not a supported algorithm",
		    cfg->saml_signature_alg);
		rc = EIDGW_E_CONFIG;
		goto out;
	}
	if ((rc = build_oidc(app, cfg, rt, errs)) != EIDGW_OK)
		goto out;
	rc = EIDGW_E_NOMEM;
	if (cfg->n_countries != 0 &&
	    (rt->countries = calloc(cfg->n_countries, sizeof(*rt->countries))) == NULL)
		goto out;
	rt->n_countries = cfg->n_countries;
	for (i = 0; i < cfg->n_countries; i++) {
		struct gw_country_rt *c = &rt->countries[i];

		c->conf = &cfg->countries[i];
		if (!c->conf->enabled) {
			c->state = GW_COUNTRY_DISABLED;
			continue;
		}
		if (strcmp(c->conf->connector, "eidas-saml") == 0)
			load_saml_country(cfg, c);
		else
			load_plugin_country(app, cfg, c);
	}
	cfg->runtime = rt;
	cfg->runtime_free = runtime_free;
	rt = NULL;
	rc = EIDGW_OK;
out:
	runtime_free(rt);
	return rc;
}
