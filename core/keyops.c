/*
 * keyops.c - the front of the key-operations interface and the PEM-file
 * backend (private key held in this process).  Public-key verification
 * lives here too so that every scheme's parameters (PSS salt length, MGF1
 * digest) are set in exactly one place.
 */
#include "keyops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

const char *
eidgw_sig_alg_md(enum eidgw_sig_alg alg)
{
	switch (alg) {
	case EIDGW_SIG_RSA_PKCS1_SHA256:
	case EIDGW_SIG_RSA_PSS_SHA256:
	case EIDGW_SIG_ECDSA_SHA256:
		return "SHA256";
	case EIDGW_SIG_RSA_PKCS1_SHA384:
	case EIDGW_SIG_RSA_PSS_SHA384:
	case EIDGW_SIG_ECDSA_SHA384:
		return "SHA384";
	case EIDGW_SIG_RSA_PKCS1_SHA512:
	case EIDGW_SIG_RSA_PSS_SHA512:
	case EIDGW_SIG_ECDSA_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

static int
sig_alg_padding(enum eidgw_sig_alg alg)
{
	switch (alg) {
	case EIDGW_SIG_RSA_PSS_SHA256:
	case EIDGW_SIG_RSA_PSS_SHA384:
	case EIDGW_SIG_RSA_PSS_SHA512:
		return RSA_PKCS1_PSS_PADDING;
	case EIDGW_SIG_RSA_PKCS1_SHA256:
	case EIDGW_SIG_RSA_PKCS1_SHA384:
	case EIDGW_SIG_RSA_PKCS1_SHA512:
		return RSA_PKCS1_PADDING;
	default:
		return 0;
	}
}

/* Checks that the scheme fits the key type. */
static bool
sig_alg_fits(EVP_PKEY *pk, enum eidgw_sig_alg alg)
{
	int id = EVP_PKEY_get_base_id(pk);

	if (alg == EIDGW_SIG_ED25519)
		return id == EVP_PKEY_ED25519;
	if (sig_alg_padding(alg) != 0)
		return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
	if (alg >= EIDGW_SIG_ECDSA_SHA256 && alg <= EIDGW_SIG_ECDSA_SHA512)
		return id == EVP_PKEY_EC;
	return false;
}

static enum eidgw_err
sig_ctx_setup(EVP_PKEY_CTX *pctx, enum eidgw_sig_alg alg)
{
	int pad = sig_alg_padding(alg);

	if (pad == 0)
		return EIDGW_OK;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, pad) <= 0)
		return EIDGW_E_CRYPTO;
	if (pad == RSA_PKCS1_PSS_PADDING) {
		/* RFC 6931 / eIDAS: MGF1 with the message digest, salt = hLen. */
		if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, eidgw_sig_alg_md(alg), NULL) <= 0)
			return EIDGW_E_CRYPTO;
	}
	return EIDGW_OK;
}

enum eidgw_err
eidgw_sig_verify(EVP_PKEY *pub, enum eidgw_sig_alg alg, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	int r;

	if (pub == NULL || !sig_alg_fits(pub, alg))
		return EIDGW_E_INVAL;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return EIDGW_E_NOMEM;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, eidgw_sig_alg_md(alg), NULL, NULL, pub,
	    NULL) != 1)
		goto out;
	if (sig_ctx_setup(pctx, alg) != EIDGW_OK)
		goto out;
	r = EVP_DigestVerify(mctx, sig, siglen, data, len);
	/* Any answer but "valid" is a failed verification, not a library fault. */
	rc = r == 1 ? EIDGW_OK : EIDGW_E_MALFORMED;
out:
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return rc;
}

/* ---- PEM backend ---------------------------------------------------- */

struct pem_priv {
	EVP_PKEY *pkey;
};

static enum eidgw_err
pem_sign(const struct eidgw_key *k, enum eidgw_sig_alg alg, const unsigned char *data,
    size_t len, struct eidgw_buf *out)
{
	const struct pem_priv *p = k->priv;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t siglen = 0;

	if (!sig_alg_fits(p->pkey, alg))
		return EIDGW_E_INVAL;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return EIDGW_E_NOMEM;
	if (EVP_DigestSignInit_ex(mctx, &pctx, eidgw_sig_alg_md(alg), NULL, NULL, p->pkey,
	    NULL) != 1)
		goto out;
	if (sig_ctx_setup(pctx, alg) != EIDGW_OK)
		goto out;
	if (EVP_DigestSign(mctx, NULL, &siglen, data, len) != 1)
		goto out;
	if ((sig = malloc(siglen)) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, sig, &siglen, data, len) != 1)
		goto out;
	rc = eidgw_buf_append(out, sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return rc;
}

static enum eidgw_err
pem_rsa_oaep_decrypt(const struct eidgw_key *k, const char *oaep_md, const char *mgf1_md,
    const unsigned char *label, size_t label_len, const unsigned char *in, size_t inlen,
    struct eidgw_buf *out)
{
	const struct pem_priv *p = k->priv;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *plain = NULL, *lab = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t plen = 0;

	if (k->type != EIDGW_KEY_RSA)
		return EIDGW_E_INVAL;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, p->pkey, NULL)) == NULL)
		return EIDGW_E_NOMEM;
	if (EVP_PKEY_decrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, oaep_md, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, mgf1_md, NULL) != 1)
		goto out;
	if (label != NULL && label_len != 0) {
		/* OpenSSL takes ownership of the label buffer. */
		if ((lab = OPENSSL_memdup(label, label_len)) == NULL ||
		    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab, (int)label_len) != 1) {
			OPENSSL_free(lab);
			goto out;
		}
	}
	if (EVP_PKEY_decrypt(ctx, NULL, &plen, in, inlen) != 1)
		goto out;
	if ((plain = malloc(plen)) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	/* A padding failure is reported generically (no oracle). */
	if (EVP_PKEY_decrypt(ctx, plain, &plen, in, inlen) != 1) {
		rc = EIDGW_E_MALFORMED;
		goto out;
	}
	rc = eidgw_buf_append(out, plain, plen);
out:
	if (plain != NULL) {
		OPENSSL_cleanse(plain, plen);
		free(plain);
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static enum eidgw_err
pem_ecdh_derive(const struct eidgw_key *k, EVP_PKEY *peer, struct eidgw_buf *out)
{
	const struct pem_priv *p = k->priv;
	EVP_PKEY_CTX *ctx = NULL, *pctx = NULL;
	unsigned char *z = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;
	size_t zlen = 0;

	if (k->type != EIDGW_KEY_EC)
		return EIDGW_E_INVAL;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, p->pkey, NULL)) == NULL)
		return EIDGW_E_NOMEM;
	/*
	 * Peer validation, once: the point must lie on its curve and not be the
	 * point at infinity (public_check_quick), and set_peer then refuses a
	 * peer on another curve than ours.  For the prime curves eidgw accepts
	 * (cofactor 1) that is the whole public-key validation of SP 800-56A
	 * 5.6.2.3.4; the full EVP_PKEY_public_check would add a scalar
	 * multiplication by the order that proves nothing more here, and
	 * EVP_PKEY_derive_set_peer would run it a second time.
	 */
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(pctx) != 1 ||
	    EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1 ||
	    EVP_PKEY_derive(ctx, NULL, &zlen) != 1) {
		rc = EIDGW_E_MALFORMED;
		goto out;
	}
	if ((z = malloc(zlen)) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, z, &zlen) != 1)
		goto out;
	rc = eidgw_buf_append(out, z, zlen);
out:
	if (z != NULL) {
		OPENSSL_cleanse(z, zlen);
		free(z);
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static void
pem_destroy(struct eidgw_key *k)
{
	struct pem_priv *p = k->priv;

	if (p != NULL) {
		EVP_PKEY_free(p->pkey);	/* OpenSSL clears key material on free */
		free(p);
	}
}

static const struct eidgw_key_ops pem_ops = {
	.backend = "pem",
	.sign = pem_sign,
	.rsa_oaep_decrypt = pem_rsa_oaep_decrypt,
	.ecdh_derive = pem_ecdh_derive,
	.destroy = pem_destroy,
};

/* Public half of pkey as its own object (so nothing outside sees the private part). */
static EVP_PKEY *
pkey_public_copy(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int n;

	if ((n = i2d_PUBKEY(pkey, &der)) <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	return pub;
}

enum eidgw_err
eidgw_key_from_pkey(EVP_PKEY *pkey, X509 *cert, struct eidgw_key **out)
{
	struct eidgw_key *k = NULL;
	struct pem_priv *p = NULL;
	enum eidgw_err rc = EIDGW_E_NOMEM;
	int id = EVP_PKEY_get_base_id(pkey);

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL || (p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
		k->type = EIDGW_KEY_RSA;
	else if (id == EVP_PKEY_EC)
		k->type = EIDGW_KEY_EC;
	else if (id == EVP_PKEY_ED25519)
		k->type = EIDGW_KEY_ED25519;
	else {
		rc = EIDGW_E_KEY_WEAK;
		goto out;
	}
	k->bits = EVP_PKEY_get_bits(pkey);
	if ((k->pub = pkey_public_copy(pkey)) == NULL)
		goto out;
	if (!EVP_PKEY_up_ref(pkey))
		goto out;
	p->pkey = pkey;
	if (cert != NULL) {
		if (!X509_up_ref(cert))
			goto out;
		k->cert = cert;
	}
	k->ops = &pem_ops;
	k->priv = p;
	p = NULL;
	*out = k;
	k = NULL;
	rc = EIDGW_OK;
out:
	free(p);
	eidgw_key_free(k);
	return rc;
}

enum eidgw_err
eidgw_key_load_pem(const char *key_path, const char *cert_path, int min_rsa_bits,
    struct eidgw_key **out, struct eidgw_diag *d)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	FILE *f = NULL;
	enum eidgw_err rc;
	const char *base;

	*out = NULL;
	if ((f = fopen(key_path, "r")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_KEY_LOAD, "%s: cannot open key file", key_path);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	f = NULL;
	if (pkey == NULL)
		EIDGW_FAIL(d, EIDGW_E_KEY_LOAD, "%s: not a PEM private key (or encrypted)",
		    key_path);
	if (cert_path != NULL) {
		if ((f = fopen(cert_path, "r")) == NULL)
			EIDGW_FAIL(d, EIDGW_E_KEY_LOAD, "%s: cannot open certificate file",
			    cert_path);
		cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		f = NULL;
		if (cert == NULL)
			EIDGW_FAIL(d, EIDGW_E_KEY_LOAD, "%s: not a PEM certificate", cert_path);
		if (X509_check_private_key(cert, pkey) != 1)
			EIDGW_FAIL(d, EIDGW_E_KEY_MISMATCH,
			    "%s does not match the certificate %s", key_path, cert_path);
	}
	if ((EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) &&
	    EVP_PKEY_get_bits(pkey) < min_rsa_bits)
		EIDGW_FAIL(d, EIDGW_E_KEY_WEAK, "%s: RSA key of %d bits, at least %d required",
		    key_path, EVP_PKEY_get_bits(pkey), min_rsa_bits);
	if ((rc = eidgw_key_from_pkey(pkey, cert, out)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "%s: unsupported key type", key_path);
	base = strrchr(key_path, '/');
	(void)snprintf((*out)->id, sizeof((*out)->id), "%s", base != NULL ? base + 1 : key_path);
	rc = EIDGW_OK;
out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

void
eidgw_key_free(struct eidgw_key *k)
{
	if (k == NULL)
		return;
	if (k->ops != NULL && k->ops->destroy != NULL)
		k->ops->destroy(k);
	EVP_PKEY_free(k->pub);
	X509_free(k->cert);
	free(k);
}

enum eidgw_err
eidgw_key_sign(const struct eidgw_key *k, enum eidgw_sig_alg alg,
    const unsigned char *data, size_t len, struct eidgw_buf *out)
{
	if (k == NULL || k->ops == NULL || k->ops->sign == NULL)
		return EIDGW_E_INVAL;
	return k->ops->sign(k, alg, data, len, out);
}

enum eidgw_err
eidgw_key_rsa_oaep_decrypt(const struct eidgw_key *k, const char *oaep_md,
    const char *mgf1_md, const unsigned char *label, size_t label_len,
    const unsigned char *in, size_t inlen, struct eidgw_buf *out)
{
	if (k == NULL || k->ops == NULL || k->ops->rsa_oaep_decrypt == NULL)
		return EIDGW_E_INVAL;
	return k->ops->rsa_oaep_decrypt(k, oaep_md, mgf1_md, label, label_len, in, inlen, out);
}

enum eidgw_err
eidgw_key_ecdh_derive(const struct eidgw_key *k, EVP_PKEY *peer, struct eidgw_buf *out)
{
	if (k == NULL || k->ops == NULL || k->ops->ecdh_derive == NULL)
		return EIDGW_E_INVAL;
	return k->ops->ecdh_derive(k, peer, out);
}
