/*
 * metadata.h - SAML 2.0 metadata for eIDAS (digest 5): our SP (Connector)
 * metadata out, signed; an IdP's (Proxy-Service's) metadata in, parsed only
 * after its signature verifies against the configured metadata-signing
 * certificate(s) and only while validUntil lies ahead.
 *
 * Fetching (file or https), background refresh and the last good copy on
 * disk are the gateway's: it hands the octets to saml_idp_metadata_parse()
 * and keeps the result only on EIDGW_OK.
 */
#ifndef EIDGW_SAML_METADATA_H
#define EIDGW_SAML_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "core/keyops.h"
#include "saml/xmldsig.h"

#define SAML_METADATA_MAX_BYTES (1024u * 1024u)

struct saml_sp_metadata_params {
	const char *entity_id;		/* our metadata URL */
	const char *acs_url;		/* HTTP-POST assertion consumer */
	const char *node_country;	/* ISO 3166-1 alpha-2 of the operating country (EL for Greece) */
	X509 *signing_cert;		/* the message-signing certificate */
	X509 *encryption_cert;		/* the certificate Responses are encrypted to */
	X509 *next_encryption_cert;	/* optional: published ahead of a rollover */
	const char *const *signing_methods;	/* alg:SigningMethod URIs we produce/accept */
	size_t nsigning_methods;
	const char *const *digest_methods;	/* alg:DigestMethod URIs */
	size_t ndigest_methods;
	const char *application_id;	/* e.g. "eidgw:eidgw:0.1", or NULL */
	const char *org_name;		/* Organization, all three or none */
	const char *org_display_name;
	const char *org_url;
	const char *contact_support_email;	/* ContactPerson support, or NULL */
	const char *contact_technical_email;	/* ContactPerson technical, or NULL */
	int64_t valid_until;		/* absolute time; digest 5.2: about a day ahead */
	/* the metadata-signing key (not the message key) */
	const struct eidgw_key *key;
	enum eidgw_sig_alg alg;
};

/* Builds and signs our metadata; *xml (free()) gets the document, *len its size. */
enum eidgw_err saml_sp_metadata_build(const struct saml_sp_metadata_params *p,
    char **xml, size_t *len, struct eidgw_diag *d) EIDGW_MUST_USE;

/* What we read from a verified Proxy-Service metadata document. */
struct saml_idp_metadata {
	char *entity_id;
	int64_t valid_until;
	int64_t cache_duration_s;	/* cacheDuration in seconds, 0 when absent */
	char *node_country;		/* NULL when absent or empty */
	char *sso_post;			/* SingleSignOnService Location, HTTP-POST */
	char *sso_redirect;		/* SingleSignOnService Location, HTTP-Redirect */
	X509 **signing_certs;		/* KeyDescriptor use=signing (or no use) */
	EVP_PKEY **signing_keys;	/* their public keys, same order */
	size_t nsigning;
	X509 **encryption_certs;	/* KeyDescriptor use=encryption (or no use) */
	size_t nencryption;
	char **attributes;		/* supported attribute Names */
	size_t nattributes;
	char **loas;			/* assurance-certification entity attribute values */
	size_t nloas;
	bool requester_id_required;	/* entity-category termsofaccess/requesterid */
	bool want_authn_requests_signed;
	struct saml_trust trust;	/* view over signing_keys for response.h */
};

/*
 * Verifies and parses an IdP metadata document (md:EntityDescriptor with
 * one md:IDPSSODescriptor).  The enveloped signature must cover the whole
 * document (Reference "" or "#" + the root ID) and verify under one of the
 * md_signers keys; validUntil must be present and after now;
 * expected_entity_id (may be NULL) must equal entityID.  *out is freed with
 * saml_idp_metadata_free().
 */
enum eidgw_err saml_idp_metadata_parse(const char *xml, size_t len,
    const struct saml_trust *md_signers, const struct saml_sig_policy *pol, int64_t now,
    const char *expected_entity_id, struct saml_idp_metadata **out,
    struct eidgw_diag *d) EIDGW_MUST_USE;
void saml_idp_metadata_free(struct saml_idp_metadata *m);

/*
 * xsd:duration as seconds for cacheDuration: PnDTnHnMnS (fractions of a
 * second dropped); years and months count as 365 and 30 days.  Negative or
 * malformed durations fail.
 */
enum eidgw_err saml_duration_parse(const char *s, int64_t *out) EIDGW_MUST_USE;

/* True when the IdP published attribute name as supported. */
bool saml_idp_supports_attribute(const struct saml_idp_metadata *m, const char *name);

#endif
