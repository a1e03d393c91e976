/*
 * token.c - client authentication, the token endpoint (authorization_code
 * grant with PKCE, ID token, opaque access token) and userinfo.
 *
 * Store records (keys hold SHA-256 hashes of the secrets, never the secrets):
 *   oidc:code:<h(code)>     the bound code, taken once
 *   oidc:used:<h(code)>     marker of the first redemption -> h(access token)
 *   oidc:revoked:<h(code)>  set when a code is replayed; kills its tokens
 *   oidc:at:<h(token)>      access token: client, scope, expiry, claims
 */
#include "oidc/oidc_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "core/util.h"

#define BASIC_CHALLENGE "Basic realm=\"eidgw\""

enum eidgw_err
oidc_require_form_post(const struct oidc_request *rq, struct oidc_params *body,
    struct eidgw_diag *d)
{
	enum eidgw_err rc;

	body->v = NULL;
	body->n = 0;
	/* RFC 6749 §3.2: "The client MUST use the HTTP POST method";
	 * parameters in the form body, none in the URI (credentials in URLs
	 * end up in logs). */
	if (rq->method == NULL || strcmp(rq->method, "POST") != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "method is not POST");
	if (rq->content_type == NULL ||
	    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33) != 0 ||
	    (rq->content_type[33] != '\0' && rq->content_type[33] != ';'))
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "body is not form-urlencoded");
	if (rq->query != NULL && rq->query_len != 0)
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "parameters in the query string");
	rc = oidc_params_parse(rq->body, rq->body_len, body, d);
out:
	return rc;
}

static bool
is_basic(const char *h)
{
	return h != NULL && strncasecmp(h, "Basic", 5) == 0 && (h[5] == ' ' || h[5] == '\0');
}

/* invalid_client (RFC 6749 §5.2): 401 with the Basic challenge.  RFC 6749
 * asks for it when the client tried the Authorization header; HTTP asks for
 * it on every 401 (RFC 9110 §15.5.2: "The server generating a 401 response
 * MUST send a WWW-Authenticate header field containing at least one
 * challenge"), so it is sent whichever method failed. */
static void
client_error(struct oidc_response *r)
{
	(void)oidc_response_error(r, 401, "invalid_client", NULL);
	r->www_authenticate = strdup(BASIC_CHALLENGE);
}

/*
 * Does the presented secret authenticate client c with method m?  An unknown
 * client, or one registered for another method, still costs one
 * constant-time comparison of the presented secret (against a dummy of the
 * same length), so the answer time does not tell an unknown client_id from
 * a wrong secret.
 */
static bool
secret_matches(const char *presented, const struct oidc_pclient *c, enum oidc_auth_method m)
{
	static const char dummy[1025];
	size_t n = presented != NULL ? strlen(presented) : 0;

	if (c == NULL || c->auth_method != m || c->secret == NULL) {
		(void)eidgw_ct_equal(presented != NULL ? presented : dummy, n > 1024 ? 1024 : n,
		    dummy, n > 1024 ? 1024 : n);
		return false;
	}
	return eidgw_ct_streq(presented, c->secret);
}

enum eidgw_err
oidc_client_authenticate(const struct oidc_provider *p, const struct oidc_request *rq,
    const struct oidc_params *body, const char *aud_ep, const struct oidc_pclient **client,
    struct oidc_response *err_out, struct eidgw_diag *d)
{
	const char *sec = oidc_params_get(body, "client_secret");
	const char *asr = oidc_params_get(body, "client_assertion");
	const char *asrt = oidc_params_get(body, "client_assertion_type");
	const char *cid = oidc_params_get(body, "client_id");
	const struct oidc_pclient *c = NULL;
	char *bid = NULL, *bsec = NULL, *iss = NULL;
	bool basic = is_basic(rq->authorization);
	enum eidgw_err rc;
	int methods;

	*client = NULL;
	methods = (basic ? 1 : 0) + (sec != NULL ? 1 : 0) + (asr != NULL || asrt != NULL ? 1 : 0);
	if (methods == 0) {
		client_error(err_out);
		EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH, "no client authentication");
	}
	/* RFC 6749 §2.3: "The client MUST NOT use more than one authentication
	 * method in each request." */
	if (methods > 1) {
		(void)oidc_response_error(err_out, 400, "invalid_request",
		    "more than one client authentication method");
		EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH, "several client authentication methods");
	}
	if (basic) {
		if (oidc_basic_auth_parse(rq->authorization, &bid, &bsec) != EIDGW_OK) {
			client_error(err_out);
			EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH, "Basic credentials malformed");
		}
		c = oidc_client_find(p, bid);
		if (!secret_matches(bsec, c, OIDC_AUTH_SECRET_BASIC) ||
		    (cid != NULL && strcmp(cid, c->client_id) != 0)) {
			client_error(err_out);
			EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH,
			    "client_secret_basic: unknown client, wrong method or secret");
		}
	} else if (sec != NULL) {
		c = oidc_client_find(p, cid);
		if (!secret_matches(sec, c, OIDC_AUTH_SECRET_POST)) {
			client_error(err_out);
			EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH,
			    "client_secret_post: unknown client, wrong method or secret");
		}
	} else {
		/* RFC 7523 §2.2 / OIDC Core §9 private_key_jwt. */
		if (asrt == NULL || strcmp(asrt, OIDC_CLIENT_ASSERTION_TYPE) != 0 || asr == NULL) {
			client_error(err_out);
			EIDGW_FAIL(d, EIDGW_E_OIDC_CLIENT_AUTH, "client_assertion_type wrong or missing");
		}
		if (oidc_jwt_peek_iss(asr, &iss) != EIDGW_OK ||
		    (c = oidc_client_find(p, iss)) == NULL ||
		    (cid != NULL && strcmp(cid, c->client_id) != 0)) {
			client_error(err_out);
			EIDGW_FAIL(d, EIDGW_E_OIDC_ASSERTION, "client assertion names no known client");
		}
		rc = oidc_client_assertion_verify(p, c, asr, aud_ep, d);
		if (rc == EIDGW_E_STORE_UNAVAILABLE) {
			(void)oidc_response_error(err_out, 503, "temporarily_unavailable", NULL);
			goto out;
		}
		if (rc != EIDGW_OK) {
			client_error(err_out);
			goto out;
		}
	}
	*client = c;
	rc = EIDGW_OK;
out:
	free(bid);
	free(iss);
	eidgw_free_secret_str(bsec);
	return rc;
}

/* ---- token endpoint ------------------------------------------------------ */

static bool
verifier_matches(const char *verifier, const char *challenge)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct eidgw_buf b;
	size_t n = strlen(verifier);
	bool ok;

	/* RFC 7636 §4.1: code-verifier = 43*128unreserved. */
	if (n < 43 || n > 128 || strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~") != n)
		return false;
	/* RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge. */
	(void)SHA256((const unsigned char *)verifier, n, md);
	eidgw_buf_init(&b, 64);
	ok = eidgw_b64_encode(&b, md, sizeof(md), true) == EIDGW_OK &&
	    eidgw_ct_streq(b.data, challenge);
	eidgw_buf_free(&b);
	return ok;
}

static enum eidgw_err
store_unavailable(struct oidc_response *out, enum eidgw_err rc, struct eidgw_diag *d)
{
	(void)oidc_response_error(out, 503, "temporarily_unavailable", NULL);
	return eidgw_diag_set(d, rc == EIDGW_E_STORE_EXISTS ? EIDGW_E_INTERNAL : rc, __FILE__,
	    __LINE__, "store failure at the token endpoint");
}

/* A replayed code: revoke what the first redemption issued (RFC 6749 §4.1.2
 * "SHOULD revoke (when possible) all tokens previously issued based on that
 * authorization code"; we always do). */
static void
revoke_first_use(const struct oidc_provider *p, const char *h)
{
	struct eidgw_buf prev;
	char key[96];

	eidgw_buf_init(&prev, 128);
	(void)snprintf(key, sizeof(key), "oidc:revoked:%s", h);
	(void)p->store->ops->put(p->store, key, "1", 1, p->max_at_ttl + p->code_ttl + 60);
	(void)snprintf(key, sizeof(key), "oidc:used:%s", h);
	if (p->store->ops->get(p->store, key, &prev) == EIDGW_OK && prev.len == 64) {
		(void)snprintf(key, sizeof(key), "oidc:at:%s", prev.data);
		(void)p->store->ops->del(p->store, key);
	}
	(void)snprintf(key, sizeof(key), "oidc:code:%s", h);
	(void)p->store->ops->del(p->store, key);
	eidgw_buf_free(&prev);
}

/*
 * at_hash (OIDC Core §3.1.3.6, optional in the code flow): base64url of the
 * left half of the hash of the access token's ASCII octets, the hash being
 * the one of the ID token's alg.  PS256, ES256 and RS256 all use SHA-256.
 */
static enum eidgw_err
at_hash(const char *access_token, char **out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct eidgw_buf b;
	enum eidgw_err rc;

	*out = NULL;
	(void)SHA256((const unsigned char *)access_token, strlen(access_token), md);
	eidgw_buf_init(&b, 64);
	if ((rc = eidgw_b64_encode(&b, md, sizeof(md) / 2, true)) == EIDGW_OK &&
	    (*out = eidgw_buf_steal(&b, NULL)) == NULL)
		rc = EIDGW_E_NOMEM;
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
id_token_build(const struct oidc_provider *p, const struct oidc_pclient *c, json_t *rec,
    const char *access_token, int64_t now, char **out)
{
	const struct oidc_pkey *k = oidc_signing_key_for(p, c->id_token_alg);
	json_t *t = NULL, *cl = json_object_get(rec, "cl"), *v;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	const char *name;
	char *payload = NULL, *ath = NULL;

	*out = NULL;
	if (k == NULL || !json_is_object(cl))
		return EIDGW_E_INTERNAL;
	if ((rc = at_hash(access_token, &ath)) != EIDGW_OK)
		return rc;
	rc = EIDGW_E_NOMEM;
	/* OIDC Core §2: iss, sub, aud, exp, iat REQUIRED; auth_time because
	 * max_age may be used; nonce echoed when sent; acr = LoA asserted.
	 * at_hash of the access token issued with it.  No amr: eIDAS conveys no
	 * method information (digest §6.2). */
	if ((t = json_object()) == NULL || json_object_set_new(t, "iss", json_string(p->issuer)) != 0 ||
	    json_object_set_new(t, "aud", json_string(c->client_id)) != 0 ||
	    json_object_set_new(t, "exp", json_integer(now + c->idt_ttl)) != 0 ||
	    json_object_set_new(t, "iat", json_integer(now)) != 0 ||
	    json_object_set(t, "auth_time", json_object_get(rec, "at")) != 0 ||
	    json_object_set(t, "acr", json_object_get(rec, "acr")) != 0 ||
	    ((v = json_object_get(rec, "n")) != NULL && json_object_set(t, "nonce", v) != 0) ||
	    json_object_set_new(t, "at_hash", json_string(ath)) != 0)
		goto out;
	json_object_foreach(cl, name, v)
		if (json_object_get(t, name) == NULL && json_object_set(t, name, v) != 0)
			goto out;
	if ((payload = json_dumps(t, JSON_COMPACT)) == NULL)
		goto out;
	rc = oidc_jws_sign(k->key, k->alg, k->kid, payload, out);
out:
	free(ath);
	eidgw_free_secret_str(payload);
	json_decref(t);
	return rc;
}

/* The DPoP part of a token request: jkt filled when a valid proof came. */
static enum eidgw_err
token_dpop(const struct oidc_provider *p, const struct oidc_request *rq,
    const struct oidc_pclient *c, char jkt[OIDC_JKT_LEN + 1], struct oidc_response *out,
    struct eidgw_diag *d)
{
	enum eidgw_err rc;

	jkt[0] = '\0';
	/* §4.3 item 1: "there is not more than one DPoP HTTP request header field". */
	if (rq->n_dpop > 1) {
		(void)oidc_response_error(out, 400, "invalid_dpop_proof", "more than one DPoP header");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "several DPoP headers");
	}
	if (rq->dpop == NULL) {
		if (c->dpop_required) {
			(void)oidc_response_error(out, 400, "invalid_dpop_proof",
			    "a DPoP proof is required");
			EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, "client requires DPoP, no proof");
		}
		return EIDGW_OK;
	}
	rc = oidc_dpop_proof_check(p, rq->dpop, "POST", p->ep_token, NULL, jkt, d);
	if (rc != EIDGW_OK)
		oidc_dpop_error_json(out, rc);
out:
	return rc;
}

/* Fills out->issued: what the caller's audit record needs, from the values just issued. */
static enum eidgw_err
issued_record(struct oidc_response *out, const struct oidc_pclient *c, json_t *rec,
    const char *token_type, const char at_sha256[65], const char *id_token)
{
	struct oidc_issued *is;
	const char *sub = json_string_value(json_object_get(json_object_get(rec, "cl"), "sub"));
	const char *scope = json_string_value(json_object_get(rec, "s"));

	if ((is = calloc(1, sizeof(*is))) == NULL)
		return EIDGW_E_NOMEM;
	out->issued = is;
	is->token_type = token_type;
	memcpy(is->access_token_sha256, at_sha256, 65);
	oidc_sha256_hex(id_token, is->id_token_sha256);
	if ((is->client_id = strdup(c->client_id)) == NULL ||
	    (sub != NULL && (is->sub = strdup(sub)) == NULL) ||
	    (scope != NULL && (is->scope = strdup(scope)) == NULL))
		return EIDGW_E_NOMEM;
	return EIDGW_OK;
}

enum eidgw_err
oidc_token(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d)
{
	struct oidc_params ps = { NULL, 0 };
	const struct oidc_pclient *c = NULL;
	const char *gt, *code, *redir, *ver;
	struct eidgw_buf val;
	json_t *rec = NULL, *resp = NULL, *atrec = NULL, *v;
	char *at = NULL, *idt = NULL, *atjs = NULL;
	char h[65], ah[65], key[96], jkt[OIDC_JKT_LEN + 1] = "";
	enum eidgw_err rc;
	int64_t now = eidgw_now();

	memset(out, 0, sizeof(*out));
	eidgw_buf_init(&val, 65536);
	if ((rc = oidc_require_form_post(rq, &ps, d)) != EIDGW_OK) {
		(void)oidc_response_error(out, rc == EIDGW_E_OIDC_METHOD ? 405 : 400,
		    "invalid_request", NULL);
		goto out;
	}
	if ((rc = oidc_client_authenticate(p, rq, &ps, p->ep_token, &c, out, d)) != EIDGW_OK)
		goto out;
	/* RFC 9449 §5: a DPoP proof binds the access token to its key; invalid:
	 * invalid_dpop_proof.  §5.2 dpop_bound_access_tokens: such a client
	 * must always send one.  Checked before the code is taken, so a bad
	 * proof does not burn the code. */
	if ((rc = token_dpop(p, rq, c, jkt, out, d)) != EIDGW_OK)
		goto out;
	if ((gt = oidc_params_get(&ps, "grant_type")) == NULL) {
		(void)oidc_response_error(out, 400, "invalid_request", "grant_type missing");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "grant_type missing");
	}
	if (strcmp(gt, "authorization_code") != 0) {
		(void)oidc_response_error(out, 400, "unsupported_grant_type", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_GRANT_TYPE, "grant_type not authorization_code");
	}
	code = oidc_params_get(&ps, "code");
	redir = oidc_params_get(&ps, "redirect_uri");
	ver = oidc_params_get(&ps, "code_verifier");
	/* RFC 6749 §4.1.3: code and redirect_uri REQUIRED (we always require
	 * redirect_uri in the authorization request); RFC 7636 §4.5 verifier. */
	if (code == NULL || redir == NULL || ver == NULL) {
		(void)oidc_response_error(out, 400, "invalid_request",
		    "code, redirect_uri and code_verifier are required");
		EIDGW_FAIL(d, EIDGW_E_OIDC_PARAM, "code, redirect_uri or code_verifier missing");
	}
	if (strlen(code) > 128) {
		(void)oidc_response_error(out, 400, "invalid_grant", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_GRANT, "code too long");
	}
	oidc_sha256_hex(code, h);
	if ((rc = eidgw_random_token(32, &at)) != EIDGW_OK) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "no randomness");
	}
	oidc_sha256_hex(at, ah);
	/* Single use (RFC 6749 §4.1.2 "The client MUST NOT use the
	 * authorization code more than once"): the first redemption plants a
	 * marker atomically; a second one finds it and revokes. */
	(void)snprintf(key, sizeof(key), "oidc:used:%s", h);
	rc = p->store->ops->put_new(p->store, key, ah, 64, p->max_at_ttl + p->code_ttl + 60);
	if (rc == EIDGW_E_STORE_EXISTS) {
		revoke_first_use(p, h);
		(void)oidc_response_error(out, 400, "invalid_grant", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_CODE_REUSE, "code used twice; first tokens revoked");
	}
	if (rc != EIDGW_OK) {
		rc = store_unavailable(out, rc, d);
		goto out;
	}
	(void)snprintf(key, sizeof(key), "oidc:code:%s", h);
	rc = p->store->ops->take(p->store, key, &val);
	if (rc == EIDGW_E_STORE_MISSING) {
		(void)snprintf(key, sizeof(key), "oidc:used:%s", h);
		(void)p->store->ops->del(p->store, key);
		(void)oidc_response_error(out, 400, "invalid_grant", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_GRANT, "code unknown or expired");
	}
	if (rc != EIDGW_OK) {
		rc = store_unavailable(out, rc, d);
		goto out;
	}
	if ((rec = oidc_json_parse_object(val.data, val.len, 65536)) == NULL) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_INTERNAL, "stored code unreadable");
	}
	/* RFC 6749 §4.1.3: "ensure that the authorization code was issued to
	 * the authenticated confidential client" and redirect_uri "identical". */
	if (strcmp(json_string_value(json_object_get(rec, "c")) != NULL ?
	    json_string_value(json_object_get(rec, "c")) : "", c->client_id) != 0 ||
	    !json_is_string(json_object_get(rec, "r")) ||
	    strcmp(json_string_value(json_object_get(rec, "r")), redir) != 0) {
		(void)oidc_response_error(out, 400, "invalid_grant", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_GRANT, "code bound to another client or redirect_uri");
	}
	if (!json_is_string(json_object_get(rec, "cc")) ||
	    !verifier_matches(ver, json_string_value(json_object_get(rec, "cc")))) {
		(void)oidc_response_error(out, 400, "invalid_grant", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_VERIFIER, "code_verifier does not match");
	}
	/* RFC 9449 §10: a code bound to a DPoP key (dpop_jkt, or a proof at
	 * PAR) is redeemed only with a proof by that key. */
	if ((v = json_object_get(rec, "jkt")) != NULL &&
	    (!json_is_string(v) || !eidgw_ct_streq(json_string_value(v), jkt))) {
		(void)oidc_response_error(out, 400, "invalid_grant",
		    "the code is bound to another DPoP key");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_BINDING, jkt[0] == '\0' ?
		    "code bound to a DPoP key, no DPoP proof" : "code bound to another DPoP key");
	}
	if ((rc = id_token_build(p, c, rec, at, now, &idt)) != EIDGW_OK) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "ID token cannot be signed");
	}
	rc = EIDGW_E_NOMEM;
	if ((atrec = json_object()) == NULL ||
	    json_object_set_new(atrec, "c", json_string(c->client_id)) != 0 ||
	    json_object_set(atrec, "s", json_object_get(rec, "s")) != 0 ||
	    json_object_set_new(atrec, "exp", json_integer(now + c->at_ttl)) != 0 ||
	    json_object_set_new(atrec, "ch", json_string(h)) != 0 ||
	    json_object_set(atrec, "cl", json_object_get(rec, "cl")) != 0 ||
	    (jkt[0] != '\0' && json_object_set_new(atrec, "jkt", json_string(jkt)) != 0) ||
	    (atjs = json_dumps(atrec, JSON_COMPACT)) == NULL) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "out of memory");
	}
	(void)snprintf(key, sizeof(key), "oidc:at:%s", ah);
	if ((rc = p->store->ops->put_new(p->store, key, atjs, strlen(atjs), c->at_ttl)) !=
	    EIDGW_OK) {
		rc = store_unavailable(out, rc, d);
		goto out;
	}
	/* RFC 6749 §5.1 / OIDC Core §3.1.3.3. */
	if ((resp = json_object()) == NULL ||
	    json_object_set_new(resp, "access_token", json_string(at)) != 0 ||
	    /* RFC 9449 §5.1: token_type DPoP for a DPoP-bound access token. */
	    json_object_set_new(resp, "token_type",
	    json_string(jkt[0] != '\0' ? "DPoP" : "Bearer")) != 0 ||
	    json_object_set_new(resp, "expires_in", json_integer(c->at_ttl)) != 0 ||
	    json_object_set_new(resp, "id_token", json_string(idt)) != 0 ||
	    json_object_set(resp, "scope", json_object_get(rec, "s")) != 0 ||
	    (rc = oidc_response_json(out, 200, resp)) != EIDGW_OK) {
		(void)p->store->ops->del(p->store, key);
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "out of memory");
	}
	/* RFC 6749 §5.1: "Cache-Control: no-store" (set by oidc_response_json). */
	rc = issued_record(out, c, rec, jkt[0] != '\0' ? "DPoP" : "Bearer", ah, idt);
	if (rc != EIDGW_OK) {
		oidc_issued_free(out->issued);
		out->issued = NULL;
		(void)p->store->ops->del(p->store, key);
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "out of memory");
	}
out:
	json_decref(resp);
	json_decref(atrec);
	json_decref(rec);
	eidgw_free_secret_str(atjs);
	eidgw_free_secret_str(idt);
	eidgw_free_secret_str(at);
	eidgw_buf_free(&val);
	oidc_params_free(&ps);
	return rc;
}

/* ---- userinfo -------------------------------------------------------------- */

enum auth_scheme { SCHEME_NONE = 0, SCHEME_BEARER, SCHEME_DPOP };

/*
 * A 401/400 from the resource with its challenge.  RFC 6750 §3: Bearer with
 * error; §3.1 no error code when the request carried no authentication.
 * RFC 9449 §7.1: DPoP with error and algs; §7.2: a resource accepting both
 * schemes names both when nothing was presented.
 */
static void
resource_error(struct oidc_response *out, int status, enum auth_scheme scheme,
    const char *error)
{
	char hdr[192];

	if (scheme == SCHEME_DPOP)
		(void)snprintf(hdr, sizeof(hdr), "DPoP realm=\"eidgw\", error=\"%s\", algs=\"%s\"",
		    error != NULL ? error : "invalid_token", OIDC_DPOP_ALGS);
	else if (error != NULL)
		(void)snprintf(hdr, sizeof(hdr), "Bearer realm=\"eidgw\", error=\"%s\"", error);
	else
		(void)snprintf(hdr, sizeof(hdr), "Bearer realm=\"eidgw\", DPoP algs=\"%s\"",
		    OIDC_DPOP_ALGS);
	if (error == NULL && scheme != SCHEME_DPOP) {
		oidc_response_free(out);
		out->status = status;
		out->no_store = true;
	} else {
		(void)oidc_response_error(out, status, error != NULL ? error : "invalid_token", NULL);
	}
	free(out->www_authenticate);
	out->www_authenticate = strdup(hdr);
}

static bool
b64token_ok(const char *t)
{
	size_t n = strlen(t);

	/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
	if (n == 0 || n > 512)
		return false;
	while (n > 0 && t[n - 1] == '=')
		n--;
	return n > 0 && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~+/") == n;
}

/* Bearer or DPoP (case-insensitive scheme, then at least one space). */
static enum auth_scheme
scheme_of(const char *h, const char **cred)
{
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		*cred = h + 7;
		return SCHEME_BEARER;
	}
	if (strncasecmp(h, "DPoP ", 5) == 0) {
		*cred = h + 5;
		return SCHEME_DPOP;
	}
	return SCHEME_NONE;
}

/*
 * RFC 9449 §7.1: a DPoP-bound token needs the DPoP scheme, one valid proof
 * for this request (htm, htu, ath) by the key the token is bound to.  A
 * token that is not DPoP-bound is refused under the DPoP scheme.
 */
static enum eidgw_err
userinfo_dpop(const struct oidc_provider *p, const struct oidc_request *rq,
    enum auth_scheme scheme, const char *tok, json_t *rec, struct oidc_response *out,
    struct eidgw_diag *d)
{
	const char *bound = json_string_value(json_object_get(rec, "jkt"));
	char jkt[OIDC_JKT_LEN + 1];
	enum eidgw_err rc;

	if (scheme != SCHEME_DPOP) {
		if (bound == NULL)
			return EIDGW_OK;	/* a plain bearer token */
		/* §7.1 / §7.2: a DPoP-bound token is not a bearer token. */
		resource_error(out, 401, SCHEME_DPOP, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_BINDING, "DPoP-bound token presented as Bearer");
	}
	if (bound == NULL) {
		resource_error(out, 401, SCHEME_DPOP, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "DPoP scheme with a token that is not DPoP-bound");
	}
	if (rq->dpop == NULL || rq->n_dpop > 1) {
		resource_error(out, 401, SCHEME_DPOP, "invalid_dpop_proof");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_PROOF, rq->dpop == NULL ? "no DPoP proof" :
		    "several DPoP headers");
	}
	rc = oidc_dpop_proof_check(p, rq->dpop, rq->method, p->ep_userinfo, tok, jkt, d);
	if (rc != EIDGW_OK) {
		if (rc == EIDGW_E_OIDC_DPOP_PROOF || rc == EIDGW_E_OIDC_DPOP_REPLAY)
			resource_error(out, 401, SCHEME_DPOP, "invalid_dpop_proof");
		else
			(void)oidc_response_error(out, eidgw_err_category(rc) ==
			    EIDGW_CAT_UNAVAILABLE ? 503 : 500, eidgw_err_category(rc) ==
			    EIDGW_CAT_UNAVAILABLE ? "temporarily_unavailable" : "server_error", NULL);
		goto out;
	}
	/* §7.1: "the public key to which the access token is bound" is the proof's. */
	if (!eidgw_ct_streq(jkt, bound)) {
		resource_error(out, 401, SCHEME_DPOP, "invalid_dpop_proof");
		EIDGW_FAIL(d, EIDGW_E_OIDC_DPOP_BINDING, "DPoP proof key is not the token's");
	}
	rc = EIDGW_OK;
out:
	return rc;
}

enum eidgw_err
oidc_userinfo(const struct oidc_provider *p, const struct oidc_request *rq,
    struct oidc_response *out, struct eidgw_diag *d)
{
	struct oidc_params body = { NULL, 0 }, q = { NULL, 0 };
	const char *tok = NULL, *hdr = rq->authorization;
	enum auth_scheme scheme = SCHEME_NONE;
	struct eidgw_buf val;
	json_t *rec = NULL, *v;
	char key[96], h[65];
	enum eidgw_err rc;
	bool post;

	memset(out, 0, sizeof(*out));
	eidgw_buf_init(&val, 65536);
	post = rq->method != NULL && strcmp(rq->method, "POST") == 0;
	if (!post && (rq->method == NULL || strcmp(rq->method, "GET") != 0)) {
		(void)oidc_response_error(out, 405, "invalid_request", NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "method not allowed");
	}
	if ((rc = oidc_params_parse(rq->query, rq->query_len, &q, d)) != EIDGW_OK) {
		resource_error(out, 400, SCHEME_BEARER, "invalid_request");
		goto out;
	}
	/* RFC 6750 §2.3 / FAPI 2.0: no access tokens in URLs. */
	if (oidc_params_get(&q, "access_token") != NULL) {
		resource_error(out, 400, SCHEME_BEARER, "invalid_request");
		EIDGW_FAIL(d, EIDGW_E_OIDC_METHOD, "access token in the query string");
	}
	if (post && rq->content_type != NULL &&
	    strncasecmp(rq->content_type, "application/x-www-form-urlencoded", 33) == 0) {
		if ((rc = oidc_params_parse(rq->body, rq->body_len, &body, d)) != EIDGW_OK) {
			resource_error(out, 400, SCHEME_BEARER, "invalid_request");
			goto out;
		}
		tok = oidc_params_get(&body, "access_token");
	}
	if (hdr != NULL) {
		const char *cred = NULL;

		if (strlen(hdr) > OIDC_MAX_AUTH_HEADER ||
		    (scheme = scheme_of(hdr, &cred)) == SCHEME_NONE) {
			resource_error(out, 401, SCHEME_NONE, NULL);
			EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "Authorization is neither Bearer nor DPoP");
		}
		/* RFC 6750 §2: "Clients MUST NOT use more than one method to
		 * transmit the token in each request." */
		if (tok != NULL) {
			resource_error(out, 400, scheme, "invalid_request");
			EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token sent twice");
		}
		for (tok = cred; *tok == ' '; tok++)
			;
	}
	if (tok == NULL) {
		resource_error(out, 401, SCHEME_NONE, NULL);
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "no access token");
	}
	if (!b64token_ok(tok)) {
		resource_error(out, 401, scheme, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token malformed");
	}
	oidc_sha256_hex(tok, h);
	(void)snprintf(key, sizeof(key), "oidc:at:%s", h);
	rc = p->store->ops->get(p->store, key, &val);
	if (rc == EIDGW_E_STORE_MISSING) {
		resource_error(out, 401, scheme, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token unknown, expired or revoked");
	}
	if (rc != EIDGW_OK) {
		(void)oidc_response_error(out, 503, "temporarily_unavailable", NULL);
		EIDGW_FAIL(d, rc, "store failure at userinfo");
	}
	if ((rec = oidc_json_parse_object(val.data, val.len, 65536)) == NULL ||
	    !json_is_integer(v = json_object_get(rec, "exp")) ||
	    !json_is_string(json_object_get(rec, "ch")) ||
	    !json_is_object(json_object_get(rec, "cl"))) {
		resource_error(out, 401, scheme, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token record unreadable");
	}
	if (json_integer_value(v) <= eidgw_now()) {
		resource_error(out, 401, scheme, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token expired");
	}
	/* Tokens of a replayed code are dead even if the race let one be stored. */
	(void)snprintf(key, sizeof(key), "oidc:revoked:%s",
	    json_string_value(json_object_get(rec, "ch")));
	eidgw_buf_reset(&val);
	rc = p->store->ops->get(p->store, key, &val);
	if (rc == EIDGW_OK) {
		resource_error(out, 401, scheme, "invalid_token");
		EIDGW_FAIL(d, EIDGW_E_OIDC_TOKEN, "access token revoked (code replay)");
	}
	if (rc != EIDGW_E_STORE_MISSING) {
		(void)oidc_response_error(out, 503, "temporarily_unavailable", NULL);
		EIDGW_FAIL(d, rc, "store failure at userinfo");
	}
	if ((rc = userinfo_dpop(p, rq, scheme, tok, rec, out, d)) != EIDGW_OK)
		goto out;
	/* OIDC Core §5.3.2: the claims for the granted scopes, sub always. */
	if ((rc = oidc_response_json(out, 200, json_object_get(rec, "cl"))) != EIDGW_OK) {
		(void)oidc_response_error(out, 500, "server_error", NULL);
		EIDGW_FAIL(d, rc, "out of memory");
	}
	rc = EIDGW_OK;
out:
	json_decref(rec);
	eidgw_buf_free(&val);
	oidc_params_free(&body);
	oidc_params_free(&q);
	return rc;
}
