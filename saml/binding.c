/*
 * binding.c - HTTP-POST form and HTTP-Redirect encode/decode (SAML 2.0
 * Bindings, saml-bindings-2.0-os 3.4 and 3.5).
 */
#include "saml/binding.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/util.h"

#define QUERY_MAX (96u * 1024u)
#define URL_PARAM_MAX 2048

static bool
url_ok(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > URL_PARAM_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
relay_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return true;
	if ((n = strlen(s)) == 0 || n > SAML_RELAY_STATE_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
param_name_ok(const char *p)
{
	return p != NULL && (strcmp(p, "SAMLRequest") == 0 || strcmp(p, "SAMLResponse") == 0);
}

enum eidgw_err
saml_binding_post_form(const char *action, const char *param, const char *xml, size_t len,
    const char *relay_state, const char *script_src, struct eidgw_buf *html,
    struct eidgw_diag *d)
{
	struct eidgw_buf b64;
	enum eidgw_err rc;

	eidgw_buf_init(&b64, len / 3 * 4 + 8);
	EIDGW_CHECK(url_ok(action) && param_name_ok(param) && xml != NULL && len > 0 &&
	    relay_ok(relay_state) && (script_src == NULL || url_ok(script_src)), d,
	    EIDGW_E_SAML_BINDING, "bad POST binding parameters");
	/* Bindings 3.5.4: the message is base64-encoded into a form control. */
	EIDGW_TRY(eidgw_b64_encode(&b64, xml, len, false));
	EIDGW_TRY(eidgw_buf_puts(html, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">"
	    "<title>Continuing to your identity provider</title></head>\n<body>\n"
	    "<form id=\"saml-post-form\" method=\"post\" action=\""));
	EIDGW_TRY(eidgw_buf_html_escape(html, action));
	EIDGW_TRY(eidgw_buf_puts(html, "\">\n<input type=\"hidden\" name=\""));
	EIDGW_TRY(eidgw_buf_puts(html, param));
	EIDGW_TRY(eidgw_buf_puts(html, "\" value=\""));
	EIDGW_TRY(eidgw_buf_puts(html, b64.data));	/* base64 needs no escaping */
	EIDGW_TRY(eidgw_buf_puts(html, "\">\n"));
	if (relay_state != NULL) {
		EIDGW_TRY(eidgw_buf_puts(html, "<input type=\"hidden\" name=\"RelayState\" value=\""));
		EIDGW_TRY(eidgw_buf_html_escape(html, relay_state));
		EIDGW_TRY(eidgw_buf_puts(html, "\">\n"));
	}
	/* Without JavaScript the citizen presses the button. */
	EIDGW_TRY(eidgw_buf_puts(html, "<noscript><p>JavaScript is off: press the button to "
	    "continue.</p><button type=\"submit\">Continue</button></noscript>\n</form>\n"));
	if (script_src != NULL) {
		EIDGW_TRY(eidgw_buf_puts(html, "<script src=\""));
		EIDGW_TRY(eidgw_buf_html_escape(html, script_src));
		EIDGW_TRY(eidgw_buf_puts(html, "\" defer></script>\n"));
	}
	EIDGW_TRY(eidgw_buf_puts(html, "</body></html>\n"));
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&b64);
	return rc;
}

enum eidgw_err
saml_deflate(const void *in, size_t len, struct eidgw_buf *out)
{
	unsigned char chunk[4096];
	z_stream z;
	enum eidgw_err rc = EIDGW_OK;
	int zr;

	if (len > UINT_MAX)
		return EIDGW_E_TOO_LARGE;
	memset(&z, 0, sizeof(z));
	/* Bindings 3.4.4.1: raw DEFLATE (RFC 1951), no zlib header. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return EIDGW_E_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			rc = EIDGW_E_INTERNAL;
			break;
		}
		if ((rc = eidgw_buf_append(out, chunk, sizeof(chunk) - z.avail_out)) != EIDGW_OK)
			break;
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	return rc;
}

enum eidgw_err
saml_inflate(const void *in, size_t len, size_t max_out, struct eidgw_buf *out)
{
	unsigned char chunk[4096];
	z_stream z;
	enum eidgw_err rc = EIDGW_OK;
	size_t total = 0, got;
	int zr;

	if (len > UINT_MAX || len == 0)
		return EIDGW_E_SAML_ENCODING;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return EIDGW_E_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	for (;;) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			rc = EIDGW_E_SAML_ENCODING;
			break;
		}
		got = sizeof(chunk) - z.avail_out;
		total += got;
		if (total > max_out) {
			rc = EIDGW_E_SAML_XML_TOO_LARGE;
			break;
		}
		if ((rc = eidgw_buf_append(out, chunk, got)) != EIDGW_OK)
			break;
		if (zr == Z_STREAM_END) {
			/* Trailing garbage after the stream is not a valid message. */
			if (z.avail_in != 0)
				rc = EIDGW_E_SAML_ENCODING;
			break;
		}
		if (got == 0 && z.avail_in == 0) {
			rc = EIDGW_E_SAML_ENCODING;	/* truncated stream */
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static enum eidgw_err
url_encode(struct eidgw_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum eidgw_err rc = EIDGW_OK;
	char e[3];

	for (; *s != '\0' && rc == EIDGW_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			rc = eidgw_buf_append(b, s, 1);
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			rc = eidgw_buf_append(b, e, 3);
		}
	}
	return rc;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum eidgw_err
url_decode(struct eidgw_buf *b, const char *s, size_t n)
{
	enum eidgw_err rc = EIDGW_OK;
	size_t i;
	char c;

	for (i = 0; i < n && rc == EIDGW_OK; i++) {
		c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return EIDGW_E_SAML_BINDING;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return EIDGW_E_SAML_BINDING;
		rc = eidgw_buf_append(b, &c, 1);
	}
	return rc;
}

enum eidgw_err
saml_binding_redirect_encode(const char *destination, const char *param, const char *xml,
    size_t len, const char *relay_state, const struct eidgw_key *key, enum eidgw_sig_alg alg,
    char **url_out, struct eidgw_diag *d)
{
	struct eidgw_buf deflated, b64, q, sig, sigb64, url;
	const char *alg_uri = NULL;
	enum eidgw_err rc;

	*url_out = NULL;
	eidgw_buf_init(&deflated, SAML_REDIRECT_MAX_XML);
	eidgw_buf_init(&b64, SAML_REDIRECT_MAX_XML * 2);
	eidgw_buf_init(&q, QUERY_MAX);
	eidgw_buf_init(&sig, 1024);
	eidgw_buf_init(&sigb64, 2048);
	eidgw_buf_init(&url, QUERY_MAX + URL_PARAM_MAX);
	EIDGW_CHECK(url_ok(destination) && param_name_ok(param) && xml != NULL && len > 0 &&
	    len <= SAML_REDIRECT_MAX_XML && relay_ok(relay_state), d, EIDGW_E_SAML_BINDING,
	    "bad Redirect binding parameters");
	if (key != NULL)
		EIDGW_CHECK((alg_uri = saml_sig_alg_uri(alg)) != NULL, d, EIDGW_E_SAML_SIG_ALG,
		    "signature algorithm not allowed");
	EIDGW_TRY(saml_deflate(xml, len, &deflated));
	EIDGW_TRY(eidgw_b64_encode(&b64, deflated.data, deflated.len, false));
	/* 3.4.4.1: param=value[&RelayState=value]&SigAlg=value, in this order. */
	EIDGW_TRY(eidgw_buf_puts(&q, param));
	EIDGW_TRY(eidgw_buf_puts(&q, "="));
	EIDGW_TRY(url_encode(&q, b64.data));
	if (relay_state != NULL) {
		EIDGW_TRY(eidgw_buf_puts(&q, "&RelayState="));
		EIDGW_TRY(url_encode(&q, relay_state));
	}
	if (key != NULL) {
		EIDGW_TRY(eidgw_buf_puts(&q, "&SigAlg="));
		EIDGW_TRY(url_encode(&q, alg_uri));
		EIDGW_TRY(saml_sig_sign_raw(key, alg, (const unsigned char *)q.data, q.len, &sig));
		EIDGW_TRY(eidgw_b64_encode(&sigb64, sig.data, sig.len, false));
		EIDGW_TRY(eidgw_buf_puts(&q, "&Signature="));
		EIDGW_TRY(url_encode(&q, sigb64.data));
	}
	EIDGW_TRY(eidgw_buf_puts(&url, destination));
	EIDGW_TRY(eidgw_buf_puts(&url, strchr(destination, '?') != NULL ? "&" : "?"));
	EIDGW_TRY(eidgw_buf_append(&url, q.data, q.len));
	*url_out = eidgw_buf_steal(&url, NULL);
	EIDGW_CHECK(*url_out != NULL, d, EIDGW_E_NOMEM, "out of memory");
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK && rc != EIDGW_E_NOMEM && (d == NULL || d->code == EIDGW_OK))
		(void)eidgw_diag_set(d, rc, __FILE__, __LINE__, "Redirect encoding failed");
	eidgw_buf_free(&deflated);
	eidgw_buf_free(&b64);
	eidgw_buf_free(&q);
	eidgw_buf_free(&sig);
	eidgw_buf_free(&sigb64);
	eidgw_buf_free(&url);
	return rc;
}

void
saml_redirect_msg_clear(struct saml_redirect_msg *msg)
{
	if (msg == NULL)
		return;
	eidgw_buf_free(&msg->xml);
	eidgw_buf_free(&msg->signature);
	eidgw_buf_free(&msg->signed_part);
	free(msg->relay_state);
	free(msg->sig_alg);
	memset(msg, 0, sizeof(*msg));
}

struct qparam {
	const char *name;
	const char *raw;	/* points into the query */
	size_t rawlen;
	bool seen;
};

enum eidgw_err
saml_binding_redirect_decode(const char *query, const char *param,
    struct saml_redirect_msg *msg, struct eidgw_diag *d)
{
	struct qparam ps[] = {
		{ param, NULL, 0, false }, { "RelayState", NULL, 0, false },
		{ "SigAlg", NULL, 0, false }, { "Signature", NULL, 0, false },
	};
	struct eidgw_buf tmp, raw;
	const char *p, *amp, *eq;
	enum eidgw_err rc, r;
	size_t i, qlen;

	memset(msg, 0, sizeof(*msg));
	eidgw_buf_init(&msg->xml, SAML_REDIRECT_MAX_XML);
	eidgw_buf_init(&msg->signature, 1024);
	eidgw_buf_init(&msg->signed_part, QUERY_MAX);
	eidgw_buf_init(&tmp, QUERY_MAX);
	eidgw_buf_init(&raw, QUERY_MAX);
	EIDGW_CHECK(query != NULL && param_name_ok(param) && (qlen = strlen(query)) <= QUERY_MAX,
	    d, EIDGW_E_SAML_BINDING, "query missing or too long");
	for (p = query; *p != '\0'; p = *amp == '&' ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			continue;
		for (i = 0; i < EIDGW_ARRAY_LEN(ps); i++) {
			if (strlen(ps[i].name) != (size_t)(eq - p) ||
			    memcmp(ps[i].name, p, (size_t)(eq - p)) != 0)
				continue;
			EIDGW_CHECK(!ps[i].seen, d, EIDGW_E_SAML_BINDING, "parameter repeated");
			ps[i].seen = true;
			ps[i].raw = eq + 1;
			ps[i].rawlen = (size_t)(amp - eq - 1);
		}
	}
	EIDGW_CHECK(ps[0].seen && ps[0].rawlen > 0, d, EIDGW_E_SAML_BINDING, "message missing");
	EIDGW_CHECK(ps[2].seen == ps[3].seen, d, EIDGW_E_SAML_BINDING,
	    "SigAlg and Signature come together");
	/* 3.4.4.1: the signature covers the parameters as received, in this order. */
	for (i = 0; i < 3; i++) {
		if (!ps[i].seen)
			continue;
		if (msg->signed_part.len > 0)
			EIDGW_TRY(eidgw_buf_puts(&msg->signed_part, "&"));
		EIDGW_TRY(eidgw_buf_puts(&msg->signed_part, ps[i].name));
		EIDGW_TRY(eidgw_buf_puts(&msg->signed_part, "="));
		EIDGW_TRY(eidgw_buf_append(&msg->signed_part, ps[i].raw, ps[i].rawlen));
	}
	EIDGW_CHECK(url_decode(&tmp, ps[0].raw, ps[0].rawlen) == EIDGW_OK, d,
	    EIDGW_E_SAML_BINDING, "bad URL encoding");
	EIDGW_CHECK(eidgw_b64_decode(&raw, tmp.data, tmp.len, false) == EIDGW_OK, d,
	    EIDGW_E_SAML_ENCODING, "message is not base64");
	r = saml_inflate(raw.data, raw.len, SAML_REDIRECT_MAX_XML, &msg->xml);
	EIDGW_CHECK(r == EIDGW_OK, d, r == EIDGW_E_SAML_XML_TOO_LARGE ? r : EIDGW_E_SAML_ENCODING,
	    "message does not inflate within the cap");
	if (ps[1].seen) {
		eidgw_buf_reset(&tmp);
		EIDGW_CHECK(url_decode(&tmp, ps[1].raw, ps[1].rawlen) == EIDGW_OK && tmp.len > 0 &&
		    tmp.len <= SAML_RELAY_STATE_MAX, d, EIDGW_E_SAML_BINDING, "bad RelayState");
		msg->relay_state = eidgw_buf_steal(&tmp, NULL);
	}
	if (ps[2].seen) {
		eidgw_buf_reset(&tmp);
		EIDGW_CHECK(url_decode(&tmp, ps[2].raw, ps[2].rawlen) == EIDGW_OK && tmp.len > 0,
		    d, EIDGW_E_SAML_BINDING, "bad SigAlg");
		msg->sig_alg = eidgw_buf_steal(&tmp, NULL);
		eidgw_buf_reset(&tmp);
		EIDGW_CHECK(url_decode(&tmp, ps[3].raw, ps[3].rawlen) == EIDGW_OK &&
		    eidgw_b64_decode(&msg->signature, tmp.data != NULL ? tmp.data : "", tmp.len,
		    false) == EIDGW_OK, d, EIDGW_E_SAML_BINDING, "bad Signature");
	}
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&tmp);
	eidgw_buf_free(&raw);
	return rc;
}

enum eidgw_err
saml_binding_redirect_verify(const struct saml_redirect_msg *msg, const struct saml_trust *trust,
    const struct saml_sig_policy *pol, struct eidgw_diag *d)
{
	enum eidgw_sig_alg alg;
	enum eidgw_err rc;
	size_t i;

	EIDGW_CHECK(msg->sig_alg != NULL && msg->signature.len > 0, d, EIDGW_E_SAML_SIG_MISSING,
	    "Redirect message not signed");
	alg = saml_sig_alg_from_uri(msg->sig_alg);
	EIDGW_CHECK(alg != EIDGW_SIG_NONE, d, EIDGW_E_SAML_SIG_ALG, "SigAlg not allowed");
	EIDGW_CHECK(trust != NULL && trust->nkeys > 0, d, EIDGW_E_SAML_SIG_UNTRUSTED,
	    "no trusted key");
	for (i = 0; i < trust->nkeys; i++)
		if (saml_sig_verify_raw(trust->keys[i], alg, pol,
		    (const unsigned char *)msg->signed_part.data, msg->signed_part.len,
		    (const unsigned char *)msg->signature.data, msg->signature.len) == EIDGW_OK) {
			rc = EIDGW_OK;
			goto out;
		}
	EIDGW_FAIL(d, EIDGW_E_SAML_SIG_UNTRUSTED, "no trusted key verifies the signature");
out:
	return rc;
}
