/*
 * authnrequest.h - the eIDAS AuthnRequest (eIDAS SAML Message Format 3,
 * digest 1): built with the libxml2 tree API (so every value is escaped),
 * signed enveloped for the HTTP-POST binding or left unsigned for the
 * standard HTTP-Redirect binding, whose detached signature binding.h adds.
 */
#ifndef EIDGW_SAML_AUTHNREQUEST_H
#define EIDGW_SAML_AUTHNREQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keyops.h"

struct saml_requested_attr {
	const char *name;	/* full Name URI */
	bool required;		/* isRequired */
};

struct saml_authnrequest_params {
	const char *issuer;		/* our metadata URL (= entityID) */
	const char *destination;	/* SSO Location from verified metadata, for the binding used */
	const char *sp_type;		/* "public", "private", or NULL when our metadata has it */
	const struct saml_requested_attr *attrs;	/* at least one; never mix natural and legal */
	size_t nattrs;
	const char *nameid_format;	/* NULL: persistent */
	const char *loa;		/* Comparison=minimum with this notified LoA ... */
	const char *const *exact_loas;	/* ... or Comparison=exact with these (nexact_loas > 0) */
	size_t nexact_loas;
	const char *requester_id;	/* Scoping/RequesterID, or NULL */
	const char *provider_name;	/* ProviderName, or NULL */
	const char *protocol_binding;	/* ProtocolBinding (per-country quirk), normally NULL */
	bool omit_scoping;		/* per-country quirk: never send Scoping */
	int64_t now;			/* IssueInstant */
	/* signing: key NULL means unsigned (HTTP-Redirect signs the query instead) */
	const struct eidgw_key *key;
	enum eidgw_sig_alg alg;
};

struct saml_authnrequest {
	char *id;		/* "_" + 32 hex digits: store it for InResponseTo */
	char *xml;		/* the serialised request, NUL-terminated */
	size_t xml_len;
};

/*
 * Builds (and, with p->key, signs enveloped right after the Issuer) an
 * AuthnRequest.  *out is the caller's, freed with saml_authnrequest_free().
 */
enum eidgw_err saml_authnrequest_build(const struct saml_authnrequest_params *p,
    struct saml_authnrequest **out, struct eidgw_diag *d) EIDGW_MUST_USE;
void saml_authnrequest_free(struct saml_authnrequest *r);

#endif
