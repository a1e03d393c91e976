/*
 * store.h - opening the configured state store (core/store.h is the
 * interface).  Backends: lmdb (embedded, survives restarts; the default),
 * redis (shared by several gateway nodes), memory (tests and throwaway
 * demos).
 */
#ifndef EIDGW_GW_STORE_H
#define EIDGW_GW_STORE_H

#include "config.h"
#include "core/err.h"
#include "core/store.h"

enum eidgw_err gw_store_open(const struct gw_config *cfg, struct eidgw_store **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;

enum eidgw_err gw_store_lmdb_open(const char *dir, size_t map_size, const char *prefix,
    struct eidgw_store **out, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * url is redis://host[:port][/db] (port 6379, db 0 by default); timeout_ms
 * bounds connecting and every command.  Does not fail when Redis is down at
 * start: operations then return EIDGW_E_STORE_UNAVAILABLE until it is back.
 */
enum eidgw_err gw_store_redis_open(const char *url, unsigned int timeout_ms, const char *prefix,
    struct eidgw_store **out, struct eidgw_diag *d) EIDGW_MUST_USE;

#endif
