/*
 * binding.h - SAML 2.0 Bindings: HTTP-POST (an HTML form that submits
 * itself under a strict CSP without inline script, with a visible button in
 * <noscript>) and the standard HTTP-Redirect binding (raw DEFLATE, base64,
 * URL encoding, detached SigAlg/Signature over the query octets).  Every
 * decoder has a size cap.
 */
#ifndef EIDGW_SAML_BINDING_H
#define EIDGW_SAML_BINDING_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"
#include "saml/xmldsig.h"

/* SAML Bindings 3.4.3 / 3.5.3: "RelayState ... MUST NOT exceed 80 bytes". */
#define SAML_RELAY_STATE_MAX 80
/* Cap on an inflated Redirect message (a DEFLATE bomb stops here). */
#define SAML_REDIRECT_MAX_XML (64u * 1024u)

#define SAML_BINDING_POST     "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define SAML_BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

/*
 * Appends to html a complete HTML page whose form POSTs param ("SAMLRequest"
 * or "SAMLResponse") = base64(xml) and RelayState (when not NULL) to
 * action.  No inline script or style: with script_src (a same-origin static
 * script that submits form#saml-post-form, may be NULL) the page submits by
 * itself; without JavaScript the <noscript> button does it.
 */
enum eidgw_err saml_binding_post_form(const char *action, const char *param,
    const char *xml, size_t len, const char *relay_state, const char *script_src,
    struct eidgw_buf *html, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * HTTP-Redirect (SAML Bindings 3.4.4): *url_out = destination ? (or &)
 * param=DEFLATE+base64+urlencode(xml) [&RelayState=..] &SigAlg=..&Signature=..
 * signed with key (not signed when key is NULL).  The xml must not carry an
 * enveloped signature (3.4.4.1).  Free *url_out with free().
 */
enum eidgw_err saml_binding_redirect_encode(const char *destination, const char *param,
    const char *xml, size_t len, const char *relay_state, const struct eidgw_key *key,
    enum eidgw_sig_alg alg, char **url_out, struct eidgw_diag *d) EIDGW_MUST_USE;

/* A decoded HTTP-Redirect message. */
struct saml_redirect_msg {
	struct eidgw_buf xml;		/* the inflated message */
	char *relay_state;		/* or NULL */
	char *sig_alg;			/* SigAlg URI, or NULL when unsigned */
	struct eidgw_buf signature;	/* raw signature octets */
	struct eidgw_buf signed_part;	/* the octets the signature covers (3.4.4.1) */
};

/*
 * Decodes the query string (without '?') of an HTTP-Redirect message
 * carrying param.  Does not verify: call saml_binding_redirect_verify.
 * Release msg with saml_redirect_msg_clear() whatever the outcome.
 */
enum eidgw_err saml_binding_redirect_decode(const char *query, const char *param,
    struct saml_redirect_msg *msg, struct eidgw_diag *d) EIDGW_MUST_USE;
/* Verifies the detached signature with one of the trusted keys. */
enum eidgw_err saml_binding_redirect_verify(const struct saml_redirect_msg *msg,
    const struct saml_trust *trust, const struct saml_sig_policy *pol,
    struct eidgw_diag *d) EIDGW_MUST_USE;
void saml_redirect_msg_clear(struct saml_redirect_msg *msg);

/* Raw DEFLATE (RFC 1951) both ways; inflate stops at max_out bytes. */
enum eidgw_err saml_deflate(const void *in, size_t len, struct eidgw_buf *out) EIDGW_MUST_USE;
enum eidgw_err saml_inflate(const void *in, size_t len, size_t max_out,
    struct eidgw_buf *out) EIDGW_MUST_USE;

#endif
