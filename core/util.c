/* util.c - see util.h. */
#include "util.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

bool
eidgw_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

bool
eidgw_ct_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return eidgw_ct_equal(a, strlen(a), b, strlen(b));
}

void
eidgw_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		OPENSSL_cleanse(p, n);
}

void
eidgw_free_secret_str(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

enum eidgw_err
eidgw_random(void *out, size_t n)
{
	if (n > INT32_MAX)
		return EIDGW_E_INVAL;
	return RAND_bytes(out, (int)n) == 1 ? EIDGW_OK : EIDGW_E_RANDOM;
}

enum eidgw_err
eidgw_random_token(size_t nbytes, char **out)
{
	unsigned char raw[64];
	struct eidgw_buf b;
	enum eidgw_err rc;

	*out = NULL;
	if (nbytes == 0 || nbytes > sizeof(raw))
		return EIDGW_E_INVAL;
	eidgw_buf_init(&b, 128);
	EIDGW_TRY(eidgw_random(raw, nbytes));
	EIDGW_TRY(eidgw_b64_encode(&b, raw, nbytes, true));
	*out = eidgw_buf_steal(&b, NULL);
	rc = *out != NULL ? EIDGW_OK : EIDGW_E_NOMEM;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	eidgw_buf_free(&b);
	return rc;
}

enum eidgw_err
eidgw_random_hex(const char *prefix, size_t nbytes, char **out)
{
	unsigned char raw[64];
	size_t plen = strlen(prefix);
	enum eidgw_err rc;
	char *s;

	*out = NULL;
	if (nbytes == 0 || nbytes > sizeof(raw))
		return EIDGW_E_INVAL;
	if ((rc = eidgw_random(raw, nbytes)) != EIDGW_OK)
		return rc;
	s = malloc(plen + 2 * nbytes + 1);
	if (s == NULL)
		return EIDGW_E_NOMEM;
	memcpy(s, prefix, plen);
	eidgw_hex(s + plen, raw, nbytes);
	*out = s;
	return EIDGW_OK;
}

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum eidgw_err
eidgw_b64_encode(struct eidgw_buf *out, const void *in, size_t n, bool url)
{
	const unsigned char *p = in;
	const char *al = url ? b64_url : b64_std;
	enum eidgw_err rc;
	size_t i, need;
	char *o;

	if (n > (SIZE_MAX - 4) / 4 * 3)
		return EIDGW_E_TOO_LARGE;
	need = (n + 2) / 3 * 4;
	if ((rc = eidgw_buf_reserve(out, need)) != EIDGW_OK)
		return rc;
	o = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		o[0] = al[p[i] >> 2];
		o[1] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		o[2] = al[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		o[3] = al[p[i + 2] & 63];
		o += 4;
	}
	if (i < n) {
		o[0] = al[p[i] >> 2];
		if (i + 1 == n) {
			o[1] = al[(p[i] & 3) << 4];
			o[2] = o[3] = '=';
			o += url ? 2 : 4;
		} else {
			o[1] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			o[2] = al[(p[i + 1] & 15) << 2];
			o[3] = '=';
			o += url ? 3 : 4;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return EIDGW_OK;
}

/* Base64 alphabets: value of each byte, -1 for anything else (RFC 4648 4 and 5). */
static const signed char b64_std_val[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};
static const signed char b64_url_val[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Strict decoder: the alphabet only (standard: whitespace between
 * characters allowed and '=' padding required to a multiple of four; url:
 * no whitespace, padding optional but, when present, complete), nothing after padding, and zero
 * leftover bits, so every accepted text is the canonical encoding of its
 * bytes.  Groups of four plain characters take a fast path that writes
 * three bytes straight into out; anything else (whitespace, padding, a bad
 * byte) goes through the one-character path.
 */
enum eidgw_err
eidgw_b64_decode(struct eidgw_buf *out, const char *in, size_t n, bool url)
{
	const signed char *val = url ? b64_url_val : b64_std_val;
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *o;
	unsigned int acc = 0;
	size_t i = 0, nchars = 0, npad = 0, start;
	enum eidgw_err rc;
	unsigned char c;
	int bits = 0, v, a, b, e, f;

	/* room for the largest result up front: no growth while decoding */
	if ((rc = eidgw_buf_reserve(out, n / 4 * 3 + 3)) != EIDGW_OK) {
		if (rc != EIDGW_E_TOO_LARGE)
			return rc;
		/* maybe whitespace makes it fit: reserve what the characters allow */
		if ((rc = eidgw_buf_reserve(out, out->max - out->len)) != EIDGW_OK)
			return rc;
	}
	start = out->len;
	o = (unsigned char *)out->data + out->len;
	while (i < n) {
		if (bits == 0 && npad == 0) {
			while (i + 4 <= n) {
				a = val[s[i]];
				b = val[s[i + 1]];
				e = val[s[i + 2]];
				f = val[s[i + 3]];
				if ((a | b | e | f) < 0)
					break;
				if ((size_t)(o - (unsigned char *)out->data) + 3 > out->max)
					goto too_large;
				o[0] = (unsigned char)((a << 2) | (b >> 4));
				o[1] = (unsigned char)(((b & 15) << 4) | (e >> 2));
				o[2] = (unsigned char)(((e & 3) << 6) | f);
				o += 3;
				i += 4;
				nchars += 4;
			}
			if (i >= n)
				break;
		}
		c = s[i++];
		if (!url && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		if (npad != 0 || (v = val[c]) < 0)	/* data after padding, or not base64 */
			goto bad;
		nchars++;
		acc = ((acc << 6) | (unsigned int)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((size_t)(o - (unsigned char *)out->data) + 1 > out->max)
				goto too_large;
			*o++ = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	out->len = (size_t)(o - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	if (nchars % 4 == 1)
		goto bad;
	if (npad > 2 || (npad != 0 && (nchars + npad) % 4 != 0))
		goto bad;
	if (!url && npad == 0 && nchars % 4 != 0)
		goto bad;
	/* Leftover bits must be zero (canonical encoding). */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	return EIDGW_OK;
too_large:
	rc = EIDGW_E_TOO_LARGE;
	goto undo;
bad:
	rc = EIDGW_E_BAD_ENCODING;
undo:
	/* nothing of a refused input stays behind */
	OPENSSL_cleanse(out->data + start, (size_t)(o - (unsigned char *)out->data) - start);
	out->len = start;
	out->data[start] = '\0';
	return rc;
}

void
eidgw_hex(char *out, const void *in, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int64_t
eidgw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
eidgw_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void
eidgw_time_fmt(int64_t t, char out[32])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	(void)snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void
eidgw_time_fmt_ms(const struct timespec *ts, char out[32])
{
	eidgw_time_fmt((int64_t)ts->tv_sec, out);
	/* replace the trailing Z with .mmmZ */
	(void)snprintf(out + 19, 13, ".%03dZ", (int)(ts->tv_nsec / 1000000));
}

static bool
parse_digits(const char **sp, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*sp)[i] < '0' || (*sp)[i] > '9')
			return false;
		v = v * 10 + ((*sp)[i] - '0');
	}
	*sp += n;
	*out = v;
	return true;
}

enum eidgw_err
eidgw_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se, zh, zm, mdays;
	static const int mlen[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t t;

	if (s == NULL)
		return EIDGW_E_MALFORMED;
	if (!parse_digits(&s, 4, &y) || *s++ != '-' || !parse_digits(&s, 2, &mo) ||
	    *s++ != '-' || !parse_digits(&s, 2, &d) || *s++ != 'T' ||
	    !parse_digits(&s, 2, &h) || *s++ != ':' || !parse_digits(&s, 2, &mi) ||
	    *s++ != ':' || !parse_digits(&s, 2, &se))
		return EIDGW_E_MALFORMED;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
		return EIDGW_E_MALFORMED;
	mdays = mlen[mo - 1];
	if (mo == 2 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		mdays = 28;
	if (d > mdays)
		return EIDGW_E_MALFORMED;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return EIDGW_E_MALFORMED;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '+' ? 1 : -1;

		s++;
		if (!parse_digits(&s, 2, &zh) || *s++ != ':' || !parse_digits(&s, 2, &zm) ||
		    zh > 14 || zm > 59)
			return EIDGW_E_MALFORMED;
		t -= sign * (zh * 3600 + zm * 60);
	}
	if (*s != '\0')
		return EIDGW_E_MALFORMED;
	*out = t;
	return EIDGW_OK;
}

char *
eidgw_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

bool
eidgw_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}
