/*
 * xmlenc.c - XML Encryption 1.1 for EncryptedAssertion on OpenSSL 3
 * (xmlsec1 1.2.37 has neither xmlenc11#rsa-oaep nor ECDH-ES).
 *
 * Allowed (eIDAS Crypto Requirements v1.2, section 3):
 *   content      xmlenc11#aes128-gcm, aes192-gcm, aes256-gcm
 *   transport    xmlenc11#rsa-oaep (DigestMethod, MGF), xmlenc#rsa-oaep-mgf1p
 *                only when the policy allows it
 *   agreement    xmlenc11#ECDH-ES + xmlenc11#ConcatKDF, then xmlenc#kw-aes128/192/256
 * Everything else (rsa-1_5, AES-CBC, 3DES, DH, PBKDF2, ...) is refused with
 * EIDGW_E_SAML_ENC_ALG before any private-key operation.
 *
 * Padding oracle: every failure after the first private-key operation
 * (OAEP decoding, key-unwrap integrity, CEK length, GCM tag) is reported as
 * EIDGW_E_SAML_DECRYPT with the same reason text.
 *
 * Spec: XML Encryption 1.1 (https://www.w3.org/TR/xmlenc-core1/) sections
 * 5.2.4 (AES-GCM), 5.5.2 (RSA-OAEP), 5.6.1 (ECDH-ES), 5.4.1 (ConcatKDF),
 * 5.6.2 (AES key wrap, RFC 3394).
 */
#include "saml/xmlenc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/util.h"
#include "saml/xml.h"

#define ENC_MAX_CIPHER	(16 * 1024 * 1024)	/* decoded CipherValue of the content */
#define ENC_MAX_BLOB	(64 * 1024)		/* keys, certificates, wrapped keys */
#define ENC_MAX_OTHERINFO 1024
#define ENC_MAX_EK	8
#define GCM_IV_LEN	12
#define GCM_TAG_LEN	16

#define URI_RSA_1_5	"http://www.w3.org/2001/04/xmlenc#rsa-1_5"
#define URI_EK_TYPE	"http://www.w3.org/2001/04/xmlenc#EncryptedKey"
#define URI_TYPE_ELEMENT "http://www.w3.org/2001/04/xmlenc#Element"
#define URI_SHA1	"http://www.w3.org/2000/09/xmldsig#sha1"
#define URI_SHA256	"http://www.w3.org/2001/04/xmlenc#sha256"
#define URI_SHA384	"http://www.w3.org/2001/04/xmldsig-more#sha384"
#define URI_SHA512	"http://www.w3.org/2001/04/xmlenc#sha512"
#define URI_MGF1_PREFIX	"http://www.w3.org/2009/xmlenc11#mgf1"

static const char generic_reason[] = "decryption failed";

struct cipher_row {
	const char *uri;
	const EVP_CIPHER *(*cipher)(void);
	size_t keylen;
};

static const struct cipher_row gcm_rows[] = {
	{ SAML_ENC_AES128_GCM, EVP_aes_128_gcm, 16 },
	{ SAML_ENC_AES192_GCM, EVP_aes_192_gcm, 24 },
	{ SAML_ENC_AES256_GCM, EVP_aes_256_gcm, 32 },
};

static const struct cipher_row kw_rows[] = {
	{ SAML_ENC_KW_AES128, EVP_aes_128_wrap, 16 },
	{ SAML_ENC_KW_AES192, EVP_aes_192_wrap, 24 },
	{ SAML_ENC_KW_AES256, EVP_aes_256_wrap, 32 },
};

static const struct cipher_row *
cipher_find(const struct cipher_row *rows, size_t n, const char *uri)
{
	size_t i;

	for (i = 0; uri != NULL && i < n; i++)
		if (strcmp(rows[i].uri, uri) == 0)
			return &rows[i];
	return NULL;
}

/* Digests usable inside OAEP and ConcatKDF; SHA-1 only where the spec makes it the default. */
static const char *
enc_digest(const char *uri, bool allow_sha1)
{
	if (uri == NULL)
		return NULL;
	if (allow_sha1 && strcmp(uri, URI_SHA1) == 0)
		return "SHA1";
	if (strcmp(uri, URI_SHA256) == 0)
		return "SHA256";
	if (strcmp(uri, URI_SHA384) == 0)
		return "SHA384";
	if (strcmp(uri, URI_SHA512) == 0)
		return "SHA512";
	return NULL;
}

/* EncryptedData at or directly under enc (EncryptedAssertion etc.). */
static enum eidgw_err
find_encrypted_data(const xmlNode *enc, xmlNodePtr *ed, struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;
	int count;

	*ed = NULL;
	if (saml_xml_is(enc, SAML_NS_XENC, "EncryptedData")) {
		*ed = (xmlNodePtr)(uintptr_t)enc;
		goto out;
	}
	*ed = saml_xml_child(enc, SAML_NS_XENC, "EncryptedData", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "%d EncryptedData elements (need 1)",
		    count);
out:
	return rc;
}

/* CipherData/CipherValue of n, base64-decoded; CipherReference is not supported. */
static enum eidgw_err
cipher_value(const xmlNode *n, struct eidgw_buf *out, struct eidgw_diag *d)
{
	xmlNodePtr cd, cv;
	enum eidgw_err rc = EIDGW_OK;
	int count;

	cd = saml_xml_child(n, SAML_NS_XENC, "CipherData", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "need exactly one CipherData");
	cv = saml_xml_child(cd, SAML_NS_XENC, "CipherValue", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "need exactly one CipherValue "
		    "(CipherReference is not supported)");
	if ((rc = saml_xml_b64(cv, out)) != EIDGW_OK)
		EIDGW_FAIL(d, rc == EIDGW_E_TOO_LARGE ? rc : EIDGW_E_SAML_ENC_MALFORMED,
		    "CipherValue is not base64 or too large");
out:
	return rc;
}

/* ---- content: AES-GCM ---------------------------------------------------- */

/*
 * XML Encryption 1.1 section 5.2.4: the cipher text is IV (96 bits) ||
 * ciphertext || tag (128 bits).  No plaintext leaves before the tag checks.
 */
static enum eidgw_err
gcm_decrypt(const struct cipher_row *cr, const unsigned char *key, size_t keylen,
    const unsigned char *in, size_t inlen, struct eidgw_buf *plain, struct eidgw_diag *d)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *out = NULL;
	enum eidgw_err rc;
	size_t clen;
	int n = 0, fin = 0;

	if (keylen != cr->keylen)
		EIDGW_FAIL(d, EIDGW_E_SAML_DECRYPT, "%s", generic_reason);
	if (inlen < GCM_IV_LEN + GCM_TAG_LEN || inlen - GCM_IV_LEN - GCM_TAG_LEN > INT32_MAX)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "GCM cipher text of %zu octets", inlen);
	clen = inlen - GCM_IV_LEN - GCM_TAG_LEN;
	if ((out = malloc(clen + 1)) == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "GCM");
	if (EVP_DecryptInit_ex(ctx, cr->cipher(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, in + GCM_IV_LEN, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN,
	    (void *)(uintptr_t)(in + inlen - GCM_TAG_LEN)) != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_DECRYPT, "%s", generic_reason);
	if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_DECRYPT, "%s", generic_reason);
	if ((rc = eidgw_buf_append(plain, out, (size_t)n + (size_t)fin)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "plaintext of %zu octets does not fit", clen);
	rc = EIDGW_OK;
out:
	if (out != NULL) {
		OPENSSL_cleanse(out, clen);
		free(out);
	}
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static enum eidgw_err
content_method(xmlNodePtr ed, const struct cipher_row **cr, struct eidgw_diag *d)
{
	xmlNodePtr em;
	const char *alg;
	enum eidgw_err rc = EIDGW_OK;
	int count;

	em = saml_xml_child(ed, SAML_NS_XENC, "EncryptionMethod", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
		    "EncryptedData needs one EncryptionMethod");
	alg = saml_xml_attr(em, "Algorithm");
	if ((*cr = cipher_find(gcm_rows, EIDGW_ARRAY_LEN(gcm_rows), alg)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "content encryption %.80s not allowed",
		    alg != NULL ? alg : "(none)");
out:
	return rc;
}

enum eidgw_err
saml_decrypt_with_key(const xmlNode *enc, const unsigned char *cek, size_t ceklen,
    struct eidgw_buf *plain, struct eidgw_diag *d)
{
	const struct cipher_row *cr;
	struct eidgw_buf ct;
	xmlNodePtr ed;
	enum eidgw_err rc;

	eidgw_buf_init(&ct, ENC_MAX_CIPHER);
	if ((rc = find_encrypted_data(enc, &ed, d)) != EIDGW_OK)
		goto out;
	if ((rc = content_method(ed, &cr, d)) != EIDGW_OK)
		goto out;
	if ((rc = cipher_value(ed, &ct, d)) != EIDGW_OK)
		goto out;
	rc = gcm_decrypt(cr, cek, ceklen, (const unsigned char *)ct.data, ct.len, plain, d);
out:
	eidgw_buf_free(&ct);
	return rc;
}

/* ---- key transport: RSA-OAEP ---------------------------------------------- */

struct oaep_params {
	const char *md;
	const char *mgf;
	struct eidgw_buf label;
};

/*
 * XML Encryption 1.1 section 5.5.2: rsa-oaep takes ds:DigestMethod (default
 * SHA-1) and xenc11:MGF (default MGF1 with SHA-1) independently; the 1.0
 * rsa-oaep-mgf1p always uses MGF1-SHA1 (an MGF child is refused, not
 * emulated).  xenc:OAEPparams is the base64 label; absent means empty.
 */
static enum eidgw_err
oaep_parse(xmlNodePtr em, bool mgf1p, struct oaep_params *op, struct eidgw_diag *d)
{
	xmlNodePtr c;
	const char *alg;
	enum eidgw_err rc = EIDGW_OK;
	bool seen_md = false, seen_mgf = false, seen_label = false;

	op->md = "SHA1";
	op->mgf = "SHA1";
	for (c = em->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (saml_xml_is(c, SAML_NS_DSIG, "DigestMethod") && !seen_md) {
			seen_md = true;
			alg = saml_xml_attr(c, "Algorithm");
			if ((op->md = enc_digest(alg, true)) == NULL)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "OAEP digest %.80s not allowed",
				    alg != NULL ? alg : "(none)");
		} else if (saml_xml_is(c, SAML_NS_XENC11, "MGF") && !seen_mgf && !mgf1p) {
			seen_mgf = true;
			alg = saml_xml_attr(c, "Algorithm");
			if (alg == NULL ||
			    strncmp(alg, URI_MGF1_PREFIX, strlen(URI_MGF1_PREFIX)) != 0)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "MGF %.80s not allowed",
				    alg != NULL ? alg : "(none)");
			alg += strlen(URI_MGF1_PREFIX);
			if (strcmp(alg, "sha1") == 0)
				op->mgf = "SHA1";
			else if (strcmp(alg, "sha224") == 0)
				op->mgf = "SHA224";
			else if (strcmp(alg, "sha256") == 0)
				op->mgf = "SHA256";
			else if (strcmp(alg, "sha384") == 0)
				op->mgf = "SHA384";
			else if (strcmp(alg, "sha512") == 0)
				op->mgf = "SHA512";
			else
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "MGF mgf1%.20s not allowed",
				    alg);
		} else if (saml_xml_is(c, SAML_NS_XENC, "OAEPparams") && !seen_label) {
			seen_label = true;
			if (saml_xml_b64(c, &op->label) != EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "OAEPparams is not base64");
		} else if (saml_xml_is(c, SAML_NS_XENC, "KeySize")) {
			continue;
		} else
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG,
			    "unexpected %.40s in OAEP EncryptionMethod", (const char *)c->name);
	}
out:
	return rc;
}

/* ---- key agreement: ECDH-ES + ConcatKDF ----------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * ConcatKDFParams attributes are hexBinary bit strings (XML Encryption 1.1
 * section 5.4.1 via NIST SP 800-56A): the first octet counts the unused bits
 * of the last octet and is not KDF input.  We accept only whole octets
 * (first octet 00); "" contributes nothing, "00" is the empty bit string.
 */
static enum eidgw_err
kdf_append_bits(const char *hex, struct eidgw_buf *info, struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;
	size_t i, n;
	unsigned char o;
	int hi, lo;

	if (hex == NULL || *hex == '\0')
		goto out;
	n = strlen(hex);
	if (n % 2 != 0 || n < 2)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "ConcatKDF parameter is not hexBinary");
	for (i = 0; i < n; i += 2) {
		if ((hi = hexval(hex[i])) < 0 || (lo = hexval(hex[i + 1])) < 0)
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "ConcatKDF parameter is not hex");
		o = (unsigned char)(hi << 4 | lo);
		if (i == 0) {
			if (o != 0)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "ConcatKDF bit string with %u padding bits", o);
			continue;
		}
		if ((rc = eidgw_buf_append(info, &o, 1)) != EIDGW_OK)
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "ConcatKDF OtherInfo too long");
	}
out:
	return rc;
}

/* SP 800-56A single-step KDF with a hash = ConcatKDF; OpenSSL calls it SSKDF. */
static enum eidgw_err
concat_kdf(const char *md, const unsigned char *z, size_t zlen, const unsigned char *info,
    size_t infolen, unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	unsigned char empty = 0;

	if ((kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)md, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)z, zlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    infolen != 0 ? (void *)(uintptr_t)info : &empty, infolen);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = EIDGW_OK;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	ERR_clear_error();
	return rc;
}

/* RFC 3394 unwrap (default IV A6A6...); its integrity check catches KDF mistakes. */
static enum eidgw_err
aes_unwrap(const struct cipher_row *kw, const unsigned char *kek, const unsigned char *in,
    size_t inlen, struct eidgw_buf *cek)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char out[64 + 8];
	enum eidgw_err rc = EIDGW_E_SAML_DECRYPT;
	int n = 0, fin = 0;

	if (inlen < 24 || inlen > sizeof(out) || inlen % 8 != 0)
		return EIDGW_E_SAML_DECRYPT;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return EIDGW_E_NOMEM;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex(ctx, kw->cipher(), NULL, kek, NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, in, (int)inlen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		goto out;
	rc = eidgw_buf_append(cek, out, (size_t)n + (size_t)fin);
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static EVP_PKEY *
ec_pub_from_point(const char *group, const unsigned char *pt, size_t ptlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* Keeps *acc if it agrees with pk (then frees pk); fails when two forms differ. */
static enum eidgw_err
originator_merge(EVP_PKEY **acc, EVP_PKEY *pk, struct eidgw_diag *d)
{
	char enc[32];

	if (pk == NULL)
		return eidgw_diag_set(d, EIDGW_E_SAML_ENC_MALFORMED, __FILE__, __LINE__,
		    "originator key cannot be decoded");
	/*
	 * Named curves only, whatever the form: a DER SubjectPublicKeyInfo or a
	 * certificate can carry explicit curve parameters, which the ECKeyValue
	 * path never builds and the eIDAS profile does not allow.
	 */
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
	    NULL) != 1 || strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return eidgw_diag_set(d, EIDGW_E_SAML_ENC_ALG, __FILE__, __LINE__,
		    "originator key with explicit curve parameters");
	}
	if (*acc == NULL) {
		*acc = pk;
		return EIDGW_OK;
	}
	if (EVP_PKEY_eq(*acc, pk) != 1) {
		EVP_PKEY_free(pk);
		return eidgw_diag_set(d, EIDGW_E_SAML_ENC_MALFORMED, __FILE__, __LINE__,
		    "originator key forms disagree");
	}
	EVP_PKEY_free(pk);
	return EIDGW_OK;
}

/*
 * The ephemeral key from OriginatorKeyInfo: dsig11:ECKeyValue (named curve
 * + uncompressed point), dsig11:DEREncodedKeyValue (SPKI) or an X.509
 * certificate.  All forms present must agree; the point is validated.
 */
static enum eidgw_err
originator_key(xmlNodePtr oki, EVP_PKEY **out, struct eidgw_diag *d)
{
	xmlNodePtr c, kv, eckv, nc, pkn, x509;
	struct eidgw_buf blob;
	const unsigned char *p;
	const char *uri;
	EVP_PKEY *pk = NULL, *acc = NULL;
	EVP_PKEY_CTX *chk = NULL;
	X509 *cert = NULL;
	enum eidgw_err rc = EIDGW_OK;
	char gname[64];
	int nid;

	*out = NULL;
	eidgw_buf_init(&blob, ENC_MAX_BLOB);
	for (c = oki->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		eidgw_buf_reset(&blob);
		if (saml_xml_is(c, SAML_NS_DSIG, "KeyValue")) {
			kv = c;
			eckv = saml_xml_child(kv, SAML_NS_DSIG11, "ECKeyValue", NULL);
			nc = saml_xml_child(eckv, SAML_NS_DSIG11, "NamedCurve", NULL);
			pkn = saml_xml_child(eckv, SAML_NS_DSIG11, "PublicKey", NULL);
			if (nc == NULL || pkn == NULL || (uri = saml_xml_attr(nc, "URI")) == NULL ||
			    strncmp(uri, "urn:oid:", 8) != 0)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "originator KeyValue is not a named-curve ECKeyValue");
			/* Named curves only (eIDAS: no explicit parameters). */
			if ((nid = OBJ_txt2nid(uri + 8)) == NID_undef || OBJ_nid2sn(nid) == NULL)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "curve %.60s unknown", uri);
			(void)snprintf(gname, sizeof(gname), "%s", OBJ_nid2sn(nid));
			if (saml_xml_b64(pkn, &blob) != EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "PublicKey is not base64");
			if (blob.len < 1 || (unsigned char)blob.data[0] != 0x04)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "PublicKey is not an uncompressed point");
			pk = ec_pub_from_point(gname, (const unsigned char *)blob.data, blob.len);
		} else if (saml_xml_is(c, SAML_NS_DSIG11, "DEREncodedKeyValue")) {
			if (saml_xml_b64(c, &blob) != EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "DEREncodedKeyValue is not base64");
			p = (const unsigned char *)blob.data;
			pk = d2i_PUBKEY(NULL, &p, (long)blob.len);
			if (pk != NULL && p != (const unsigned char *)blob.data + blob.len) {
				EVP_PKEY_free(pk);
				pk = NULL;
			}
		} else if (saml_xml_is(c, SAML_NS_DSIG, "X509Data")) {
			x509 = saml_xml_child(c, SAML_NS_DSIG, "X509Certificate", NULL);
			if (x509 == NULL)
				continue;
			if (saml_xml_b64(x509, &blob) != EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "certificate is not base64");
			p = (const unsigned char *)blob.data;
			if ((cert = d2i_X509(NULL, &p, (long)blob.len)) != NULL &&
			    (pk = X509_get_pubkey(cert)) == NULL)
				pk = NULL;
			X509_free(cert);
			cert = NULL;
		} else
			continue;
		rc = originator_merge(&acc, pk, d);
		pk = NULL;
		if (rc != EIDGW_OK)
			goto out;
	}
	if (acc == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "no originator key");
	if (EVP_PKEY_get_base_id(acc) != EVP_PKEY_EC)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "originator key is not EC");
	/* The ephemeral point must be on its curve (invalid-curve attacks). */
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, acc, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(chk) != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "originator point not on its curve");
	*out = acc;
	acc = NULL;
	rc = EIDGW_OK;
out:
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_free(acc);
	eidgw_buf_free(&blob);
	ERR_clear_error();
	return rc;
}

struct agreement {
	const char *kdf_md;
	struct eidgw_buf other_info;
	EVP_PKEY *originator;
};

static enum eidgw_err
agreement_parse(xmlNodePtr am, struct agreement *ag, struct eidgw_diag *d)
{
	xmlNodePtr kdm, prm, dm, oki, c;
	const char *alg;
	enum eidgw_err rc = EIDGW_OK;
	int count;

	alg = saml_xml_attr(am, "Algorithm");
	if (alg == NULL || strcmp(alg, SAML_ENC_ECDH_ES) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "key agreement %.80s not allowed",
		    alg != NULL ? alg : "(none)");
	/* ECDH-ES takes no nonce; a KA-Nonce would be silently ignored, so refuse it. */
	for (c = am->children; c != NULL; c = c->next)
		if (saml_xml_is(c, SAML_NS_XENC, "KA-Nonce"))
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "KA-Nonce with ECDH-ES");
	kdm = saml_xml_child(am, SAML_NS_XENC11, "KeyDerivationMethod", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "AgreementMethod needs one "
		    "KeyDerivationMethod");
	alg = saml_xml_attr(kdm, "Algorithm");
	if (alg == NULL || strcmp(alg, SAML_ENC_CONCAT_KDF) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "key derivation %.80s not allowed",
		    alg != NULL ? alg : "(none)");
	prm = saml_xml_child(kdm, SAML_NS_XENC11, "ConcatKDFParams", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "ConcatKDFParams missing");
	dm = saml_xml_child(prm, SAML_NS_DSIG, "DigestMethod", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "ConcatKDF DigestMethod missing");
	alg = saml_xml_attr(dm, "Algorithm");
	if ((ag->kdf_md = enc_digest(alg, false)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "ConcatKDF digest %.80s not allowed",
		    alg != NULL ? alg : "(none)");
	/* OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo [|| SuppPubInfo || SuppPrivInfo] */
	if ((rc = kdf_append_bits(saml_xml_attr(prm, "AlgorithmID"), &ag->other_info, d)) != EIDGW_OK ||
	    (rc = kdf_append_bits(saml_xml_attr(prm, "PartyUInfo"), &ag->other_info, d)) != EIDGW_OK ||
	    (rc = kdf_append_bits(saml_xml_attr(prm, "PartyVInfo"), &ag->other_info, d)) != EIDGW_OK ||
	    (rc = kdf_append_bits(saml_xml_attr(prm, "SuppPubInfo"), &ag->other_info, d)) != EIDGW_OK ||
	    (rc = kdf_append_bits(saml_xml_attr(prm, "SuppPrivInfo"), &ag->other_info, d)) != EIDGW_OK)
		goto out;
	oki = saml_xml_child(am, SAML_NS_XENC, "OriginatorKeyInfo", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "OriginatorKeyInfo missing");
	rc = originator_key(oki, &ag->originator, d);
out:
	return rc;
}

/* ---- EncryptedKey processing --------------------------------------------- */

struct ek_list {
	xmlNodePtr ek[ENC_MAX_EK];
	int n;
};

static void
ek_add(struct ek_list *l, xmlNodePtr ek)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->ek[i] == ek)
			return;
	if (l->n < ENC_MAX_EK)
		l->ek[l->n++] = ek;
}

/*
 * EncryptedKey candidates: inside EncryptedData/ds:KeyInfo, through a
 * same-document ds:RetrievalMethod (unique Id), and as siblings of the
 * EncryptedData (SAML core 2.3.4: EncryptedAssertion may carry them).
 */
static enum eidgw_err
collect_keys(xmlNodePtr ed, struct ek_list *l, struct eidgw_diag *d)
{
	xmlNodePtr ki, c, t;
	const char *uri, *type;
	enum eidgw_err rc = EIDGW_OK;
	int count;

	ki = saml_xml_child(ed, SAML_NS_DSIG, "KeyInfo", &count);
	if (count > 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "more than one KeyInfo");
	for (c = ki != NULL ? ki->children : NULL; c != NULL; c = c->next) {
		if (saml_xml_is(c, SAML_NS_XENC, "EncryptedKey"))
			ek_add(l, c);
		else if (saml_xml_is(c, SAML_NS_DSIG, "RetrievalMethod")) {
			uri = saml_xml_attr(c, "URI");
			type = saml_xml_attr(c, "Type");
			if (uri == NULL || uri[0] != '#' || type == NULL ||
			    strcmp(type, URI_EK_TYPE) != 0 || c->children != NULL)
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
				    "RetrievalMethod other than a same-document EncryptedKey "
				    "without transforms");
			t = saml_xml_find_id(ed->doc, uri + 1, &count);
			if (count != 1 || !saml_xml_is(t, SAML_NS_XENC, "EncryptedKey"))
				EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "RetrievalMethod %.80s "
				    "does not name exactly one EncryptedKey", uri);
			ek_add(l, t);
		}
	}
	if (ed->parent != NULL && ed->parent->type == XML_ELEMENT_NODE)
		for (c = ed->parent->children; c != NULL; c = c->next)
			if (saml_xml_is(c, SAML_NS_XENC, "EncryptedKey"))
				ek_add(l, c);
	if (l->n == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_NO_KEY, "no EncryptedKey found");
out:
	return rc;
}

/*
 * Tries one EncryptedKey with our keys.  Returns OK with the CEK,
 * EIDGW_E_SAML_DECRYPT when a private operation was attempted and failed,
 * EIDGW_E_SAML_ENC_NO_KEY when none of our keys fits, or a structural error.
 */
static enum eidgw_err
try_encrypted_key(xmlNodePtr ek, const struct eidgw_key *const *keys, size_t nkeys,
    const struct saml_dec_policy *pol, struct eidgw_buf *cek, struct eidgw_diag *d)
{
	struct oaep_params op;
	struct agreement ag;
	struct eidgw_buf wrapped, z;
	const struct cipher_row *kw;
	xmlNodePtr em, ki, am;
	const char *alg;
	unsigned char kek[32];
	enum eidgw_err rc = EIDGW_OK, krc;
	bool tried = false, mgf1p;
	size_t i;
	int count;

	memset(&op, 0, sizeof(op));
	memset(&ag, 0, sizeof(ag));
	eidgw_buf_init(&op.label, ENC_MAX_BLOB);
	eidgw_buf_init(&ag.other_info, ENC_MAX_OTHERINFO);
	eidgw_buf_init(&wrapped, ENC_MAX_BLOB);
	eidgw_buf_init(&z, 1024);
	em = saml_xml_child(ek, SAML_NS_XENC, "EncryptionMethod", &count);
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED,
		    "EncryptedKey needs one EncryptionMethod");
	alg = saml_xml_attr(em, "Algorithm");
	if (alg == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "EncryptedKey without Algorithm");
	if ((rc = cipher_value(ek, &wrapped, d)) != EIDGW_OK)
		goto out;

	mgf1p = strcmp(alg, SAML_ENC_RSA_OAEP_MGF1P) == 0;
	if (mgf1p || strcmp(alg, SAML_ENC_RSA_OAEP) == 0) {
		if (mgf1p && (pol == NULL || !pol->allow_rsa_oaep_mgf1p))
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "rsa-oaep-mgf1p not allowed by policy");
		if ((rc = oaep_parse(em, mgf1p, &op, d)) != EIDGW_OK)
			goto out;
		for (i = 0; i < nkeys; i++) {
			if (keys[i] == NULL || keys[i]->type != EIDGW_KEY_RSA)
				continue;
			tried = true;
			eidgw_buf_reset(cek);
			krc = eidgw_key_rsa_oaep_decrypt(keys[i], op.md, op.mgf,
			    (const unsigned char *)op.label.data, op.label.len,
			    (const unsigned char *)wrapped.data, wrapped.len, cek);
			if (krc == EIDGW_OK)
				goto out;
		}
	} else if ((kw = cipher_find(kw_rows, EIDGW_ARRAY_LEN(kw_rows), alg)) != NULL) {
		ki = saml_xml_child(ek, SAML_NS_DSIG, "KeyInfo", NULL);
		am = saml_xml_child(ki, SAML_NS_XENC, "AgreementMethod", &count);
		if (count != 1)
			EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG,
			    "key wrap without ECDH-ES AgreementMethod");
		if ((rc = agreement_parse(am, &ag, d)) != EIDGW_OK)
			goto out;
		for (i = 0; i < nkeys; i++) {
			if (keys[i] == NULL || keys[i]->type != EIDGW_KEY_EC ||
			    EVP_PKEY_parameters_eq(keys[i]->pub, ag.originator) != 1)
				continue;
			tried = true;
			eidgw_buf_reset(&z);
			eidgw_buf_reset(cek);
			/* Z: the x-coordinate, field-size octets (SP 800-56A 5.7.1.2). */
			if (eidgw_key_ecdh_derive(keys[i], ag.originator, &z) != EIDGW_OK)
				continue;
			if (concat_kdf(ag.kdf_md, (const unsigned char *)z.data, z.len,
			    (const unsigned char *)ag.other_info.data, ag.other_info.len, kek,
			    kw->keylen) != EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_CRYPTO, "ConcatKDF");
			krc = aes_unwrap(kw, kek, (const unsigned char *)wrapped.data, wrapped.len,
			    cek);
			OPENSSL_cleanse(kek, sizeof(kek));
			if (krc == EIDGW_OK)
				goto out;
		}
	} else
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "key transport %.80s not allowed%s", alg,
		    strcmp(alg, URI_RSA_1_5) == 0 ? " (PKCS#1 v1.5: padding oracle)" : "");
	eidgw_buf_reset(cek);
	if (tried)
		EIDGW_FAIL(d, EIDGW_E_SAML_DECRYPT, "%s", generic_reason);
	EIDGW_FAIL(d, EIDGW_E_SAML_ENC_NO_KEY, "none of our keys fits the EncryptedKey");
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(ag.originator);
	eidgw_buf_free(&ag.other_info);
	eidgw_buf_free(&op.label);
	eidgw_buf_free(&wrapped);
	eidgw_buf_free(&z);
	return rc;
}

static int
failure_rank(enum eidgw_err rc)
{
	switch (rc) {
	case EIDGW_E_SAML_DECRYPT:
		return 3;
	case EIDGW_E_SAML_ENC_ALG:
	case EIDGW_E_SAML_ENC_MALFORMED:
		return 2;
	case EIDGW_E_SAML_ENC_NO_KEY:
		return 1;
	default:
		return 4;	/* NOMEM, CRYPTO: stop at once */
	}
}

enum eidgw_err
saml_enc_recover_key(const xmlNode *enc, const struct eidgw_key *const *keys, size_t nkeys,
    const struct saml_dec_policy *pol, struct eidgw_buf *cek, struct eidgw_diag *d)
{
	struct ek_list l;
	struct eidgw_diag tmp, best;
	xmlNodePtr ed;
	enum eidgw_err rc, worst = EIDGW_E_SAML_ENC_NO_KEY;
	int i;

	memset(&l, 0, sizeof(l));
	eidgw_diag_clear(&best);
	if ((rc = find_encrypted_data(enc, &ed, d)) != EIDGW_OK)
		goto out;
	if ((rc = collect_keys(ed, &l, d)) != EIDGW_OK)
		goto out;
	/*
	 * Several EncryptedKeys may address several recipients; the first one
	 * that yields a key wins.  A failure reports the most telling error:
	 * DECRYPT (an operation failed) over ALG/MALFORMED over NO_KEY.
	 */
	for (i = 0; i < l.n; i++) {
		eidgw_diag_clear(&tmp);
		rc = try_encrypted_key(l.ek[i], keys, nkeys, pol, cek, &tmp);
		if (rc == EIDGW_OK)
			goto out;
		if (best.code == EIDGW_OK || failure_rank(rc) > failure_rank(worst)) {
			worst = rc;
			best = tmp;
		}
		if (failure_rank(rc) == 4)
			break;
	}
	rc = worst;
	(void)eidgw_diag_set(d, rc, best.file, best.line, "%s",
	    best.code != EIDGW_OK ? best.reason : "no usable EncryptedKey");
out:
	return rc;
}

enum eidgw_err
saml_decrypt(const xmlNode *enc, const struct eidgw_key *const *keys, size_t nkeys,
    const struct saml_dec_policy *pol, struct eidgw_buf *plain, struct eidgw_diag *d)
{
	const struct cipher_row *cr;
	struct eidgw_buf cek, ct;
	xmlNodePtr ed;
	enum eidgw_err rc;

	eidgw_buf_init(&cek, 64);
	eidgw_buf_init(&ct, ENC_MAX_CIPHER);
	if ((rc = find_encrypted_data(enc, &ed, d)) != EIDGW_OK)
		goto out;
	/*
	 * Everything that can be refused without a key is refused before any
	 * private-key operation: the content algorithm and the shape of the
	 * content cipher text.  Checked only afterwards, a malformed cipher text
	 * gave ENC_MALFORMED when the key unwrapped and DECRYPT when it did not,
	 * telling the sender whether the key transport / agreement succeeded.
	 */
	if ((rc = content_method(ed, &cr, d)) != EIDGW_OK)
		goto out;
	if ((rc = cipher_value(ed, &ct, d)) != EIDGW_OK)
		goto out;
	if (ct.len < GCM_IV_LEN + GCM_TAG_LEN)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "GCM cipher text of %zu octets", ct.len);
	if ((rc = saml_enc_recover_key(ed, keys, nkeys, pol, &cek, d)) != EIDGW_OK)
		goto out;
	rc = gcm_decrypt(cr, (const unsigned char *)cek.data, cek.len,
	    (const unsigned char *)ct.data, ct.len, plain, d);
out:
	eidgw_buf_free(&cek);
	eidgw_buf_free(&ct);
	return rc;
}

/* ---- decrypted assertion back into the tree ------------------------------ */

static int
max_depth(const xmlNode *n)
{
	int m = 0, k;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((k = 1 + max_depth(n->children)) > m)
			m = k;
		if (m > SAML_XML_MAX_DEPTH)
			break;
	}
	return m;
}

/*
 * xmlParseInNodeContext does not report namespace errors: an unbound
 * prefix leaves a QName with a colon and no namespace.  The top-level
 * parser refuses those (nsWellFormed); do the same here.
 */
static bool
prefixes_bound(const xmlNode *n)
{
	const xmlAttr *a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == NULL && strchr((const char *)n->name, ':') != NULL)
			return false;
		for (a = n->properties; a != NULL; a = a->next)
			if (a->ns == NULL && strchr((const char *)a->name, ':') != NULL)
				return false;
		if (!prefixes_bound(n->children))
			return false;
	}
	return true;
}

static int
depth_of(const xmlNode *n)
{
	int k = 0;

	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
		k++;
	return k;
}

enum eidgw_err
saml_decrypt_assertion(xmlDocPtr doc, xmlNodePtr enc, const struct eidgw_key *const *keys,
    size_t nkeys, const struct saml_dec_policy *pol, xmlNodePtr *assertion,
    struct eidgw_diag *d)
{
	struct eidgw_buf plain;
	xmlNodePtr lst = NULL, c, found = NULL, ed, ctxnode;
	xmlParserErrors perr;
	enum eidgw_err rc;
	const char *type;
	const xmlChar *p;
	int nelem = 0;

	*assertion = NULL;
	eidgw_buf_init(&plain, ENC_MAX_CIPHER);
	if (doc == NULL || enc == NULL || enc->doc != doc || enc->parent == NULL ||
	    !saml_xml_is(enc, SAML_NS_ASSERTION, "EncryptedAssertion"))
		EIDGW_FAIL(d, EIDGW_E_INVAL, "not a saml:EncryptedAssertion of doc");
	/* A root EncryptedAssertion gives its own scope (namespaces are reconciled below). */
	ctxnode = enc->parent->type == XML_ELEMENT_NODE ? enc->parent : enc;
	if ((rc = find_encrypted_data(enc, &ed, d)) != EIDGW_OK)
		goto out;
	type = saml_xml_attr(ed, "Type");
	if (type != NULL && strcmp(type, URI_TYPE_ELEMENT) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_MALFORMED, "EncryptedData Type %.80s is not Element",
		    type);
	if ((rc = saml_decrypt(enc, keys, nkeys, pol, &plain, d)) != EIDGW_OK)
		goto out;
	if (plain.len > INT32_MAX)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "plaintext too large");
	if (!saml_xml_attrs_bounded(plain.data, plain.len))
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "more than %d attributes in one tag "
		    "of the plaintext", SAML_XML_MAX_ATTRS);
	/*
	 * A well-balanced chunk parsed in the context of enc's parent: prefixes
	 * declared on the Response resolve as they would have in place.  There
	 * is no DTD in doc (saml_xml_parse refused it) and a DOCTYPE cannot
	 * appear in content, so no entity other than the predefined five exists.
	 */
	perr = xmlParseInNodeContext(ctxnode, plain.data, (int)plain.len,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING, &lst);
	if (perr != XML_ERR_OK || lst == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_MALFORMED, "decrypted assertion is not "
		    "well-formed (libxml2 error %d)", (int)perr);
	if (!prefixes_bound(lst))
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_MALFORMED, "decrypted assertion uses an "
		    "undeclared namespace prefix");
	for (c = lst; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			nelem++;
			found = c;
		} else if (c->type == XML_TEXT_NODE) {
			for (p = c->content; p != NULL && *p != '\0'; p++)
				if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
					EIDGW_FAIL(d, EIDGW_E_SAML_XML_NOT_ALLOWED,
					    "text beside the decrypted assertion");
		} else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			EIDGW_FAIL(d, EIDGW_E_SAML_XML_NOT_ALLOWED,
			    "unexpected node type %d in the plaintext", (int)c->type);
	}
	if (nelem != 1 || !saml_xml_is(found, SAML_NS_ASSERTION, "Assertion"))
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_NOT_ALLOWED, "plaintext is not one saml:Assertion");
	if (depth_of(enc->parent) + max_depth(found) > SAML_XML_MAX_DEPTH)
		EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_DEEP, "decrypted assertion nests too deeply");
	{
		const xmlNode *a;
		const xmlNs *ns;
		size_t inherited = 0;

		for (a = ctxnode; a != NULL && a->type == XML_ELEMENT_NODE; a = a->parent)
			for (ns = a->nsDef; ns != NULL; ns = ns->next)
				inherited++;
		/* found's siblings in the parsed list are no elements (checked above) */
		if (!saml_xml_ns_bounded(found, inherited))
			EIDGW_FAIL(d, EIDGW_E_SAML_XML_TOO_LARGE, "decrypted assertion has more "
			    "than %d namespace declarations in scope", SAML_XML_MAX_NS_IN_SCOPE);
	}
	/* Detach the assertion from the parsed list, free the rest. */
	if (found == lst)
		lst = found->next;
	xmlUnlinkNode(found);	/* also mends the sibling links of the list */
	if (xmlReplaceNode(enc, found) == NULL) {
		xmlFreeNode(found);
		EIDGW_FAIL(d, EIDGW_E_INTERNAL, "cannot replace EncryptedAssertion");
	}
	/*
	 * Namespace nodes of the plaintext may point at declarations on enc
	 * (root case) - re-declare them on the assertion before enc goes.
	 */
	if (xmlReconciliateNs(doc, found) < 0) {
		(void)xmlReplaceNode(found, enc);	/* put the tree back as it was */
		xmlFreeNode(found);
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "namespace reconciliation");
	}
	xmlFreeNode(enc);
	*assertion = found;
	rc = EIDGW_OK;
out:
	if (lst != NULL)
		xmlFreeNodeList(lst);
	eidgw_buf_free(&plain);
	return rc;
}

/* ---- encryption (tests, benchmark IdP) ----------------------------------- */

static xmlNodePtr
add_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *alg)
{
	xmlNodePtr n = xmlNewChild(parent, ns, (const xmlChar *)name, NULL);

	if (n != NULL && alg != NULL &&
	    xmlNewProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)alg) == NULL)
		return NULL;
	return n;
}

static enum eidgw_err
add_b64(xmlNodePtr parent, xmlNsPtr ns, const char *name, const void *p, size_t n)
{
	struct eidgw_buf b;
	enum eidgw_err rc;

	eidgw_buf_init(&b, ENC_MAX_CIPHER * 2);
	if ((rc = eidgw_b64_encode(&b, p, n, false)) == EIDGW_OK &&
	    xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)b.data) == NULL)
		rc = EIDGW_E_NOMEM;
	eidgw_buf_free(&b);
	return rc;
}

static enum eidgw_err
rsa_oaep_wrap(EVP_PKEY *pub, const unsigned char *cek, size_t ceklen, struct eidgw_buf *out)
{
	EVP_PKEY_CTX *ctx;
	unsigned char *buf = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t n = 0;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL)) == NULL)
		return EIDGW_E_NOMEM;
	if (EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", NULL) != 1 ||
	    EVP_PKEY_encrypt(ctx, NULL, &n, cek, ceklen) != 1 || (buf = malloc(n)) == NULL ||
	    EVP_PKEY_encrypt(ctx, buf, &n, cek, ceklen) != 1)
		goto out;
	rc = eidgw_buf_append(out, buf, n);
out:
	free(buf);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* Ephemeral-static ECDH, ConcatKDF(SHA-256, empty OtherInfo) and kw-aes256. */
static enum eidgw_err
ecdh_wrap(EVP_PKEY *pub, const unsigned char *cek, size_t ceklen, EVP_PKEY **eph_out,
    struct eidgw_buf *out)
{
	EVP_PKEY_CTX *kctx = NULL, *dctx = NULL;
	EVP_PKEY *eph = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char z[133], kek[32], wrapped[64 + 8];
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t zlen = sizeof(z);
	int n = 0, fin = 0;

	*eph_out = NULL;
	if ((kctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &eph) != 1)
		goto out;
	if ((dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, pub) != 1 ||
	    EVP_PKEY_derive(dctx, z, &zlen) != 1)
		goto out;
	if (concat_kdf("SHA256", z, zlen, NULL, 0, kek, sizeof(kek)) != EIDGW_OK)
		goto out;
	if (ceklen + 8 > sizeof(wrapped) || (cctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	EVP_CIPHER_CTX_set_flags(cctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_EncryptInit_ex(cctx, EVP_aes_256_wrap(), NULL, kek, NULL) != 1 ||
	    EVP_EncryptUpdate(cctx, wrapped, &n, cek, (int)ceklen) != 1 ||
	    EVP_EncryptFinal_ex(cctx, wrapped + n, &fin) != 1)
		goto out;
	if ((rc = eidgw_buf_append(out, wrapped, (size_t)n + (size_t)fin)) != EIDGW_OK)
		goto out;
	*eph_out = eph;
	eph = NULL;
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(cctx);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(eph);
	ERR_clear_error();
	return rc;
}

/* dsig11:ECKeyValue of an EC public key: named curve OID and uncompressed point. */
static enum eidgw_err
add_ec_key_value(xmlNodePtr parent, xmlNsPtr dsns, EVP_PKEY *pk)
{
	xmlNodePtr kv, eckv, nc;
	xmlNsPtr ns11;
	unsigned char pt[1 + 2 * 66];
	char gname[64], oid[80], uri[96];
	size_t ptlen = 0;
	int nid;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, gname, sizeof(gname),
	    NULL) != 1 || (nid = OBJ_sn2nid(gname)) == NID_undef ||
	    OBJ_obj2txt(oid, sizeof(oid), OBJ_nid2obj(nid), 1) <= 0)
		return EIDGW_E_CRYPTO;
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt),
	    &ptlen) != 1)
		return EIDGW_E_CRYPTO;
	(void)snprintf(uri, sizeof(uri), "urn:oid:%s", oid);
	if ((kv = add_el(parent, dsns, "KeyValue", NULL)) == NULL ||
	    (eckv = xmlNewChild(kv, NULL, (const xmlChar *)"ECKeyValue", NULL)) == NULL ||
	    (ns11 = xmlNewNs(eckv, (const xmlChar *)SAML_NS_DSIG11,
	    (const xmlChar *)"dsig11")) == NULL)
		return EIDGW_E_NOMEM;
	xmlSetNs(eckv, ns11);
	if ((nc = xmlNewChild(eckv, ns11, (const xmlChar *)"NamedCurve", NULL)) == NULL ||
	    xmlNewProp(nc, (const xmlChar *)"URI", (const xmlChar *)uri) == NULL)
		return EIDGW_E_NOMEM;
	return add_b64(eckv, ns11, "PublicKey", pt, ptlen);
}

enum eidgw_err
saml_encrypt_element(xmlDocPtr doc, xmlNodePtr elem, EVP_PKEY *recipient,
    X509 *recipient_cert, xmlNodePtr *encrypted, struct eidgw_diag *d)
{
	struct saml_c14n_set set;
	struct eidgw_buf plain, wrapped;
	xmlNodePtr ea = NULL, ed, ek, ki, eki, em, am, kdm, prm, oki, rki, xd, cd;
	xmlNsPtr sns, xns, dns, x11;
	EVP_PKEY *eph = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	unsigned char cek[32], iv[GCM_IV_LEN], *ct = NULL, *der = NULL;
	enum eidgw_err rc;
	int n = 0, fin = 0, derlen, id;

	*encrypted = NULL;
	eidgw_buf_init(&plain, ENC_MAX_CIPHER);
	eidgw_buf_init(&wrapped, ENC_MAX_BLOB);
	if (doc == NULL || elem == NULL || recipient == NULL || elem->doc != doc ||
	    elem->parent == NULL)
		EIDGW_FAIL(d, EIDGW_E_INVAL, "nothing to encrypt or no recipient");
	id = EVP_PKEY_get_base_id(recipient);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
		EIDGW_FAIL(d, EIDGW_E_SAML_ENC_ALG, "recipient key is neither RSA nor EC");
	/* Inclusive c14n: the plaintext carries every namespace in scope. */
	memset(&set, 0, sizeof(set));
	set.apex = elem;
	if ((rc = saml_c14n(doc, &set, XML_C14N_1_0, NULL, &plain)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "serialising the element");
	if (eidgw_random(cek, sizeof(cek)) != EIDGW_OK || eidgw_random(iv, sizeof(iv)) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_RANDOM, "content key");
	if (plain.len > INT32_MAX - 64 ||
	    (ct = malloc(plain.len + GCM_IV_LEN + GCM_TAG_LEN)) == NULL ||
	    (cctx = EVP_CIPHER_CTX_new()) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "cipher text");
	memcpy(ct, iv, GCM_IV_LEN);
	if (EVP_EncryptInit_ex(cctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(cctx, NULL, NULL, cek, iv) != 1 ||
	    EVP_EncryptUpdate(cctx, ct + GCM_IV_LEN, &n, (const unsigned char *)plain.data,
	    (int)plain.len) != 1 ||
	    EVP_EncryptFinal_ex(cctx, ct + GCM_IV_LEN + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
	    ct + GCM_IV_LEN + n + fin) != 1)
		EIDGW_FAIL(d, EIDGW_E_CRYPTO, "AES-GCM");
	if (id == EVP_PKEY_RSA)
		rc = rsa_oaep_wrap(recipient, cek, sizeof(cek), &wrapped);
	else
		rc = ecdh_wrap(recipient, cek, sizeof(cek), &eph, &wrapped);
	if (rc != EIDGW_OK)
		EIDGW_FAIL(d, rc, "key wrap for the recipient");

	if ((ea = xmlNewDocNode(doc, NULL, (const xmlChar *)"EncryptedAssertion", NULL)) == NULL ||
	    (sns = xmlNewNs(ea, (const xmlChar *)SAML_NS_ASSERTION, (const xmlChar *)"saml2")) ==
	    NULL || (xns = xmlNewNs(ea, (const xmlChar *)SAML_NS_XENC,
	    (const xmlChar *)"xenc")) == NULL || (dns = xmlNewNs(ea,
	    (const xmlChar *)SAML_NS_DSIG, (const xmlChar *)"ds")) == NULL ||
	    (x11 = xmlNewNs(ea, (const xmlChar *)SAML_NS_XENC11,
	    (const xmlChar *)"xenc11")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "EncryptedAssertion");
	xmlSetNs(ea, sns);
	if ((ed = add_el(ea, xns, "EncryptedData", NULL)) == NULL ||
	    xmlNewProp(ed, (const xmlChar *)"Type", (const xmlChar *)URI_TYPE_ELEMENT) == NULL ||
	    add_el(ed, xns, "EncryptionMethod", SAML_ENC_AES256_GCM) == NULL ||
	    (ki = add_el(ed, dns, "KeyInfo", NULL)) == NULL ||
	    (ek = add_el(ki, xns, "EncryptedKey", NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "EncryptedData");
	if (id == EVP_PKEY_RSA) {
		if ((em = add_el(ek, xns, "EncryptionMethod", SAML_ENC_RSA_OAEP)) == NULL ||
		    add_el(em, dns, "DigestMethod", URI_SHA256) == NULL ||
		    add_el(em, x11, "MGF", URI_MGF1_PREFIX "sha256") == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "EncryptedKey");
	} else {
		if (add_el(ek, xns, "EncryptionMethod", SAML_ENC_KW_AES256) == NULL ||
		    (eki = add_el(ek, dns, "KeyInfo", NULL)) == NULL ||
		    (am = add_el(eki, xns, "AgreementMethod", SAML_ENC_ECDH_ES)) == NULL ||
		    (kdm = add_el(am, x11, "KeyDerivationMethod", SAML_ENC_CONCAT_KDF)) == NULL ||
		    (prm = add_el(kdm, x11, "ConcatKDFParams", NULL)) == NULL ||
		    xmlNewProp(prm, (const xmlChar *)"AlgorithmID",
		    (const xmlChar *)"00") == NULL ||
		    xmlNewProp(prm, (const xmlChar *)"PartyUInfo", (const xmlChar *)"00") == NULL ||
		    xmlNewProp(prm, (const xmlChar *)"PartyVInfo", (const xmlChar *)"00") == NULL ||
		    add_el(prm, dns, "DigestMethod", URI_SHA256) == NULL ||
		    (oki = add_el(am, xns, "OriginatorKeyInfo", NULL)) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "AgreementMethod");
		if ((rc = add_ec_key_value(oki, dns, eph)) != EIDGW_OK)
			EIDGW_FAIL(d, rc, "originator key");
		if (recipient_cert != NULL) {
			if ((derlen = i2d_X509(recipient_cert, &der)) <= 0)
				EIDGW_FAIL(d, EIDGW_E_CRYPTO, "recipient certificate");
			if ((rki = add_el(am, xns, "RecipientKeyInfo", NULL)) == NULL ||
			    (xd = add_el(rki, dns, "X509Data", NULL)) == NULL ||
			    (rc = add_b64(xd, dns, "X509Certificate", der, (size_t)derlen)) !=
			    EIDGW_OK)
				EIDGW_FAIL(d, EIDGW_E_NOMEM, "RecipientKeyInfo");
		}
	}
	if ((cd = add_el(ek, xns, "CipherData", NULL)) == NULL ||
	    (rc = add_b64(cd, xns, "CipherValue", wrapped.data, wrapped.len)) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "EncryptedKey CipherValue");
	if ((cd = add_el(ed, xns, "CipherData", NULL)) == NULL ||
	    (rc = add_b64(cd, xns, "CipherValue", ct,
	    GCM_IV_LEN + (size_t)n + (size_t)fin + GCM_TAG_LEN)) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "CipherValue");
	if (xmlReplaceNode(elem, ea) == NULL)
		EIDGW_FAIL(d, EIDGW_E_INTERNAL, "cannot replace the element");
	xmlFreeNode(elem);
	*encrypted = ea;
	ea = NULL;
	rc = EIDGW_OK;
out:
	xmlFreeNode(ea);
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_free(der);
	free(ct);
	EVP_CIPHER_CTX_free(cctx);
	EVP_PKEY_free(eph);
	eidgw_buf_free(&plain);
	eidgw_buf_free(&wrapped);
	return rc;
}
