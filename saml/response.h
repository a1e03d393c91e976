/*
 * response.h - strict, fail-closed validation of an eIDAS SAML Response
 * received at our assertion consumer service (HTTP-POST binding).
 *
 * Input: the base64 SAMLResponse form value as received, and what we expect
 * (struct saml_response_expect, every field supplied by the caller from its
 * configuration, verified metadata and the login transaction).  Output: a
 * typed struct saml_result.  The checks are the digest's 2 table (1-17),
 * small named functions run in order from one table in response.c; the
 * first failure ends validation with its own error code.
 */
#ifndef EIDGW_SAML_RESPONSE_H
#define EIDGW_SAML_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keyops.h"
#include "core/store.h"
#include "saml/attributes.h"
#include "saml/xmldsig.h"

#define SAML_LOA_LOW         "http://eidas.europa.eu/LoA/low"
#define SAML_LOA_SUBSTANTIAL "http://eidas.europa.eu/LoA/substantial"
#define SAML_LOA_HIGH        "http://eidas.europa.eu/LoA/high"

#define SAML_NAMEID_PERSISTENT  "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
#define SAML_NAMEID_TRANSIENT   "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
#define SAML_NAMEID_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define SAML_NAMEID_ENTITY      "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

#define SAML_STATUS_PREFIX  "urn:oasis:names:tc:SAML:2.0:status:"
#define SAML_STATUS_SUCCESS SAML_STATUS_PREFIX "Success"

/* Default bound on the decoded Response (the EC node caps sizes too). */
#define SAML_RESPONSE_MAX_BYTES (256u * 1024u)
/* Default tolerated clock difference and maximum age of a Response. */
#define SAML_DEFAULT_SKEW_S 60
#define SAML_DEFAULT_MAX_AGE_S 600

/*
 * The replay cache: called once per accepted assertion with its ID and the
 * number of seconds it must be remembered.  Return EIDGW_OK when the ID is
 * new, EIDGW_E_STORE_EXISTS when seen, anything else when the cache cannot
 * answer (validation then fails closed).
 */
typedef enum eidgw_err (*saml_replay_fn)(void *ctx, const char *assertion_id, int64_t ttl_s);

struct saml_response_expect {
	const char *idp_entity_id;	/* Issuer we sent the request to (verified metadata) */
	const char *idp_country;	/* its NodeCountry, for PersonIdentifier; NULL skips */
	const struct saml_trust *idp_trust;	/* its signing keys from verified metadata */
	const char *acs_url;		/* our ACS URL: Destination and Recipient */
	const char *sp_entity_id;	/* our entity ID (metadata URL): Audience */
	const char *request_id;		/* the outstanding AuthnRequest ID (already taken from the store) */
	const char *requested_loa;	/* Comparison=minimum: one notified LoA URI */
	const char *const *exact_loas;	/* Comparison=exact: acceptable URIs (used if nexact_loas > 0) */
	size_t nexact_loas;
	const char *requested_nameid_format;	/* NULL or unspecified: any of the three */
	const char *const *required_attrs;	/* Names requested with isRequired="true" */
	size_t nrequired_attrs;
	int64_t now;			/* seconds since the epoch; 0: the wall clock */
	int64_t skew_s;			/* tolerated clock difference; < 0 means the default */
	int64_t max_age_s;		/* oldest acceptable IssueInstant; 0 means the default */
	/*
	 * When the request went out with ForceAuthn="true" (always, in eIDAS):
	 * its time.  An AuthnInstant earlier than this (less skew_s) is an
	 * earlier session the IdP reused instead of authenticating anew; 0
	 * skips the check.
	 */
	int64_t authn_not_before;
	size_t max_bytes;		/* decoded size cap; 0 means SAML_RESPONSE_MAX_BYTES */
	const struct eidgw_key *const *dec_keys;	/* our decryption keys (rollover: several) */
	size_t ndec_keys;
	/* policies (per country) */
	bool require_encryption;	/* eIDAS: the assertion MUST be encrypted */
	bool require_assertion_signature;
	bool assertion_signature_only;	/* national non-eIDAS scheme: unsigned Response allowed
					   when the assertion is signed; never the default */
	bool allow_rsa_pkcs1;
	bool allow_rsa_oaep_mgf1p;
	bool allow_representative;
	/*
	 * Attribute name variants of a national node (per-country quirk): an
	 * Attribute whose Name equals alias_from[i] is read as alias_to[i]
	 * (an eIDAS Name).  Applied after every signature has verified.
	 */
	const char *const *alias_from;
	const char *const *alias_to;
	size_t nalias;
	/* replay cache: store (put_new "saml-assertion:<ID>") or callback; one is required */
	struct eidgw_store *replay_store;
	saml_replay_fn replay_fn;
	void *replay_ctx;
};

struct saml_result {
	/* always filled as far as validation got (for logs and error mapping) */
	char *response_id;
	char *in_response_to;
	char *status_code;		/* top-level StatusCode Value */
	char *status_sub_code;		/* second-level, or NULL */
	char *status_message;		/* StatusMessage: log only, never show to users */
	/* filled only on success */
	char *assertion_id;
	char *issuer;
	char *name_id;
	char *name_id_format;
	char *loa;			/* AuthnContextClassRef, unchanged */
	int64_t authn_instant;
	int64_t not_on_or_after;	/* Conditions NotOnOrAfter */
	bool was_encrypted;
	bool assertion_signed;
	struct saml_identity identity;
};

/*
 * Validates a base64 SAMLResponse.  res is cleared on entry and must be
 * released with saml_result_clear() whatever the outcome.  On failure the
 * identity part of res is empty.
 */
enum eidgw_err saml_response_validate(const char *b64, size_t len,
    const struct saml_response_expect *e, struct saml_result *res,
    struct eidgw_diag *d) EIDGW_MUST_USE;
/* The same on already decoded XML octets (tests, fuzzing). */
enum eidgw_err saml_response_validate_xml(const char *xml, size_t len,
    const struct saml_response_expect *e, struct saml_result *res,
    struct eidgw_diag *d) EIDGW_MUST_USE;
void saml_result_clear(struct saml_result *res);

/*
 * LoA order (digest 0): notified low < substantial < high; a non-notified
 * URI never satisfies a notified request.  True when returned satisfies a
 * Comparison=minimum request for requested.
 */
bool saml_loa_satisfies(const char *requested, const char *returned);
/* 1, 2, 3 for the notified URIs, 0 for anything else. */
int saml_loa_level(const char *uri);

#endif
