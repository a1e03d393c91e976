/*
 * metadata_fetch.h - keeps the identity providers' metadata of countries
 * configured with `saml.metadata_url` fresh: fetched over https (libcurl),
 * verified against the country's metadata-signing certificate, and only
 * then written (atomically) to `saml.metadata_cache_file`, from which every
 * configuration snapshot reads it.  When the source is down or serves
 * something invalid, the last good copy stays in use.  Runs on the main
 * thread only.
 */
#ifndef EIDGW_GW_METADATA_FETCH_H
#define EIDGW_GW_METADATA_FETCH_H

#include <stdbool.h>

#include "config.h"

/*
 * Fetches every enabled eidas-saml country whose metadata_url is due (all
 * of them with force); each change is recorded in audit (may be NULL).  Returns true when a cache file changed, so that
 * the caller reloads the configuration to put it in service.
 */
struct gw_audit;
bool gw_metadata_refresh(const struct gw_config *cfg, bool force, struct gw_audit *audit);

#endif
