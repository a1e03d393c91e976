/*
 * test-auto - a connector for tests and interop runs only: no citizen, no
 * scheme.  start_login sends the browser straight back to the gateway with
 * the login's state and a single-use random ticket; finish_login redeems
 * the ticket (once: a replay is refused) and answers with the synthetic
 * citizen of its settings.  It refuses to start unless its settings say
 * `i_understand_this_is_for_tests: true`.
 *
 * Settings (plugin_settings, all required, nothing else allowed):
 *   i_understand_this_is_for_tests: true
 *   person_identifier: BE/BE/TEST-0001   eIDAS form CC/DD/X
 *   family_name: ...
 *   given_name: ...
 *   birth_date: YYYY-MM-DD
 *   loa: low | substantial | high         what is asserted; a request for
 *                                         more fails with EIDGW_CX_LOA_UNMET
 *
 * Built against <eidgw/connector.h> and libc only.
 */
/* strdup, strnlen: POSIX.1-2008, also under -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <eidgw/connector.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TA_VALUE_MAX 256
#define TA_STATE_MAX 512
#define TA_TICKET_BYTES 32
#define TA_TICKET_LEN 43		/* base64url of 32 bytes, no padding */
#define TA_TICKET_TTL 60
#define TA_ISSUER "urn:eidgw:connector:test-auto"

struct ta_state {
	const struct eidgw_host_api *host;
	char *return_url;
	char person_identifier[TA_VALUE_MAX + 1];
	char family_name[TA_VALUE_MAX + 1];
	char given_name[TA_VALUE_MAX + 1];
	char birth_date[11];
	int loa;
};

static const char *const loa_uris[] = {
	NULL,
	"http://eidas.europa.eu/LoA/low",
	"http://eidas.europa.eu/LoA/substantial",
	"http://eidas.europa.eu/LoA/high",
};

/* ---- small helpers ------------------------------------------------------ */

static void
ta_log(const struct eidgw_host_api *h, int level, const char *event, const char *msg)
{
	h->log(h->host, level, event, msg);
}

static char *
ta_strdup(const struct eidgw_host_api *h, const char *s)
{
	size_t n = strlen(s);
	char *p = h->alloc(h->host, n + 1);

	if (p != NULL)
		memcpy(p, s, n + 1);
	return p;
}

/* Equal in time that depends on the lengths only. */
static bool
ta_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb)
		return false;
	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
ta_b64url(const unsigned char *in, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
	}
	out[o] = '\0';
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) to out of cap bytes. */
static bool
ta_urlenc(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out);

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (o + 1 >= cap)
				return false;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				return false;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return true;
}

static bool
ta_append(char *out, size_t cap, const char *s)
{
	size_t o = strlen(out), n = strlen(s);

	if (o + n >= cap)
		return false;
	memcpy(out + o, s, n + 1);
	return true;
}

/* ---- settings: top-level `key: value` lines --------------------------- */

/*
 * Reads one scalar: plain (up to a " #" comment), 'single' ('' escapes a
 * quote) or "double" (\" and \\ only).  Returns false on anything else.
 */
static bool
ta_scalar(const char *p, const char *end, char *out, size_t cap)
{
	size_t o = 0;

	if (p < end && (*p == '"' || *p == '\'')) {
		char q = *p++;

		for (;;) {
			if (p >= end)
				return false;
			if (*p == q) {
				if (q == '\'' && p + 1 < end && p[1] == '\'') {
					p++;
				} else {
					p++;
					break;
				}
			} else if (q == '"' && *p == '\\') {
				if (p + 1 >= end || (p[1] != '"' && p[1] != '\\'))
					return false;
				p++;
			}
			if (o + 1 >= cap)
				return false;
			out[o++] = *p++;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '#')
			return false;
	} else {
		const char *e = p;

		while (e < end && !(*e == '#' && e > p && (e[-1] == ' ' || e[-1] == '\t')))
			e++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if ((size_t)(e - p) + 1 > cap)
			return false;
		memcpy(out, p, (size_t)(e - p));
		o = (size_t)(e - p);
	}
	out[o] = '\0';
	return o > 0;
}

static bool
ta_is_date(const char *s)
{
	int i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

static bool
ta_is_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
ta_parse_settings(const struct eidgw_host_api *h, const char *yaml, struct ta_state *st)
{
	char key[64], val[TA_VALUE_MAX + 1], msg[160];
	const char *line = yaml, *nl, *colon, *end;
	unsigned int seen = 0;
	bool ack = false;
	size_t kl;

	for (; *line != '\0'; line = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		end = nl;
		if (end > line && end[-1] == '\r')
			end--;
		if (end == line || *line == '#' || (end - line == 3 && memcmp(line, "---", 3) == 0))
			continue;
		if (*line == ' ' || *line == '\t') {
			ta_log(h, 3, "bad_settings", "settings: only top-level `key: value` lines");
			return EIDGW_CX_BAD_CONFIG;
		}
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon == NULL || (kl = (size_t)(colon - line)) == 0 || kl >= sizeof(key) ||
		    colon + 1 >= end || colon[1] != ' ') {
			ta_log(h, 3, "bad_settings", "settings: a line is not `key: value`");
			return EIDGW_CX_BAD_CONFIG;
		}
		memcpy(key, line, kl);
		key[kl] = '\0';
		colon += 2;
		while (colon < end && *colon == ' ')
			colon++;
		if (!ta_scalar(colon, end, val, sizeof(val)) || !ta_is_text(val)) {
			(void)snprintf(msg, sizeof(msg), "settings: bad value for %.40s", key);
			ta_log(h, 3, "bad_settings", msg);
			return EIDGW_CX_BAD_CONFIG;
		}
#define TA_ONCE(bit) do { if (seen & (bit)) goto dup; seen |= (bit); } while (0)
		if (strcmp(key, "i_understand_this_is_for_tests") == 0) {
			TA_ONCE(1u);
			ack = strcmp(val, "true") == 0;
		} else if (strcmp(key, "person_identifier") == 0) {
			TA_ONCE(2u);
			(void)snprintf(st->person_identifier, sizeof(st->person_identifier), "%s", val);
		} else if (strcmp(key, "family_name") == 0) {
			TA_ONCE(4u);
			(void)snprintf(st->family_name, sizeof(st->family_name), "%s", val);
		} else if (strcmp(key, "given_name") == 0) {
			TA_ONCE(8u);
			(void)snprintf(st->given_name, sizeof(st->given_name), "%s", val);
		} else if (strcmp(key, "birth_date") == 0) {
			TA_ONCE(16u);
			if (!ta_is_date(val))
				goto bad;
			memcpy(st->birth_date, val, 11);
		} else if (strcmp(key, "loa") == 0) {
			TA_ONCE(32u);
			if (strcmp(val, "low") == 0)
				st->loa = EIDGW_CX_LOA_LOW;
			else if (strcmp(val, "substantial") == 0)
				st->loa = EIDGW_CX_LOA_SUBSTANTIAL;
			else if (strcmp(val, "high") == 0)
				st->loa = EIDGW_CX_LOA_HIGH;
			else
				goto bad;
		} else {
			(void)snprintf(msg, sizeof(msg), "settings: unknown key %.40s", key);
			ta_log(h, 3, "bad_settings", msg);
			return EIDGW_CX_BAD_CONFIG;
		}
#undef TA_ONCE
	}
	if (!ack) {
		ta_log(h, 3, "bad_settings",
		    "test-auto logs anyone in: it needs i_understand_this_is_for_tests: true");
		return EIDGW_CX_BAD_CONFIG;
	}
	if (seen != 63u) {
		ta_log(h, 3, "bad_settings", "settings: person_identifier, family_name, "
		    "given_name, birth_date and loa are required");
		return EIDGW_CX_BAD_CONFIG;
	}
	/* CC/DD/X */
	if (strlen(st->person_identifier) < 7 || st->person_identifier[2] != '/' ||
	    st->person_identifier[5] != '/') {
		ta_log(h, 3, "bad_settings", "settings: person_identifier must be CC/DD/X");
		return EIDGW_CX_BAD_CONFIG;
	}
	return EIDGW_CX_OK;
dup:
	(void)snprintf(msg, sizeof(msg), "settings: duplicate key %.40s", key);
	ta_log(h, 3, "bad_settings", msg);
	return EIDGW_CX_BAD_CONFIG;
bad:
	(void)snprintf(msg, sizeof(msg), "settings: bad value for %.40s", key);
	ta_log(h, 3, "bad_settings", msg);
	return EIDGW_CX_BAD_CONFIG;
}

/* ---- operations ---------------------------------------------------------- */

static void ta_destroy(void *state);

static int
ta_init(const struct eidgw_host_api *host, const struct eidgw_connector_init *in, void **state)
{
	struct ta_state *st;
	int rc;

	*state = NULL;
	if (in == NULL || in->struct_size < sizeof(*in) || in->return_url == NULL)
		return EIDGW_CX_ERROR;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return EIDGW_CX_ERROR;
	st->host = host;
	if ((st->return_url = strdup(in->return_url)) == NULL) {
		ta_destroy(st);
		return EIDGW_CX_ERROR;
	}
	if ((rc = ta_parse_settings(host, in->settings_yaml != NULL ? in->settings_yaml : "",
	    st)) != EIDGW_CX_OK) {
		ta_destroy(st);
		return rc;
	}
	ta_log(host, 4, "test_only",
	    "test-auto connector active: every login succeeds with a synthetic citizen");
	*state = st;
	return EIDGW_CX_OK;
}

static int
ta_start_login(void *state, const struct eidgw_login_request *in, struct eidgw_login_start *out)
{
	struct ta_state *st = state;
	const struct eidgw_host_api *h = st->host;
	unsigned char raw[TA_TICKET_BYTES];
	char ticket[TA_TICKET_LEN + 1], key[TA_TICKET_LEN + 3];
	char url[4096];
	size_t sl;
	int rc;

	if (in == NULL || out == NULL || in->struct_size < sizeof(*in) ||
	    out->struct_size < sizeof(*out) || in->state == NULL)
		return EIDGW_CX_ERROR;
	if ((sl = strlen(in->state)) == 0 || sl > TA_STATE_MAX)
		return EIDGW_CX_ERROR;
	if ((rc = h->random(h->host, raw, sizeof(raw))) != EIDGW_CX_OK)
		return rc;
	ta_b64url(raw, sizeof(raw), ticket);
	memset(raw, 0, sizeof(raw));
	/* The ticket is bound to this login's state. */
	(void)snprintf(key, sizeof(key), "t:%s", ticket);
	rc = h->store_put_new(h->host, key, in->state, sl, TA_TICKET_TTL);
	if (rc != EIDGW_CX_OK)
		return rc == EIDGW_CX_UNAVAILABLE ? EIDGW_CX_UNAVAILABLE : EIDGW_CX_ERROR;
	url[0] = '\0';
	if (!ta_append(url, sizeof(url), st->return_url) ||
	    !ta_append(url, sizeof(url), strchr(st->return_url, '?') != NULL ? "&state=" : "?state=") ||
	    !ta_urlenc(url, sizeof(url), in->state) || !ta_append(url, sizeof(url), "&ticket=") ||
	    !ta_append(url, sizeof(url), ticket))
		return EIDGW_CX_ERROR;
	out->kind = EIDGW_START_REDIRECT;
	out->n_fields = 0;
	if ((out->url = ta_strdup(h, url)) == NULL ||
	    (out->request_ref = ta_strdup(h, ticket)) == NULL) {
		h->free(h->host, out->url);
		out->url = NULL;
		return EIDGW_CX_ERROR;
	}
	return EIDGW_CX_OK;
}

/* The one value of a parameter; NULL when absent, *dup when repeated. */
static const char *
ta_param(const struct eidgw_login_response *in, const char *name, bool *dup)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < in->n_params; i++) {
		if (in->names[i] == NULL || strcmp(in->names[i], name) != 0)
			continue;
		if (v != NULL)
			*dup = true;
		v = in->values[i] != NULL ? in->values[i] : "";
	}
	return v;
}

static int
ta_fail(const struct eidgw_host_api *h, struct eidgw_identity *out, int rc, const char *why)
{
	h->free(h->host, out->reason);
	out->reason = ta_strdup(h, why);
	return rc;
}

static void
ta_identity_clear(const struct eidgw_host_api *h, struct eidgw_identity *out)
{
	char **f[] = { &out->person_identifier, &out->family_name, &out->given_name,
		&out->birth_date, &out->loa, &out->issuer, &out->assertion_ref };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		h->free(h->host, *f[i]);
		*f[i] = NULL;
	}
}

static int
ta_finish_login(void *state, const struct eidgw_login_response *in, struct eidgw_identity *out)
{
	struct ta_state *st = state;
	const struct eidgw_host_api *h = st->host;
	const char *ticket, *pstate;
	char key[TA_TICKET_LEN + 3], stored[TA_STATE_MAX + 1], ref[32];
	size_t len = 0;
	bool dup = false;
	int rc;

	if (in == NULL || out == NULL || in->struct_size < sizeof(*in) ||
	    out->struct_size < sizeof(*out))
		return EIDGW_CX_ERROR;
	ticket = ta_param(in, "ticket", &dup);
	pstate = ta_param(in, "state", &dup);
	if (dup || ticket == NULL || pstate == NULL || strlen(ticket) != TA_TICKET_LEN)
		return ta_fail(h, out, EIDGW_CX_REJECTED, "ticket or state missing or repeated");
	if (in->request_ref != NULL && !ta_ct_streq(ticket, in->request_ref))
		return ta_fail(h, out, EIDGW_CX_REJECTED, "ticket belongs to another login");
	(void)snprintf(key, sizeof(key), "t:%s", ticket);
	rc = h->store_take(h->host, key, stored, sizeof(stored) - 1, &len);
	if (rc == EIDGW_CX_MISSING)
		return ta_fail(h, out, EIDGW_CX_REJECTED, "ticket unknown, expired or already used");
	if (rc == EIDGW_CX_UNAVAILABLE)
		return ta_fail(h, out, EIDGW_CX_UNAVAILABLE, "state store unavailable");
	if (rc != EIDGW_CX_OK)
		return ta_fail(h, out, EIDGW_CX_ERROR, "state store error");
	stored[len] = '\0';
	if (!ta_ct_streq(stored, pstate))
		return ta_fail(h, out, EIDGW_CX_REJECTED, "ticket was issued for another state");
	if (in->min_loa > st->loa)
		return ta_fail(h, out, EIDGW_CX_LOA_UNMET,
		    "requested LoA is above the configured one");
	(void)snprintf(ref, sizeof(ref), "test-auto-%.12s", ticket);
	if ((out->person_identifier = ta_strdup(h, st->person_identifier)) == NULL ||
	    (out->family_name = ta_strdup(h, st->family_name)) == NULL ||
	    (out->given_name = ta_strdup(h, st->given_name)) == NULL ||
	    (out->birth_date = ta_strdup(h, st->birth_date)) == NULL ||
	    (out->loa = ta_strdup(h, loa_uris[st->loa])) == NULL ||
	    (out->issuer = ta_strdup(h, TA_ISSUER)) == NULL ||
	    (out->assertion_ref = ta_strdup(h, ref)) == NULL) {
		ta_identity_clear(h, out);
		return EIDGW_CX_ERROR;
	}
	out->auth_time = in->now;
	out->extra_claims_json = NULL;
	{
		const char *kv[] = { "assertion_ref", ref, "loa", loa_uris[st->loa], NULL };

		(void)h->audit(h->host, "test_auto_login", kv);
	}
	return EIDGW_CX_OK;
}

static void
ta_destroy(void *state)
{
	struct ta_state *st = state;

	if (st == NULL)
		return;
	free(st->return_url);
	memset(st, 0, sizeof(*st));
	free(st);
}

/* The one exported symbol (the header gives only its type). */
EIDGW_CONNECTOR_EXPORT int eidgw_connector_entry(const struct eidgw_host_api *host,
    struct eidgw_connector_ops *out);

EIDGW_CONNECTOR_EXPORT int
eidgw_connector_entry(const struct eidgw_host_api *host, struct eidgw_connector_ops *out)
{
	if (host == NULL || out == NULL ||
	    EIDGW_CONNECTOR_ABI_MAJOR_OF(host->abi_version) != EIDGW_CONNECTOR_ABI_MAJOR ||
	    host->struct_size < sizeof(*host))
		return EIDGW_CX_ERROR;
	memset(out, 0, sizeof(*out));
	out->abi_version = EIDGW_CONNECTOR_ABI_VERSION;
	out->struct_size = (uint32_t)sizeof(*out);
	out->name = "test-auto";
	out->init = ta_init;
	out->start_login = ta_start_login;
	out->finish_login = ta_finish_login;
	out->metadata = NULL;
	out->destroy = ta_destroy;
	return EIDGW_CX_OK;
}
