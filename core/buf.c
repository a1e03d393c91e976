/* buf.c - bounded byte buffer, see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
eidgw_buf_init(struct eidgw_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

enum eidgw_err
eidgw_buf_reserve(struct eidgw_buf *b, size_t extra)
{
	size_t need, nalloc;
	char *n;

	if (extra > b->max || b->len > b->max - extra)
		return EIDGW_E_TOO_LARGE;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return EIDGW_OK;
	nalloc = b->alloc != 0 ? b->alloc : 64;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	/* Not realloc: the old block may hold secrets and must be wiped. */
	n = malloc(nalloc);
	if (n == NULL)
		return EIDGW_E_NOMEM;
	if (b->data != NULL) {
		memcpy(n, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->alloc);
		free(b->data);
	} else {
		n[0] = '\0';
	}
	b->data = n;
	b->alloc = nalloc;
	return EIDGW_OK;
}

enum eidgw_err
eidgw_buf_append(struct eidgw_buf *b, const void *p, size_t n)
{
	enum eidgw_err rc;

	if ((rc = eidgw_buf_reserve(b, n)) != EIDGW_OK)
		return rc;
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return EIDGW_OK;
}

enum eidgw_err
eidgw_buf_puts(struct eidgw_buf *b, const char *s)
{
	return eidgw_buf_append(b, s, strlen(s));
}

enum eidgw_err
eidgw_buf_vprintf(struct eidgw_buf *b, const char *fmt, va_list ap)
{
	enum eidgw_err rc;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return EIDGW_E_INTERNAL;
	if ((rc = eidgw_buf_reserve(b, (size_t)n)) != EIDGW_OK)
		return rc;
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return EIDGW_OK;
}

enum eidgw_err
eidgw_buf_printf(struct eidgw_buf *b, const char *fmt, ...)
{
	enum eidgw_err rc;
	va_list ap;

	va_start(ap, fmt);
	rc = eidgw_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Appends s with the bytes for which repl() gives a replacement replaced; runs of plain bytes go in one copy. */
static enum eidgw_err
escape_runs(struct eidgw_buf *b, const char *s, const char *(*repl)(unsigned char c, char tmp[8]))
{
	const char *run = s, *p, *r;
	enum eidgw_err rc;
	char tmp[8];

	for (p = s; *p != '\0'; p++) {
		if ((r = repl((unsigned char)*p, tmp)) == NULL)
			continue;
		if ((p > run && (rc = eidgw_buf_append(b, run, (size_t)(p - run))) != EIDGW_OK) ||
		    (rc = eidgw_buf_puts(b, r)) != EIDGW_OK)
			return rc;
		run = p + 1;
	}
	return p > run ? eidgw_buf_append(b, run, (size_t)(p - run)) : EIDGW_OK;
}

static const char *
json_repl(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c < 0x20 || c == 0x7f) {
			(void)snprintf(tmp, 8, "\\u%04x", c);
			return tmp;
		}
		return NULL;
	}
}

static const char *
html_repl(unsigned char c, char tmp[8])
{
	(void)tmp;
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

enum eidgw_err
eidgw_buf_json_escape(struct eidgw_buf *b, const char *s)
{
	return escape_runs(b, s, json_repl);
}

enum eidgw_err
eidgw_buf_html_escape(struct eidgw_buf *b, const char *s)
{
	return escape_runs(b, s, html_repl);
}

void
eidgw_buf_reset(struct eidgw_buf *b)
{
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->alloc);
		b->data[0] = '\0';
	}
	b->len = 0;
}

char *
eidgw_buf_steal(struct eidgw_buf *b, size_t *lenp)
{
	char *p = b->data;

	if (p == NULL) {
		p = calloc(1, 1);
		if (lenp != NULL)
			*lenp = 0;
	} else if (lenp != NULL) {
		*lenp = b->len;
	}
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

void
eidgw_buf_free(struct eidgw_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->alloc);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->alloc = 0;
}
