/* routes_int.h - what the route files share (gateway-internal). */
#ifndef EIDGW_GW_ROUTES_INT_H
#define EIDGW_GW_ROUTES_INT_H

#include "core/err.h"
#include "http.h"
#include "oidc/oidc.h"
#include "runtime.h"

extern const struct gw_route gw_oidc_routes[];
extern const size_t gw_n_oidc_routes;
extern const struct gw_route gw_login_routes[];
extern const size_t gw_n_login_routes;
extern const struct gw_route gw_saml_routes[];
extern const size_t gw_n_saml_routes;

void gw_oidc_request_from(const struct gw_req *req, struct oidc_request *rq);
void gw_send_oidc_response(struct gw_req *req, struct gw_resp *resp, struct oidc_response *o);
const struct gw_runtime *gw_req_runtime(struct gw_req *req, struct gw_resp *resp);
void gw_log_refusal(const struct gw_req *req, const char *event, enum eidgw_err rc,
    const struct eidgw_diag *d);

#endif
