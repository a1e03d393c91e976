/* fetch.c - see fetch.h. */
#include "fetch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define FETCH_CONNECT_TIMEOUT_S 5L
#define FETCH_TIMEOUT_S 15L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe; connectors fetch from worker threads. */
static void
curl_start(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct fetch_sink {
	struct eidgw_buf *out;
	bool too_big;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *ud)
{
	struct fetch_sink *s = ud;

	if (eidgw_buf_append(s->out, p, sz * n) != EIDGW_OK) {
		s->too_big = true;
		return 0;	/* aborts the transfer */
	}
	return sz * n;
}

static bool
host_is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0;
}

/* https anywhere, http only to loopback (*plain), never credentials in the URL. */
static bool
url_allowed(const char *url, bool *plain)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL;
	bool ok = false;
	size_t i;

	*plain = false;
	for (i = 0; url[i] != '\0'; i++)
		if (i >= GW_FETCH_URL_MAX || (unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return false;
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	/* Credentials in a URL would end up in logs and proxies. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "https") == 0) {
		ok = true;
	} else if (strcasecmp(scheme, "http") == 0 && host_is_loopback(host)) {
		ok = true;
		*plain = true;
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

enum gw_fetch_result
gw_fetch(const char *url, long max_redirects, struct eidgw_buf *out, char *why, size_t whylen)
{
	struct fetch_sink sink = { out, false };
	enum gw_fetch_result res = GW_FETCH_FAILED;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	bool plain;

	if (url == NULL || !url_allowed(url, &plain)) {
		(void)snprintf(why, whylen, "URL refused: only https, or http to 127.0.0.1, ::1 "
		    "or localhost, without credentials");
		return GW_FETCH_REFUSED;
	}
	(void)pthread_once(&curl_once, curl_start);
	if ((c = curl_easy_init()) == NULL) {
		(void)snprintf(why, whylen, "no memory");
		return GW_FETCH_FAILED;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, !plain && max_redirects > 0 ? 1L : 0L) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, max_redirects) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)out->max) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "eidgw/0.1") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) != CURLE_OK) {
		(void)snprintf(why, whylen, "cannot set up the transfer");
		goto out;
	}
	cc = curl_easy_perform(c);
	if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		(void)snprintf(why, whylen, "document larger than its size limit");
		res = GW_FETCH_TOO_LARGE;
		goto out;
	}
	if (cc != CURLE_OK) {
		(void)snprintf(why, whylen, "%s", curl_easy_strerror(cc));
		goto out;
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		(void)snprintf(why, whylen, "HTTP status %ld", status);
		goto out;
	}
	if (out->data == NULL && eidgw_buf_append(out, "", 0) != EIDGW_OK) {
		(void)snprintf(why, whylen, "no memory");
		goto out;
	}
	res = GW_FETCH_OK;
out:
	curl_easy_cleanup(c);
	return res;
}
