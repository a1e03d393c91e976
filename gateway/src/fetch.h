/*
 * fetch.h - the gateway's one outbound HTTP GET (IdP metadata, client JWKS,
 * connectors' http_get): https anywhere, plain http only to the loopback
 * interface, no credentials in the URL, TLS peer and host verified,
 * redirects only when asked for and only to https, short timeouts, a size
 * cap (the cap of the output buffer).
 */
#ifndef EIDGW_GW_FETCH_H
#define EIDGW_GW_FETCH_H

#include <stddef.h>

#include "core/buf.h"

#define GW_FETCH_URL_MAX 2048

enum gw_fetch_result {
	GW_FETCH_OK = 0,
	GW_FETCH_REFUSED,	/* the URL is not one we fetch */
	GW_FETCH_TOO_LARGE,	/* the body passed the output buffer's cap */
	GW_FETCH_FAILED,	/* network, TLS or a status other than 2xx */
};

/*
 * GETs url into out.  max_redirects 0 follows none (plain http never
 * follows any, they could leave the loopback interface).  On anything but
 * GW_FETCH_OK, why says what went wrong (for logs).
 */
enum gw_fetch_result gw_fetch(const char *url, long max_redirects, struct eidgw_buf *out,
    char *why, size_t whylen);

#endif
