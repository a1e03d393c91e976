/* fuzz-lib: eidgw_oidc */
/*
 * fuzz_oidc_token.c - the input is a token request form body, tried with
 * and without Basic client credentials; its first line is also used as an
 * Authorization header for the Basic parser and the userinfo endpoint.
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
	struct oidc_provider *p = fuzz_provider();
	struct oidc_request rq = { "POST", NULL, 0, (const char *)data, size,
	    "application/x-www-form-urlencoded", NULL, NULL, 0 };
	struct oidc_response out;
	enum eidgw_err rc;
	char *hdr, *id = NULL, *secret = NULL;
	size_t n;

	rc = oidc_token(p, &rq, &out, NULL);
	oidc_response_free(&out);
	rq.authorization = "Basic cnA6ZnV6ei1zZWNyZXQtMDEyMzQ1Njc4OQ==";
	rc = oidc_token(p, &rq, &out, NULL);
	oidc_response_free(&out);
	/* first line as a header */
	for (n = 0; n < size && data[n] != '\n' && data[n] != '\0'; n++)
		;
	if ((hdr = malloc(n + 1)) == NULL)
		return 0;
	memcpy(hdr, data, n);
	hdr[n] = '\0';
	if (oidc_basic_auth_parse(hdr, &id, &secret) == EIDGW_OK) {
		free(id);
		eidgw_free_secret_str(secret);
	}
	rq.method = "GET";
	rq.body = NULL;
	rq.body_len = 0;
	rq.authorization = hdr;
	rc = oidc_userinfo(p, &rq, &out, NULL);
	oidc_response_free(&out);
	free(hdr);
	(void)rc;
	return 0;
}
