/* fuzz-lib: eidgw_oidc */
/*
 * fuzz_oidc_authorize.c - the input is an authorization request query
 * string (also tried as a PAR form body); runs the whole validator, and on
 * acceptance the login completion and the request serialisation.
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
	struct oidc_request rq = { "GET", (const char *)data, size, NULL, 0, NULL, NULL, NULL, 0 };
	struct oidc_identity id = { "ES/AT/02635542Y", "A", "B", "1970-01-01",
	    OIDC_LOA_HIGH, 1700000000, NULL, NULL, 0 };
	struct oidc_authz_result res, fin;
	struct oidc_authz_request *back = NULL;
	struct oidc_response out;
	enum eidgw_err rc;
	char *js = NULL;

	if (oidc_authorize(p, &rq, &res, NULL) == EIDGW_OK && res.kind == OIDC_AUTHZ_ACCEPTED) {
		if (oidc_authz_request_to_json(res.req, &js) == EIDGW_OK &&
		    oidc_authz_request_from_json(js, strlen(js), &back) == EIDGW_OK)
			oidc_authz_request_free(back);
		free(js);
		rc = oidc_authz_complete(p, res.req, &id, &fin, NULL);
		oidc_authz_result_free(&fin);
	}
	oidc_authz_result_free(&res);
	/* the same text as a POST form and as a pushed request */
	rq.method = "POST";
	rq.query = NULL;
	rq.query_len = 0;
	rq.body = (const char *)data;
	rq.body_len = size;
	rq.content_type = "application/x-www-form-urlencoded";
	rc = oidc_authorize(p, &rq, &res, NULL);
	oidc_authz_result_free(&res);
	rq.authorization = "Basic cnA6ZnV6ei1zZWNyZXQtMDEyMzQ1Njc4OQ==";
	rc = oidc_par(p, &rq, &out, NULL);
	oidc_response_free(&out);
	(void)rc;
	return 0;
}
