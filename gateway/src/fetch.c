/* fetch.c - see fetch.h. */
#include "fetch.h"

#include <stdio.h>

#include <curl/curl.h>

#define FETCH_CONNECT_TIMEOUT_S 5L
#define FETCH_TIMEOUT_S 15L

static size_t
collect(char *p, size_t sz, size_t n, void *ud)
{
	struct eidgw_buf *b = ud;

	return eidgw_buf_append(b, p, sz * n) == EIDGW_OK ? sz * n : 0;
}

bool
gw_fetch(const char *url, struct eidgw_buf *out, char *why, size_t whylen)
{
	CURL *c = curl_easy_init();
	CURLcode cc;
	long status = 0;

	if (c == NULL) {
		(void)snprintf(why, whylen, "no memory");
		return false;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "eidgw/0.1");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		(void)snprintf(why, whylen, "%s", cc == CURLE_WRITE_ERROR ?
		    "document larger than its size limit" : curl_easy_strerror(cc));
		return false;
	}
	if (status != 200) {
		(void)snprintf(why, whylen, "HTTP status %ld", status);
		return false;
	}
	if (out->data == NULL && eidgw_buf_append(out, "", 0) != EIDGW_OK) {
		(void)snprintf(why, whylen, "no memory");
		return false;
	}
	return true;
}
