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

#endif
