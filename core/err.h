/*
 * err.h - the one error enum of eidgw, shared by core/, saml/, oidc/ and gateway/.
 *
 * Codes are stable numbers: never renumber, retire a code in place.  Each code
 * belongs to a category (the thousands digit groups them by owner, the category
 * tells the HTTP layer which status and which user page to show).  The lists
 * live in one .def file per owner so that modules can add codes without
 * touching each other's lines:
 *
 *   0-999      core and gateway      err_core.def
 *   2000-2999  saml/                 err_saml.def
 *   3000-3999  oidc/                 err_oidc.def
 *
 * A function that can fail returns enum eidgw_err; the human reason for the
 * log goes into a struct eidgw_diag passed alongside (never shown to users).
 */
#ifndef EIDGW_CORE_ERR_H
#define EIDGW_CORE_ERR_H

#include <stddef.h>

enum eidgw_err_cat {
	EIDGW_CAT_NONE = 0,	/* success */
	EIDGW_CAT_INPUT,	/* malformed or oversized input from outside: 400 */
	EIDGW_CAT_PROTOCOL,	/* well-formed but breaks a protocol rule: 400 */
	EIDGW_CAT_TRUST,	/* signature, key, issuer, audience, replay: 400/401 */
	EIDGW_CAT_AUTH,		/* client or user authentication failed: 401 */
	EIDGW_CAT_CONFIG,	/* configuration invalid */
	EIDGW_CAT_IO,		/* file or network I/O */
	EIDGW_CAT_UNAVAILABLE,	/* a dependency is down: 503 */
	EIDGW_CAT_RESOURCE,	/* out of memory, limits: 500/413 */
	EIDGW_CAT_INTERNAL,	/* a bug: 500 */
};

#define EIDGW_ERR_X(name, num, cat, text) name = num,
enum eidgw_err {
	EIDGW_OK = 0,
#include "err_core.def"
#include "err_saml.def"
#include "err_oidc.def"
};
#undef EIDGW_ERR_X

/* The constant name of a code ("EIDGW_E_NOMEM"), for logs and audit records. */
const char *eidgw_err_name(enum eidgw_err e);
/* A short English description for operators (never for end users). */
const char *eidgw_strerror(enum eidgw_err e);
enum eidgw_err_cat eidgw_err_category(enum eidgw_err e);

/*
 * Diagnostics that travel beside an error code: the reason for the log and
 * the source position of the first failure.  A NULL diag is allowed
 * everywhere and simply drops the reason.
 */
struct eidgw_diag {
	enum eidgw_err code;
	const char *file;
	int line;
	char reason[256];
};

#if defined(__GNUC__)
#define EIDGW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define EIDGW_MUST_USE __attribute__((warn_unused_result))
#else
#define EIDGW_PRINTF(a, b)
#define EIDGW_MUST_USE
#endif

/* Records the first failure only: later calls keep the original reason. */
enum eidgw_err eidgw_diag_set(struct eidgw_diag *d, enum eidgw_err code,
    const char *file, int line, const char *fmt, ...) EIDGW_PRINTF(5, 6);
void eidgw_diag_clear(struct eidgw_diag *d);

/*
 * Guard macros for the one cleanup shape: `enum eidgw_err rc` and an `out:`
 * label in the calling function.
 */
#define EIDGW_TRY(expr) \
	do { if ((rc = (expr)) != EIDGW_OK) goto out; } while (0)
#define EIDGW_ENSURE(cond, err) \
	do { if (!(cond)) { rc = (err); goto out; } } while (0)
#define EIDGW_FAIL(diag, err, ...) \
	do { rc = eidgw_diag_set((diag), (err), __FILE__, __LINE__, __VA_ARGS__); goto out; } while (0)
#define EIDGW_CHECK(cond, diag, err, ...) \
	do { if (!(cond)) EIDGW_FAIL((diag), (err), __VA_ARGS__); } while (0)

#endif
