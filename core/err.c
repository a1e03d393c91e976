/* err.c - names, texts and categories of the error codes. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	enum eidgw_err code;
	enum eidgw_err_cat cat;
	const char *name;
	const char *text;
};

#define EIDGW_ERR_X(name, num, cat, text) { name, cat, #name, text },
static const struct err_row err_rows[] = {
	{ EIDGW_OK, EIDGW_CAT_NONE, "EIDGW_OK", "success" },
#include "err_core.def"
#include "err_saml.def"
#include "err_oidc.def"
};
#undef EIDGW_ERR_X

static const struct err_row *
err_find(enum eidgw_err e)
{
	size_t i;

	for (i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (err_rows[i].code == e)
			return &err_rows[i];
	return NULL;
}

const char *
eidgw_err_name(enum eidgw_err e)
{
	const struct err_row *r = err_find(e);

	return r != NULL ? r->name : "EIDGW_E_UNKNOWN";
}

const char *
eidgw_strerror(enum eidgw_err e)
{
	const struct err_row *r = err_find(e);

	return r != NULL ? r->text : "unknown error";
}

enum eidgw_err_cat
eidgw_err_category(enum eidgw_err e)
{
	const struct err_row *r = err_find(e);

	return r != NULL ? r->cat : EIDGW_CAT_INTERNAL;
}

enum eidgw_err
eidgw_diag_set(struct eidgw_diag *d, enum eidgw_err code, const char *file,
    int line, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || d->code != EIDGW_OK)
		return code;
	d->code = code;
	d->file = file;
	d->line = line;
	va_start(ap, fmt);
	(void)vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return code;
}

void
eidgw_diag_clear(struct eidgw_diag *d)
{
	if (d == NULL)
		return;
	memset(d, 0, sizeof(*d));
}
