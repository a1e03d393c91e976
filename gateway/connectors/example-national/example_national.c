/*
 * example-national - a connector for "NatID", a fictional national eID
 * scheme that is not eIDAS: it has its own protocol and attribute names,
 * and this plugin maps them to the eIDAS minimum data set.  It is the model
 * for a country-specific plugin and builds against <eidgw/connector.h> and
 * libcrypto alone (see docs/connectors.md).
 *
 * The NatID protocol as this plugin speaks it:
 *
 * Request (browser redirect, GET login_url?...):
 *   client=<client_id>&nonce=<n>&state=<s>&return=<return_url>
 *   &level=<basic|medium|strong>&ts=<unix seconds>&sig_alg=<ES256|PS256|RS256>
 *   &sig=<base64url signature>
 * sig is made by the gateway's SAML signing key (host->sign) over the
 * bytes of the query before "&sig=", exactly as sent (percent-encoded); the
 * scheme verifies it with the gateway's signing certificate.
 *
 * Answer (browser back to return_url, GET or POST):
 *   nonce, state, ts and either error=<cancelled|refused|...> or the
 *   citizen: nationalId, surname, forenames, dob (YYYY-MM-DD),
 *   assurance (basic|medium|strong); and mac.
 * mac = base64url(HMAC-SHA-256(answer_key, M)) where M is the line
 * "natid-answer-v1\n" followed, for each name of the fixed list
 *   nonce state ts error nationalId surname forenames dob assurance
 * that is present in the answer, by "<name>=<value>\n" (values decoded, no
 * control characters allowed).  A shared HMAC key, not a signature, is the
 * NatID choice: the scheme registers each relying party with a secret.
 *
 * Checks in this order, so a forged answer never consumes a nonce: MAC,
 * then the timestamp (not older than max_age_s, not more than clock_skew_s
 * in the future), then the nonce is taken from the store (single use; a
 * replay finds nothing), and the state must be the one the nonce was
 * issued for.  Then: error -> DENIED; assurance basic/medium/strong ->
 * eIDAS low/substantial/high, below the request -> LOA_UNMET.
 * PersonIdentifier is "<country>/<destination>/<nationalId>".
 *
 * Settings (plugin_settings; nothing else allowed):
 *   login_url: https://login.natid.example/authorize   (required, https)
 *   client_id: eidgw-gateway                           (required)
 *   answer_key: <base64 of >= 32 bytes>                (required)
 *   destination: NL            the DD of CC/DD/X       (required, 2 letters)
 *   request_signature_alg: ecdsa-sha256 | rsa-pss-sha256 | rsa-sha256
 *                              (default ecdsa-sha256; must fit the key)
 *   max_age_s: 300             (30..3600)
 *   clock_skew_s: 60           (0..600)
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

#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define NI_VALUE_MAX 512
#define NI_PARAM_MAX 256		/* bytes of one answer value */
#define NI_STATE_MAX 512
#define NI_NONCE_BYTES 24
#define NI_NONCE_LEN 32			/* base64url of 24 bytes */
#define NI_KEY_MIN 32
#define NI_KEY_MAX 128
#define NI_URL_MAX 8192
#define NI_SIG_MAX 1024
#define NI_ID_MAX 64

struct ni_state {
	const struct eidgw_host_api *host;
	char country[3];
	char destination[3];
	char login_url[NI_VALUE_MAX + 1];
	char client_id[NI_VALUE_MAX + 1];
	char *return_url;
	unsigned char key[NI_KEY_MAX];
	size_t key_len;
	int sig_alg;			/* host->sign code: 1, 2 or 3 */
	const char *sig_alg_name;	/* as sent: ES256, PS256, RS256 */
	long max_age_s;
	long skew_s;
};

static const char *const loa_uris[] = {
	NULL,
	"http://eidas.europa.eu/LoA/low",
	"http://eidas.europa.eu/LoA/substantial",
	"http://eidas.europa.eu/LoA/high",
};
static const char *const levels[] = { NULL, "basic", "medium", "strong" };

/* The answer fields covered by the MAC, in MAC order. */
enum { F_NONCE, F_STATE, F_TS, F_ERROR, F_ID, F_SURNAME, F_FORENAMES, F_DOB, F_ASSURANCE,
	F_MAC, F_COUNT };
static const char *const fields[F_COUNT] = { "nonce", "state", "ts", "error", "nationalId",
	"surname", "forenames", "dob", "assurance", "mac" };

/* ---- helpers -------------------------------------------------------------- */

static void
ni_log(const struct eidgw_host_api *h, int level, const char *event, const char *msg)
{
	h->log(h->host, level, event, msg);
}

static char *
ni_strdup(const struct eidgw_host_api *h, const char *s)
{
	size_t n = strlen(s);
	char *p = h->alloc(h->host, n + 1);

	if (p != NULL)
		memcpy(p, s, n + 1);
	return p;
}

static bool
ni_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static bool
ni_append(char *out, size_t cap, const char *s)
{
	size_t o = strlen(out), n = strlen(s);

	if (o + n >= cap)
		return false;
	memcpy(out + o, s, n + 1);
	return true;
}

static bool
ni_urlenc(char *out, size_t cap, const char *s)
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

/* base64url without padding into out (4n/3 + 2 bytes). */
static void
ni_b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	int i;

	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=') {
			out[i] = '\0';
			return;
		}
	}
	out[len] = '\0';
}

/* Decodes standard (url == false) or url-safe base64; padding optional. */
static bool
ni_b64dec(const char *in, bool url, unsigned char *out, size_t cap, size_t *outlen)
{
	char tmp[512];
	unsigned char dec[384];
	size_t n = strlen(in), i, pad;
	int len;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n == 0 || n % 4 == 1 || n + 4 >= sizeof(tmp))
		return false;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (url && (c == '+' || c == '/'))
			return false;
		if (!url && (c == '-' || c == '_'))
			return false;
		tmp[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	pad = (4 - n % 4) % 4;
	for (i = 0; i < pad; i++)
		tmp[n + i] = '=';
	tmp[n + pad] = '\0';
	if ((len = EVP_DecodeBlock(dec, (const unsigned char *)tmp, (int)(n + pad))) < 0)
		return false;
	len -= (int)pad;		/* EVP_DecodeBlock counts the padding as zero bytes */
	if (len < 0 || (size_t)len > cap) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return false;
	}
	memcpy(out, dec, (size_t)len);
	OPENSSL_cleanse(dec, sizeof(dec));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	*outlen = (size_t)len;
	return true;
}

static bool
ni_is_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
ni_is_date(const char *s)
{
	int i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return (s[5] - '0') * 10 + (s[6] - '0') >= 1 && (s[5] - '0') * 10 + (s[6] - '0') <= 12 &&
	    (s[8] - '0') * 10 + (s[9] - '0') >= 1 && (s[8] - '0') * 10 + (s[9] - '0') <= 31;
}

/* Decimal in [lo, hi]. */
static bool
ni_long(const char *s, long lo, long hi, long *out)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 12)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* ---- settings ---------------------------------------------------------- */

/* One scalar: plain, 'single' or "double" (\" and \\ only). */
static bool
ni_scalar(const char *p, const char *end, char *out, size_t cap)
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
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - p) + 1 > cap)
			return false;
		memcpy(out, p, (size_t)(e - p));
		o = (size_t)(e - p);
	}
	out[o] = '\0';
	return o > 0;
}

static int
ni_bad(const struct eidgw_host_api *h, const char *what, const char *key)
{
	char msg[160];

	(void)snprintf(msg, sizeof(msg), "settings: %s%.40s", what, key != NULL ? key : "");
	ni_log(h, 3, "bad_settings", msg);
	return EIDGW_CX_BAD_CONFIG;
}

static int
ni_setting(struct ni_state *st, const char *key, const char *val, unsigned int *seen)
{
	const struct eidgw_host_api *h = st->host;
	static const char *const names[] = { "login_url", "client_id", "answer_key", "destination",
		"request_signature_alg", "max_age_s", "clock_skew_s" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0]))
		return ni_bad(h, "unknown key ", key);
	if (*seen & (1u << i))
		return ni_bad(h, "duplicate key ", key);
	*seen |= 1u << i;
	switch (i) {
	case 0:
		if (strncmp(val, "https://", 8) != 0 || strlen(val) < 9 ||
		    strpbrk(val, " \"'<>#") != NULL)
			return ni_bad(h, "login_url must be an https URL", NULL);
		(void)snprintf(st->login_url, sizeof(st->login_url), "%s", val);
		break;
	case 1:
		(void)snprintf(st->client_id, sizeof(st->client_id), "%s", val);
		break;
	case 2:
		if (!ni_b64dec(val, false, st->key, sizeof(st->key), &st->key_len) ||
		    st->key_len < NI_KEY_MIN)
			return ni_bad(h, "answer_key must be base64 of at least 32 bytes", NULL);
		break;
	case 3:
		if (strlen(val) != 2 || val[0] < 'A' || val[0] > 'Z' || val[1] < 'A' || val[1] > 'Z')
			return ni_bad(h, "destination must be two upper-case letters", NULL);
		memcpy(st->destination, val, 3);
		break;
	case 4:
		if (strcmp(val, "ecdsa-sha256") == 0) {
			st->sig_alg = 1;
			st->sig_alg_name = "ES256";
		} else if (strcmp(val, "rsa-pss-sha256") == 0) {
			st->sig_alg = 2;
			st->sig_alg_name = "PS256";
		} else if (strcmp(val, "rsa-sha256") == 0) {
			st->sig_alg = 3;
			st->sig_alg_name = "RS256";
		} else {
			return ni_bad(h, "bad value for ", key);
		}
		break;
	case 5:
		if (!ni_long(val, 30, 3600, &st->max_age_s))
			return ni_bad(h, "max_age_s must be 30..3600", NULL);
		break;
	case 6:
		if (!ni_long(val, 0, 600, &st->skew_s))
			return ni_bad(h, "clock_skew_s must be 0..600", NULL);
		break;
	default:
		return ni_bad(h, "unknown key ", key);
	}
	return EIDGW_CX_OK;
}

static int
ni_parse_settings(struct ni_state *st, const char *yaml)
{
	const struct eidgw_host_api *h = st->host;
	char key[64], val[NI_VALUE_MAX + 1];
	const char *line = yaml, *nl, *colon, *end;
	unsigned int seen = 0;
	size_t kl;
	int rc = EIDGW_CX_OK;

	for (; *line != '\0'; line = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		end = nl;
		if (end > line && end[-1] == '\r')
			end--;
		if (end == line || *line == '#' || (end - line == 3 && memcmp(line, "---", 3) == 0))
			continue;
		if (*line == ' ' || *line == '\t')
			return ni_bad(h, "only top-level `key: value` lines", NULL);
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon == NULL || (kl = (size_t)(colon - line)) == 0 || kl >= sizeof(key) ||
		    colon + 1 >= end || colon[1] != ' ')
			return ni_bad(h, "a line is not `key: value`", NULL);
		memcpy(key, line, kl);
		key[kl] = '\0';
		colon += 2;
		while (colon < end && *colon == ' ')
			colon++;
		if (!ni_scalar(colon, end, val, sizeof(val)) || !ni_is_text(val))
			rc = ni_bad(h, "bad value for ", key);
		else
			rc = ni_setting(st, key, val, &seen);
		OPENSSL_cleanse(val, sizeof(val));
		if (rc != EIDGW_CX_OK)
			return rc;
	}
	if ((seen & 15u) != 15u)
		return ni_bad(h, "login_url, client_id, answer_key and destination are required",
		    NULL);
	return EIDGW_CX_OK;
}

/* ---- operations -------------------------------------------------------- */

static void ni_destroy(void *state);

static int
ni_init(const struct eidgw_host_api *host, const struct eidgw_connector_init *in, void **state)
{
	struct ni_state *st;
	int rc;

	*state = NULL;
	if (in == NULL || in->struct_size < sizeof(*in) || in->return_url == NULL ||
	    in->country == NULL || strlen(in->country) != 2)
		return EIDGW_CX_ERROR;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return EIDGW_CX_ERROR;
	st->host = host;
	memcpy(st->country, in->country, 3);
	st->sig_alg = 1;
	st->sig_alg_name = "ES256";
	st->max_age_s = 300;
	st->skew_s = 60;
	if ((st->return_url = strdup(in->return_url)) == NULL) {
		ni_destroy(st);
		return EIDGW_CX_ERROR;
	}
	if ((rc = ni_parse_settings(st, in->settings_yaml != NULL ? in->settings_yaml : "")) !=
	    EIDGW_CX_OK) {
		ni_destroy(st);
		return rc;
	}
	/* A signature algorithm that does not fit the gateway's key fails now, not per login. */
	{
		unsigned char sig[NI_SIG_MAX];
		size_t siglen = 0;

		if (host->sign(host->host, st->sig_alg, "natid-probe", 11, sig, sizeof(sig),
		    &siglen) != EIDGW_CX_OK) {
			ni_destroy(st);
			return ni_bad(host, "request_signature_alg does not fit the gateway's "
			    "signing key", NULL);
		}
	}
	*state = st;
	return EIDGW_CX_OK;
}

static int
ni_start_login(void *state, const struct eidgw_login_request *in, struct eidgw_login_start *out)
{
	struct ni_state *st = state;
	const struct eidgw_host_api *h = st->host;
	unsigned char raw[NI_NONCE_BYTES], sig[NI_SIG_MAX];
	char nonce[NI_NONCE_LEN + 1], key[NI_NONCE_LEN + 3], ts[24];
	char sigtxt[NI_SIG_MAX * 4 / 3 + 4];
	char *url = NULL;
	const char *query;
	size_t sl, siglen = 0;
	int rc = EIDGW_CX_ERROR, loa;

	if (in == NULL || out == NULL || in->struct_size < sizeof(*in) ||
	    out->struct_size < sizeof(*out) || in->state == NULL)
		return EIDGW_CX_ERROR;
	if ((sl = strlen(in->state)) == 0 || sl > NI_STATE_MAX)
		return EIDGW_CX_ERROR;
	loa = in->min_loa < EIDGW_CX_LOA_LOW ? EIDGW_CX_LOA_LOW : in->min_loa;
	if (loa > EIDGW_CX_LOA_HIGH)
		return EIDGW_CX_LOA_UNMET;
	if ((rc = h->random(h->host, raw, sizeof(raw))) != EIDGW_CX_OK)
		return rc;
	ni_b64url(raw, sizeof(raw), nonce);
	(void)snprintf(key, sizeof(key), "n:%s", nonce);
	/* Kept as long as an answer can be fresh. */
	rc = h->store_put_new(h->host, key, in->state, sl, st->max_age_s + st->skew_s);
	if (rc != EIDGW_CX_OK)
		return rc == EIDGW_CX_UNAVAILABLE ? EIDGW_CX_UNAVAILABLE : EIDGW_CX_ERROR;
	rc = EIDGW_CX_ERROR;
	if ((url = calloc(1, NI_URL_MAX)) == NULL)
		goto out;
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (!ni_append(url, NI_URL_MAX, st->login_url) ||
	    !ni_append(url, NI_URL_MAX, strchr(st->login_url, '?') != NULL ? "&" : "?"))
		goto out;
	query = url + strlen(url);
	if (!ni_append(url, NI_URL_MAX, "client=") || !ni_urlenc(url, NI_URL_MAX, st->client_id) ||
	    !ni_append(url, NI_URL_MAX, "&nonce=") || !ni_append(url, NI_URL_MAX, nonce) ||
	    !ni_append(url, NI_URL_MAX, "&state=") || !ni_urlenc(url, NI_URL_MAX, in->state) ||
	    !ni_append(url, NI_URL_MAX, "&return=") ||
	    !ni_urlenc(url, NI_URL_MAX, st->return_url) ||
	    !ni_append(url, NI_URL_MAX, "&level=") || !ni_append(url, NI_URL_MAX, levels[loa]) ||
	    !ni_append(url, NI_URL_MAX, "&ts=") || !ni_append(url, NI_URL_MAX, ts) ||
	    !ni_append(url, NI_URL_MAX, "&sig_alg=") ||
	    !ni_append(url, NI_URL_MAX, st->sig_alg_name))
		goto out;
	if ((rc = h->sign(h->host, st->sig_alg, query, strlen(query), sig, sizeof(sig),
	    &siglen)) != EIDGW_CX_OK)
		goto out;
	rc = EIDGW_CX_ERROR;
	ni_b64url(sig, siglen, sigtxt);
	if (!ni_append(url, NI_URL_MAX, "&sig=") || !ni_append(url, NI_URL_MAX, sigtxt))
		goto out;
	out->kind = EIDGW_START_REDIRECT;
	out->n_fields = 0;
	if ((out->url = ni_strdup(h, url)) == NULL)
		goto out;
	if ((out->request_ref = ni_strdup(h, nonce)) == NULL) {
		h->free(h->host, out->url);
		out->url = NULL;
		goto out;
	}
	rc = EIDGW_CX_OK;
out:
	free(url);
	return rc;
}

static int
ni_fail(const struct eidgw_host_api *h, struct eidgw_identity *out, int rc, const char *why)
{
	h->free(h->host, out->reason);
	out->reason = ni_strdup(h, why);
	return rc;
}

/* Collects the known answer fields: each at most once, bounded, no control characters. */
static bool
ni_collect(const struct eidgw_login_response *in, const char *v[F_COUNT])
{
	size_t i, f;

	for (f = 0; f < F_COUNT; f++)
		v[f] = NULL;
	for (i = 0; i < in->n_params; i++) {
		if (in->names[i] == NULL)
			continue;
		for (f = 0; f < F_COUNT; f++)
			if (strcmp(in->names[i], fields[f]) == 0)
				break;
		if (f == F_COUNT)
			continue;		/* not NatID's: ignored, and not under the MAC */
		if (v[f] != NULL || in->values[i] == NULL ||
		    strnlen(in->values[i], NI_PARAM_MAX + 1) > NI_PARAM_MAX ||
		    !ni_is_text(in->values[i]))
			return false;
		v[f] = in->values[i];
	}
	return true;
}

static bool
ni_mac_ok(const struct ni_state *st, const char *v[F_COUNT])
{
	unsigned char mac[EVP_MAX_MD_SIZE], got[64];
	unsigned int maclen = 0;
	size_t gotlen = 0, f;
	char digest[] = "SHA256";
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *c = NULL;
	OSSL_PARAM p[2];
	bool ok = false;
	size_t outl = 0;

	if (v[F_MAC] == NULL || !ni_b64dec(v[F_MAC], true, got, sizeof(got), &gotlen))
		return false;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	p[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL || (c = EVP_MAC_CTX_new(m)) == NULL ||
	    !EVP_MAC_init(c, st->key, st->key_len, p) ||
	    !EVP_MAC_update(c, (const unsigned char *)"natid-answer-v1\n", 16))
		goto out;
	for (f = 0; f < F_MAC; f++) {
		if (v[f] == NULL)
			continue;
		if (!EVP_MAC_update(c, (const unsigned char *)fields[f], strlen(fields[f])) ||
		    !EVP_MAC_update(c, (const unsigned char *)"=", 1) ||
		    !EVP_MAC_update(c, (const unsigned char *)v[f], strlen(v[f])) ||
		    !EVP_MAC_update(c, (const unsigned char *)"\n", 1))
			goto out;
	}
	if (!EVP_MAC_final(c, mac, &outl, sizeof(mac)))
		goto out;
	maclen = (unsigned int)outl;
	ok = gotlen == maclen && CRYPTO_memcmp(mac, got, maclen) == 0;
out:
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok;
}

static void
ni_identity_clear(const struct eidgw_host_api *h, struct eidgw_identity *out)
{
	char **f[] = { &out->person_identifier, &out->family_name, &out->given_name,
		&out->birth_date, &out->loa, &out->issuer, &out->assertion_ref };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		h->free(h->host, *f[i]);
		*f[i] = NULL;
	}
}

static bool
ni_id_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NI_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int
ni_finish_login(void *state, const struct eidgw_login_response *in, struct eidgw_identity *out)
{
	struct ni_state *st = state;
	const struct eidgw_host_api *h = st->host;
	const char *v[F_COUNT];
	char key[NI_NONCE_LEN + 3], stored[NI_STATE_MAX + 1], pid[16 + NI_ID_MAX];
	char ref[NI_NONCE_LEN + 8];
	long long now;
	long ts;
	size_t len = 0;
	int rc, loa;

	if (in == NULL || out == NULL || in->struct_size < sizeof(*in) ||
	    out->struct_size < sizeof(*out))
		return EIDGW_CX_ERROR;
	if (!ni_collect(in, v))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer field repeated, too long or bad");
	if (!ni_mac_ok(st, v))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer MAC missing or does not verify");
	now = in->now > 0 ? (long long)in->now : (long long)time(NULL);
	if (v[F_TS] == NULL || !ni_long(v[F_TS], 1, 99999999999L, &ts))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer timestamp missing or bad");
	if ((long long)ts > now + st->skew_s)
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer timestamp is in the future");
	if (now - (long long)ts > st->max_age_s)
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer is stale");
	if (v[F_NONCE] == NULL || v[F_STATE] == NULL || strlen(v[F_NONCE]) != NI_NONCE_LEN)
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer nonce or state missing");
	if (in->request_ref != NULL && !ni_ct_streq(v[F_NONCE], in->request_ref))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "answer belongs to another login");
	(void)snprintf(key, sizeof(key), "n:%s", v[F_NONCE]);
	rc = h->store_take(h->host, key, stored, sizeof(stored) - 1, &len);
	if (rc == EIDGW_CX_MISSING)
		return ni_fail(h, out, EIDGW_CX_REJECTED, "nonce unknown, expired or replayed");
	if (rc == EIDGW_CX_UNAVAILABLE)
		return ni_fail(h, out, EIDGW_CX_UNAVAILABLE, "state store unavailable");
	if (rc != EIDGW_CX_OK)
		return ni_fail(h, out, EIDGW_CX_ERROR, "state store error");
	stored[len] = '\0';
	if (!ni_ct_streq(stored, v[F_STATE]))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "nonce was issued for another state");
	if (v[F_ERROR] != NULL)
		return ni_fail(h, out, strcmp(v[F_ERROR], "cancelled") == 0 ||
		    strcmp(v[F_ERROR], "refused") == 0 ? EIDGW_CX_DENIED : EIDGW_CX_REJECTED,
		    "the scheme answered with an error");
	for (loa = EIDGW_CX_LOA_LOW; loa <= EIDGW_CX_LOA_HIGH; loa++)
		if (v[F_ASSURANCE] != NULL && strcmp(v[F_ASSURANCE], levels[loa]) == 0)
			break;
	if (loa > EIDGW_CX_LOA_HIGH)
		return ni_fail(h, out, EIDGW_CX_REJECTED, "assurance missing or unknown");
	if (v[F_ID] == NULL || !ni_id_ok(v[F_ID]) || v[F_SURNAME] == NULL ||
	    v[F_SURNAME][0] == '\0' || v[F_FORENAMES] == NULL || v[F_FORENAMES][0] == '\0' ||
	    v[F_DOB] == NULL || !ni_is_date(v[F_DOB]))
		return ni_fail(h, out, EIDGW_CX_REJECTED, "identity attributes missing or bad");
	if (loa < in->min_loa)
		return ni_fail(h, out, EIDGW_CX_LOA_UNMET, "authenticated below the requested LoA");
	/* eIDAS PersonIdentifier: <issuing country>/<destination country>/<id>. */
	(void)snprintf(pid, sizeof(pid), "%s/%s/%s", st->country, st->destination, v[F_ID]);
	(void)snprintf(ref, sizeof(ref), "natid:%s", v[F_NONCE]);
	if ((out->person_identifier = ni_strdup(h, pid)) == NULL ||
	    (out->family_name = ni_strdup(h, v[F_SURNAME])) == NULL ||
	    (out->given_name = ni_strdup(h, v[F_FORENAMES])) == NULL ||
	    (out->birth_date = ni_strdup(h, v[F_DOB])) == NULL ||
	    (out->loa = ni_strdup(h, loa_uris[loa])) == NULL ||
	    (out->issuer = ni_strdup(h, st->login_url)) == NULL ||
	    (out->assertion_ref = ni_strdup(h, ref)) == NULL) {
		ni_identity_clear(h, out);
		return EIDGW_CX_ERROR;
	}
	out->auth_time = (int64_t)ts;
	out->extra_claims_json = NULL;
	return EIDGW_CX_OK;
}

static void
ni_destroy(void *state)
{
	struct ni_state *st = state;

	if (st == NULL)
		return;
	free(st->return_url);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
}

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
	out->name = "example-national";
	out->init = ni_init;
	out->start_login = ni_start_login;
	out->finish_login = ni_finish_login;
	out->metadata = NULL;
	out->destroy = ni_destroy;
	return EIDGW_CX_OK;
}
