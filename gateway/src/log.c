/*
 * log.c - JSON-lines logger.  Each line is built in a local buffer and
 * written with one write(2), so lines from different threads never
 * interleave and no lock is taken.  Timestamps come from clock_gettime and
 * our own UTC formatter: no localtime(), no time-zone file reads.
 */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/util.h"

#define LOG_LINE_MAX 8192

/* One write of at most PIPE_BUF bytes stays whole on a pipe (container log drivers). */
#define LOG_BATCH_MAX PIPE_BUF

static atomic_int log_level = LOG_INFO;

/* The current request's collected info lines (this thread only). */
static _Thread_local struct {
	bool on;
	size_t len;
	char data[LOG_BATCH_MAX];
} batch;
static atomic_int log_journald = 0;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void
gw_log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int
gw_log_get_level(void)
{
	return atomic_load(&log_level);
}

void
gw_log_set_journald(int on)
{
	atomic_store(&log_journald, on);
}

int
gw_log_level_from_name(const char *name)
{
	int i;

	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

/* Appends "key":"escaped value" (with a leading comma). */
static enum eidgw_err
json_field(struct eidgw_buf *b, const char *k, const char *v)
{
	enum eidgw_err rc;

	if ((rc = eidgw_buf_puts(b, ",\"")) != EIDGW_OK ||
	    (rc = eidgw_buf_json_escape(b, k)) != EIDGW_OK ||
	    (rc = eidgw_buf_puts(b, "\":\"")) != EIDGW_OK ||
	    (rc = eidgw_buf_json_escape(b, v != NULL ? v : "")) != EIDGW_OK)
		return rc;
	return eidgw_buf_puts(b, "\"");
}

static void
write_all(const char *p, size_t n)
{
	size_t off;
	ssize_t w;

	for (off = 0; off < n; off += (size_t)w) {
		w = write(STDERR_FILENO, p + off, n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

static void
log_emit(int level, const char *req_id, const char *event, const char *msg, va_list kv)
{
	char tsbuf[32], prio[8], head[160];
	enum eidgw_err rc = EIDGW_OK;
	struct eidgw_buf b;
	struct timespec ts;
	const char *k, *v;

	if (level > atomic_load(&log_level))
		return;
	if (level < LOG_EMERG || level > LOG_DEBUG)
		level = LOG_ERR;
	clock_gettime(CLOCK_REALTIME, &ts);
	eidgw_time_fmt_ms(&ts, tsbuf);
	prio[0] = '\0';
	if (atomic_load(&log_journald))
		(void)snprintf(prio, sizeof(prio), "<%d>", level);
	(void)snprintf(head, sizeof(head), "%s{\"ts\":\"%s\",\"level\":\"%s\"", prio, tsbuf,
	    level_names[level]);
	eidgw_buf_init(&b, LOG_LINE_MAX);
	/* one allocation for a typical line instead of growing from 64 bytes */
	rc = eidgw_buf_reserve(&b, 512);
	if (rc == EIDGW_OK)
		rc = eidgw_buf_puts(&b, head);
	if (rc == EIDGW_OK)
		rc = json_field(&b, "event", event != NULL ? event : "log");
	if (rc == EIDGW_OK && req_id != NULL)
		rc = json_field(&b, "req", req_id);
	if (rc == EIDGW_OK && msg != NULL && *msg != '\0')
		rc = json_field(&b, "msg", msg);
	while (rc == EIDGW_OK && (k = va_arg(kv, const char *)) != NULL) {
		v = va_arg(kv, const char *);
		rc = json_field(&b, k, v);
	}
	if (rc == EIDGW_OK)
		rc = eidgw_buf_puts(&b, "}\n");
	if (rc != EIDGW_OK) {
		/* Too long (or no memory): say so rather than emit broken JSON. */
		eidgw_buf_reset(&b);
		if (eidgw_buf_puts(&b, head) != EIDGW_OK ||
		    json_field(&b, "event", "log.truncated") != EIDGW_OK ||
		    eidgw_buf_puts(&b, "}\n") != EIDGW_OK) {
			eidgw_buf_free(&b);
			return;
		}
	}
	if (batch.on) {
		if (level >= LOG_INFO && batch.len + b.len <= sizeof(batch.data)) {
			memcpy(batch.data + batch.len, b.data, b.len);
			batch.len += b.len;
			eidgw_buf_free(&b);
			return;
		}
		/* a warning (or a full batch): what was collected goes out first, in order */
		if (batch.len > 0)
			write_all(batch.data, batch.len);
		batch.len = 0;
	}
	write_all(b.data, b.len);
	eidgw_buf_free(&b);
}

void
gw_log_batch_begin(void)
{
	batch.on = true;
	batch.len = 0;
}

void
gw_log_batch_end(void)
{
	if (batch.len > 0)
		write_all(batch.data, batch.len);
	batch.len = 0;
	batch.on = false;
}

static void
log_emit_kv(int level, const char *req_id, const char *event, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_emit(level, req_id, event, msg, ap);
	va_end(ap);
}

void
gw_log(int level, const char *req_id, const char *event, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit_kv(level, req_id, event, msg, (const char *)NULL);
}

void
gw_logkv(int level, const char *req_id, const char *event, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_emit(level, req_id, event, msg, ap);
	va_end(ap);
}

void
gw_log_diag(int level, const char *req_id, const char *event, const struct eidgw_diag *d)
{
	char where[64];

	if (d == NULL)
		return;
	(void)snprintf(where, sizeof(where), "%s:%d", d->file != NULL ? d->file : "?", d->line);
	log_emit_kv(level, req_id, event, d->reason, "code", eidgw_err_name(d->code),
	    "where", where, (const char *)NULL);
}
