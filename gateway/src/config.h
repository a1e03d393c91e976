/*
 * config.h - the gateway's configuration as typed, immutable snapshots.
 *
 * gw_config_load() reads conf/gateway.yaml, every conf/clients/NAME.yaml and
 * every conf/countries/CC.yaml, validates them strictly (unknown keys, wrong
 * types, missing files, duplicate ids, bad URLs are errors naming file:line),
 * loads every key file and checks it against its certificate, and returns
 * one snapshot.  A snapshot is never modified after load; the daemon holds
 * the current one behind an atomic pointer with a reference count
 * (gw_config_ref/unref), so a SIGHUP reload swaps it while requests that
 * started on the old one finish on it.
 *
 * The directive tables in config.c are the single source of key names; the
 * test tests/unit/gateway/test_config_docs.c checks docs/configuration.md
 * against them in both directions.
 */
#ifndef EIDGW_GW_CONFIG_H
#define EIDGW_GW_CONFIG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keyops.h"

enum gw_loa {
	GW_LOA_NONE = 0,
	GW_LOA_LOW = 1,
	GW_LOA_SUBSTANTIAL = 2,
	GW_LOA_HIGH = 3,
};

enum gw_store_backend {
	GW_STORE_LMDB = 1,
	GW_STORE_REDIS,
	GW_STORE_MEMORY,
};

enum gw_client_auth {
	GW_AUTH_CLIENT_SECRET_BASIC = 1,
	GW_AUTH_CLIENT_SECRET_POST,
	GW_AUTH_PRIVATE_KEY_JWT,
};

enum gw_key_status {
	GW_KEY_ACTIVE = 1,	/* signs new tokens, published */
	GW_KEY_NEXT,		/* published ahead of a rollover, does not sign */
	GW_KEY_RETIRED,		/* published until its tokens expire, does not sign */
};

enum gw_saml_binding {
	GW_BINDING_POST = 1,
	GW_BINDING_REDIRECT,
};

/* A network address to trust X-Forwarded-* from: address/prefix. */
struct gw_cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};

struct gw_keypair_conf {
	char *key_file;
	char *cert_file;		/* may be NULL where no certificate is needed */
	struct eidgw_key *key;		/* loaded at config load */
};

struct gw_oidc_key_conf {
	char *kid;
	char *alg;			/* PS256, PS384, PS512, RS256, ES256, ES384 */
	char *key_file;
	char *cert_file;		/* optional: published as x5c when set */
	enum gw_key_status status;
	struct eidgw_key *key;
};

struct gw_server_conf {
	char *listen_host;		/* "127.0.0.1", "::", ... */
	uint16_t listen_port;
	char *public_url;		/* issuer and base of every URL we publish, no trailing '/' */
	unsigned int threads;		/* 0 = number of cores */
	size_t max_body_bytes;
	size_t max_header_bytes;
	unsigned int request_timeout_s;
	unsigned int max_connections;
	struct gw_cidr *trusted_proxies;
	size_t n_trusted_proxies;
	unsigned int shutdown_grace_s;
};

struct gw_store_conf {
	enum gw_store_backend backend;
	char *path;			/* lmdb directory */
	size_t lmdb_map_size;
	char *redis_url;		/* redis://host:port[/db] */
	unsigned int redis_timeout_ms;
	char *key_prefix;
};

struct gw_audit_conf {
	bool enabled;
	char *path;
	char *signing_key_file;
	char *hmac_key_file;
	unsigned int checkpoint_every;
	unsigned int checkpoint_interval_s;
	struct eidgw_key *signing_key;	/* loaded when enabled (Ed25519, EC or RSA) */
	unsigned char *hmac_key;	/* decoded hmac_key_file, wiped on free; NULL if unset */
	size_t hmac_key_len;
};

struct gw_log_conf {
	int level;			/* LOG_ERR .. LOG_DEBUG (syslog numbers) */
	char *sink;			/* "stderr" or "journald" */
};

struct gw_limits_conf {
	unsigned int login_ttl_s;
	unsigned int code_ttl_s;
	unsigned int par_ttl_s;
	unsigned int access_token_ttl_s;
	unsigned int id_token_ttl_s;
	unsigned int clock_skew_s;
	size_t max_saml_response_bytes;
};

struct gw_client_conf {
	char *file;			/* where it came from, for messages */
	int line;
	char *client_id;
	char *client_name;
	char **redirect_uris;
	size_t n_redirect_uris;
	enum gw_client_auth auth_method;
	char *client_secret;		/* wiped on free (read from client_secret_file when that is set) */
	char *client_secret_file;
	char *jwks_file;		/* private_key_jwt: a JWKS file ... */
	char *jwks_uri;			/* ... or a URL */
	char **scopes;			/* allowed scopes */
	size_t n_scopes;
	char *sector_identifier;	/* pairwise sector; default: redirect_uri host */
	char *id_token_alg;		/* default PS256 */
	char *assertion_alg;		/* private_key_jwt: the one alg accepted; NULL = any allowed */
	bool require_par;
	bool dpop_bound_access_tokens;	/* RFC 9449 §5.2: DPoP required at the token endpoint */
	enum gw_loa min_loa;		/* floor: never issue below */
	enum gw_loa default_loa;	/* used when acr_values is absent */
	char *sp_type;			/* "public" or "private" (eIDAS SPType) */
	char *requester_id;		/* eIDAS RequesterID; default <public_url>/rp/<client_id> */
	unsigned int access_token_ttl_s; /* 0 = the global limit */
	unsigned int id_token_ttl_s;
};

#define GW_MAX_MD_SIGNERS	4	/* certificates in one metadata_signing_cert file */

struct gw_country_saml_conf {
	char *metadata_url;
	char *metadata_file;
	char *metadata_signing_cert;
	char *metadata_cache_file;
	unsigned int metadata_refresh_s;
	char *idp_entity_id;		/* expected Issuer; default from metadata */
	char **requested_attributes;	/* attribute names (URIs) */
	size_t n_requested_attributes;
	enum gw_saml_binding binding;
	char *signature_alg;		/* URI or short name; default ECDSA-SHA256 with EC key */
	bool require_encryption;
	bool require_assertion_signature;
	bool allow_rsa_pkcs1;
	bool allow_rsa_oaep_mgf1p;
	char *nameid_format;
	bool omit_scoping;
	bool omit_protocol_binding;
	char **attribute_aliases;	/* "NAME-THE-NODE-SENDS EIDAS-NAME" pairs (quirk) */
	size_t n_attribute_aliases;
	/* metadata_signing_cert loaded (every certificate in the PEM file, so a
	 * signer rollover can list the old and the new one); none when unset or
	 * the country is disabled */
	X509 *metadata_signers[GW_MAX_MD_SIGNERS];
	size_t n_metadata_signers;
};

struct gw_country_conf {
	char *file;
	int line;
	char code[3];			/* ISO 3166-1 alpha-2, upper case */
	char *name_en;			/* display names */
	char *name_local;
	bool enabled;
	char *connector;		/* "eidas-saml" or a plugin name */
	enum gw_loa max_loa;		/* highest LoA the scheme can assert */
	struct gw_country_saml_conf saml;
	/* Connector-specific settings for plugins: kept as the raw YAML text. */
	char *plugin_settings_yaml;
};

struct gw_config {
	atomic_int refs;
	char *path;			/* gateway.yaml as given */
	char *dir;			/* its directory: relative paths are resolved against it */
	unsigned char hash[32];		/* SHA-256 over every file read, for the audit log */
	int64_t loaded_at;
	unsigned int min_rsa_bits;	/* keys.min_rsa_bits, default 3072 */

	struct gw_server_conf server;
	struct gw_keypair_conf saml_signing;
	struct gw_keypair_conf *saml_encryption;	/* several during rollover */
	size_t n_saml_encryption;
	char *saml_signature_alg;
	struct gw_oidc_key_conf *oidc_keys;
	size_t n_oidc_keys;
	char *pairwise_key_file;
	unsigned char pairwise_key[32];	/* wiped on free */
	struct gw_store_conf store;
	struct gw_audit_conf audit;
	struct gw_log_conf log;
	struct gw_limits_conf limits;
	char *clients_dir;
	char *countries_dir;
	char *plugins_dir;
	char *default_locale;
	char *node_country;		/* eIDAS NodeCountry of our SP metadata (alpha-2) */

	/*
	 * Built by the daemon on this snapshot (OIDC provider, connectors, IdP
	 * metadata) before it is published, freed first when it is released.
	 */
	void *runtime;
	void (*runtime_free)(void *runtime);

	struct gw_client_conf *clients;
	size_t n_clients;
	struct gw_country_conf *countries;
	size_t n_countries;
};

/*
 * One error found while loading: every problem is collected (not just the
 * first) so an operator fixes a file in one pass.
 */
struct gw_config_error {
	char *file;
	int line;			/* 1-based; 0 when the whole file is meant */
	enum eidgw_err code;
	char *reason;
};

struct gw_config_errors {
	struct gw_config_error *v;
	size_t n;
};

/*
 * Loads and validates; on failure *out is NULL and errs lists every problem
 * (errs may be NULL when the caller does not want them).  Returns EIDGW_OK,
 * EIDGW_E_CONFIG when the files have errors, or EIDGW_E_NOMEM.  The snapshot
 * comes with one reference (drop it with gw_config_unref).
 */
enum eidgw_err gw_config_load(const char *path, struct gw_config **out,
    struct gw_config_errors *errs) EIDGW_MUST_USE;
/* Appends one error (file:line: reason); EIDGW_E_NOMEM when it could not. */
enum eidgw_err gw_config_errors_add(struct gw_config_errors *errs, const char *file, int line,
    enum eidgw_err code, const char *fmt, ...) EIDGW_PRINTF(5, 6);
enum eidgw_err gw_config_errors_vadd(struct gw_config_errors *errs, const char *file, int line,
    enum eidgw_err code, const char *fmt, va_list ap) EIDGW_PRINTF(5, 0);
/* Prints "file:line: reason" for each error to f. */
void gw_config_errors_print(const struct gw_config_errors *errs, void *f /* FILE * */);
void gw_config_errors_free(struct gw_config_errors *errs);

struct gw_config *gw_config_ref(struct gw_config *c);
void gw_config_unref(struct gw_config *c);

const struct gw_client_conf *gw_config_client(const struct gw_config *c, const char *client_id);
const struct gw_country_conf *gw_config_country(const struct gw_config *c, const char *code);

/*
 * Calls fn for every certificate the configuration names, in order: the SAML
 * signing key's ("keys.saml_signing", its key id), each SAML encryption
 * key's ("keys.saml_encryption") and every country's metadata signers
 * ("country.saml.metadata_signing_cert", the country code).  Stops at, and
 * returns, the first result that is not EIDGW_OK.
 */
typedef enum eidgw_err (*gw_cert_fn)(void *arg, const X509 *crt, const char *what,
    const char *which);
enum eidgw_err gw_config_each_cert(const struct gw_config *c, gw_cert_fn fn, void *arg);

/*
 * Every key the loader accepts, as "section.key" paths, NULL-terminated: for
 * the docs drift check.  Client keys are "client.<key>", country keys
 * "country.<key>" / "country.saml.<key>", list members "keys.oidc.<key>".
 */
const char *const *gw_config_known_keys(void);
/* Prints the directive tables as Markdown table rows (docs/configuration.md is built from it). */
void gw_config_reference_print(void *f /* FILE * */);

#endif
