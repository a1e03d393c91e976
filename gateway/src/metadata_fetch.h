/*
 * metadata_fetch.h - keeps the identity providers' metadata of countries
 * configured with `saml.metadata_url` fresh: fetched over https (libcurl),
 * verified against the country's metadata-signing certificate, and only
 * then written (atomically) to `saml.metadata_cache_file`, from which every
 * configuration snapshot reads it.  When the source is down or serves
 * something invalid, the last good copy stays in use.  Called from the
 * main thread only; the periodic fetches themselves run on a fetcher thread
 * of this module (a slow source must not hold up the main loop); forced
 * ones (start-up, SIGHUP) run in parallel, eight at a time, and are waited
 * for.
 */
#ifndef EIDGW_GW_METADATA_FETCH_H
#define EIDGW_GW_METADATA_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Fetches every enabled eidas-saml country whose metadata_url is due: with
 * force all of them, now, before returning; without, the due ones are
 * handed to the fetcher thread and their outcome is taken in by a later
 * call.  Each change is recorded in audit (may be NULL) by the caller's
 * thread.
 * Returns true when the caller should reload the configuration: a cache
 * file changed (to put it in service), or the verified metadata a country
 * is served with (file or URL) has passed its validUntil (to take it out of
 * service; asked once per expired copy).
 */
struct gw_audit;
bool gw_metadata_refresh(const struct gw_config *cfg, bool force, struct gw_audit *audit);
/* The same at a given time (tests). */
bool gw_metadata_refresh_at(const struct gw_config *cfg, bool force, struct gw_audit *audit,
    int64_t now);

/*
 * When a metadata_url is next due after an attempt at now: after a failure
 * in at most 300 s (or metadata_refresh_s when shorter); after a success in
 * metadata_refresh_s, cacheDuration or half the time left to validUntil,
 * whichever is shortest, and never sooner than 60 s.
 */
/*
 * Replaces path with data atomically (a new randomly named file beside it,
 * synced, renamed over it); false with errno set on failure.
 */
bool gw_metadata_write_cache(const char *path, const char *data, size_t len);

int64_t gw_metadata_next_due(int64_t now, unsigned int every, bool ok, int64_t cache_s,
    int64_t valid_until);

#endif
