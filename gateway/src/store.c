/* store.c - picks the store backend named in the configuration. */
#include "store.h"

#include "log.h"

enum eidgw_err
gw_store_open(const struct gw_config *cfg, struct eidgw_store **out, struct eidgw_diag *d)
{
	enum eidgw_err rc;

	*out = NULL;
	switch (cfg->store.backend) {
	case GW_STORE_LMDB:
		return gw_store_lmdb_open(cfg->store.path, cfg->store.lmdb_map_size,
		    cfg->store.key_prefix, out, d);
	case GW_STORE_MEMORY:
		gw_log(LOG_WARNING, NULL, "store", "memory store: single-use records are lost on restart");
		return eidgw_store_mem_new(out);
	case GW_STORE_REDIS:
		return gw_store_redis_open(cfg->store.redis_url, cfg->store.redis_timeout_ms,
		    cfg->store.key_prefix, out, d);
	default:
		EIDGW_FAIL(d, EIDGW_E_CONFIG_VALUE, "unknown store backend");
	}
out:
	return rc;
}
