/*
 * routes_saml.c - GET /saml/metadata: the gateway's SP (Connector) metadata,
 * signed with the SAML signing key, valid for a day, built on request from
 * the snapshot's keys (so a key rollover on reload shows at once).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/util.h"
#include "http.h"
#include "log.h"
#include "routes_int.h"
#include "runtime.h"
#include "saml/metadata.h"
#include "saml/xmldsig.h"

#define METADATA_VALIDITY_S (24 * 3600)

static void
h_metadata(struct gw_req *req, struct gw_resp *resp)
{
	static const char *const sig_methods[] = {
		SAML_ALG_ECDSA_SHA256, SAML_ALG_ECDSA_SHA384, SAML_ALG_ECDSA_SHA512,
		SAML_ALG_PSS_SHA256, SAML_ALG_PSS_SHA384, SAML_ALG_PSS_SHA512,
	};
	static const char *const digests[] = {
		SAML_DIGEST_SHA256, SAML_DIGEST_SHA384, SAML_DIGEST_SHA512,
	};
	const struct gw_runtime *rt = gw_req_runtime(req, resp);
	const struct gw_config *cfg = req->cfg;
	struct saml_sp_metadata_params p;
	struct eidgw_diag d = { 0 };
	char *xml = NULL;
	size_t len = 0;

	if (rt == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.entity_id = rt->entity_id;
	p.acs_url = rt->acs_url;
	p.node_country = cfg->node_country != NULL ? cfg->node_country : "EU";
	p.signing_cert = cfg->saml_signing.key != NULL ? cfg->saml_signing.key->cert : NULL;
	if (cfg->n_saml_encryption > 0 && cfg->saml_encryption[0].key != NULL)
		p.encryption_cert = cfg->saml_encryption[0].key->cert;
	if (cfg->n_saml_encryption > 1 && cfg->saml_encryption[1].key != NULL)
		p.next_encryption_cert = cfg->saml_encryption[1].key->cert;
	p.signing_methods = sig_methods;
	p.nsigning_methods = EIDGW_ARRAY_LEN(sig_methods);
	p.digest_methods = digests;
	p.ndigest_methods = EIDGW_ARRAY_LEN(digests);
	p.application_id = "eidgw:0.1";
	p.valid_until = eidgw_now() + METADATA_VALIDITY_S;
	p.key = cfg->saml_signing.key;
	p.alg = rt->saml_sig_alg;
	if (saml_sp_metadata_build(&p, &xml, &len, &d) != EIDGW_OK) {
		gw_log_diag(LOG_ERR, req->req_id, "saml.metadata", &d);
		gw_resp_error_page(req, resp, 500);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/samlmetadata+xml";
	resp->max_age = 3600;
	if (eidgw_buf_append(&resp->body, xml, len) != EIDGW_OK)
		gw_resp_error_page(req, resp, 500);
	free(xml);
}

const struct gw_route gw_saml_routes[] = {
	{ "/saml/metadata", GW_GET, h_metadata, "saml_metadata" },
};
const size_t gw_n_saml_routes = sizeof(gw_saml_routes) / sizeof(gw_saml_routes[0]);
