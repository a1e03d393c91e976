/*
 * eidgw/connector.h - the connector plugin interface of eidgw (ABI 1.0).
 *
 * A connector takes a citizen from eidgw to one country's eID scheme and
 * back.  The generic eIDAS-SAML connector is built into eidgw; any other
 * connector is a shared object loaded from the configured plugins_dir and
 * built against this header alone: it includes nothing else from the eidgw
 * tree and needs no eidgw symbol, because everything it may use from the
 * gateway (logging, the state store, randomness, signing with the gateway's
 * key, HTTP fetch, the audit log) comes through struct eidgw_host_api.
 * A connector never holds a private key.
 *
 * Versioning: both tables start with abi_version and struct_size.  The host
 * refuses a plugin whose major version differs from its own or whose table
 * is smaller than the version it declares needs; fields are only ever
 * appended, so a plugin built against an older minor version still loads.
 *
 * Entry point: the plugin exports exactly one symbol,
 *
 *     int eidgw_connector_entry(const struct eidgw_host_api *host,
 *                               struct eidgw_connector_ops *out);
 *
 * which fills *out (after checking host->abi_version) and returns
 * EIDGW_CX_OK.  Build plugins with -fvisibility=hidden and mark only the
 * entry point EIDGW_CONNECTOR_EXPORT.
 *
 * Threads: start_login and finish_login are called concurrently from the
 * gateway's worker threads; the state returned by init must be safe for
 * that (read-only after init, or guarded by the plugin).
 *
 * Memory: every string a connector hands to the host in an output struct
 * is allocated with host->alloc (the host frees it); the host's inputs are
 * valid for the duration of the call only.
 */
#ifndef EIDGW_CONNECTOR_H
#define EIDGW_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EIDGW_CONNECTOR_ABI_MAJOR 1u
#define EIDGW_CONNECTOR_ABI_MINOR 0u
#define EIDGW_CONNECTOR_ABI_VERSION \
	((EIDGW_CONNECTOR_ABI_MAJOR << 16) | EIDGW_CONNECTOR_ABI_MINOR)
#define EIDGW_CONNECTOR_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define EIDGW_CONNECTOR_ENTRY_SYMBOL "eidgw_connector_entry"

#if defined(__GNUC__)
#define EIDGW_CONNECTOR_EXPORT __attribute__((visibility("default")))
#else
#define EIDGW_CONNECTOR_EXPORT
#endif

/* Results of every call across the interface. */
enum eidgw_cx_status {
	EIDGW_CX_OK = 0,
	EIDGW_CX_DENIED = 1,		/* the citizen cancelled or the scheme refused */
	EIDGW_CX_REJECTED = 2,		/* the scheme's answer failed validation */
	EIDGW_CX_LOA_UNMET = 3,		/* authenticated below the requested level */
	EIDGW_CX_UNAVAILABLE = 4,	/* the scheme or a gateway service is down */
	EIDGW_CX_BAD_CONFIG = 5,	/* init: the settings are invalid */
	EIDGW_CX_ERROR = 6,		/* anything else (a bug, out of memory) */
	EIDGW_CX_EXISTS = 7,		/* store_put_new: the key is already there */
	EIDGW_CX_MISSING = 8,		/* store_take: no such key (or expired) */
};

/* eIDAS levels of assurance (notified). */
enum eidgw_cx_loa {
	EIDGW_CX_LOA_LOW = 1,
	EIDGW_CX_LOA_SUBSTANTIAL = 2,
	EIDGW_CX_LOA_HIGH = 3,
};

/* Log levels are syslog's numbers: 3 error, 4 warning, 5 notice, 6 info, 7 debug. */

/* What the gateway offers a connector.  Never personal data in log or audit text. */
struct eidgw_host_api {
	uint32_t abi_version;		/* EIDGW_CONNECTOR_ABI_VERSION of the host */
	uint32_t struct_size;		/* sizeof(struct eidgw_host_api) of the host */
	void *host;			/* first argument of every function below */

	void (*log)(void *host, int level, const char *event, const char *message);
	/* Memory for strings handed back to the host; zeroed. */
	void *(*alloc)(void *host, size_t n);
	void (*free)(void *host, void *p);
	/* Cryptographically secure random bytes. */
	int (*random)(void *host, void *out, size_t n);
	/*
	 * The shared state store, in the connector's own key space (the host
	 * prefixes keys with the connector's name and country).  put_new stores
	 * only if absent (EIDGW_CX_EXISTS otherwise); take reads and deletes
	 * atomically (EIDGW_CX_MISSING when absent).  EIDGW_CX_UNAVAILABLE when
	 * the store cannot answer: the connector must then fail, never skip.
	 */
	int (*store_put_new)(void *host, const char *key, const void *val, size_t len,
	    int64_t ttl_s);
	int (*store_take)(void *host, const char *key, void *buf, size_t cap, size_t *len);
	/*
	 * Signs data with the gateway's SAML signing key (alg: 1 ECDSA-SHA256,
	 * 2 RSA-PSS-SHA256, 3 RSA-PKCS1-SHA256 as configured for the country);
	 * the signature goes to sig (cap bytes), its size to *siglen.  ECDSA
	 * signatures are DER.
	 */
	int (*sign)(void *host, int alg, const void *data, size_t len, void *sig, size_t cap,
	    size_t *siglen);
	/* GET url (https, or http to loopback); at most max bytes; *body via host->alloc. */
	int (*http_get)(void *host, const char *url, size_t max, char **body, size_t *len);
	/* Appends an audit record: event name and NULL-terminated key, value pairs. */
	int (*audit)(void *host, const char *event, const char *const *kv);
};

/* Given to init. */
struct eidgw_connector_init {
	uint32_t struct_size;
	const char *country;		/* ISO 3166-1 alpha-2, upper case */
	const char *settings_yaml;	/* the country file's plugin_settings, as YAML text (may be "") */
	const char *public_url;		/* the gateway's base URL */
	const char *return_url;		/* where the browser must come back: GET or POST */
};

/* Given to start_login. */
struct eidgw_login_request {
	uint32_t struct_size;
	const char *state;		/* opaque: must come back as the "state" parameter at return_url */
	int min_loa;			/* enum eidgw_cx_loa */
	const char *const *attributes;	/* eIDAS attribute Name URIs wanted */
	const unsigned char *attribute_required; /* 1 when the attribute is mandatory */
	size_t n_attributes;
	const char *sp_type;		/* "public" or "private" */
	const char *requester_id;	/* the relying party, as a URI */
	const char *provider_name;	/* its display name, may be NULL */
	const char *locale;		/* BCP 47 tag of the citizen's language */
};

enum eidgw_login_start_kind {
	EIDGW_START_REDIRECT = 1,	/* 303 to url */
	EIDGW_START_POST_FORM = 2,	/* auto-submitted form: POST fields to url */
};

#define EIDGW_START_MAX_FIELDS 8

/* Filled by start_login (strings via host->alloc). */
struct eidgw_login_start {
	uint32_t struct_size;
	int kind;			/* enum eidgw_login_start_kind */
	char *url;
	char *field_names[EIDGW_START_MAX_FIELDS];
	char *field_values[EIDGW_START_MAX_FIELDS];
	size_t n_fields;
	char *request_ref;		/* what finish_login needs to match the answer (e.g. request ID) */
};

/* Given to finish_login: the browser's request at return_url. */
struct eidgw_login_response {
	uint32_t struct_size;
	const char *method;		/* "GET" or "POST" */
	const char *const *names;	/* decoded query or form parameters */
	const char *const *values;
	size_t n_params;
	const char *request_ref;	/* as returned by start_login for this login */
	int min_loa;
	int64_t now;
};

/* Filled by finish_login on EIDGW_CX_OK (strings via host->alloc). */
struct eidgw_identity {
	uint32_t struct_size;
	char *person_identifier;	/* eIDAS form CC/DD/X */
	char *family_name;
	char *given_name;
	char *birth_date;		/* YYYY-MM-DD */
	char *loa;			/* the LoA URI asserted, unchanged */
	int64_t auth_time;		/* epoch seconds */
	char *issuer;			/* the scheme's entity, for the audit log */
	char *assertion_ref;		/* the assertion's id, for the audit log */
	char *extra_claims_json;	/* further OIDC claims as a JSON object text, or NULL */
	char *reason;			/* on failure: why (for the log; never shown to users) */
};

struct eidgw_connector_ops {
	uint32_t abi_version;		/* EIDGW_CONNECTOR_ABI_VERSION the plugin was built with */
	uint32_t struct_size;		/* sizeof(struct eidgw_connector_ops) of the plugin */
	const char *name;		/* e.g. "example-national" */

	int (*init)(const struct eidgw_host_api *host, const struct eidgw_connector_init *in,
	    void **state);
	int (*start_login)(void *state, const struct eidgw_login_request *in,
	    struct eidgw_login_start *out);
	/* out->reason may be set on failure too. */
	int (*finish_login)(void *state, const struct eidgw_login_response *in,
	    struct eidgw_identity *out);
	/* Optional (may be NULL): a metadata document to publish, via host->alloc. */
	int (*metadata)(void *state, char **doc, size_t *len, const char **content_type);
	void (*destroy)(void *state);
};

typedef int (*eidgw_connector_entry_fn)(const struct eidgw_host_api *host,
    struct eidgw_connector_ops *out);

/*
 * The one symbol a plugin exports (declared here so that plugins built with
 * -Wmissing-prototypes need no declaration of their own).  The host hands
 * in *out zeroed with out->struct_size preset to the room it provides; the
 * plugin fills at most that much.
 */
EIDGW_CONNECTOR_EXPORT int eidgw_connector_entry(const struct eidgw_host_api *host,
    struct eidgw_connector_ops *out);

#ifdef __cplusplus
}
#endif

#endif
