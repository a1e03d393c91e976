/* fuzz-lib: eidgw_oidc */
/*
 * fuzz_oidc_dpop.c - the input is a DPoP proof (RFC 9449): checked as a
 * proof for the token endpoint, for userinfo with an ath, and handed to the
 * token and userinfo endpoints as the DPoP header.
 */
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/store.h"
#include "core/util.h"
#include "oidc/oidc.h"

#include "oidc_fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char body[] = "grant_type=authorization_code&code=x&redirect_uri="
	    "https%3A%2F%2Frp.example%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	struct oidc_provider *p = fuzz_provider();
	struct oidc_request rq;
	struct oidc_response out;
	char jkt[OIDC_JKT_LEN + 1], basic[128];
	struct eidgw_buf b;
	enum eidgw_err rc;
	char *proof;

	if ((proof = malloc(size + 1)) == NULL)
		return 0;
	memcpy(proof, data, size);
	proof[size] = '\0';
	rc = oidc_dpop_proof_check(p, proof, "POST", "http://127.0.0.1:8080/oidc/token", NULL,
	    jkt, NULL);
	/* a proof accepted always yields a 43-character thumbprint */
	if (rc == EIDGW_OK && strlen(jkt) != OIDC_JKT_LEN)
		abort();
	rc = oidc_dpop_proof_check(p, proof, "GET", "http://127.0.0.1:8080/oidc/userinfo",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", jkt, NULL);
	if (rc == EIDGW_OK && strlen(jkt) != OIDC_JKT_LEN)
		abort();
	eidgw_buf_init(&b, 128);
	if (eidgw_b64_encode(&b, "rp:fuzz-secret-0123456789", 25, false) == EIDGW_OK)
		(void)snprintf(basic, sizeof(basic), "Basic %s", b.data);
	else
		basic[0] = '\0';
	eidgw_buf_free(&b);
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/x-www-form-urlencoded";
	rq.authorization = basic;
	rq.dpop = proof;
	rq.n_dpop = 1;
	rc = oidc_token(p, &rq, &out, NULL);
	/* nothing in the corpus redeems a code */
	if (rc == EIDGW_OK)
		abort();
	oidc_response_free(&out);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.authorization = "DPoP AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	rq.dpop = proof;
	rq.n_dpop = 1;
	rc = oidc_userinfo(p, &rq, &out, NULL);
	if (rc == EIDGW_OK)
		abort();
	oidc_response_free(&out);
	free(proof);
	return 0;
}
