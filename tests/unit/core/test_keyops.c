/*
 * Unit tests for core/keyops.c ECDH: the shared secret agrees with a plain
 * OpenSSL derivation done from the other side, and the peers that must not
 * be used (another curve, the point at infinity, a point off the curve)
 * are refused.
 */
#include "testlib.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "core/buf.h"
#include "core/keyops.h"

static struct eidgw_key *
ec_key(const char *curve, EVP_PKEY **pkey_out)
{
	struct eidgw_key *k = NULL;
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(pk);
	assert_int_equal(eidgw_key_from_pkey(pk, NULL, &k), EIDGW_OK);
	if (pkey_out != NULL)
		*pkey_out = pk;
	else
		EVP_PKEY_free(pk);
	return k;
}

/* A public P-256 key from an encoded point; NULL if OpenSSL refuses to build it. */
static EVP_PKEY *
p256_pub(const unsigned char *pt, size_t len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;

	assert_non_null(bld);
	assert_non_null(ctx);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static void
test_ecdh_agrees_with_openssl(void **state)
{
	EVP_PKEY *ours, *theirs;
	struct eidgw_key *k = ec_key("P-256", &ours);
	struct eidgw_key *other = ec_key("P-256", &theirs);
	struct eidgw_buf z;
	EVP_PKEY_CTX *ctx;
	unsigned char want[64];
	size_t wlen = sizeof(want);

	(void)state;
	eidgw_buf_init(&z, 256);
	assert_int_equal(eidgw_key_ecdh_derive(k, theirs, &z), EIDGW_OK);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, theirs, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, ours), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, want, &wlen), 1);
	assert_int_equal(z.len, 32);
	assert_int_equal(wlen, 32);
	assert_memory_equal(z.data, want, 32);
	EVP_PKEY_CTX_free(ctx);
	eidgw_buf_free(&z);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	eidgw_key_free(k);
	eidgw_key_free(other);
}

static void
test_ecdh_refuses_other_curve(void **state)
{
	EVP_PKEY *p384;
	struct eidgw_key *k = ec_key("P-256", NULL);
	struct eidgw_key *other = ec_key("P-384", &p384);
	struct eidgw_buf z;

	(void)state;
	eidgw_buf_init(&z, 256);
	assert_int_not_equal(eidgw_key_ecdh_derive(k, p384, &z), EIDGW_OK);
	assert_int_equal(z.len, 0);
	eidgw_buf_free(&z);
	EVP_PKEY_free(p384);
	eidgw_key_free(k);
	eidgw_key_free(other);
}

/*
 * The point at infinity and a point off the curve: either OpenSSL refuses
 * to build such a key at all, or the derivation must refuse it.  Both
 * outcomes are safe; deriving a secret is not.
 */
static void
test_ecdh_refuses_bad_points(void **state)
{
	static const unsigned char infinity[] = { 0x00 };
	unsigned char off[65];
	struct eidgw_key *k = ec_key("P-256", NULL);
	struct eidgw_buf z;
	EVP_PKEY *pk;

	(void)state;
	eidgw_buf_init(&z, 256);
	pk = p256_pub(infinity, sizeof(infinity));
	if (pk != NULL)
		assert_int_not_equal(eidgw_key_ecdh_derive(k, pk, &z), EIDGW_OK);
	EVP_PKEY_free(pk);
	/* x = 1, y = 1 is not on P-256 */
	memset(off, 0, sizeof(off));
	off[0] = 0x04;
	off[32] = 1;
	off[64] = 1;
	pk = p256_pub(off, sizeof(off));
	if (pk != NULL)
		assert_int_not_equal(eidgw_key_ecdh_derive(k, pk, &z), EIDGW_OK);
	EVP_PKEY_free(pk);
	assert_int_equal(z.len, 0);
	eidgw_buf_free(&z);
	eidgw_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdh_agrees_with_openssl),
		cmocka_unit_test(test_ecdh_refuses_other_curve),
		cmocka_unit_test(test_ecdh_refuses_bad_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
