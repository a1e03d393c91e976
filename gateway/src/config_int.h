/*
 * config_int.h - what config.c (the YAML walker) and config_schema.c (the
 * directive tables and checks) share.  Not for use outside the loader.
 */
#ifndef EIDGW_GW_CONFIG_INT_H
#define EIDGW_GW_CONFIG_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>
#include <openssl/evp.h>

#include "config.h"

#define CFG_MAX_FILE_BYTES	(1024 * 1024)	/* any one YAML, JWKS or key file */
#define CFG_MAX_ERRORS		200
#define CFG_MAX_LIST		256		/* entries in any one list */
#define CFG_MAX_DIRECTIVES	48		/* keys in any one section */

enum cfg_type {
	D_STR = 1,	/* char *; enums, when set, lists the allowed values */
	D_PATH,		/* char *, resolved against the directory of gateway.yaml */
	D_BOOL,		/* bool: true or false */
	D_UINT,		/* unsigned int in [min, max] */
	D_SIZE,		/* size_t in [min, max] */
	D_ENUM,		/* int-sized enum from the enums table */
	D_STRLIST,	/* char ** at off, size_t count at off_n */
	D_SECTION,	/* a nested mapping at base + off */
	D_OBJLIST,	/* array of sub->size elements at off, count at off_n */
	D_CUSTOM,	/* parse() does it all */
};

#define DF_REQUIRED	0x01u
#define DF_SECRET	0x02u	/* wiped on free, never echoed in a message */
#define DF_RESTART	0x04u	/* a SIGHUP reload does not apply it */

struct cfg_ctx;
struct cfg_directive;

struct cfg_enum {
	const char *name;
	int value;
	bool hidden;		/* accepted but not listed (aliases) */
};

struct cfg_line {
	const void *field;
	int line;
	bool section;		/* the line of a nested mapping, not of a value */
};

struct cfg_ctx {
	struct gw_config *cfg;
	struct gw_config_errors *errs;
	const char *file;		/* the file being read, for messages */
	const char *file_base;		/* its name without the directory */
	struct cfg_line *lines;
	size_t n_lines, cap_lines;
	EVP_MD_CTX *md;			/* SHA-256 over the files read */
	size_t n_errors;
	bool truncated;
	bool oom;
};

typedef bool (*cfg_check_fn)(struct cfg_ctx *x, const char *value, int line, const char *path,
    const struct cfg_directive *d);
/* n is NULL when the default text deftext is applied. */
typedef void (*cfg_parse_fn)(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    void *base, struct fy_node *n, const char *deftext, int line);
typedef void (*cfg_release_fn)(const struct cfg_directive *d, void *base);

struct cfg_section;

struct cfg_directive {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t off_n;
	unsigned int flags;
	const char *def;		/* default as text; lists: space-separated */
	const char *def_doc;		/* the default in words when it is computed */
	unsigned long long min, max;
	const struct cfg_enum *enums;
	const struct cfg_section *sub;
	cfg_check_fn check;
	cfg_parse_fn parse;
	cfg_release_fn release;
	const char *type_doc;
	const char *doc;
};

struct cfg_section {
	const char *path;		/* "server", "keys.oidc", "client", "" for the root */
	size_t size;			/* element size, for lists of mappings */
	const struct cfg_directive *d;
	size_t n;
	/* Runs after the mapping was read (line: the mapping's line). */
	void (*validate)(struct cfg_ctx *x, void *base, int line);
	/* Frees what the tables do not describe (loaded keys). */
	void (*cleanup)(void *base);
};

struct cfg_yaml {
	char *text;
	size_t len;
	struct fy_diag *diag;
	struct fy_parser *parser;
	struct fy_document *doc;
	struct fy_node *root;
};

extern const struct cfg_section cfg_gateway_section;
extern const struct cfg_section cfg_client_section;
extern const struct cfg_section cfg_country_section;

void cfg_err(struct cfg_ctx *x, int line, enum eidgw_err code, const char *fmt, ...)
    EIDGW_PRINTF(4, 5);
void cfg_err_at(struct cfg_ctx *x, const char *file, int line, enum eidgw_err code,
    const char *fmt, ...) EIDGW_PRINTF(5, 6);
void cfg_line_set(struct cfg_ctx *x, const void *field, int line);
int cfg_line(const struct cfg_ctx *x, const void *field, int fallback);
bool cfg_seen(const struct cfg_ctx *x, const void *field);
/*
 * Sections are recorded apart: a section and its first field share an
 * address.  cfg_section_line: the line of the key that opened it.
 */
void cfg_section_line_set(struct cfg_ctx *x, const void *section, int line);
int cfg_section_line(const struct cfg_ctx *x, const void *section, int fallback);
bool cfg_section_seen(const struct cfg_ctx *x, const void *section);

char *cfg_path_join(const char *dir, const char *name);
char *cfg_path_join_n(const char *dir, const char *name, size_t len);
/* cfg_read_file's answer for a file that is neither regular nor a directory (FIFO, device). */
#define CFG_ENOTREG	(-1)
int cfg_read_file(const char *path, size_t max, char **out, size_t *lenp);
/* The text of a cfg_read_file error. */
const char *cfg_read_strerror(int e);
bool cfg_file_exists(const char *path);
/* Refuses (reports at file:line) a file or directory anybody may write to. */
bool cfg_not_world_writable(struct cfg_ctx *x, const char *file, int line, const char *path,
    const char *what);
void cfg_hash(struct cfg_ctx *x, const char *path, const void *data, size_t len);
void cfg_hash_file(struct cfg_ctx *x, const char *path);

int cfg_node_line(struct fy_node *n, int fallback);
/* A scalar of the YAML type d expects (strings: not a plain null/bool/number). */
bool cfg_scalar(struct cfg_ctx *x, const char *path, const struct cfg_directive *d,
    struct fy_node *n, int line, const char **sp, size_t *lenp);
bool cfg_yaml_load(struct cfg_ctx *x, const char *path, struct cfg_yaml *y);
void cfg_yaml_free(struct cfg_yaml *y);
void cfg_parse_root(struct cfg_ctx *x, const struct cfg_section *s, struct cfg_yaml *y, void *base);
void cfg_section_defaults(struct cfg_ctx *x, const struct cfg_section *s, void *base);
void cfg_section_free(const struct cfg_section *s, void *base);

/* After every file: duplicates across files and references between them. */
void cfg_check_global(struct cfg_ctx *x, struct gw_config *c);

#endif
