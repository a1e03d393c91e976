/*
 * config.c - the configuration loader: the YAML walker and its error
 * collection.  The directive tables (key names, types, defaults, ranges,
 * documentation) and the per-section checks live in config_schema.c; this
 * file knows nothing about particular keys.
 *
 * Flow: read a file (bounded, hashed), parse it with libfyaml into a node
 * tree (a syntax error becomes "file:line: reason"), walk the root mapping
 * against a section table, and collect every problem instead of stopping at
 * the first.  The snapshot is handed out only when no error was found.
 */
#include "config_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/util.h"

/* ---- errors ----------------------------------------------------------- */

enum eidgw_err
gw_config_errors_vadd(struct gw_config_errors *errs, const char *file, int line,
    enum eidgw_err code, const char *fmt, va_list ap)
{
	struct gw_config_error *v, *e;
	char reason[512];

	if (errs == NULL)
		return EIDGW_E_INVAL;
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	v = realloc(errs->v, (errs->n + 1) * sizeof(*v));
	if (v == NULL)
		return EIDGW_E_NOMEM;
	errs->v = v;
	e = &v[errs->n];
	e->file = eidgw_strdup(file != NULL ? file : "(config)");
	e->reason = eidgw_strdup(reason);
	e->line = line;
	e->code = code;
	if (e->file == NULL || e->reason == NULL) {
		free(e->file);
		free(e->reason);
		return EIDGW_E_NOMEM;
	}
	errs->n++;
	return EIDGW_OK;
}

enum eidgw_err
gw_config_errors_add(struct gw_config_errors *errs, const char *file, int line,
    enum eidgw_err code, const char *fmt, ...)
{
	enum eidgw_err rc;
	va_list ap;

	va_start(ap, fmt);
	rc = gw_config_errors_vadd(errs, file, line, code, fmt, ap);
	va_end(ap);
	return rc;
}

static void cfg_verr(struct cfg_ctx *x, const char *file, int line, enum eidgw_err code,
    const char *fmt, va_list ap) EIDGW_PRINTF(5, 0);

static void
cfg_verr(struct cfg_ctx *x, const char *file, int line, enum eidgw_err code,
    const char *fmt, va_list ap)
{
	x->n_errors++;
	if (x->errs->n >= CFG_MAX_ERRORS) {
		x->truncated = true;
		return;
	}
	if (gw_config_errors_vadd(x->errs, file, line, code, fmt, ap) != EIDGW_OK)
		x->oom = true;
}

void
cfg_err(struct cfg_ctx *x, int line, enum eidgw_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(x, x->file, line, code, fmt, ap);
	va_end(ap);
}

void
cfg_err_at(struct cfg_ctx *x, const char *file, int line, enum eidgw_err code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(x, file, line, code, fmt, ap);
	va_end(ap);
}

void
gw_config_errors_print(const struct gw_config_errors *errs, void *fp)
{
	FILE *f = fp != NULL ? fp : stderr;
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line > 0)
			fprintf(f, "%s:%d: %s\n", errs->v[i].file, errs->v[i].line,
			    errs->v[i].reason);
		else
			fprintf(f, "%s: %s\n", errs->v[i].file, errs->v[i].reason);
	}
}

void
gw_config_errors_free(struct gw_config_errors *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].reason);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* ---- line records ----------------------------------------------------- */

/*
 * The line each field was set from, looked up by the field's address, so
 * that checks running after a whole mapping was read still name the line.
 * Reset for every file.
 */
static void
line_record(struct cfg_ctx *x, const void *field, int line, bool section)
{
	struct cfg_line *v;

	if (x->n_lines == x->cap_lines) {
		size_t cap = x->cap_lines != 0 ? x->cap_lines * 2 : 64;

		if ((v = realloc(x->lines, cap * sizeof(*v))) == NULL) {
			x->oom = true;
			return;
		}
		x->lines = v;
		x->cap_lines = cap;
	}
	x->lines[x->n_lines].field = field;
	x->lines[x->n_lines].line = line;
	x->lines[x->n_lines].section = section;
	x->n_lines++;
}

static int
line_find(const struct cfg_ctx *x, const void *field, int fallback, bool section)
{
	size_t i;

	/* The newest record wins (a value set twice, through a default and a key). */
	for (i = x->n_lines; i > 0; i--)
		if (x->lines[i - 1].field == field && x->lines[i - 1].section == section)
			return x->lines[i - 1].line;
	return fallback;
}

void
cfg_line_set(struct cfg_ctx *x, const void *field, int line)
{
	line_record(x, field, line, false);
}

int
cfg_line(const struct cfg_ctx *x, const void *field, int fallback)
{
	return line_find(x, field, fallback, false);
}

bool
cfg_seen(const struct cfg_ctx *x, const void *field)
{
	return line_find(x, field, -1, false) != -1;
}

void
cfg_section_line_set(struct cfg_ctx *x, const void *section, int line)
{
	line_record(x, section, line, true);
}

int
cfg_section_line(const struct cfg_ctx *x, const void *section, int fallback)
{
	return line_find(x, section, fallback, true);
}

bool
cfg_section_seen(const struct cfg_ctx *x, const void *section)
{
	return line_find(x, section, -1, true) != -1;
}

/* ---- files ------------------------------------------------------------ */

char *
cfg_path_join(const char *dir, const char *name)
{
	struct eidgw_buf b;

	if (name == NULL)
		return NULL;
	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		return eidgw_strdup(name);
	eidgw_buf_init(&b, 8192);
	if (eidgw_buf_printf(&b, "%s/%s", dir, name) != EIDGW_OK) {
		eidgw_buf_free(&b);
		return NULL;
	}
	return eidgw_buf_steal(&b, NULL);
}

void
cfg_hash(struct cfg_ctx *x, const char *path, const void *data, size_t len)
{
	if (x->md == NULL)
		return;
	if (EVP_DigestUpdate(x->md, path, strlen(path) + 1) != 1 ||
	    EVP_DigestUpdate(x->md, data, len) != 1)
		x->oom = true;
}

/*
 * Reads a whole regular file of at most max bytes into *out (NUL-terminated).
 * Returns 0, or an errno value (EFBIG when too large, EISDIR for a
 * directory, CFG_ENOTREG for any other file that is not a regular one).
 *
 * The file is opened non-blocking and checked with fstat before a byte is
 * read: a FIFO (or a device) dropped into a configuration directory would
 * otherwise block open() or read() forever, and with it --check-config and
 * the daemon's main thread (which then no longer takes SIGHUP or SIGTERM).
 */
int
cfg_read_file(const char *path, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, e = 0;

	*out = NULL;
	*lenp = 0;
	st.st_size = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return errno != 0 ? errno : EIO;
	if (fstat(fd, &st) != 0) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : CFG_ENOTREG;
		goto out;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		e = EFBIG;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		e = EIO;
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	buf = NULL;
out:
	if (buf != NULL) {
		eidgw_wipe(buf, (size_t)st.st_size);
		free(buf);
	}
	(void)close(fd);
	return e;
}

const char *
cfg_read_strerror(int e)
{
	if (e == CFG_ENOTREG)
		return "not a regular file";
	if (e == EFBIG)
		return "file too large";
	return strerror(e);
}

bool
cfg_file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Whoever can write a configuration file, or rename entries in one of its
 * directories, decides what the gateway trusts (a country's metadata and
 * its signing certificate, a client's keys and redirect URIs).  A file or
 * directory writable by anybody (o+w; a directory with the sticky bit, like
 * /tmp, excepted) is refused, the way sshd's StrictModes refuses them.
 * Reported against file:line (line 0: the file itself).  False when refused.
 */
bool
cfg_not_world_writable(struct cfg_ctx *x, const char *file, int line, const char *path,
    const char *what)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0 || (st.st_mode & S_IWOTH) == 0 ||
	    (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0))
		return true;
	if (what == NULL)	/* the file being read itself */
		cfg_err_at(x, file, line, EIDGW_E_CONFIG_FILE,
		    "writable by anybody (mode %04o): chmod o-w it",
		    (unsigned int)(st.st_mode & 07777));
	else
		cfg_err_at(x, file, line, EIDGW_E_CONFIG_FILE,
		    "%s: %s is writable by anybody (mode %04o): chmod o-w it", what, path,
		    (unsigned int)(st.st_mode & 07777));
	return false;
}

/* Hashes a file that somebody else (keyops) reads; a failure to read is not ours to report. */
void
cfg_hash_file(struct cfg_ctx *x, const char *path)
{
	char *buf = NULL;
	size_t len;

	if (cfg_read_file(path, CFG_MAX_FILE_BYTES, &buf, &len) != 0)
		return;
	cfg_hash(x, path, buf, len);
	eidgw_wipe(buf, len);
	free(buf);
}

/* ---- YAML ------------------------------------------------------------- */

int
cfg_node_line(struct fy_node *n, int fallback)
{
	const struct fy_mark *m;
	struct fy_node_pair *p;
	struct fy_token *t;
	void *it = NULL;
	int line;

	if (n == NULL)
		return fallback;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		if ((t = fy_node_get_scalar_token(n)) != NULL &&
		    (m = fy_token_start_mark(t)) != NULL)
			return m->line + 1;
		return fallback;
	case FYNT_MAPPING:
		if ((p = fy_node_mapping_iterate(n, &it)) == NULL)
			return fallback;
		line = cfg_node_line(fy_node_pair_key(p), 0);
		return line != 0 ? line : fallback;
	case FYNT_SEQUENCE:
		return cfg_node_line(fy_node_sequence_iterate(n, &it), fallback);
	}
	return fallback;
}

/* Captures the first error libfyaml reports ("file:line:col: error: msg"). */
struct diag_capture {
	bool have;
	int line;
	char msg[200];
};

static void
diag_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	struct diag_capture *c = user;
	const char *e, *col, *ln, *end;
	size_t mlen;
	int line = 0;

	(void)diag;
	if (c->have || buf == NULL)
		return;
	if ((e = memmem(buf, len, ": error: ", 9)) == NULL)
		return;
	col = e;
	while (col > buf && isdigit((unsigned char)col[-1]))
		col--;
	if (col == e || col == buf || col[-1] != ':')
		return;
	ln = col - 1;
	while (ln > buf && isdigit((unsigned char)ln[-1]))
		ln--;
	for (; ln < col - 1 && line < 10000000; ln++)
		line = line * 10 + (*ln - '0');
	e += 9;
	end = memchr(e, '\n', len - (size_t)(e - buf));
	mlen = end != NULL ? (size_t)(end - e) : len - (size_t)(e - buf);
	if (mlen >= sizeof(c->msg))
		mlen = sizeof(c->msg) - 1;
	memcpy(c->msg, e, mlen);
	c->msg[mlen] = '\0';
	c->line = line;
	c->have = true;
}

/*
 * Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
 * Returns the offset of the first bad byte, or len when all is well.
 * YAML files must be UTF-8 anyway, and libfyaml 0.7.12 loops forever on
 * some invalid sequences (after a '%' directive indicator), so nothing
 * that is not UTF-8 reaches it.
 */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1fu;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0fu;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07u;
		} else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static int
line_at(const char *s, size_t off)
{
	size_t i;
	int line = 1;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

void
cfg_yaml_free(struct cfg_yaml *y)
{
	if (y == NULL)
		return;
	if (y->parser != NULL) {
		if (y->doc != NULL)
			fy_parse_document_destroy(y->parser, y->doc);
		fy_parser_destroy(y->parser);
	}
	if (y->diag != NULL)
		fy_diag_destroy(y->diag);
	if (y->text != NULL) {
		eidgw_wipe(y->text, y->len);
		free(y->text);
	}
	memset(y, 0, sizeof(*y));
}

/*
 * Reads and parses one YAML file into y; every failure is reported as an
 * error of that file.  Returns false when there is no usable document.
 */
bool
cfg_yaml_load(struct cfg_ctx *x, const char *path, struct cfg_yaml *y)
{
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc;
	struct diag_capture cap;
	struct fy_document *extra;
	const char *nul;
	size_t bad;
	int e;

	memset(y, 0, sizeof(*y));
	memset(&cap, 0, sizeof(cap));
	e = cfg_read_file(path, CFG_MAX_FILE_BYTES, &y->text, &y->len);
	if (e != 0) {
		if (e == ENOMEM)
			x->oom = true;
		else if (e == EFBIG)
			cfg_err(x, 0, EIDGW_E_CONFIG_FILE, "file larger than %d bytes",
			    CFG_MAX_FILE_BYTES);
		else
			cfg_err(x, 0, EIDGW_E_CONFIG_FILE, "cannot read: %s", cfg_read_strerror(e));
		return false;
	}
	cfg_hash(x, path, y->text, y->len);
	if (!cfg_not_world_writable(x, x->file, 0, path, NULL))
		return false;
	if ((bad = utf8_check((const unsigned char *)y->text, y->len)) != y->len) {
		cfg_err(x, line_at(y->text, bad), EIDGW_E_CONFIG_SYNTAX, "not valid UTF-8");
		return false;
	}
	if ((nul = memchr(y->text, '\0', y->len)) != NULL) {
		cfg_err(x, line_at(y->text, (size_t)(nul - y->text)), EIDGW_E_CONFIG_SYNTAX,
		    "file contains a NUL byte");
		return false;
	}
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_output;
	dc.user = &cap;
	dc.colorize = false;
	if ((y->diag = fy_diag_create(&dc)) == NULL) {
		x->oom = true;
		return false;
	}
	memset(&pc, 0, sizeof(pc));
	/* Duplicate keys are found (with their line) by the walker. */
	pc.flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS | FYPCF_JSON_NONE;
	pc.diag = y->diag;
	if ((y->parser = fy_parser_create(&pc)) == NULL ||
	    fy_parser_set_string(y->parser, y->text, y->len) != 0) {
		x->oom = true;
		return false;
	}
	y->doc = fy_parse_load_document(y->parser);
	if (y->doc == NULL || cap.have) {
		if (cap.have)
			cfg_err(x, cap.line, EIDGW_E_CONFIG_SYNTAX, "YAML syntax error: %s",
			    cap.msg);
		else
			cfg_err(x, 0, EIDGW_E_CONFIG_SYNTAX, "empty file: a YAML mapping is expected");
		return false;
	}
	extra = fy_parse_load_document(y->parser);
	if (extra != NULL || cap.have) {
		int line = 0;

		if (extra != NULL) {
			line = cfg_node_line(fy_document_root(extra), 0);
			fy_parse_document_destroy(y->parser, extra);
		}
		if (cap.have)
			cfg_err(x, cap.line, EIDGW_E_CONFIG_SYNTAX, "YAML syntax error: %s",
			    cap.msg);
		else
			cfg_err(x, line, EIDGW_E_CONFIG_SYNTAX,
			    "more than one YAML document in the file");
		return false;
	}
	y->root = fy_document_root(y->doc);
	if (y->root == NULL) {
		cfg_err(x, 0, EIDGW_E_CONFIG_SYNTAX, "empty file: a YAML mapping is expected");
		return false;
	}
	return true;
}

/* ---- the walker ------------------------------------------------------- */

static const char *
node_kind(struct fy_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (fy_node_get_type(n)) {
	case FYNT_MAPPING:
		return "a mapping";
	case FYNT_SEQUENCE:
		return "a list";
	case FYNT_SCALAR:
		break;
	}
	if (fy_node_get_style(n) == FYNS_ALIAS)
		return "an alias";
	return "a scalar";
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static size_t
digits(const char *s, size_t n, size_t i)
{
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * A plain scalar that YAML 1.2 (core schema) reads as null, a boolean or a
 * number: null, true/false in three spellings, [-+]?[0-9]+, 0o[0-7]+,
 * 0x[0-9a-fA-F]+, [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?,
 * [-+]?.inf, .nan.  "10.0.0.1" or "1.2.3" are strings.
 */
static bool
plain_is_not_string(const char *s, size_t n)
{
	static const char *const words[] = {
		"~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
		".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF",
		".nan", ".NaN", ".NAN",
	};
	size_t i, j;

	if (n == 0)
		return true;
	for (i = 0; i < EIDGW_ARRAY_LEN(words); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		for (i = 2; i < n; i++)
			if (s[1] == 'x' ? !isxdigit((unsigned char)s[i]) : (s[i] < '0' || s[i] > '7'))
				return false;
		return true;
	}
	i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
	j = digits(s, n, i);
	if (j == i) {
		/* no integer part: needs ".digits" */
		if (j >= n || s[j] != '.' || digits(s, n, j + 1) == j + 1)
			return false;
		j = digits(s, n, j + 1);
	} else if (j < n && s[j] == '.')
		j = digits(s, n, j + 1);
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		i = j + 1;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		j = digits(s, n, i);
		if (j == i)
			return false;
	}
	return j == n;
}

static const char *
type_name(const struct cfg_directive *d)
{
	switch (d->type) {
	case D_STR:
	case D_PATH:
		return "a string";
	case D_BOOL:
		return "true or false";
	case D_UINT:
	case D_SIZE:
		return "a number";
	case D_ENUM:
		return "a string";
	case D_STRLIST:
		return "a list of strings";
	case D_SECTION:
		return "a mapping";
	case D_OBJLIST:
		return "a list of mappings";
	case D_CUSTOM:
		return d->type_doc != NULL ? d->type_doc : "a value";
	}
	return "a value";
}

static void
enum_list(const struct cfg_directive *d, char *out, size_t n)
{
	size_t i, used = 0;
	int w;

	out[0] = '\0';
	if (d->enums != NULL) {
		for (i = 0; d->enums[i].name != NULL && used < n; i++) {
			if (d->enums[i].hidden)
				continue;
			w = snprintf(out + used, n - used, "%s%s", used != 0 ? ", " : "",
			    d->enums[i].name);
			if (w < 0)
				return;
			used += (size_t)w;
		}
	}
}

/*
 * Converts one scalar text for a scalar directive.  style_checked: the
 * scalar's YAML type was already checked (or it is a default).
 */
static void
set_scalar(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    const char *s, size_t len, int line)
{
	void *f = (char *)base + d->off;
	unsigned long long v = 0;
	char allowed[512];
	char *str;
	size_t i;

	switch (d->type) {
	case D_STR:
	case D_PATH:
		if (memchr(s, '\0', len) != NULL || len == 0) {
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s must not be empty",
			    path, d->name);
			return;
		}
		if (d->enums != NULL) {
			for (i = 0; d->enums[i].name != NULL; i++)
				if (strlen(d->enums[i].name) == len &&
				    memcmp(d->enums[i].name, s, len) == 0)
					break;
			if (d->enums[i].name == NULL) {
				enum_list(d, allowed, sizeof(allowed));
				cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
				    "%s%s: '%.*s' is not one of: %s", path, d->name,
				    (int)(len > 80 ? 80 : len), s, allowed);
				return;
			}
		}
		if (d->type == D_PATH)
			str = cfg_path_join_n(x->cfg->dir, s, len);
		else
			str = strndup(s, len);
		if (str == NULL) {
			x->oom = true;
			return;
		}
		if (d->check != NULL && !d->check(x, str, line, path, d)) {
			if (d->flags & DF_SECRET)
				eidgw_free_secret_str(str);
			else
				free(str);
			/* Seen, though refused: checks of presence must not pile on. */
			cfg_line_set(x, f, line);
			return;
		}
		if (d->flags & DF_SECRET)
			eidgw_free_secret_str(*(char **)f);
		else
			free(*(char **)f);
		*(char **)f = str;
		break;
	case D_BOOL:
		if (len == 4 && memcmp(s, "true", 4) == 0)
			*(bool *)f = true;
		else if (len == 5 && memcmp(s, "false", 5) == 0)
			*(bool *)f = false;
		else {
			cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
			    "%s%s must be true or false (YAML booleans are true/false only)",
			    path, d->name);
			return;
		}
		break;
	case D_UINT:
	case D_SIZE:
		if (!all_digits(s, len) || len > 19) {
			cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
			    "%s%s must be a whole number, not '%.*s'", path, d->name,
			    (int)(len > 40 ? 40 : len), s);
			return;
		}
		for (i = 0; i < len; i++)
			v = v * 10 + (unsigned long long)(s[i] - '0');
		if (v < d->min || v > d->max) {
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE,
			    "%s%s = %llu is out of range (%llu to %llu)", path, d->name, v,
			    d->min, d->max);
			return;
		}
		if (d->type == D_UINT)
			*(unsigned int *)f = (unsigned int)v;
		else
			*(size_t *)f = (size_t)v;
		break;
	case D_ENUM:
		for (i = 0; d->enums[i].name != NULL; i++)
			if (strlen(d->enums[i].name) == len &&
			    memcmp(d->enums[i].name, s, len) == 0)
				break;
		if (d->enums[i].name == NULL) {
			enum_list(d, allowed, sizeof(allowed));
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s: '%.*s' is not one of: %s",
			    path, d->name, (int)(len > 80 ? 80 : len), s, allowed);
			return;
		}
		*(int *)f = d->enums[i].value;
		break;
	default:
		return;
	}
	cfg_line_set(x, f, line);
}

/* Checks a scalar node's YAML type against what the directive expects. */
bool
cfg_scalar(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    struct fy_node *n, int line, const char **sp, size_t *lenp)
{
	enum fy_node_style st;
	size_t tlen = 0;
	const char *s;

	if (n == NULL || fy_node_get_type(n) != FYNT_SCALAR ||
	    fy_node_get_style(n) == FYNS_ALIAS) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be %s, not %s", path, d->name,
		    type_name(d), node_kind(n));
		return false;
	}
	if (fy_node_get_tag(n, &tlen) != NULL && tlen != 0) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s: YAML tags are not supported",
		    path, d->name);
		return false;
	}
	if ((s = fy_node_get_scalar(n, lenp)) == NULL) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s has no value", path, d->name);
		return false;
	}
	*sp = s;
	st = fy_node_get_style(n);
	switch (d->type) {
	case D_BOOL:
	case D_UINT:
	case D_SIZE:
		if (st != FYNS_PLAIN) {
			cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be %s, not a quoted string",
			    path, d->name, type_name(d));
			return false;
		}
		return true;
	default:
		if (st == FYNS_PLAIN && plain_is_not_string(s, *lenp)) {
			if (*lenp == 0)
				cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s has no value",
				    path, d->name);
			else if (d->flags & DF_SECRET)
				cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
				    "%s%s must be a string (quote it)", path, d->name);
			else
				cfg_err(x, line, EIDGW_E_CONFIG_TYPE,
				    "%s%s must be a string, not '%.*s' (quote it if you mean the text)",
				    path, d->name, (int)(*lenp > 40 ? 40 : *lenp), s);
			return false;
		}
		return true;
	}
}

static void parse_section(struct cfg_ctx *x, const struct cfg_section *s, struct fy_node *map,
    void *base, int line);

/* Edit distance (insert, delete, substitute, swap), capped at 3: enough for typos. */
static size_t
edit_distance(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b), i, j, d[33][33], v;

	if (al > 32 || bl > 32)
		return 3;
	for (i = 0; i <= al; i++)
		d[i][0] = i;
	for (j = 0; j <= bl; j++)
		d[0][j] = j;
	for (i = 1; i <= al; i++)
		for (j = 1; j <= bl; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[al][bl] < 3 ? d[al][bl] : 3;
}

/* The known key closest to an unknown one, when it is a likely typo. */
static const char *
suggest(const struct cfg_section *s, const char *key, size_t klen)
{
	const char *best = NULL;
	size_t i, dist, bestd = 3;

	for (i = 0; i < s->n; i++) {
		dist = edit_distance(key, klen, s->d[i].name);
		if (dist < bestd && dist < klen) {
			bestd = dist;
			best = s->d[i].name;
		}
	}
	return best;
}

static void
free_strlist(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
parse_strlist(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    struct fy_node *n, int line)
{
	char ***arr = (char ***)((char *)base + d->off);
	size_t *count = (size_t *)((char *)base + d->off_n);
	struct cfg_directive elem;
	struct fy_node *it;
	void *iter = NULL;
	char **v = NULL;
	char *one = NULL;
	size_t cnt, i = 0, len;
	const char *s;
	int l;

	if (n == NULL || fy_node_get_type(n) != FYNT_SEQUENCE) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be a list of strings, not %s",
		    path, d->name, node_kind(n));
		return;
	}
	cnt = (size_t)fy_node_sequence_item_count(n);
	if (cnt > CFG_MAX_LIST) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s has more than %d entries", path,
		    d->name, CFG_MAX_LIST);
		return;
	}
	if (cnt == 0 && (d->flags & DF_REQUIRED)) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s must not be empty", path, d->name);
		return;
	}
	if (cnt != 0 && (v = calloc(cnt, sizeof(*v))) == NULL) {
		x->oom = true;
		return;
	}
	/* Each element is a string directive of its own, for checks and lines. */
	elem = *d;
	elem.type = D_STR;
	elem.off = 0;
	while ((it = fy_node_sequence_iterate(n, &iter)) != NULL && i < cnt) {
		l = cfg_node_line(it, line);
		if (!cfg_scalar(x, path, &elem, it, l, &s, &len))
			continue;
		one = NULL;
		set_scalar(x, path, &elem, &one, s, len, l);
		if (one == NULL)
			continue;
		v[i] = one;
		cfg_line_set(x, &v[i], l);
		i++;
	}
	free_strlist(*arr, *count);
	*arr = v;
	*count = i;
	cfg_line_set(x, arr, line);
}

static void
parse_objlist(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    struct fy_node *n, int line)
{
	void **arr = (void **)((char *)base + d->off);
	size_t *count = (size_t *)((char *)base + d->off_n);
	struct fy_node *it;
	void *iter = NULL;
	size_t cnt, i = 0;
	char *v;

	if (n == NULL || fy_node_get_type(n) != FYNT_SEQUENCE) {
		cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be a list of mappings, not %s",
		    path, d->name, node_kind(n));
		return;
	}
	cnt = (size_t)fy_node_sequence_item_count(n);
	if (cnt > CFG_MAX_LIST) {
		cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s has more than %d entries", path,
		    d->name, CFG_MAX_LIST);
		return;
	}
	if (cnt == 0) {
		if (d->flags & DF_REQUIRED)
			cfg_err(x, line, EIDGW_E_CONFIG_VALUE, "%s%s must not be empty", path,
			    d->name);
		cfg_line_set(x, arr, line);
		return;
	}
	if ((v = calloc(cnt, d->sub->size)) == NULL) {
		x->oom = true;
		return;
	}
	/* Hand the array over first so that everything parsed into it gets freed. */
	*arr = v;
	*count = cnt;
	cfg_line_set(x, arr, line);
	while ((it = fy_node_sequence_iterate(n, &iter)) != NULL && i < cnt) {
		int l = cfg_node_line(it, line);

		if (fy_node_get_type(it) != FYNT_MAPPING) {
			cfg_err(x, l, EIDGW_E_CONFIG_TYPE, "%s%s: each entry must be a mapping, not %s",
			    path, d->name, node_kind(it));
			cfg_section_defaults(x, d->sub, v + i * d->sub->size);
		} else
			parse_section(x, d->sub, it, v + i * d->sub->size, l);
		i++;
	}
}

static void
parse_value(struct cfg_ctx *x, const char *path, const struct cfg_directive *d, void *base,
    struct fy_node *n, int line)
{
	const char *s;
	size_t len;

	switch (d->type) {
	case D_STR:
	case D_PATH:
	case D_BOOL:
	case D_UINT:
	case D_SIZE:
	case D_ENUM:
		if (cfg_scalar(x, path, d, n, line, &s, &len))
			set_scalar(x, path, d, base, s, len, line);
		break;
	case D_STRLIST:
		parse_strlist(x, path, d, base, n, line);
		break;
	case D_SECTION:
		if (n == NULL || fy_node_get_type(n) != FYNT_MAPPING) {
			cfg_err(x, line, EIDGW_E_CONFIG_TYPE, "%s%s must be a mapping, not %s",
			    path, d->name, node_kind(n));
			cfg_section_defaults(x, d->sub, (char *)base + d->off);
			break;
		}
		cfg_section_line_set(x, (char *)base + d->off, line);
		parse_section(x, d->sub, n, (char *)base + d->off, line);
		break;
	case D_OBJLIST:
		parse_objlist(x, path, d, base, n, line);
		break;
	case D_CUSTOM:
		d->parse(x, path, d, base, n, NULL, line);
		break;
	}
}

/* Applies one directive's default (defaults are trusted text, not checked for YAML type). */
static void
apply_default(struct cfg_ctx *x, const struct cfg_directive *d, void *base)
{
	const char *p, *q;
	char **v;
	size_t n = 0, i;

	if (d->type == D_SECTION) {
		cfg_section_defaults(x, d->sub, (char *)base + d->off);
		return;
	}
	if (d->def == NULL)
		return;
	switch (d->type) {
	case D_STRLIST:
		for (p = d->def; *p != '\0'; p = q) {
			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
			for (q = p; *q != '\0' && *q != ' '; q++)
				;
			n++;
		}
		if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
			x->oom = true;
			return;
		}
		for (i = 0, p = d->def; i < n; p = q) {
			while (*p == ' ')
				p++;
			for (q = p; *q != '\0' && *q != ' '; q++)
				;
			if ((v[i++] = strndup(p, (size_t)(q - p))) == NULL)
				x->oom = true;
		}
		*(char ***)((char *)base + d->off) = v;
		*(size_t *)((char *)base + d->off_n) = n;
		break;
	case D_CUSTOM:
		d->parse(x, "", d, base, NULL, d->def, 0);
		break;
	case D_OBJLIST:
		break;
	default:
		set_scalar(x, "", d, base, d->def, strlen(d->def), 0);
		/* A default has no line: forget the record set_scalar made. */
		if (x->n_lines > 0 && x->lines[x->n_lines - 1].field == (char *)base + d->off)
			x->n_lines--;
		break;
	}
}

void
cfg_section_defaults(struct cfg_ctx *x, const struct cfg_section *s, void *base)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		apply_default(x, &s->d[i], base);
}

static void
parse_section(struct cfg_ctx *x, const struct cfg_section *s, struct fy_node *map, void *base,
    int line)
{
	unsigned char seen[CFG_MAX_DIRECTIVES];
	int seen_line[CFG_MAX_DIRECTIVES];
	struct fy_node_pair *p;
	struct fy_node *k;
	char path[128];
	void *iter = NULL;
	const char *key;
	size_t klen, i;
	int kline;

	memset(seen, 0, sizeof(seen));
	(void)snprintf(path, sizeof(path), "%s%s", s->path, s->path[0] != '\0' ? "." : "");
	while ((p = fy_node_mapping_iterate(map, &iter)) != NULL) {
		k = fy_node_pair_key(p);
		kline = cfg_node_line(k, line);
		if (k == NULL || fy_node_get_type(k) != FYNT_SCALAR ||
		    fy_node_get_style(k) == FYNS_ALIAS ||
		    (key = fy_node_get_scalar(k, &klen)) == NULL) {
			cfg_err(x, kline, EIDGW_E_CONFIG_TYPE, "%s: keys must be plain strings",
			    s->path[0] != '\0' ? s->path : "top level");
			continue;
		}
		for (i = 0; i < s->n; i++)
			if (strlen(s->d[i].name) == klen && memcmp(s->d[i].name, key, klen) == 0)
				break;
		if (i == s->n) {
			const char *hint = suggest(s, key, klen);

			cfg_err(x, kline, EIDGW_E_CONFIG_UNKNOWN_KEY, "unknown key '%s%.*s'%s%s%s%s",
			    path, (int)(klen > 60 ? 60 : klen), key,
			    hint != NULL ? " (did you mean '" : "", hint != NULL ? path : "",
			    hint != NULL ? hint : "", hint != NULL ? "'?)" : "");
			continue;
		}
		if (seen[i]) {
			cfg_err(x, kline, EIDGW_E_CONFIG_DUPLICATE,
			    "duplicate key '%s%s' (first at line %d)", path, s->d[i].name,
			    seen_line[i]);
			continue;
		}
		seen[i] = 1;
		seen_line[i] = kline;
		parse_value(x, path, &s->d[i], base, fy_node_pair_value(p), kline);
	}
	for (i = 0; i < s->n; i++) {
		if (seen[i])
			continue;
		if (s->d[i].flags & DF_REQUIRED)
			cfg_err(x, line, EIDGW_E_CONFIG_MISSING, "missing required key '%s%s'",
			    path, s->d[i].name);
		else
			apply_default(x, &s->d[i], base);
	}
	if (s->validate != NULL)
		s->validate(x, base, line);
}

/* Parses a whole file's root mapping against a section. */
void
cfg_parse_root(struct cfg_ctx *x, const struct cfg_section *s, struct cfg_yaml *y, void *base)
{
	if (fy_node_get_type(y->root) != FYNT_MAPPING) {
		cfg_err(x, cfg_node_line(y->root, 1), EIDGW_E_CONFIG_TYPE,
		    "the file must hold a YAML mapping, not %s", node_kind(y->root));
		cfg_section_defaults(x, s, base);
		return;
	}
	parse_section(x, s, y->root, base, cfg_node_line(y->root, 1));
}

/* ---- freeing ---------------------------------------------------------- */

void
cfg_section_free(const struct cfg_section *s, void *base)
{
	const struct cfg_directive *d;
	size_t i, j, *n;
	void *f;
	char **p;

	for (i = 0; i < s->n; i++) {
		d = &s->d[i];
		f = (char *)base + d->off;
		switch (d->type) {
		case D_STR:
		case D_PATH:
			p = f;
			if (d->flags & DF_SECRET)
				eidgw_free_secret_str(*p);
			else
				free(*p);
			*p = NULL;
			break;
		case D_STRLIST:
			n = (size_t *)((char *)base + d->off_n);
			free_strlist(*(char ***)f, *n);
			*(char ***)f = NULL;
			*n = 0;
			break;
		case D_SECTION:
			cfg_section_free(d->sub, f);
			break;
		case D_OBJLIST:
			n = (size_t *)((char *)base + d->off_n);
			for (j = 0; j < *n; j++)
				cfg_section_free(d->sub, *(char **)f + j * d->sub->size);
			free(*(void **)f);
			*(void **)f = NULL;
			*n = 0;
			break;
		case D_CUSTOM:
			if (d->release != NULL)
				d->release(d, base);
			break;
		default:
			break;
		}
	}
	if (s->cleanup != NULL)
		s->cleanup(base);
}

char *
cfg_path_join_n(const char *dir, const char *name, size_t len)
{
	char *tmp, *r;

	if ((tmp = strndup(name, len)) == NULL)
		return NULL;
	r = cfg_path_join(dir, tmp);
	free(tmp);
	return r;
}

/* ---- known keys and the reference ------------------------------------- */

static void
walk_keys(const struct cfg_section *s, const char *prefix,
    void (*fn)(const char *key, const struct cfg_directive *d, void *arg), void *arg)
{
	char path[160];
	size_t i;

	for (i = 0; i < s->n; i++) {
		(void)snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
		    s->d[i].name);
		if (s->d[i].type == D_SECTION || s->d[i].type == D_OBJLIST)
			walk_keys(s->d[i].sub, path, fn, arg);
		else
			fn(path, &s->d[i], arg);
	}
}

static void
walk_all(void (*fn)(const char *key, const struct cfg_directive *d, void *arg), void *arg)
{
	walk_keys(&cfg_gateway_section, "", fn, arg);
	walk_keys(&cfg_client_section, "client", fn, arg);
	walk_keys(&cfg_country_section, "country", fn, arg);
}

struct key_list {
	char **v;
	size_t n, cap;
};

static void
collect_key(const char *key, const struct cfg_directive *d, void *arg)
{
	struct key_list *l = arg;

	(void)d;
	if (l->n + 1 >= l->cap)
		return;
	l->v[l->n++] = strdup(key);
}

static const char *const *known_keys;
static pthread_once_t known_keys_once = PTHREAD_ONCE_INIT;

static void
known_keys_build(void)
{
	static struct key_list l;

	l.cap = 512;
	if ((l.v = calloc(l.cap, sizeof(*l.v))) == NULL)
		return;
	walk_all(collect_key, &l);
	known_keys = (const char *const *)l.v;
}

const char *const *
gw_config_known_keys(void)
{
	static const char *const none[] = { NULL };

	(void)pthread_once(&known_keys_once, known_keys_build);
	return known_keys != NULL ? known_keys : none;
}

static const char *
doc_type(const struct cfg_directive *d)
{
	if (d->type_doc != NULL)
		return d->type_doc;
	switch (d->type) {
	case D_BOOL:
		return "bool";
	case D_UINT:
		return "integer";
	case D_SIZE:
		return "integer (bytes)";
	case D_STRLIST:
		return "list of strings";
	default:
		return "string";
	}
}

static void
print_row(const char *key, const struct cfg_directive *d, void *arg)
{
	FILE *f = arg;
	char allowed[512];
	const char *type = doc_type(d);

	if (d->enums != NULL) {
		enum_list(d, allowed, sizeof(allowed));
		fprintf(f, "| `%s` | %s: %s | ", key,
		    d->type == D_STRLIST ? "list, each one of" : "one of", allowed);
	} else
		fprintf(f, "| `%s` | %s | ", key, type);
	if (d->flags & DF_REQUIRED)
		fprintf(f, "required | ");
	else if (d->def_doc != NULL)
		fprintf(f, "%s | ", d->def_doc);
	else if (d->def != NULL)
		fprintf(f, "`%s` | ", d->def);
	else
		fprintf(f, "unset | ");
	fprintf(f, "%s | %s", (d->flags & DF_RESTART) ? "restart" : "reload", d->doc);
	if (d->type == D_UINT || d->type == D_SIZE)
		fprintf(f, " Range %llu to %llu.", d->min, d->max);
	fprintf(f, " |\n");
}

void
gw_config_reference_print(void *fp)
{
	FILE *f = fp != NULL ? fp : stdout;

	fprintf(f, "| key | type | default | on SIGHUP | meaning |\n");
	fprintf(f, "| --- | --- | --- | --- | --- |\n");
	walk_all(print_row, f);
}

/* ---- the snapshot ----------------------------------------------------- */

static void
config_free(struct gw_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	/* What the daemon built on this snapshot goes first: it borrows from it. */
	if (c->runtime_free != NULL)
		c->runtime_free(c->runtime);
	cfg_section_free(&cfg_gateway_section, c);
	for (i = 0; i < c->n_clients; i++) {
		cfg_section_free(&cfg_client_section, &c->clients[i]);
		free(c->clients[i].file);
	}
	free(c->clients);
	for (i = 0; i < c->n_countries; i++) {
		cfg_section_free(&cfg_country_section, &c->countries[i]);
		free(c->countries[i].file);
	}
	free(c->countries);
	free(c->path);
	free(c->dir);
	eidgw_wipe(c->pairwise_key, sizeof(c->pairwise_key));
	free(c);
}

struct gw_config *
gw_config_ref(struct gw_config *c)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	return c;
}

void
gw_config_unref(struct gw_config *c)
{
	if (c == NULL)
		return;
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		config_free(c);
}

const struct gw_client_conf *
gw_config_client(const struct gw_config *c, const char *client_id)
{
	size_t i;

	if (c == NULL || client_id == NULL)
		return NULL;
	for (i = 0; i < c->n_clients; i++)
		if (c->clients[i].client_id != NULL &&
		    strcmp(c->clients[i].client_id, client_id) == 0)
			return &c->clients[i];
	return NULL;
}

const struct gw_country_conf *
gw_config_country(const struct gw_config *c, const char *code)
{
	size_t i;

	if (c == NULL || code == NULL)
		return NULL;
	for (i = 0; i < c->n_countries; i++)
		if (strcmp(c->countries[i].code, code) == 0)
			return &c->countries[i];
	return NULL;
}

enum eidgw_err
gw_config_each_cert(const struct gw_config *c, gw_cert_fn fn, void *arg)
{
	enum eidgw_err rc = EIDGW_OK;
	size_t i, j;

	if (c->saml_signing.key != NULL && c->saml_signing.key->cert != NULL)
		rc = fn(arg, c->saml_signing.key->cert, "keys.saml_signing",
		    c->saml_signing.key->id);
	for (i = 0; rc == EIDGW_OK && i < c->n_saml_encryption; i++)
		if (c->saml_encryption[i].key != NULL && c->saml_encryption[i].key->cert != NULL)
			rc = fn(arg, c->saml_encryption[i].key->cert, "keys.saml_encryption",
			    c->saml_encryption[i].key->id);
	for (i = 0; rc == EIDGW_OK && i < c->n_countries; i++)
		for (j = 0; rc == EIDGW_OK && j < c->countries[i].saml.n_metadata_signers; j++)
			rc = fn(arg, c->countries[i].saml.metadata_signers[j],
			    "country.saml.metadata_signing_cert", c->countries[i].code);
	return rc;
}

/* ---- loading ---------------------------------------------------------- */

static int
yaml_name_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Lists dir's *.yaml files sorted by name (byte order).  Returns the count
 * (0 on error, which is reported against the directive that named dir).
 */
static size_t
list_yaml(struct cfg_ctx *x, const char *dir, const void *field, const char *what,
    struct dirent ***out)
{
	int n;

	*out = NULL;
	if (dir == NULL)
		return 0;
	n = scandir(dir, out, yaml_name_filter, name_cmp);
	if (n < 0) {
		cfg_err_at(x, x->cfg->path, cfg_line(x, field, 0), EIDGW_E_CONFIG_FILE,
		    "%s %s: %s", what, dir, strerror(errno));
		*out = NULL;
		return 0;
	}
	(void)cfg_not_world_writable(x, x->cfg->path, cfg_line(x, field, 0), dir, what);
	return (size_t)n;
}

static void
free_dirents(struct dirent **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Loads one file of a clients/ or countries/ directory into base (an entry
 * of section s): *file_out gets the joined path (owned by the entry), then
 * the YAML is parsed, or the defaults are set when it does not load.
 * Returns false only when the path cannot be allocated (x->oom is set).
 */
static bool
load_dir_file(struct cfg_ctx *x, const char *dir, const char *name,
    const struct cfg_section *s, void *base, char **file_out)
{
	struct cfg_yaml y;
	char *path;

	if ((path = cfg_path_join(dir, name)) == NULL) {
		x->oom = true;
		return false;
	}
	*file_out = path;
	x->file = path;
	x->n_lines = 0;
	x->file_base = name;
	if (cfg_yaml_load(x, path, &y))
		cfg_parse_root(x, s, &y, base);
	else
		cfg_section_defaults(x, s, base);
	cfg_yaml_free(&y);
	return true;
}

static void
load_clients(struct cfg_ctx *x, struct gw_config *c, struct dirent **ents, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if ((c->clients = calloc(n, sizeof(*c->clients))) == NULL) {
		x->oom = true;
		return;
	}
	for (i = 0; i < n && !x->oom; i++) {
		struct gw_client_conf *cl = &c->clients[c->n_clients];

		if (!load_dir_file(x, c->clients_dir, ents[i]->d_name, &cfg_client_section, cl,
		    &cl->file))
			return;
		c->n_clients++;
	}
}

static void
load_countries(struct cfg_ctx *x, struct gw_config *c, struct dirent **ents, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if ((c->countries = calloc(n, sizeof(*c->countries))) == NULL) {
		x->oom = true;
		return;
	}
	for (i = 0; i < n && !x->oom; i++) {
		struct gw_country_conf *co = &c->countries[c->n_countries];

		if (!load_dir_file(x, c->countries_dir, ents[i]->d_name, &cfg_country_section, co,
		    &co->file))
			return;
		c->n_countries++;
	}
}

/*
 * The directory of path, made absolute (relative paths in the files are
 * resolved against it, and the daemon may change its working directory
 * later).  Falls back to the plain directory name when it cannot be
 * resolved; reading the file then reports the problem.
 */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, *abs;

	if (slash == NULL)
		d = eidgw_strdup(".");
	else if (slash == path)
		d = eidgw_strdup("/");
	else
		d = strndup(path, (size_t)(slash - path));
	if (d == NULL)
		return NULL;
	if ((abs = realpath(d, NULL)) == NULL)
		return d;
	free(d);
	return abs;
}

enum eidgw_err
gw_config_load(const char *path, struct gw_config **out, struct gw_config_errors *errs)
{
	struct gw_config_errors local = { NULL, 0 };
	struct dirent **cl_ents = NULL, **co_ents = NULL;
	size_t n_cl = 0, n_co = 0;
	struct gw_config *c = NULL;
	struct cfg_ctx x;
	struct cfg_yaml y;
	unsigned int hlen = 0;
	enum eidgw_err rc = EIDGW_E_NOMEM;

	if (out != NULL)
		*out = NULL;
	if (errs == NULL)
		errs = &local;
	errs->v = NULL;
	errs->n = 0;
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	if (path == NULL || out == NULL)
		return EIDGW_E_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	atomic_init(&c->refs, 1);
	if ((c->path = eidgw_strdup(path)) == NULL || (c->dir = dir_of(path)) == NULL)
		goto out;
	c->loaded_at = eidgw_now();
	x.cfg = c;
	x.errs = errs;
	x.file = c->path;
	if ((x.md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(x.md, EVP_sha256(), NULL) != 1)
		goto out;

	if (cfg_yaml_load(&x, path, &y)) {
		(void)cfg_not_world_writable(&x, c->path, 0, c->dir, "the directory of the file");
		cfg_parse_root(&x, &cfg_gateway_section, &y, c);
		/* Directory listings need the lines of clients_dir / countries_dir. */
		n_cl = list_yaml(&x, c->clients_dir, &c->clients_dir, "clients_dir", &cl_ents);
		n_co = list_yaml(&x, c->countries_dir, &c->countries_dir, "countries_dir",
		    &co_ents);
	} else
		cfg_section_defaults(&x, &cfg_gateway_section, c);
	cfg_yaml_free(&y);
	if (x.oom)
		goto out;

	load_clients(&x, c, cl_ents, n_cl);
	load_countries(&x, c, co_ents, n_co);
	if (x.oom)
		goto out;
	x.file = c->path;
	x.n_lines = 0;
	cfg_check_global(&x, c);
	if (x.oom)
		goto out;
	if (x.truncated)
		cfg_err_at(&x, c->path, 0, EIDGW_E_CONFIG, "too many errors; only the first %d shown",
		    CFG_MAX_ERRORS);
	if (x.n_errors != 0) {
		rc = EIDGW_E_CONFIG;
		goto out;
	}
	if (EVP_DigestFinal_ex(x.md, c->hash, &hlen) != 1 || hlen != sizeof(c->hash))
		goto out;
	*out = c;
	c = NULL;
	rc = EIDGW_OK;
out:
	if (rc == EIDGW_E_NOMEM && x.errs != NULL)
		cfg_err_at(&x, path, 0, EIDGW_E_NOMEM, "out of memory while loading the configuration");
	free_dirents(cl_ents, n_cl);
	free_dirents(co_ents, n_co);
	EVP_MD_CTX_free(x.md);
	free(x.lines);
	config_free(c);
	if (errs == &local)
		gw_config_errors_free(&local);
	return rc;
}
