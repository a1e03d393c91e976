/*
 * buf.h - a growable byte buffer with a hard maximum size.
 *
 * Everything that comes from outside is read into an eidgw_buf whose cap is
 * fixed at creation; growing past it fails with EIDGW_E_TOO_LARGE and leaves
 * the contents untouched.  The data is always NUL-terminated (the NUL is not
 * counted in len) so text can be handed to C string APIs.  eidgw_buf_free()
 * wipes before freeing, so one buffer type serves secrets too.
 */
#ifndef EIDGW_CORE_BUF_H
#define EIDGW_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct eidgw_buf {
	char *data;	/* owned; NUL-terminated; NULL until the first write */
	size_t len;
	size_t alloc;
	size_t max;	/* hard cap on len */
};

void eidgw_buf_init(struct eidgw_buf *b, size_t max);
enum eidgw_err eidgw_buf_append(struct eidgw_buf *b, const void *p, size_t n) EIDGW_MUST_USE;
/*
 * Makes room for extra more bytes (plus the NUL) without changing len, for
 * writers that fill data + len themselves and then set len; refuses what
 * would pass max.
 */
enum eidgw_err eidgw_buf_reserve(struct eidgw_buf *b, size_t extra) EIDGW_MUST_USE;
enum eidgw_err eidgw_buf_puts(struct eidgw_buf *b, const char *s) EIDGW_MUST_USE;
enum eidgw_err eidgw_buf_printf(struct eidgw_buf *b, const char *fmt, ...)
    EIDGW_PRINTF(2, 3) EIDGW_MUST_USE;
enum eidgw_err eidgw_buf_vprintf(struct eidgw_buf *b, const char *fmt, va_list ap)
    EIDGW_PRINTF(2, 0) EIDGW_MUST_USE;
/* Appends s with JSON string escaping (no surrounding quotes). */
enum eidgw_err eidgw_buf_json_escape(struct eidgw_buf *b, const char *s) EIDGW_MUST_USE;
/* Appends s with HTML escaping of & < > " ' */
enum eidgw_err eidgw_buf_html_escape(struct eidgw_buf *b, const char *s) EIDGW_MUST_USE;
/* Empties the buffer (wiping the old bytes) but keeps the allocation. */
void eidgw_buf_reset(struct eidgw_buf *b);
/* Hands the data to the caller (who frees it with free()); the buffer is empty after. */
char *eidgw_buf_steal(struct eidgw_buf *b, size_t *lenp);
/* Wipes and frees; safe on a zeroed or already freed buffer. */
void eidgw_buf_free(struct eidgw_buf *b);

#endif
