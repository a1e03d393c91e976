/*
 * xmlenc.h - XML Encryption for EncryptedAssertion, on OpenSSL 3 directly:
 * content AES-GCM (128/192/256) only; key transport RSA-OAEP per xmlenc11
 * (DigestMethod + MGF) or, behind a per-country flag, the 1.0
 * rsa-oaep-mgf1p; key agreement ECDH-ES with ConcatKDF and AES key wrap.
 * No RSA-1_5, no AES-CBC.  The private operation (unwrap or ECDH) goes
 * through the key-operations interface.
 */
#ifndef EIDGW_SAML_XMLENC_H
#define EIDGW_SAML_XMLENC_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/keyops.h"

#define SAML_ENC_AES128_GCM   "http://www.w3.org/2009/xmlenc11#aes128-gcm"
#define SAML_ENC_AES192_GCM   "http://www.w3.org/2009/xmlenc11#aes192-gcm"
#define SAML_ENC_AES256_GCM   "http://www.w3.org/2009/xmlenc11#aes256-gcm"
#define SAML_ENC_RSA_OAEP     "http://www.w3.org/2009/xmlenc11#rsa-oaep"
#define SAML_ENC_RSA_OAEP_MGF1P "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
#define SAML_ENC_ECDH_ES      "http://www.w3.org/2009/xmlenc11#ECDH-ES"
#define SAML_ENC_CONCAT_KDF   "http://www.w3.org/2009/xmlenc11#ConcatKDF"
#define SAML_ENC_KW_AES128    "http://www.w3.org/2001/04/xmlenc#kw-aes128"
#define SAML_ENC_KW_AES192    "http://www.w3.org/2001/04/xmlenc#kw-aes192"
#define SAML_ENC_KW_AES256    "http://www.w3.org/2001/04/xmlenc#kw-aes256"

struct saml_dec_policy {
	bool allow_rsa_oaep_mgf1p;	/* xmlenc 1.0 OAEP with SHA-1 MGF: per-country flag */
};

/*
 * Decrypts the xenc:EncryptedData inside enc (an EncryptedAssertion, or the
 * EncryptedData itself) with one of our decryption keys and appends the
 * plaintext octets to plain (wipe it after use).  Failures of unwrap and of
 * the GCM tag are reported with one generic code and reason.
 */
enum eidgw_err saml_decrypt(const xmlNode *enc, const struct eidgw_key *const *keys,
    size_t nkeys, const struct saml_dec_policy *pol, struct eidgw_buf *plain,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * The key-transport / key-agreement half of saml_decrypt: recovers the
 * content-encryption key of the EncryptedData in enc into cek (wipe it after
 * use).  Same EncryptedKey lookup and policy as saml_decrypt; the content
 * algorithm is not checked here.
 */
enum eidgw_err saml_enc_recover_key(const xmlNode *enc, const struct eidgw_key *const *keys,
    size_t nkeys, const struct saml_dec_policy *pol, struct eidgw_buf *cek,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * The content half: decrypts the EncryptedData in enc (AES-GCM only) with a
 * known content key and appends the plaintext to plain.
 */
enum eidgw_err saml_decrypt_with_key(const xmlNode *enc, const unsigned char *cek,
    size_t ceklen, struct eidgw_buf *plain, struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Decrypts an EncryptedAssertion in place: the plaintext is parsed with the
 * hardened rules in the namespace context of enc's parent and replaces enc;
 * *assertion gets the new saml:Assertion element (owned by doc).  The
 * plaintext must be exactly one saml:Assertion (whitespace, comments and PIs
 * beside it are tolerated), nest no deeper than SAML_XML_MAX_DEPTH in its new
 * place and use no undeclared prefix.  On failure doc is left unchanged.
 * enc must be a saml:EncryptedAssertion (it may be the document element).
 */
enum eidgw_err saml_decrypt_assertion(xmlDocPtr doc, xmlNodePtr enc,
    const struct eidgw_key *const *keys, size_t nkeys,
    const struct saml_dec_policy *pol, xmlNodePtr *assertion,
    struct eidgw_diag *d) EIDGW_MUST_USE;

/*
 * Encrypts an element into an EncryptedAssertion for a recipient public key.
 * elem is replaced in the document by the new EncryptedAssertion (and freed);
 * *encrypted gets that EncryptedAssertion.  The plaintext is elem's inclusive
 * c14n, so namespaces declared on ancestors travel with it
 * (RSA: xmlenc11 RSA-OAEP SHA-256/MGF1-SHA-256; EC: ECDH-ES + ConcatKDF
 * SHA-256 + kw-aes256) with AES-256-GCM.  Used by tests, the benchmark's
 * identity provider and nothing on the gateway's own path.
 */
enum eidgw_err saml_encrypt_element(xmlDocPtr doc, xmlNodePtr elem, EVP_PKEY *recipient,
    X509 *recipient_cert, xmlNodePtr *encrypted, struct eidgw_diag *d) EIDGW_MUST_USE;

#endif
