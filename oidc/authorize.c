/*
 * authorize.c - the authorization endpoint, PAR, the validated request and
 * the code that ends a login.
 *
 * Order of checks at /authorize (RFC 6749 §4.1.2.1): the client and the
 * redirect_uri are established first; until both are trusted nothing is sent
 * to the redirect_uri and the outcome is an error page.  After that every
 * refusal goes back to the client with error, state and iss (RFC 9207).
 */
#include "oidc/oidc_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

void
oidc_authz_request_free(struct oidc_authz_request *r)
{
	if (r == NULL)
		return;
	free(r->client_id);
	free(r->redirect_uri);
	free(r->state);
	free(r->nonce);
	free(r->scope);
	free(r->code_challenge);
	free(r->acr_values);
	free(r->acr_min);
	free(r->ui_locales);
	free(r->prompt);
	free(r->dpop_jkt);
	free(r->par_ref);
	free(r);
}

void
oidc_authz_result_free(struct oidc_authz_result *r)
{
	if (r == NULL)
		return;
	free(r->location);
	oidc_authz_request_free(r->req);
	memset(r, 0, sizeof(*r));
}

/* ---- serialisation ---------------------------------------------------- */

static int
jset_str(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, k, json_string(v));
}

enum eidgw_err
oidc_authz_request_to_json(const struct oidc_authz_request *r, char **out)
{
	json_t *o;
	enum eidgw_err rc = EIDGW_E_NOMEM;

	*out = NULL;
	if ((o = json_object()) == NULL)
		return rc;
	if (jset_str(o, "client_id", r->client_id) != 0 ||
	    jset_str(o, "redirect_uri", r->redirect_uri) != 0 ||
	    jset_str(o, "state", r->state) != 0 || jset_str(o, "nonce", r->nonce) != 0 ||
	    jset_str(o, "scope", r->scope) != 0 ||
	    jset_str(o, "code_challenge", r->code_challenge) != 0 ||
	    jset_str(o, "acr_values", r->acr_values) != 0 ||
	    json_object_set_new(o, "acr_essential", json_boolean(r->acr_essential)) != 0 ||
	    jset_str(o, "acr_min", r->acr_min) != 0 ||
	    jset_str(o, "ui_locales", r->ui_locales) != 0 ||
	    jset_str(o, "prompt", r->prompt) != 0 ||
	    json_object_set_new(o, "max_age", json_integer(r->max_age)) != 0 ||
	    (r->country[0] != '\0' && jset_str(o, "country", r->country) != 0) ||
	    json_object_set_new(o, "via_par", json_boolean(r->via_par)) != 0 ||
	    jset_str(o, "dpop_jkt", r->dpop_jkt) != 0 ||
	    jset_str(o, "par_ref", r->par_ref) != 0)
		goto out;
	if ((*out = json_dumps(o, JSON_COMPACT)) != NULL)
		rc = EIDGW_OK;
out:
	json_decref(o);
	return rc;
}

static int
jget_str(json_t *o, const char *k, char **dst, bool required)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	return (*dst = strdup(json_string_value(v))) == NULL ? -1 : 0;
}

enum eidgw_err
oidc_authz_request_from_json(const char *json, size_t len, struct oidc_authz_request **out)
{
	struct oidc_authz_request *r = NULL;
	json_t *o = NULL, *v;
	enum eidgw_err rc = EIDGW_E_MALFORMED;
	const char *cc;

	*out = NULL;
	if ((o = oidc_json_parse_object(json, len, 65536)) == NULL)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	if (jget_str(o, "client_id", &r->client_id, true) != 0 ||
	    jget_str(o, "redirect_uri", &r->redirect_uri, true) != 0 ||
	    jget_str(o, "state", &r->state, false) != 0 ||
	    jget_str(o, "nonce", &r->nonce, false) != 0 ||
	    jget_str(o, "scope", &r->scope, true) != 0 ||
	    jget_str(o, "code_challenge", &r->code_challenge, true) != 0 ||
	    jget_str(o, "acr_values", &r->acr_values, false) != 0 ||
	    jget_str(o, "acr_min", &r->acr_min, true) != 0 ||
	    jget_str(o, "ui_locales", &r->ui_locales, false) != 0 ||
	    jget_str(o, "prompt", &r->prompt, false) != 0 ||
	    jget_str(o, "dpop_jkt", &r->dpop_jkt, false) != 0 ||
	    jget_str(o, "par_ref", &r->par_ref, false) != 0)
		goto out;
	if (r->par_ref != NULL && (strlen(r->par_ref) != 64 ||
	    strspn(r->par_ref, "0123456789abcdef") != 64))
		goto out;
	r->acr_essential = json_is_true(json_object_get(o, "acr_essential"));
	r->via_par = json_is_true(json_object_get(o, "via_par"));
	v = json_object_get(o, "max_age");
	r->max_age = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
	cc = json_string_value(json_object_get(o, "country"));
	if (cc != NULL) {
		if (strlen(cc) != 2)
			goto out;
		memcpy(r->country, cc, 3);
	}
	*out = r;
	r = NULL;
	rc = EIDGW_OK;
out:
	oidc_authz_request_free(r);
	json_decref(o);
	return rc;
}

/* ---- redirects ---------------------------------------------------------- */

static enum eidgw_err
redirect_build(const struct oidc_provider *p, const char *redirect_uri,
    const char *const *kv, size_t nkv, char **out)
{
	struct eidgw_buf b;
	enum eidgw_err rc;
	char sep;
	size_t i;

	*out = NULL;
	eidgw_buf_init(&b, 16384);
	EIDGW_TRY(eidgw_buf_puts(&b, redirect_uri));
	/* A registered redirect_uri may carry a query: RFC 6749 §3.1.2 "MUST
	 * retain the query component when adding additional query parameters". */
	sep = strchr(redirect_uri, '?') != NULL ? '&' : '?';
	for (i = 0; i + 1 < nkv; i += 2) {
		if (kv[i + 1] == NULL)
			continue;
		EIDGW_TRY(eidgw_buf_append(&b, &sep, 1));
		EIDGW_TRY(eidgw_buf_puts(&b, kv[i]));
		EIDGW_TRY(eidgw_buf_append(&b, "=", 1));
		EIDGW_TRY(oidc_form_encode(&b, kv[i + 1]));
		sep = '&';
	}
	/* RFC 9207 §2: "the authorization server MUST ... include the iss
	 * parameter" in authorization responses, success and error alike. */
	EIDGW_TRY(eidgw_buf_append(&b, &sep, 1));
	EIDGW_TRY(eidgw_buf_puts(&b, "iss="));
	EIDGW_TRY(oidc_form_encode(&b, p->issuer));
	*out = eidgw_buf_steal(&b, NULL);
	rc = *out != NULL ? EIDGW_OK : EIDGW_E_NOMEM;
out:
	eidgw_buf_free(&b);
	return rc;
}

static void
result_page(struct oidc_authz_result *out, const char *error)
{
	free(out->location);
	out->location = NULL;
	oidc_authz_request_free(out->req);
	out->req = NULL;
	out->kind = OIDC_AUTHZ_ERROR_PAGE;
	out->error = error;
}

/* Error back to a validated redirect_uri (RFC 6749 §4.1.2.1). */
static void
result_error_redirect(const struct oidc_provider *p, struct oidc_authz_result *out,
    const char *redirect_uri, const char *state, const char *error, const char *desc)
{
	const char *kv[] = { "error", error != NULL ? error : "server_error",
	    "error_description", desc, "state", state };
	char *loc = NULL;

	if (redirect_build(p, redirect_uri, kv, EIDGW_ARRAY_LEN(kv), &loc) != EIDGW_OK) {
		result_page(out, "server_error");
		return;
	}
	result_page(out, kv[1]);
	out->kind = OIDC_AUTHZ_REDIRECT;
	out->location = loc;
}

/* ---- rules -------------------------------------------------------------- */

static bool
is_vschar_str(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return n <= max;
}

static bool
redirect_registered(const struct oidc_pclient *c, const char *uri)
{
	size_t i;

	/* RFC 9700 §2.1 / FAPI 2.0: exact string comparison, no patterns. */
	for (i = 0; i < c->n_redirect_uris; i++)
		if (strcmp(c->redirect_uris[i], uri) == 0)
			return true;
	return false;
}

static bool
client_allows_scope(const struct oidc_pclient *c, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < c->n_scopes; i++)
		if (strlen(c->scopes[i]) == n && memcmp(c->scopes[i], s, n) == 0)
			return true;
	return false;
}

/* Space-separated list contains word? */
static bool
list_has(const char *list, const char *w, size_t n)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t l = strcspn(p, " ");

		if (l == n && memcmp(p, w, n) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

struct rule_ctx {
	const struct oidc_provider *p;
	const struct oidc_pclient *c;
	const struct oidc_params *ps;
	struct oidc_authz_request *r;
	const char *error;	/* OAuth error code for the response */
	const char *desc;	/* its error_description: a static text, no request data */
	struct eidgw_diag *d;
};

/* Refuses with an OAuth error; msg (a literal) is both the diag reason and
 * the error_description (RFC 6749 §4.1.2.1: human-readable ASCII). */
#define RULE_FAIL(x, err, oerr, msg) \
	do { (x)->error = (oerr); (x)->desc = (msg); \
	    return eidgw_diag_set((x)->d, (err), __FILE__, __LINE__, "%s", (msg)); } while (0)

/* The error_description to send: none for server_error (nothing to tell). */
static const char *
rule_desc(const struct rule_ctx *x)
{
	return x->error != NULL && strcmp(x->error, "server_error") == 0 ? NULL : x->desc;
}

static enum eidgw_err
rule_response_type(struct rule_ctx *x)
{
	const char *rt = oidc_params_get(x->ps, "response_type");
	const char *rm = oidc_params_get(x->ps, "response_mode");

	if (rt == NULL)
		RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "response_type missing");
	/* Code flow only (FAPI 2.0 §5.3.2.2: "shall require response_type
	 * code"); implicit and hybrid are refused. */
	if (strcmp(rt, "code") != 0)
		RULE_FAIL(x, EIDGW_E_OIDC_RESPONSE_TYPE, "unsupported_response_type",
		    "response_type not code");
	if (rm != NULL && strcmp(rm, "query") != 0)
		RULE_FAIL(x, EIDGW_E_OIDC_RESPONSE_TYPE, "invalid_request",
		    "response_mode not query");
	return EIDGW_OK;
}

static enum eidgw_err
rule_scope(struct rule_ctx *x)
{
	const char *s = oidc_params_get(x->ps, "scope"), *w;
	struct eidgw_buf b;
	enum eidgw_err rc;
	size_t n, count = 0;

	if (s == NULL || !list_has(s, "openid", 6))
		RULE_FAIL(x, EIDGW_E_OIDC_SCOPE, "invalid_scope", "scope lacks openid");
	eidgw_buf_init(&b, 1024);
	rc = eidgw_buf_puts(&b, "openid");
	for (w = s; rc == EIDGW_OK && *w != '\0';) {
		n = strcspn(w, " ");
		if (n == 0) {
			w++;
			continue;
		}
		if (n > 64 || ++count > 16) {
			eidgw_buf_free(&b);
			RULE_FAIL(x, EIDGW_E_OIDC_SCOPE, "invalid_scope", "scope too long");
		}
		/* OIDC Core §3.1.2.1: "Scope values used that are not understood
		 * by an implementation SHOULD be ignored" (offline_access, ...):
		 * not granted, and the token response names what was granted. */
		if (!oidc_scope_known(w, n)) {
			w += n;
			continue;
		}
		/* RFC 6749 §3.3: a known scope the client may not have is
		 * invalid_scope; an allowed one is never silently dropped. */
		if (!client_allows_scope(x->c, w, n)) {
			eidgw_buf_free(&b);
			RULE_FAIL(x, EIDGW_E_OIDC_SCOPE, "invalid_scope",
			    "scope not allowed for the client");
		}
		if (!list_has(b.data, w, n)) {
			if ((rc = eidgw_buf_append(&b, " ", 1)) == EIDGW_OK)
				rc = eidgw_buf_append(&b, w, n);
		}
		w += n;
	}
	if (rc == EIDGW_OK && (x->r->scope = eidgw_buf_steal(&b, NULL)) == NULL)
		rc = EIDGW_E_NOMEM;
	eidgw_buf_free(&b);
	if (rc != EIDGW_OK)
		RULE_FAIL(x, rc, "server_error", "scope copy failed");
	return EIDGW_OK;
}

static enum eidgw_err
rule_pkce(struct rule_ctx *x)
{
	const char *cc = oidc_params_get(x->ps, "code_challenge");
	const char *m = oidc_params_get(x->ps, "code_challenge_method");

	/* FAPI 2.0 §5.3.2.2: "shall require ... PKCE with S256"; RFC 7636
	 * §4.3: an absent method means plain, which we refuse. */
	if (cc == NULL)
		RULE_FAIL(x, EIDGW_E_OIDC_PKCE, "invalid_request", "code_challenge missing");
	if (m == NULL || strcmp(m, "S256") != 0)
		RULE_FAIL(x, EIDGW_E_OIDC_PKCE, "invalid_request",
		    "code_challenge_method not S256");
	/* BASE64URL(SHA-256) is exactly 43 characters. */
	if (strlen(cc) != 43 || strspn(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != 43)
		RULE_FAIL(x, EIDGW_E_OIDC_PKCE, "invalid_request", "code_challenge malformed");
	if ((x->r->code_challenge = strdup(cc)) == NULL)
		RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	return EIDGW_OK;
}

static enum eidgw_err
rule_nonce(struct rule_ctx *x)
{
	const char *n = oidc_params_get(x->ps, "nonce");

	if (n == NULL)
		return EIDGW_OK;
	if (!is_vschar_str(n, OIDC_MAX_STATE))
		RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "nonce malformed or too long");
	if ((x->r->nonce = strdup(n)) == NULL)
		RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	return EIDGW_OK;
}

/* Adds LoA URI u (length n) to the requested set; false when not an eIDAS LoA. */
static bool
acr_add(struct eidgw_buf *b, const char *u, size_t n, int *minrank)
{
	char tmp[64];
	int rank;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, u, n);
	tmp[n] = '\0';
	if ((rank = oidc_loa_rank(tmp)) == 0)
		return false;
	if (*minrank == 0 || rank < *minrank)
		*minrank = rank;
	if (b->data != NULL && list_has(b->data, tmp, n))
		return true;
	if (b->len != 0 && eidgw_buf_append(b, " ", 1) != EIDGW_OK)
		return false;
	return eidgw_buf_puts(b, tmp) == EIDGW_OK;
}

/* Is u (length n) one of the eIDAS LoA URIs we can assert? */
static bool
is_loa(const char *u, size_t n)
{
	char tmp[64];

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, u, n);
	tmp[n] = '\0';
	return oidc_loa_rank(tmp) != 0;
}

/*
 * One requested acr value.  OIDC Core §3.1.2.1 / §5.5.1.1: acr is a
 * voluntary claim unless requested as essential, so a value we do not know
 * (not one of the eIDAS LoA URIs) is skipped, not refused; *unknown counts
 * them.  False only when the set cannot be extended (out of memory).
 */
static bool
acr_take(struct eidgw_buf *b, const char *u, size_t n, int *minrank, size_t *unknown)
{
	if (!is_loa(u, n)) {
		(*unknown)++;
		return true;
	}
	return acr_add(b, u, n, minrank);
}

/*
 * Reads claims.id_token.acr (OIDC Core §5.5.1.1); false when malformed.
 * *unmet: acr was requested as essential and none of its values is an
 * eIDAS LoA, so no login here can satisfy it.
 */
static bool
claims_acr(const char *cp, struct rule_ctx *x, struct eidgw_buf *b, int *minrank, bool *unmet)
{
	json_t *cl, *it, *acr, *v, *e;
	bool ok = false;
	size_t i, known = 0, unknown = 0;

	if ((cl = oidc_json_parse_object(cp, strlen(cp), OIDC_MAX_CLAIMS_PARAM)) == NULL)
		return false;
	if ((it = json_object_get(cl, "userinfo")) != NULL && !json_is_object(it))
		goto out;
	if ((it = json_object_get(cl, "id_token")) != NULL && !json_is_object(it))
		goto out;
	acr = it != NULL ? json_object_get(it, "acr") : NULL;
	if (acr != NULL && !json_is_null(acr)) {
		if (!json_is_object(acr))
			goto out;
		if ((e = json_object_get(acr, "essential")) != NULL && !json_is_boolean(e))
			goto out;
		x->r->acr_essential = json_is_true(e);
		if ((v = json_object_get(acr, "value")) != NULL &&
		    (!json_is_string(v) || !acr_take(b, json_string_value(v),
		    json_string_length(v), minrank, &unknown)))
			goto out;
		if (v != NULL)
			known++;
		if ((v = json_object_get(acr, "values")) != NULL) {
			if (!json_is_array(v) || json_array_size(v) > 8)
				goto out;
			json_array_foreach(v, i, e)
				if (!json_is_string(e) || !acr_take(b, json_string_value(e),
				    json_string_length(e), minrank, &unknown))
					goto out;
			known += json_array_size(v);
		}
		known -= unknown;
		*unmet = x->r->acr_essential && unknown != 0 && known == 0;
	}
	ok = true;
out:
	json_decref(cl);
	return ok;
}

static enum eidgw_err
rule_acr(struct rule_ctx *x)
{
	const char *av = oidc_params_get(x->ps, "acr_values");
	const char *cp = oidc_params_get(x->ps, "claims");
	struct eidgw_buf b;
	enum eidgw_err rc = EIDGW_OK;
	int minrank = 0, cminrank = 0, floor;
	size_t n, words = 0, unknown = 0;
	bool unmet = false;

	eidgw_buf_init(&b, 512);
	/* acr_values (OIDC Core §3.1.2.1), a voluntary request: the eIDAS LoA
	 * URIs in it count (DESIGN.md LoA), any other value is skipped; with
	 * none left the client's default applies.  The ID token's acr always
	 * says what was asserted. */
	for (; av != NULL && *av != '\0'; av += n) {
		if ((n = strcspn(av, " ")) == 0) {
			av++;
			continue;
		}
		if (n > 256 || ++words > 16) {
			x->error = "invalid_request";
			x->desc = "acr_values too long";
			rc = eidgw_diag_set(x->d, EIDGW_E_OIDC_ACR, __FILE__, __LINE__, "%s", x->desc);
			goto out;
		}
		if (!acr_take(&b, av, n, &minrank, &unknown)) {
			x->error = "server_error";
			rc = eidgw_diag_set(x->d, EIDGW_E_NOMEM, __FILE__, __LINE__, "out of memory");
			goto out;
		}
	}
	/* claims parameter (OIDC Core §5.5): only id_token.acr is acted on;
	 * other requested claims are released per scope. */
	if (cp != NULL && !claims_acr(cp, x, &b, &cminrank, &unmet)) {
		x->error = "invalid_request";
		x->desc = "claims parameter malformed";
		rc = eidgw_diag_set(x->d, EIDGW_E_OIDC_ACR, __FILE__, __LINE__, "%s", x->desc);
		goto out;
	}
	/* OIDC Core §5.5.1.1: an essential acr that cannot be satisfied is a
	 * failed authentication; no eIDAS login can assert a value we do not know. */
	if (unmet) {
		x->error = "unmet_authentication_requirements";
		x->desc = "essential acr names no eIDAS LoA";
		rc = eidgw_diag_set(x->d, EIDGW_E_OIDC_ACR_UNMET, __FILE__, __LINE__, "%s", x->desc);
		goto out;
	}
	/* An essential acr request is not weakened by voluntary acr_values:
	 * its own values set the level (OIDC Core §5.5.1.1). */
	if (cminrank != 0 && (x->r->acr_essential || minrank == 0 || cminrank < minrank))
		minrank = cminrank;
	/* digest §6.4: no acr requested -> per-client default; never below the
	 * client's floor.  The lowest requested level is the acceptable minimum. */
	floor = minrank != 0 ? minrank : x->c->default_rank;
	if (floor < x->c->min_rank)
		floor = x->c->min_rank;
	if ((x->r->acr_min = strdup(oidc_loa_uri(floor))) == NULL ||
	    (b.len != 0 && (x->r->acr_values = eidgw_buf_steal(&b, NULL)) == NULL)) {
		x->error = "server_error";
		rc = EIDGW_E_NOMEM;
	}
out:
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
rule_prompt(struct rule_ctx *x)
{
	static const char *const ok[] = { "none", "login", "consent", "select_account" };
	const char *pr = oidc_params_get(x->ps, "prompt"), *w;
	bool none = false, known;
	size_t n, i, count = 0;

	if (pr == NULL)
		return EIDGW_OK;
	for (w = pr; *w != '\0'; w += n) {
		if ((n = strcspn(w, " ")) == 0) {
			w++;
			continue;
		}
		known = false;
		for (i = 0; i < EIDGW_ARRAY_LEN(ok); i++)
			if (strlen(ok[i]) == n && memcmp(ok[i], w, n) == 0)
				known = true;
		if (!known)
			RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "prompt value unknown");
		if (n == 4 && memcmp(w, "none", 4) == 0)
			none = true;
		count++;
	}
	/* OIDC Core §3.1.2.1: "If this parameter contains none with any other
	 * value, an error is returned." */
	if (none && count > 1)
		RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "prompt none combined");
	if ((x->r->prompt = strdup(pr)) == NULL)
		RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	return EIDGW_OK;
}

static enum eidgw_err
rule_misc(struct rule_ctx *x)
{
	const char *ma = oidc_params_get(x->ps, "max_age");
	const char *ul = oidc_params_get(x->ps, "ui_locales");
	const char *co = oidc_params_get(x->ps, "country");
	const char *w;
	size_t n;

	x->r->max_age = -1;
	if (ma != NULL) {
		if (strlen(ma) > 9 || strspn(ma, "0123456789") != strlen(ma))
			RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "max_age malformed");
		x->r->max_age = strtoll(ma, NULL, 10);
	}
	if (ul != NULL) {
		/* BCP 47 tags, space separated (OIDC Core §3.1.2.1). */
		if (strlen(ul) > 256)
			RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "ui_locales too long");
		for (w = ul; *w != '\0'; w += n) {
			if ((n = strcspn(w, " ")) == 0) {
				w++;
				continue;
			}
			if (n > 35 || strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-") < n)
				RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request",
				    "ui_locales malformed");
		}
		if ((x->r->ui_locales = strdup(ul)) == NULL)
			RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	}
	if (co != NULL) {
		/* DESIGN.md §3: ISO 3166-1 alpha-2, upper case. */
		if (strlen(co) != 2 || co[0] < 'A' || co[0] > 'Z' || co[1] < 'A' || co[1] > 'Z')
			RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "country malformed");
		memcpy(x->r->country, co, 3);
	}
	return EIDGW_OK;
}

/* RFC 9449 §10: dpop_jkt binds the code to a DPoP key (its thumbprint). */
static enum eidgw_err
rule_dpop_jkt(struct rule_ctx *x)
{
	const char *jkt = oidc_params_get(x->ps, "dpop_jkt");

	if (jkt == NULL)
		return EIDGW_OK;
	/* A SHA-256 thumbprint: 43 base64url characters (RFC 7638 §3). */
	if (strlen(jkt) != OIDC_JKT_LEN || strspn(jkt, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != OIDC_JKT_LEN)
		RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "dpop_jkt malformed");
	if ((x->r->dpop_jkt = strdup(jkt)) == NULL)
		RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	return EIDGW_OK;
}

/* Runs every rule on a request whose client and redirect_uri are trusted. */
static enum eidgw_err
authz_rules(struct rule_ctx *x)
{
	static enum eidgw_err (*const rules[])(struct rule_ctx *) = {
		rule_response_type, rule_scope, rule_pkce, rule_nonce, rule_acr, rule_prompt,
		rule_misc, rule_dpop_jkt,
	};
	enum eidgw_err rc;
	size_t i;

	/* OIDC Core §6: request objects are not supported. */
	if (oidc_params_get(x->ps, "request") != NULL)
		RULE_FAIL(x, EIDGW_E_OIDC_UNSUPPORTED, "request_not_supported",
		    "request parameter not supported");
	for (i = 0; i < EIDGW_ARRAY_LEN(rules); i++)
		if ((rc = rules[i](x)) != EIDGW_OK)
			return rc;
	return EIDGW_OK;
}

/* state is checked first so that every later error can echo it. */
static enum eidgw_err
take_state(struct rule_ctx *x)
{
	const char *st = oidc_params_get(x->ps, "state");

	if (st == NULL)
		return EIDGW_OK;
	if (!is_vschar_str(st, OIDC_MAX_STATE))
		RULE_FAIL(x, EIDGW_E_OIDC_PARAM, "invalid_request", "state malformed or too long");
	if ((x->r->state = strdup(st)) == NULL)
		RULE_FAIL(x, EIDGW_E_NOMEM, "server_error", "out of memory");
	return EIDGW_OK;
}

static enum eidgw_err
params_of(const struct oidc_request *rq, struct oidc_params *ps, bool *form_post,
    struct eidgw_diag *d)
{
	enum eidgw_err rc;

	*form_post = false;
	if (rq->method != NULL && strcmp(rq->method, "POST") == 0) {
		/* OIDC Core §3.1.2.1: POST uses form serialisation. */
		if (rq->content_type == NULL || strncasecmp(rq->content_type,
		    "application/x-www-form-urlencoded", 33) != 0 ||
		    (rq->content_type[33] != '\0' && rq->content_type[33] != ';'))
			EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "POST without a form body");
		if (rq->query_len != 0)
			EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "POST with a query string");
		*form_post = true;
		return oidc_params_parse(rq->body, rq->body_len, ps, d);
	}
	if (rq->method == NULL || strcmp(rq->method, "GET") != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "method not allowed");
	return oidc_params_parse(rq->query, rq->query_len, ps, d);
out:
	return rc;
}

/* ---- /authorize ----------------------------------------------------------- */

/*
 * A request_uri we cannot use: request_uri_not_supported for one that is not
 * ours (OIDC Core §3.1.2.6 "The OP does not support use of the request_uri
 * parameter": we fetch no request objects, request_uri_parameter_supported is
 * false), invalid_request_uri for one of ours that is unknown, expired, used
 * or of another client (OIDC Core §6.2, RFC 9126 §4).  Either is an
 * authorization error response: when the request also names a redirect_uri
 * registered for the client (an RP that sent a full OIDC request with a
 * request_uri by reference), it goes back there with state and iss like any
 * other error; otherwise there is no trusted place to send it and the
 * outcome is the error page.
 */
static void
par_refuse_uri(const struct oidc_provider *p, const struct oidc_pclient *c,
    const struct oidc_params *ps, const char *error, const char *desc,
    struct oidc_authz_result *out)
{
	const char *redir = oidc_params_get(ps, "redirect_uri");
	const char *st = oidc_params_get(ps, "state");

	if (redir == NULL || !redirect_registered(c, redir)) {
		result_page(out, error);
		return;
	}
	result_error_redirect(p, out, redir, st != NULL && is_vschar_str(st, OIDC_MAX_STATE) ?
	    st : NULL, error, desc);
}

#define URI_UNKNOWN	"invalid_request_uri", "request_uri unknown, expired or not issued here"

/*
 * The front-channel parameters allowed beside a pushed request_uri: client_id
 * and request_uri (RFC 9126 §4), and the response_type and scope that OIDC
 * Core §3.1.2.1 / §6.2 has RPs repeat in the query ("MUST be included using
 * the OAuth 2.0 request syntax"); these must agree with the flow (code,
 * openid), the pushed values stay authoritative.
 */
static bool
par_front_params_ok(const struct oidc_params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const char *n = ps->v[i].name, *v = ps->v[i].value;

		if (strcmp(n, "client_id") == 0 || strcmp(n, "request_uri") == 0)
			continue;
		if (strcmp(n, "response_type") == 0 && strcmp(v, "code") == 0)
			continue;
		if (strcmp(n, "scope") == 0 && list_has(v, "openid", 6))
			continue;
		return false;
	}
	return true;
}

static enum eidgw_err
authorize_par(const struct oidc_provider *p, const struct oidc_pclient *c,
    const struct oidc_params *ps, struct oidc_authz_result *out, struct eidgw_diag *d)
{
	const char *ru = oidc_params_get(ps, "request_uri");
	struct oidc_authz_request *r = NULL;
	struct eidgw_buf val;
	char key[80], h[65];
	enum eidgw_err rc;

	eidgw_buf_init(&val, 65536);
	if (!eidgw_starts_with(ru, OIDC_REQUEST_URI_PREFIX)) {
		par_refuse_uri(p, c, ps, "request_uri_not_supported",
		    "request_uri only as issued by the PAR endpoint", out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_UNSUPPORTED, "request_uri not issued by our PAR endpoint");
	}
	if (strlen(ru) > 128) {
		par_refuse_uri(p, c, ps, URI_UNKNOWN, out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_REQUEST_URI, "request_uri too long to be ours");
	}
	oidc_sha256_hex(ru, h);
	/*
	 * RFC 9126 §4 / FAPI 2.0 §5.3.2.2 note 3: the request_uri is one-time
	 * use, enforced "at the point of authorization, not at the point of
	 * loading an authorization page" (digest §6.1): here it is only read,
	 * so a reload or a second tab can start the login again; the first
	 * login that completes uses it up (oidc_authz_complete, par_use).
	 */
	(void)snprintf(key, sizeof(key), "oidc:parused:%s", h);
	rc = p->store->ops->get(p->store, key, &val);
	if (rc == EIDGW_OK) {
		par_refuse_uri(p, c, ps, URI_UNKNOWN, out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_REQUEST_URI, "request_uri already used");
	}
	if (rc == EIDGW_E_STORE_MISSING) {
		eidgw_buf_reset(&val);
		(void)snprintf(key, sizeof(key), "oidc:par:%s", h);
		rc = p->store->ops->get(p->store, key, &val);
	}
	if (rc == EIDGW_E_STORE_MISSING) {
		par_refuse_uri(p, c, ps, URI_UNKNOWN, out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_REQUEST_URI, "request_uri unknown, expired or used");
	}
	if (rc != EIDGW_OK) {
		result_page(out, "temporarily_unavailable");
		EIDGW_FAIL(d, rc, "store cannot read the request_uri");
	}
	if ((rc = oidc_authz_request_from_json(val.data, val.len, &r)) != EIDGW_OK) {
		result_page(out, "server_error");
		EIDGW_FAIL(d, rc, "stored PAR request unreadable");
	}
	/* RFC 9126 §4: the request_uri is bound to the client that pushed it. */
	if (strcmp(r->client_id, c->client_id) != 0) {
		par_refuse_uri(p, c, ps, URI_UNKNOWN, out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_REQUEST_URI, "request_uri of another client");
	}
	/* The pushed request is authoritative: beside the request_uri only
	 * client_id, response_type=code and a scope with openid may come. */
	if (!par_front_params_ok(ps)) {
		result_error_redirect(p, out, r->redirect_uri, r->state, "invalid_request",
		    "only client_id, request_uri, response_type and scope allowed with PAR");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "other parameters beside request_uri");
	}
	if (r->prompt != NULL && strcmp(r->prompt, "none") == 0) {
		result_error_redirect(p, out, r->redirect_uri, r->state, "login_required",
		    "prompt=none: every eIDAS login is interactive");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PROMPT_NONE, "prompt=none");
	}
	r->via_par = true;
	free(r->par_ref);
	if ((r->par_ref = strdup(h)) == NULL) {
		result_page(out, "server_error");
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	result_page(out, NULL);
	out->kind = OIDC_AUTHZ_ACCEPTED;
	out->req = r;
	r = NULL;
	rc = EIDGW_OK;
out:
	oidc_authz_request_free(r);
	eidgw_buf_free(&val);
	return rc;
}

enum eidgw_err
oidc_authorize(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_authz_result *out, struct eidgw_diag *d)
{
	struct oidc_params ps = { NULL, 0 };
	struct rule_ctx x;
	const struct oidc_pclient *c;
	const char *ru;
	enum eidgw_err rc;
	bool form_post;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	result_page(out, "invalid_request");
	/* Until client and redirect_uri are trusted: error page only. */
	if ((rc = params_of(rq, &ps, &form_post, d)) != EIDGW_OK) {
		rc = eidgw_diag_set(d, rc, __FILE__, __LINE__, "authorization request unreadable");
		goto out;
	}
	if ((c = oidc_client_find(p, oidc_params_get(&ps, "client_id"))) == NULL)
		EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT, "client_id missing or unknown");
	if (oidc_params_get(&ps, "request_uri") != NULL) {
		rc = authorize_par(p, c, &ps, out, d);
		goto out;
	}
	ru = oidc_params_get(&ps, "redirect_uri");
	/* OIDC Core §3.1.2.1: redirect_uri REQUIRED, exact match with a
	 * registered value; RFC 6749 §4.1.2.1: on mismatch "MUST NOT
	 * automatically redirect the user-agent to the invalid redirection URI". */
	if (ru == NULL || !redirect_registered(c, ru))
		EIDGW_FAIL(d, EIDGW_E_OIDC_REDIRECT_URI, "redirect_uri missing or not registered");

	if ((x.r = calloc(1, sizeof(*x.r))) == NULL) {
		result_page(out, "server_error");
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	x.p = p;
	x.c = c;
	x.ps = &ps;
	x.d = d;
	if ((x.r->client_id = strdup(c->client_id)) == NULL ||
	    (x.r->redirect_uri = strdup(ru)) == NULL) {
		result_page(out, "server_error");
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* From here errors are redirected with error, state and iss. */
	if ((rc = take_state(&x)) != EIDGW_OK) {
		result_error_redirect(p, out, ru, NULL, x.error, rule_desc(&x));
		goto out;
	}
	/* RFC 9126 §5: "the authorization server MUST reject authorization
	 * requests that do not use PAR" for clients that require it. */
	if (c->require_par) {
		result_error_redirect(p, out, ru, x.r->state, "invalid_request",
		    "pushed authorization request required");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PAR_REQUIRED, "client requires PAR");
	}
	if ((rc = authz_rules(&x)) != EIDGW_OK) {
		result_error_redirect(p, out, ru, x.r->state, x.error, rule_desc(&x));
		goto out;
	}
	/* digest §6.2: every eIDAS login is interactive (ForceAuthn). */
	if (x.r->prompt != NULL && strcmp(x.r->prompt, "none") == 0) {
		result_error_redirect(p, out, ru, x.r->state, "login_required",
		    "prompt=none: every eIDAS login is interactive");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PROMPT_NONE, "prompt=none");
	}
	result_page(out, NULL);
	out->kind = OIDC_AUTHZ_ACCEPTED;
	out->req = x.r;
	x.r = NULL;
	rc = EIDGW_OK;
out:
	oidc_authz_request_free(x.r);
	oidc_params_free(&ps);
	return rc;
}

/* ---- PAR -------------------------------------------------------------------- */

enum eidgw_err
oidc_par(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d)
{
	struct oidc_params ps = { NULL, 0 };
	const struct oidc_pclient *c = NULL;
	struct rule_ctx x;
	char *ru = NULL, *js = NULL, *rnd = NULL, key[80], h[65];
	const char *cid, *redir;
	json_t *j = NULL;
	enum eidgw_err rc;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	/* RFC 9126 §2: POST with form parameters, client authenticated. */
	if ((rc = oidc_require_form_post(rq, &ps, d)) != EIDGW_OK) {
		(void)oidc_response_error(out, rc == EIDGW_E_OIDC_METHOD ? 405 : 400,
		    "invalid_request", NULL);
		goto out;
	}
	if ((rc = oidc_client_authenticate(p, rq, &ps, p->ep_par, &c, out, d)) != EIDGW_OK)
		goto out;
	cid = oidc_params_get(&ps, "client_id");
	if (cid != NULL && strcmp(cid, c->client_id) != 0) {
		(void)oidc_response_error(out, 400, "invalid_request", "client_id mismatch");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "client_id differs from the authenticated client");
	}
	/* RFC 9126 §2.1: "The request_uri authorization request parameter
	 * MUST NOT be provided in this case." */
	if (oidc_params_get(&ps, "request_uri") != NULL) {
		(void)oidc_response_error(out, 400, "invalid_request", "request_uri not allowed");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "request_uri pushed");
	}
	redir = oidc_params_get(&ps, "redirect_uri");
	if (redir == NULL || !redirect_registered(c, redir)) {
		(void)oidc_response_error(out, 400, "invalid_request", "redirect_uri not registered");
		EIDGW_FAIL(d, EIDGW_E_OIDC_REDIRECT_URI, "redirect_uri missing or not registered");
	}
	if ((x.r = calloc(1, sizeof(*x.r))) == NULL ||
	    (x.r->client_id = strdup(c->client_id)) == NULL ||
	    (x.r->redirect_uri = strdup(redir)) == NULL) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	x.p = p;
	x.c = c;
	x.ps = &ps;
	x.d = d;
	/* RFC 9126 §2.1: the same validation as at the authorization endpoint;
	 * errors are returned as JSON (§2.3). */
	if ((rc = take_state(&x)) != EIDGW_OK || (rc = authz_rules(&x)) != EIDGW_OK) {
		(void)oidc_response_error(out, x.error != NULL &&
		    strcmp(x.error, "server_error") == 0 ? 500 : 400,
		    x.error != NULL ? x.error : "invalid_request", rule_desc(&x));
		goto out;
	}
	/* RFC 9449 §10.1: a DPoP proof at PAR binds the code to its key, like
	 * dpop_jkt; with both, they must name the same key. */
	if (rq->n_dpop > 1) {
		(void)oidc_response_error(out, 400, "invalid_dpop_proof", "more than one DPoP header");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "several DPoP headers at PAR");
	}
	if (rq->dpop != NULL) {
		char jkt[OIDC_JKT_LEN + 1];

		rc = oidc_dpop_proof_check(p, rq->dpop, "POST", p->ep_par, NULL, jkt, d);
		if (rc != EIDGW_OK) {
			oidc_dpop_error_json(out, rc);
			goto out;
		}
		if (x.r->dpop_jkt != NULL && strcmp(x.r->dpop_jkt, jkt) != 0) {
			(void)oidc_response_error(out, 400, "invalid_dpop_proof",
			    "dpop_jkt is not the key of the DPoP proof");
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_BINDING, "dpop_jkt differs from the proof key");
		}
		if (x.r->dpop_jkt == NULL && (x.r->dpop_jkt = strdup(jkt)) == NULL) {
			(void)oidc_response_error(out, 500, "server_error", NULL);
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
		}
	}
	x.r->via_par = true;
	if ((rc = oidc_authz_request_to_json(x.r, &js)) != EIDGW_OK ||
	    (rc = eidgw_random_token(32, &rnd)) != EIDGW_OK) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "cannot serialise the pushed request");
	}
	if (asprintf(&ru, "%s%s", OIDC_REQUEST_URI_PREFIX, rnd) < 0) {
		ru = NULL;
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	oidc_sha256_hex(ru, h);
	(void)snprintf(key, sizeof(key), "oidc:par:%s", h);
	if ((rc = p->store->ops->put_new(p->store, key, js, strlen(js), p->par_ttl)) != EIDGW_OK) {
		(void)oidc_response_error(out, 503, "temporarily_unavailable", NULL);
		EIDGW_FAIL(d, rc == EIDGW_E_STORE_EXISTS ? EIDGW_E_INTERNAL : rc,
		    "store refused the pushed request");
	}
	/* RFC 9126 §2.2: 201 Created with request_uri and expires_in. */
	if ((j = json_object()) == NULL ||
	    json_object_set_new(j, "request_uri", json_string(ru)) != 0 ||
	    json_object_set_new(j, "expires_in", json_integer(p->par_ttl)) != 0 ||
	    oidc_response_json(out, 201, j) != EIDGW_OK) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	rc = EIDGW_OK;
out:
	json_decref(j);
	free(js);
	free(ru);
	eidgw_free_secret_str(rnd);
	oidc_authz_request_free(x.r);
	oidc_params_free(&ps);
	return rc;
}

/* ---- end of the login ------------------------------------------------------- */

enum eidgw_err
oidc_authz_fail(const struct oidc_provider *p, const struct oidc_authz_request *req,
    const char *error, const char *description, struct oidc_authz_result *out)
{
	memset(out, 0, sizeof(*out));
	if (req == NULL || error == NULL || !is_vschar_str(error, 64) ||
	    (description != NULL && !is_vschar_str(description, 256))) {
		result_page(out, "server_error");
		return EIDGW_E_INVAL;
	}
	result_error_redirect(p, out, req->redirect_uri, req->state, error, description);
	return out->kind == OIDC_AUTHZ_REDIRECT ? EIDGW_OK : EIDGW_E_NOMEM;
}

/* Claim name -> scope that releases it (digest §7). */
struct claim_scope {
	const char *name;
	const char *scope;
	bool custom;	/* name is <issuer>/claims/<name> */
};

static const struct claim_scope claim_scopes[] = {
	{ "gender", "profile", false },
	{ "address", "address", false },
	{ "email", "email", false },
	{ "email_verified", "email", false },
	{ "phone_number", "phone", false },
	{ "phone_number_verified", "phone", false },
	{ "place_of_birth", "eidas_extended", false },
	{ "nationalities", "eidas_extended", false },
	{ "birth_name", "eidas_extended", true },
	{ "country_of_residence", "eidas_extended", true },
	{ "eidas_node_country", "eidas_extended", true },
	/* language-tagged name variants (digest §7 transliteration) */
	{ "given_name#", "profile", false },
	{ "family_name#", "profile", false },
};

static const char *
extra_claim_scope(const struct oidc_provider *p, const char *name, char **full)
{
	size_t i, il = strlen(p->issuer);

	*full = NULL;
	for (i = 0; i < EIDGW_ARRAY_LEN(claim_scopes); i++) {
		const struct claim_scope *cs = &claim_scopes[i];
		size_t nl = strlen(cs->name);

		if (cs->custom) {
			if (strncmp(name, p->issuer, il) == 0 &&
			    strncmp(name + il, "/claims/", 8) == 0 &&
			    strcmp(name + il + 8, cs->name) == 0)
				return (*full = strdup(name)) != NULL ? cs->scope : NULL;
			if (strcmp(name, cs->name) == 0) {
				if ((*full = malloc(il + 8 + nl + 1)) == NULL)
					return NULL;
				(void)snprintf(*full, il + 8 + nl + 1, "%s/claims/%s", p->issuer,
				    cs->name);
				return cs->scope;
			}
		} else if (cs->name[nl - 1] == '#' ? strncmp(name, cs->name, nl) == 0 :
		    strcmp(name, cs->name) == 0) {
			return (*full = strdup(name)) != NULL ? cs->scope : NULL;
		}
	}
	return NULL;
}

static int
set_custom(json_t *o, const struct oidc_provider *p, const char *suffix, const char *v)
{
	char name[512];

	if (v == NULL)
		return 0;
	(void)snprintf(name, sizeof(name), "%s/claims/%s", p->issuer, suffix);
	return json_object_set_new(o, name, json_string(v));
}

/* The claims released for the granted scopes (same set for ID token and userinfo). */
static enum eidgw_err
claims_build(const struct oidc_provider *p, const struct oidc_pclient *c, const char *scope,
    const struct oidc_identity *id, json_t **out)
{
	json_t *o = NULL, *v;
	char *sub = NULL, *full = NULL, cc[3] = "";
	enum eidgw_err rc = EIDGW_E_NOMEM;
	const char *sc;
	size_t i;

	*out = NULL;
	if ((rc = oidc_pairwise_sub(p->pairwise_key, p->pairwise_key_len, c->sector,
	    id->person_identifier, &sub)) != EIDGW_OK)
		goto out;
	rc = EIDGW_E_NOMEM;
	if ((o = json_object()) == NULL || json_object_set_new(o, "sub", json_string(sub)) != 0)
		goto out;
	if (list_has(scope, "profile", 7) &&
	    (jset_str(o, "given_name", id->given_name) != 0 ||
	    jset_str(o, "family_name", id->family_name) != 0 ||
	    jset_str(o, "birthdate", id->birthdate) != 0))
		goto out;
	if (list_has(scope, "eidas", 5)) {
		/* digest §7: issuing country = first two characters of the PID. */
		if (id->country != NULL && strlen(id->country) == 2)
			memcpy(cc, id->country, 3);
		else if (strlen(id->person_identifier) > 3 && id->person_identifier[2] == '/' &&
		    id->person_identifier[0] >= 'A' && id->person_identifier[0] <= 'Z' &&
		    id->person_identifier[1] >= 'A' && id->person_identifier[1] <= 'Z')
			memcpy(cc, id->person_identifier, 2);
		if (set_custom(o, p, "eidas_person_identifier", id->person_identifier) != 0 ||
		    (cc[0] != '\0' && set_custom(o, p, "eidas_country", cc) != 0))
			goto out;
	}
	for (i = 0; i < id->n_extra; i++) {
		if (id->extra[i].name == NULL || id->extra[i].json == NULL)
			continue;
		sc = extra_claim_scope(p, id->extra[i].name, &full);
		if (sc == NULL || !list_has(scope, sc, strlen(sc))) {
			free(full);
			full = NULL;
			continue;	/* data minimisation: only what a granted scope covers */
		}
		v = json_loads(id->extra[i].json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		if (v == NULL || strlen(id->extra[i].json) > 16384 ||
		    json_object_set_new(o, full, v) != 0) {
			rc = EIDGW_E_MALFORMED;
			goto out;
		}
		free(full);
		full = NULL;
	}
	*out = o;
	o = NULL;
	rc = EIDGW_OK;
out:
	free(full);
	free(sub);
	json_decref(o);
	return rc;
}

/*
 * The one completion a pushed request_uri allows (RFC 9126 §4, FAPI 2.0
 * §5.3.2.2): the used-marker is planted atomically, so of two logins started
 * with the same request_uri (a reload, a second tab) only the first to
 * complete gets a code.  It outlives every login that could have been started
 * while the request_uri was valid; the pushed request itself is dropped.
 */
static enum eidgw_err
par_use(const struct oidc_provider *p, const struct oidc_authz_request *req,
    struct oidc_authz_result *out, struct eidgw_diag *d)
{
	char key[96];
	enum eidgw_err rc;

	(void)snprintf(key, sizeof(key), "oidc:parused:%s", req->par_ref);
	rc = p->store->ops->put_new(p->store, key, "1", 1,
	    p->par_ttl + OIDC_MAX_LOGIN_TTL + 60);
	if (rc == EIDGW_E_STORE_EXISTS) {
		result_error_redirect(p, out, req->redirect_uri, req->state, "invalid_request_uri",
		    "request_uri already used by another login");
		EIDGW_FAIL(d, EIDGW_E_OIDC_REQUEST_URI, "request_uri already used by another login");
	}
	if (rc != EIDGW_OK) {
		result_error_redirect(p, out, req->redirect_uri, req->state,
		    "temporarily_unavailable", NULL);
		EIDGW_FAIL(d, rc, "store refused the request_uri marker");
	}
	(void)snprintf(key, sizeof(key), "oidc:par:%s", req->par_ref);
	(void)p->store->ops->del(p->store, key);
	rc = EIDGW_OK;
out:
	return rc;
}

enum eidgw_err
oidc_authz_complete(const struct oidc_provider *p, const struct oidc_authz_request *req,
    const struct oidc_identity *id, struct oidc_authz_result *out, struct eidgw_diag *d)
{
	const struct oidc_pclient *c;
	json_t *rec = NULL, *claims = NULL;
	char *code = NULL, *js = NULL, key[80], h[65];
	enum eidgw_err rc;
	int asserted;

	memset(out, 0, sizeof(*out));
	result_page(out, "server_error");
	if (req == NULL || id == NULL || (c = oidc_client_find(p, req->client_id)) == NULL ||
	    !redirect_registered(c, req->redirect_uri))
		EIDGW_FAIL(d, EIDGW_E_INVAL, "request or client no longer valid");
	if (id->person_identifier == NULL || id->person_identifier[0] == '\0' ||
	    strlen(id->person_identifier) > 256 || id->acr == NULL) {
		result_error_redirect(p, out, req->redirect_uri, req->state, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_INVAL, "identity lacks PersonIdentifier or LoA");
	}
	/* DESIGN.md LoA / digest §6.4: acr is the asserted LoA, "never lower
	 * than requested"; below the floor the login failed:
	 * unmet_authentication_requirements.  Unknown (non-notified) LoAs rank 0. */
	asserted = oidc_loa_rank(id->acr);
	if (asserted == 0 || asserted < oidc_loa_rank(req->acr_min) || asserted < c->min_rank) {
		result_error_redirect(p, out, req->redirect_uri, req->state,
		    "unmet_authentication_requirements", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_ACR_UNMET, "asserted LoA below the floor");
	}
	if ((rc = claims_build(p, c, req->scope, id, &claims)) != EIDGW_OK) {
		result_error_redirect(p, out, req->redirect_uri, req->state, "server_error", NULL);
		EIDGW_FAIL(d, rc, "identity claims cannot be mapped");
	}
	rc = EIDGW_E_NOMEM;
	if ((rec = json_object()) == NULL ||
	    jset_str(rec, "c", req->client_id) != 0 || jset_str(rec, "r", req->redirect_uri) != 0 ||
	    jset_str(rec, "cc", req->code_challenge) != 0 || jset_str(rec, "n", req->nonce) != 0 ||
	    jset_str(rec, "s", req->scope) != 0 || jset_str(rec, "acr", id->acr) != 0 ||
	    jset_str(rec, "jkt", req->dpop_jkt) != 0 ||
	    json_object_set_new(rec, "at", json_integer(id->auth_time)) != 0 ||
	    json_object_set(rec, "cl", claims) != 0 ||
	    (js = json_dumps(rec, JSON_COMPACT)) == NULL) {
		result_error_redirect(p, out, req->redirect_uri, req->state, "server_error", NULL);
		EIDGW_FAIL(d, rc, "out of memory");
	}
	if (req->par_ref != NULL && (rc = par_use(p, req, out, d)) != EIDGW_OK)
		goto out;
	/* digest §6.1: >= 128-bit entropy (we use 256), single use, <= 60 s.
	 * The store key is a hash, so a store dump yields no usable code. */
	if ((rc = eidgw_random_token(32, &code)) != EIDGW_OK) {
		result_error_redirect(p, out, req->redirect_uri, req->state, "server_error", NULL);
		EIDGW_FAIL(d, rc, "no randomness");
	}
	oidc_sha256_hex(code, h);
	(void)snprintf(key, sizeof(key), "oidc:code:%s", h);
	if ((rc = p->store->ops->put_new(p->store, key, js, strlen(js), p->code_ttl)) != EIDGW_OK) {
		result_error_redirect(p, out, req->redirect_uri, req->state,
		    "temporarily_unavailable", NULL);
		EIDGW_FAIL(d, rc == EIDGW_E_STORE_EXISTS ? EIDGW_E_INTERNAL : rc,
		    "store refused the code");
	}
	{
		const char *kv[] = { "code", code, "state", req->state };
		char *loc = NULL;

		if ((rc = redirect_build(p, req->redirect_uri, kv, EIDGW_ARRAY_LEN(kv), &loc)) !=
		    EIDGW_OK) {
			(void)p->store->ops->del(p->store, key);
			EIDGW_FAIL(d, rc, "cannot build the redirect");
		}
		result_page(out, NULL);
		out->kind = OIDC_AUTHZ_REDIRECT;
		out->location = loc;
	}
	rc = EIDGW_OK;
out:
	eidgw_free_secret_str(js);
	eidgw_free_secret_str(code);
	json_decref(claims);
	json_decref(rec);
	return rc;
}
