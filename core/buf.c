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

enum eidgw_err
eidgw_buf_json_escape(struct eidgw_buf *b, const char *s)
{
	enum eidgw_err rc = EIDGW_OK;
	const unsigned char *p;
	char esc[8];

	for (p = (const unsigned char *)s; *p != '\0' && rc == EIDGW_OK; p++) {
		switch (*p) {
		case '"': rc = eidgw_buf_append(b, "\\\"", 2); break;
		case '\\': rc = eidgw_buf_append(b, "\\\\", 2); break;
		case '\n': rc = eidgw_buf_append(b, "\\n", 2); break;
		case '\r': rc = eidgw_buf_append(b, "\\r", 2); break;
		case '\t': rc = eidgw_buf_append(b, "\\t", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
				rc = eidgw_buf_append(b, esc, 6);
			} else {
				rc = eidgw_buf_append(b, p, 1);
			}
		}
	}
	return rc;
}

enum eidgw_err
eidgw_buf_html_escape(struct eidgw_buf *b, const char *s)
{
	enum eidgw_err rc = EIDGW_OK;
	const char *p;

	for (p = s; *p != '\0' && rc == EIDGW_OK; p++) {
		switch (*p) {
		case '&': rc = eidgw_buf_puts(b, "&amp;"); break;
		case '<': rc = eidgw_buf_puts(b, "&lt;"); break;
		case '>': rc = eidgw_buf_puts(b, "&gt;"); break;
		case '"': rc = eidgw_buf_puts(b, "&quot;"); break;
		case '\'': rc = eidgw_buf_puts(b, "&#39;"); break;
		default: rc = eidgw_buf_append(b, p, 1);
		}
	}
	return rc;
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
