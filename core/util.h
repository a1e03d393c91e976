/*
 * util.h - small helpers every module needs: constant-time comparison,
 * wiping, randomness, base64 and base64url, and UTC time without the C
 * library's time-zone machinery (no localtime(), no TZ file reads).
 */
#ifndef EIDGW_CORE_UTIL_H
#define EIDGW_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define EIDGW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Compares two secrets in time that depends only on the lengths.  NULL equals
 * only NULL.  Every comparison of a state, nonce, code, verifier, token or
 * client secret goes through here.
 */
bool eidgw_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
bool eidgw_ct_streq(const char *a, const char *b);

/* Wipes n bytes (not optimised away). */
void eidgw_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it; NULL is fine. */
void eidgw_free_secret_str(char *s);

/* Cryptographically secure random bytes (OpenSSL DRBG). */
enum eidgw_err eidgw_random(void *out, size_t n) EIDGW_MUST_USE;
/* nbytes random bytes as base64url without padding, into a new string. */
enum eidgw_err eidgw_random_token(size_t nbytes, char **out) EIDGW_MUST_USE;
/* nbytes random bytes as lowercase hex, prefixed with prefix (may be ""). */
enum eidgw_err eidgw_random_hex(const char *prefix, size_t nbytes, char **out) EIDGW_MUST_USE;

/* base64 (standard alphabet, padded) and base64url (no padding). */
enum eidgw_err eidgw_b64_encode(struct eidgw_buf *out, const void *in, size_t n, bool url) EIDGW_MUST_USE;
/*
 * Decodes; whitespace (space, tab, CR, LF) is skipped in the standard
 * alphabet only; padding is optional for url and checked for standard.
 * Fails with EIDGW_E_BAD_ENCODING on any other character.
 */
enum eidgw_err eidgw_b64_decode(struct eidgw_buf *out, const char *in, size_t n, bool url) EIDGW_MUST_USE;

/* Hex encoding, lowercase, into out (2n+1 bytes). */
void eidgw_hex(char *out, const void *in, size_t n);

/* Seconds since the epoch, wall clock, and a monotonic clock in ns. */
int64_t eidgw_now(void);
uint64_t eidgw_mono_ns(void);
/* Formats t as xsd:dateTime UTC "2026-11-29T08:48:23Z" (buffer >= 21 bytes). */
void eidgw_time_fmt(int64_t t, char out[32]);
/* Same with milliseconds "…T08:48:23.123Z" from a realtime timespec. */
void eidgw_time_fmt_ms(const struct timespec *ts, char out[32]);
/*
 * Parses xsd:dateTime with an optional fraction and a Z or ±hh:mm zone; a
 * value without zone is taken as UTC.  Returns EIDGW_E_MALFORMED otherwise.
 */
enum eidgw_err eidgw_time_parse(const char *s, int64_t *out) EIDGW_MUST_USE;

/* strdup that fails cleanly: returns NULL on NULL input or no memory. */
char *eidgw_strdup(const char *s);
/* Case-sensitive prefix test. */
bool eidgw_starts_with(const char *s, const char *prefix);

#endif
