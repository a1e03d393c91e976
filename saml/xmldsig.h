/*
 * xmldsig.h - XML Signature for the SAML profile, on OpenSSL 3 directly
 * (xmlsec1 1.2.37 lacks RSA-PSS; the profile is narrow enough to implement
 * strictly): enveloped signatures with exactly one Reference to the signed
 * element's own ID, transforms enveloped-signature + exclusive c14n, and an
 * algorithm allow-list.  Keys come from configuration or verified metadata;
 * KeyInfo in a message is never used to pick or build a key.
 */
#ifndef EIDGW_SAML_XMLDSIG_H
#define EIDGW_SAML_XMLDSIG_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"

/* Algorithm URIs (RFC 6931, xmldsig core/1.1). */
#define SAML_ALG_RSA_SHA256   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define SAML_ALG_RSA_SHA384   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
#define SAML_ALG_RSA_SHA512   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
#define SAML_ALG_PSS_SHA256   "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
#define SAML_ALG_PSS_SHA384   "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
#define SAML_ALG_PSS_SHA512   "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
#define SAML_ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define SAML_ALG_ECDSA_SHA384 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
#define SAML_ALG_ECDSA_SHA512 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
#define SAML_DIGEST_SHA256    "http://www.w3.org/2001/04/xmlenc#sha256"
#define SAML_DIGEST_SHA384    "http://www.w3.org/2001/04/xmldsig-more#sha384"
#define SAML_DIGEST_SHA512    "http://www.w3.org/2001/04/xmlenc#sha512"
#define SAML_C14N_EXCL        "http://www.w3.org/2001/10/xml-exc-c14n#"
#define SAML_TRANSFORM_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

/* What a verifier accepts beyond the eIDAS defaults (PSS and ECDSA, SHA-2). */
struct saml_sig_policy {
	bool allow_rsa_pkcs1;	/* RSA PKCS#1 v1.5: national non-eIDAS schemes only */
	int min_rsa_bits;	/* 0 means 3072 (eIDAS crypto requirements) */
	int min_ec_bits;	/* 0 means 256 */
};

/* Trusted verification keys: from configuration or verified metadata only. */
struct saml_trust {
	EVP_PKEY *const *keys;
	size_t nkeys;
};

/* URI <-> scheme; EIDGW_SIG_NONE for anything outside the allow-list. */
enum eidgw_sig_alg saml_sig_alg_from_uri(const char *uri);
const char *saml_sig_alg_uri(enum eidgw_sig_alg alg);

/*
 * Verifies the ds:Signature that is a direct child of elem.  Succeeds only
 * if: there is exactly one such Signature; it has exactly one Reference and
 * its URI is "#" + elem's ID attribute (id_attr, normally "ID"), and that ID
 * is unique in the document; its transforms are exactly enveloped-signature
 * then exclusive c14n; c14n, digest and signature algorithms are allowed by
 * pol; the digest matches; and the SignatureValue verifies under one of the
 * trusted keys.  No signature at all gives EIDGW_E_SAML_SIG_MISSING so
 * callers can tell "unsigned" from "badly signed".
 */
enum eidgw_err saml_sig_verify_enveloped(xmlDocPtr doc, xmlNodePtr elem,
    const char *id_attr, const struct saml_trust *trust,
    const struct saml_sig_policy *pol, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Adds an enveloped signature to elem (which must carry id_attr), placed
 * right after the child `after` (SAML: the Issuer) or first when NULL.  Uses
 * exclusive c14n, the digest of alg, and a KeyInfo with key's certificate
 * when it has one.  The private operation goes through key (keyops.h).
 */
enum eidgw_err saml_sig_sign_enveloped(xmlDocPtr doc, xmlNodePtr elem,
    const char *id_attr, xmlNodePtr after, const struct eidgw_key *key,
    enum eidgw_sig_alg alg, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Verifies one ds:Signature (sig) in fuller XML-DSig generality, for
 * interop diagnostics and the published test vectors, NOT for the SAML
 * message path: every Reference must be same-document ("" or "#id", the id
 * unique), transforms from { enveloped-signature, exclusive c14n (with
 * PrefixList), inclusive c14n 1.0, the XPath filter
 * "not(ancestor-or-self::<ds prefix>:Signature)" }, inclusive c14n as the
 * default; SignedInfo c14n exclusive or inclusive 1.0 (without comments).
 * Algorithms, key sizes and the trust rule are exactly those of
 * saml_sig_verify_enveloped; error codes too.
 */
enum eidgw_err saml_sig_verify_generic(xmlDocPtr doc, xmlNodePtr sig,
    const struct saml_trust *trust, const struct saml_sig_policy *pol,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Raw signatures in the XML-DSig encoding: ECDSA as r||s (each half padded
 * to the field size), RSA as is.  For the HTTP-Redirect binding's detached
 * query signature.
 */
enum eidgw_err saml_sig_sign_raw(const struct eidgw_key *key, enum eidgw_sig_alg alg,
    const unsigned char *data, size_t len, struct eidgw_buf *out) EIDGW_MUST_USE;
enum eidgw_err saml_sig_verify_raw(EVP_PKEY *pub, enum eidgw_sig_alg alg,
    const struct saml_sig_policy *pol, const unsigned char *data, size_t len,
    const unsigned char *sig, size_t siglen) EIDGW_MUST_USE;

#endif
