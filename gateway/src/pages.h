/*
 * pages.h - the citizen-facing HTML: the country selector and the error
 * pages.  Server-rendered, no JavaScript needed, every dynamic text
 * HTML-escaped, one stylesheet from /static, strict CSP.
 */
#ifndef EIDGW_GW_PAGES_H
#define EIDGW_GW_PAGES_H

#include <stdbool.h>

#include "http.h"
#include "i18n.h"
#include "runtime.h"

/* The CSP of our own pages: our stylesheet and forms posting to ourselves. */
#define GW_PAGE_CSP "default-src 'none'; style-src 'self'; img-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct gw_select_view {
	const struct gw_runtime *rt;
	const char *client_name;
	const char *csrf;
	const char *preselect;		/* last choice (cookie), may be NULL */
	enum gw_lang lang;
	int min_loa;			/* 1..3 */
	bool show_error;		/* "please choose a country" */
};

void gw_page_select(struct gw_req *req, struct gw_resp *resp, const struct gw_select_view *v);
/* A localized error page with the request id as reference. */
void gw_page_error(struct gw_req *req, struct gw_resp *resp, unsigned int status,
    enum gw_lang lang, enum gw_text message);
/* Static assets: /static/eidgw.css and /static/autopost.js. */
extern const struct gw_route gw_static_routes[];
extern const size_t gw_n_static_routes;

#endif
