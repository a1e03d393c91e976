/*
 * connector_host.c - the services one connector instance gets from the
 * gateway (struct eidgw_host_api): logging, memory, randomness, the state
 * store in the connector's own key space, signing with the snapshot's SAML
 * key, a guarded HTTP GET and audit records.
 *
 * Everything a plugin passes in is bounded and checked here, because a
 * plugin is code we run but not data we trust: event names have a fixed
 * alphabet, store keys and values have a maximum size, URLs are limited to
 * https (or http to the loopback interface) and bodies to a size cap.
 */
#include "connector.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "app.h"
#include "core/buf.h"
#include "core/keyops.h"
#include "core/store.h"
#include "core/util.h"
#include "fetch.h"
#include "log.h"

#define CX_EVENT_MAX 64			/* event names: [a-z0-9_.-] */
#define CX_MESSAGE_MAX 1024		/* log message bytes kept */
#define CX_KEY_MAX 256			/* store key bytes (before the prefix) */
#define CX_VALUE_MAX (64u * 1024u)	/* store value bytes */
#define CX_TTL_MAX (7 * 24 * 3600)	/* store lifetime cap, seconds */
#define CX_RANDOM_MAX 4096		/* bytes per random() call */
#define CX_SIGN_DATA_MAX (1024u * 1024u)
#define CX_SIG_MAX 2048			/* RSA-8192 fits */
#define CX_HTTP_MAX (16u * 1024u * 1024u) /* body cap whatever max says */
#define CX_HTTP_REDIRECTS 3L
#define CX_AUDIT_PAIRS 16		/* key/value pairs per record */
#define CX_AUDIT_KEY_MAX 32
#define CX_AUDIT_VALUE_MAX 1024

struct cx_host {
	struct gw_app *app;
	const struct eidgw_key *key;	/* the snapshot's SAML signing key (borrowed) */
	char name[64];
	char country[3];
	char prefix[96];		/* "cx:<name>:<country>:" */
};

/* ---- checks on what a plugin hands us --------------------------------- */

/* [a-z0-9_.-], 1..max bytes. */
static bool
event_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	}
	return true;
}

/* Printable ASCII without spaces, 1..CX_KEY_MAX bytes. */
static bool
store_key_ok(const char *k)
{
	size_t i;

	if (k == NULL || *k == '\0')
		return false;
	for (i = 0; k[i] != '\0'; i++)
		if (i >= CX_KEY_MAX || k[i] <= ' ' || k[i] > '~')
			return false;
	return true;
}

/* No control characters, at most max bytes. */
static bool
text_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* ---- log, memory, random ---------------------------------------------- */

static void
h_log(void *host, int level, const char *event, const char *message)
{
	struct cx_host *h = host;
	char ev[8 + CX_EVENT_MAX + 1], msg[CX_MESSAGE_MAX + 1];
	size_t n;

	/* A plugin may not raise emerg/alert/crit. */
	if (level < LOG_ERR)
		level = LOG_ERR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	(void)snprintf(ev, sizeof(ev), "connector.%s", event_ok(event, CX_EVENT_MAX) ? event : "log");
	n = message != NULL ? strnlen(message, CX_MESSAGE_MAX) : 0;
	/* Cut on a UTF-8 character boundary. */
	while (n > 0 && message[n] != '\0' && ((unsigned char)message[n] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		memcpy(msg, message, n);
	msg[n] = '\0';
	gw_logkv(level, NULL, ev, msg, "connector", h->name, "country", h->country,
	    (const char *)NULL);
}

static void *
h_alloc(void *host, size_t n)
{
	(void)host;
	return calloc(1, n != 0 ? n : 1);
}

static void
h_free(void *host, void *p)
{
	(void)host;
	free(p);
}

static int
h_random(void *host, void *out, size_t n)
{
	(void)host;
	if (out == NULL || n > CX_RANDOM_MAX)
		return EIDGW_CX_ERROR;
	if (n == 0)
		return EIDGW_CX_OK;
	return eidgw_random(out, n) == EIDGW_OK ? EIDGW_CX_OK : EIDGW_CX_ERROR;
}

/* ---- store ------------------------------------------------------------ */

static int
cx_status_of_store(enum eidgw_err e)
{
	switch (e) {
	case EIDGW_OK: return EIDGW_CX_OK;
	case EIDGW_E_STORE_EXISTS: return EIDGW_CX_EXISTS;
	case EIDGW_E_STORE_MISSING: return EIDGW_CX_MISSING;
	case EIDGW_E_STORE_UNAVAILABLE: return EIDGW_CX_UNAVAILABLE;
	default: return EIDGW_CX_ERROR;
	}
}

/* prefix + key into out; false when the key is refused. */
static bool
store_key(const struct cx_host *h, const char *key, char *out, size_t cap)
{
	int n;

	if (!store_key_ok(key))
		return false;
	n = snprintf(out, cap, "%s%s", h->prefix, key);
	return n > 0 && (size_t)n < cap;
}

static int
h_store_put_new(void *host, const char *key, const void *val, size_t len, int64_t ttl_s)
{
	struct cx_host *h = host;
	struct eidgw_store *s = h->app != NULL ? h->app->store : NULL;
	char k[sizeof(h->prefix) + CX_KEY_MAX + 1];

	if (!store_key(h, key, k, sizeof(k)) || (val == NULL && len != 0) || len > CX_VALUE_MAX ||
	    ttl_s <= 0 || ttl_s > CX_TTL_MAX)
		return EIDGW_CX_ERROR;
	if (s == NULL || s->ops == NULL || s->ops->put_new == NULL)
		return EIDGW_CX_UNAVAILABLE;
	return cx_status_of_store(s->ops->put_new(s, k, len != 0 ? val : "", len, ttl_s));
}

/*
 * Takes the value; when it is larger than cap it is still gone (take is
 * atomic), *len says how large it was and the result is EIDGW_CX_ERROR.
 */
static int
h_store_take(void *host, const char *key, void *buf, size_t cap, size_t *len)
{
	struct cx_host *h = host;
	struct eidgw_store *s = h->app != NULL ? h->app->store : NULL;
	char k[sizeof(h->prefix) + CX_KEY_MAX + 1];
	struct eidgw_buf b;
	enum eidgw_err e;
	int st;

	if (len != NULL)
		*len = 0;
	if (len == NULL || (buf == NULL && cap != 0) || !store_key(h, key, k, sizeof(k)))
		return EIDGW_CX_ERROR;
	if (s == NULL || s->ops == NULL || s->ops->take == NULL)
		return EIDGW_CX_UNAVAILABLE;
	eidgw_buf_init(&b, CX_VALUE_MAX);
	e = s->ops->take(s, k, &b);
	if ((st = cx_status_of_store(e)) == EIDGW_CX_OK) {
		*len = b.len;
		if (b.len > cap)
			st = EIDGW_CX_ERROR;
		else if (b.len != 0)
			memcpy(buf, b.data, b.len);
	}
	eidgw_buf_free(&b);
	return st;
}

/* ---- sign ------------------------------------------------------------- */

static int
h_sign(void *host, int alg, const void *data, size_t len, void *sig, size_t cap, size_t *siglen)
{
	struct cx_host *h = host;
	enum eidgw_sig_alg a;
	enum eidgw_key_type kt;
	struct eidgw_buf b;
	int st = EIDGW_CX_ERROR;

	if (siglen != NULL)
		*siglen = 0;
	if (siglen == NULL || sig == NULL || (data == NULL && len != 0) || len > CX_SIGN_DATA_MAX)
		return EIDGW_CX_ERROR;
	/* The codes of <eidgw/connector.h>; anything else is refused. */
	switch (alg) {
	case 1: a = EIDGW_SIG_ECDSA_SHA256; kt = EIDGW_KEY_EC; break;
	case 2: a = EIDGW_SIG_RSA_PSS_SHA256; kt = EIDGW_KEY_RSA; break;
	case 3: a = EIDGW_SIG_RSA_PKCS1_SHA256; kt = EIDGW_KEY_RSA; break;
	default:
		h_log(host, LOG_ERR, "sign_refused", "unknown signature algorithm code");
		return EIDGW_CX_ERROR;
	}
	if (h->key == NULL)
		return EIDGW_CX_UNAVAILABLE;
	if (h->key->type != kt) {
		h_log(host, LOG_ERR, "sign_refused",
		    "signature algorithm does not fit the gateway's SAML signing key type");
		return EIDGW_CX_ERROR;
	}
	eidgw_buf_init(&b, CX_SIG_MAX);
	if (eidgw_key_sign(h->key, a, (const unsigned char *)(len != 0 ? data : ""), len, &b) !=
	    EIDGW_OK)
		goto out;
	if (b.len > cap)
		goto out;
	memcpy(sig, b.data, b.len);
	*siglen = b.len;
	st = EIDGW_CX_OK;
out:
	eidgw_buf_free(&b);
	return st;
}

/* ---- http_get --------------------------------------------------------- */

static int
h_http_get(void *host, const char *url, size_t max, char **body, size_t *len)
{
	struct eidgw_buf b;
	char why[256], *out;
	int st = EIDGW_CX_ERROR;

	if (body != NULL)
		*body = NULL;
	if (len != NULL)
		*len = 0;
	if (body == NULL || len == NULL || url == NULL)
		return EIDGW_CX_ERROR;
	if (max == 0 || max > CX_HTTP_MAX)
		max = CX_HTTP_MAX;
	eidgw_buf_init(&b, max);
	switch (gw_fetch(url, CX_HTTP_REDIRECTS, &b, why, sizeof(why))) {
	case GW_FETCH_OK:
		break;
	case GW_FETCH_REFUSED:
		h_log(host, LOG_ERR, "http_refused", why);
		st = EIDGW_CX_BAD_CONFIG;
		goto out;
	case GW_FETCH_TOO_LARGE:
		h_log(host, LOG_WARNING, "http_too_large", "response body exceeds the size limit");
		st = EIDGW_CX_REJECTED;
		goto out;
	default:
		h_log(host, LOG_WARNING, "http_failed", why);
		st = EIDGW_CX_UNAVAILABLE;
		goto out;
	}
	if ((out = calloc(1, b.len + 1)) == NULL)
		goto out;
	if (b.len != 0)
		memcpy(out, b.data, b.len);
	*body = out;
	*len = b.len;
	st = EIDGW_CX_OK;
out:
	eidgw_buf_free(&b);
	return st;
}

/* ---- audit ------------------------------------------------------------ */

/* Field names the log line itself uses. */
static bool
audit_key_reserved(const char *k)
{
	static const char *const reserved[] = { "ts", "level", "event", "req", "msg",
		"connector", "country", "audit_event" };
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(reserved); i++)
		if (strcmp(k, reserved[i]) == 0)
			return true;
	return false;
}

/*
 * Until the audit log has a record type for connectors and a handle the
 * host can reach, a connector's audit record is a notice-level log line
 * ("connector.audit") carrying the pairs as fields.
 */
static int
h_audit(void *host, const char *event, const char *const *kv)
{
	struct cx_host *h = host;
	const char *f[2 * CX_AUDIT_PAIRS + 1];
	size_t i, j, n = 0;

	if (!event_ok(event, CX_EVENT_MAX))
		goto refused;
	memset(f, 0, sizeof(f));
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		if (n >= CX_AUDIT_PAIRS || !event_ok(kv[i], CX_AUDIT_KEY_MAX) ||
		    strchr(kv[i], '.') != NULL || strchr(kv[i], '-') != NULL ||
		    audit_key_reserved(kv[i]) || !text_ok(kv[i + 1], CX_AUDIT_VALUE_MAX))
			goto refused;
		for (j = 0; j < n; j++)
			if (strcmp(f[2 * j], kv[i]) == 0)
				goto refused;
		f[2 * n] = kv[i];
		f[2 * n + 1] = kv[i + 1];
		n++;
	}
	/* Unused slots are NULL: the first NULL name ends the list. */
	gw_logkv(LOG_NOTICE, NULL, "connector.audit", NULL, "connector", h->name,
	    "country", h->country, "audit_event", event,
	    f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12],
	    f[13], f[14], f[15], f[16], f[17], f[18], f[19], f[20], f[21], f[22], f[23], f[24],
	    f[25], f[26], f[27], f[28], f[29], f[30], f[31], (const char *)NULL);
	return EIDGW_CX_OK;
refused:
	h_log(host, LOG_ERR, "audit_refused",
	    "audit record refused: bad event name, field name or value");
	return EIDGW_CX_ERROR;
}

/* ---- the table -------------------------------------------------------- */

enum eidgw_err
gw_connector_host_init(struct gw_app *app, const struct gw_config *cfg, const char *name,
    const char *country, struct eidgw_host_api *host, void **ctx)
{
	struct cx_host *h = NULL;
	enum eidgw_err rc = EIDGW_E_INTERNAL;
	int n;

	if (ctx != NULL)
		*ctx = NULL;
	if (host != NULL)
		memset(host, 0, sizeof(*host));
	EIDGW_ENSURE(ctx != NULL && host != NULL && name != NULL && country != NULL, EIDGW_E_INVAL);
	EIDGW_ENSURE(strlen(name) < sizeof(h->name) && strlen(country) == 2, EIDGW_E_INVAL);
	EIDGW_ENSURE((h = calloc(1, sizeof(*h))) != NULL, EIDGW_E_NOMEM);
	h->app = app;
	h->key = cfg != NULL ? cfg->saml_signing.key : NULL;
	(void)snprintf(h->name, sizeof(h->name), "%s", name);
	memcpy(h->country, country, 3);
	n = snprintf(h->prefix, sizeof(h->prefix), "cx:%s:%s:", name, country);
	EIDGW_ENSURE(n > 0 && (size_t)n < sizeof(h->prefix), EIDGW_E_INVAL);

	host->abi_version = EIDGW_CONNECTOR_ABI_VERSION;
	host->struct_size = (uint32_t)sizeof(*host);
	host->host = h;
	host->log = h_log;
	host->alloc = h_alloc;
	host->free = h_free;
	host->random = h_random;
	host->store_put_new = h_store_put_new;
	host->store_take = h_store_take;
	host->sign = h_sign;
	host->http_get = h_http_get;
	host->audit = h_audit;
	*ctx = h;
	h = NULL;
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK && host != NULL)
		memset(host, 0, sizeof(*host));
	free(h);
	return rc;
}

void
gw_connector_host_free(void *ctx)
{
	free(ctx);
}
