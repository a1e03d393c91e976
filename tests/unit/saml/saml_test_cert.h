/*
 * saml_test_cert.h - certificates and public keys from tests/data PEM files,
 * for the saml/ unit tests (test_metadata.c, test_mutation.c,
 * test_response.c).  A file that cannot be read or parsed fails the test.
 */
#ifndef EIDGW_TESTS_SAML_TEST_CERT_H
#define EIDGW_TESTS_SAML_TEST_CERT_H

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* The certificate in tests/data/<rel>; free with X509_free(). */
static inline X509 *
load_cert(const char *rel)
{
	char *pem = tl_read_data(rel, NULL);
	BIO *bio;
	X509 *x;

	assert_non_null(pem);
	bio = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	BIO_free(bio);
	free(pem);
	return x;
}

/* The public key of the certificate in tests/data/<rel>; free with EVP_PKEY_free(). */
static inline EVP_PKEY *
load_pub(const char *rel)
{
	X509 *x = load_cert(rel);
	EVP_PKEY *k = X509_get_pubkey(x);

	X509_free(x);
	return k;
}

#endif
