/*
 * fetch.h - one bounded HTTP GET for configuration-time documents (IdP
 * metadata, client JWKS): https, or http to loopback as the configuration
 * allows; no redirects; short timeouts; a size cap.
 */
#ifndef EIDGW_GW_FETCH_H
#define EIDGW_GW_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* GETs url into out (whose cap bounds the size); on failure why says what went wrong. */
bool gw_fetch(const char *url, struct eidgw_buf *out, char *why, size_t whylen);

#endif
