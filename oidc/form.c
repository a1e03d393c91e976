/*
 * form.c - application/x-www-form-urlencoded parsing with size caps and
 * duplicate detection, the matching encoder, and HTTP Basic credentials
 * (RFC 6749 §2.3.1).  Shared with the gateway.
 */
#include "oidc/oidc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum eidgw_err
oidc_form_decode(const char *s, size_t len, size_t max, char **out)
{
	char *r;
	size_t i, o = 0;
	int h, l;

	*out = NULL;
	if (len > 3 * max)
		return EIDGW_E_TOO_LARGE;
	if ((r = malloc(len + 1)) == NULL)
		return EIDGW_E_NOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= len)
				goto bad;
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(h << 4 | l);
			i += 2;
		}
		/* A decoded NUL would cut the value short for C string users. */
		if (c == '\0')
			goto bad;
		r[o++] = (char)c;
	}
	r[o] = '\0';
	if (o > max) {
		eidgw_free_secret_str(r);
		return EIDGW_E_TOO_LARGE;
	}
	*out = r;
	return EIDGW_OK;
bad:
	r[o] = '\0';
	eidgw_free_secret_str(r);
	return EIDGW_E_MALFORMED;
}

enum eidgw_err
oidc_form_encode(struct eidgw_buf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";
	enum eidgw_err rc = EIDGW_OK;
	const unsigned char *p;
	char e[3];

	for (p = (const unsigned char *)s; *p != '\0' && rc == EIDGW_OK; p++) {
		/* RFC 3986 §2.3 unreserved characters pass as they are. */
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			rc = eidgw_buf_append(b, p, 1);
		} else {
			e[0] = '%';
			e[1] = hx[*p >> 4];
			e[2] = hx[*p & 15];
			rc = eidgw_buf_append(b, e, 3);
		}
	}
	return rc;
}

void
oidc_params_free(struct oidc_params *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		eidgw_free_secret_str(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

const char *
oidc_params_get(const struct oidc_params *p, const char *name)
{
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

enum eidgw_err
oidc_params_parse(const char *s, size_t len, struct oidc_params *out, struct eidgw_diag *d)
{
	struct oidc_params ps = { NULL, 0 };
	char *name = NULL, *value = NULL;
	const char *seg, *end, *eq;
	enum eidgw_err rc;
	size_t i, segl;

	out->v = NULL;
	out->n = 0;
	if (s == NULL || len == 0)
		return EIDGW_OK;
	if (len > OIDC_MAX_QUERY)
		EIDGW_FAIL(d, EIDGW_E_TOO_LARGE, "parameter string of %zu bytes", len);
	if ((ps.v = calloc(OIDC_MAX_PARAMS, sizeof(*ps.v))) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	for (seg = s, end = s + len; seg < end; seg += segl + 1) {
		const char *amp = memchr(seg, '&', (size_t)(end - seg));

		segl = amp != NULL ? (size_t)(amp - seg) : (size_t)(end - seg);
		if (segl == 0)
			continue;
		eq = memchr(seg, '=', segl);
		rc = oidc_form_decode(seg, eq != NULL ? (size_t)(eq - seg) : segl, 128, &name);
		if (rc != EIDGW_OK)
			EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "malformed parameter name");
		if (eq != NULL)
			rc = oidc_form_decode(eq + 1, segl - (size_t)(eq + 1 - seg),
			    OIDC_MAX_VALUE, &value);
		else
			rc = oidc_form_decode("", 0, OIDC_MAX_VALUE, &value);
		if (rc != EIDGW_OK)
			EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "parameter %.40s: malformed value",
			    name);
		if (name[0] == '\0')
			EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "empty parameter name");
		/* RFC 6749 §3.1: "Request and response parameters MUST NOT be
		 * included more than once."  Checked before empty values are
		 * dropped so "a=&a=x" is refused too. */
		for (i = 0; i < ps.n; i++)
			if (strcmp(ps.v[i].name, name) == 0)
				EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM_DUP,
				    "parameter %.40s repeated", name);
		if (ps.n == OIDC_MAX_PARAMS)
			EIDGW_FAIL(d, EIDGW_E_TOO_LARGE, "more than %d parameters",
			    OIDC_MAX_PARAMS);
		ps.v[ps.n].name = name;
		ps.v[ps.n].value = value;
		ps.n++;
		name = value = NULL;
	}
	/* RFC 6749 §3.1: "Parameters sent without a value MUST be treated as
	 * if they were omitted from the request." */
	for (i = 0; i < ps.n;) {
		if (ps.v[i].value[0] == '\0') {
			free(ps.v[i].name);
			free(ps.v[i].value);
			ps.v[i] = ps.v[--ps.n];
			ps.v[ps.n].name = ps.v[ps.n].value = NULL;
		} else {
			i++;
		}
	}
	*out = ps;
	ps.v = NULL;
	ps.n = 0;
	rc = EIDGW_OK;
out:
	free(name);
	eidgw_free_secret_str(value);
	oidc_params_free(&ps);
	return rc;
}

enum eidgw_err
oidc_basic_auth_parse(const char *header, char **id, char **secret)
{
	struct eidgw_buf raw;
	const char *p, *colon;
	enum eidgw_err rc;
	size_t n;

	*id = NULL;
	*secret = NULL;
	eidgw_buf_init(&raw, OIDC_MAX_AUTH_HEADER);
	if (header == NULL || strncasecmp(header, "Basic", 5) != 0 ||
	    (header[5] != ' ' && header[5] != '\0'))
		return EIDGW_E_NOT_FOUND;
	if (strlen(header) > OIDC_MAX_AUTH_HEADER)
		return EIDGW_E_TOO_LARGE;
	for (p = header + 5; *p == ' '; p++)
		;
	n = strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	rc = EIDGW_E_MALFORMED;
	if (n == 0 || eidgw_b64_decode(&raw, p, n, false) != EIDGW_OK || raw.data == NULL)
		goto out;
	if (strlen(raw.data) != raw.len)		/* embedded NUL */
		goto out;
	if ((colon = strchr(raw.data, ':')) == NULL)
		goto out;
	/* RFC 6749 §2.3.1: "The client identifier is encoded using the
	 * application/x-www-form-urlencoded encoding algorithm ... and the
	 * encoded value is used as the username; the client password is
	 * encoded using the same algorithm and used as the password." */
	if (oidc_form_decode(raw.data, (size_t)(colon - raw.data), 256, id) != EIDGW_OK)
		goto out;
	if (oidc_form_decode(colon + 1, raw.len - (size_t)(colon + 1 - raw.data), 1024,
	    secret) != EIDGW_OK)
		goto out;
	if ((*id)[0] == '\0')
		goto out;
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK) {
		free(*id);
		eidgw_free_secret_str(*secret);
		*id = NULL;
		*secret = NULL;
	}
	eidgw_buf_free(&raw);
	return rc;
}
