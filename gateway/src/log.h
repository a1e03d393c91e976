/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 * Every line carries a UTC timestamp, the level, an event name and, when the
 * line belongs to a request, its request id.  Messages are for operators:
 * never put personal data (PersonIdentifier, names, birth dates) or secrets
 * (keys, codes, tokens, passwords) in them; identify things by hash or id.
 * The sink "journald" prefixes each line with the syslog priority in <N>
 * form, which journald reads from a service's stderr.
 */
#ifndef EIDGW_GW_LOG_H
#define EIDGW_GW_LOG_H

#include <syslog.h>

#include "core/err.h"

/* Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG. */
void gw_log_set_level(int level);
int gw_log_get_level(void);
void gw_log_set_journald(int on);
/* Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int gw_log_level_from_name(const char *name);

/*
 * Writes one line: {"ts":..,"level":..,"event":event,"req":req_id,"msg":..}
 * followed by any extra key/value string pairs given as a NULL-terminated
 * list after the format arguments' expansion is done by the caller via
 * gw_logkv.  req_id may be NULL.
 */
void gw_log(int level, const char *req_id, const char *event, const char *fmt, ...)
    EIDGW_PRINTF(4, 5);
/* As gw_log, with extra string fields: gw_logkv(lvl, req, ev, msg, "k1", "v1", ..., NULL). */
void gw_logkv(int level, const char *req_id, const char *event, const char *msg, ...);
/* Logs an error code with its name and the diag reason. */
void gw_log_diag(int level, const char *req_id, const char *event,
    const struct eidgw_diag *d);

/*
 * Per-thread batching for one request: between begin and end, info and
 * debug lines of this thread are collected and written together with one
 * write(2) at end (lines stay whole and in order; warnings and errors are
 * still written at once).  end with nothing collected writes nothing.
 */
void gw_log_batch_begin(void);
void gw_log_batch_end(void);

#endif
