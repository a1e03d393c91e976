/* pages.c - see pages.h. */
#include "pages.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

/*
 * Colours meet WCAG 2.1 AA contrast (text #1a1a1a on #ffffff, links and
 * buttons #0b4f8a / white, muted text #4d4d4d); focus is always visible.
 */
static const char CSS[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:1rem/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1a1a1a;background:#fff}"
    "main{max-width:40rem;margin:0 auto;padding:1.5rem}"
    "h1{font-size:1.6rem;margin:0 0 1rem}"
    "fieldset{border:1px solid #767676;border-radius:.4rem;padding:1rem;margin:0 0 1rem}"
    "legend{font-weight:600;padding:0 .3rem}"
    ".opt{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;padding:.4rem 0}"
    ".opt input{width:1.25rem;height:1.25rem;margin:0}"
    ".opt label{flex:1}"
    ".opt.off label{color:#4d4d4d}"
    ".reason{flex-basis:100%;padding-left:1.75rem;color:#4d4d4d;font-size:.9rem}"
    "button{font:inherit;color:#fff;background:#0b4f8a;border:0;border-radius:.4rem;"
    "padding:.6rem 1.4rem;cursor:pointer}"
    "button:hover{background:#083b67}"
    ":focus-visible{outline:3px solid #c35b00;outline-offset:2px}"
    ".error{border-left:4px solid #a4262c;padding:.5rem 1rem;background:#fdf3f4}"
    "nav ul{list-style:none;padding:0;display:flex;gap:1rem;flex-wrap:wrap}"
    "a{color:#0b4f8a}"
    "code{font-size:.9rem}";

static const char AUTOPOST_JS[] =
    "document.getElementById('saml-post-form').submit();\n";

static void
h_css(struct gw_req *req, struct gw_resp *resp)
{
	gw_resp_text(resp, 200, "text/css; charset=utf-8", CSS);
	resp->max_age = 3600;
}

static void
h_autopost(struct gw_req *req, struct gw_resp *resp)
{
	gw_resp_text(resp, 200, "application/javascript; charset=utf-8", AUTOPOST_JS);
	resp->max_age = 3600;
}

const struct gw_route gw_static_routes[] = {
	{ "/static/eidgw.css", GW_GET, h_css, "static" },
	{ "/static/autopost.js", GW_GET, h_autopost, "static" },
};
const size_t gw_n_static_routes = sizeof(gw_static_routes) / sizeof(gw_static_routes[0]);

/* Appends, with HTML escaping of the text; on failure sets *rc. */
#define OUT(s) do { if (rc == EIDGW_OK) rc = eidgw_buf_puts(b, (s)); } while (0)
#define ESC(s) do { if (rc == EIDGW_OK) rc = eidgw_buf_html_escape(b, (s)); } while (0)

static enum eidgw_err
page_head(struct eidgw_buf *b, enum gw_lang lang, const char *title)
{
	enum eidgw_err rc = EIDGW_OK;

	OUT("<!doctype html>\n<html lang=\"");
	OUT(gw_lang_tag(lang));
	OUT("\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>");
	ESC(title);
	OUT("</title><link rel=\"stylesheet\" href=\"/static/eidgw.css\"></head><body><main>");
	return rc;
}

static enum eidgw_err
lang_nav(struct eidgw_buf *b, enum gw_lang cur, const char *path)
{
	enum eidgw_err rc = EIDGW_OK;
	int l;

	OUT("<nav aria-label=\"");
	ESC(gw_text(cur, T_LANGUAGE));
	OUT("\"><ul>");
	for (l = 0; l < GW_LANG__COUNT; l++) {
		OUT("<li><a href=\"");
		OUT(path);
		OUT("?lang=");
		OUT(gw_lang_tag((enum gw_lang)l));
		OUT("\" lang=\"");
		OUT(gw_lang_tag((enum gw_lang)l));
		OUT("\"");
		if ((enum gw_lang)l == cur)
			OUT(" aria-current=\"true\"");
		OUT(">");
		ESC(gw_lang_name((enum gw_lang)l));
		OUT("</a></li>");
	}
	OUT("</ul></nav>");
	return rc;
}

void
gw_page_select(struct gw_req *req, struct gw_resp *resp, const struct gw_select_view *v)
{
	struct eidgw_buf *b = &resp->body;
	enum eidgw_err rc;
	char intro[512];
	size_t i;
	bool any_checked = false;
	int64_t now = eidgw_now();

	eidgw_buf_reset(b);
	rc = page_head(b, v->lang, gw_text(v->lang, T_SELECT_TITLE));
	OUT("<h1>");
	ESC(gw_text(v->lang, T_SELECT_TITLE));
	OUT("</h1>");
	/* the template has one %s for the service's name (no printf on table text) */
	{
		const char *tpl = gw_text(v->lang, T_SELECT_INTRO), *at = strstr(tpl, "%s");

		(void)snprintf(intro, sizeof(intro), "%.*s", at != NULL ? (int)(at - tpl) :
		    (int)strlen(tpl), tpl);
		OUT("<p>");
		ESC(intro);
		if (at != NULL) {
			OUT("<strong>");
			ESC(v->client_name != NULL ? v->client_name : "");
			OUT("</strong>");
			ESC(at + 2);
		}
		OUT("</p>");
	}
	if (v->show_error) {
		OUT("<p class=\"error\" role=\"alert\" id=\"form-error\">");
		ESC(gw_text(v->lang, T_SELECT_NONE));
		OUT("</p>");
	}
	OUT("<form method=\"post\" action=\"/login/select\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"");
	ESC(v->csrf);
	OUT("\"><input type=\"hidden\" name=\"lang\" value=\"");
	OUT(gw_lang_tag(v->lang));
	OUT("\"><fieldset");
	if (v->show_error)
		OUT(" aria-describedby=\"form-error\"");
	OUT("><legend>");
	ESC(gw_text(v->lang, T_SELECT_LEGEND));
	OUT("</legend>");
	for (i = 0; v->rt != NULL && i < v->rt->n_countries; i++) {
		const struct gw_country_rt *c = &v->rt->countries[i];
		const char *code = c->conf->code;
		enum gw_text why = T__COUNT;

		if (c->state == GW_COUNTRY_DISABLED)
			continue;
		if (!gw_country_serves(c, now))
			why = T_UNAVAILABLE_DOWN;
		else if ((int)c->conf->max_loa < v->min_loa)
			why = T_UNAVAILABLE_LOA;
		OUT(why == T__COUNT ? "<div class=\"opt\">" : "<div class=\"opt off\">");
		OUT("<input type=\"radio\" name=\"country\" id=\"c-");
		OUT(code);
		OUT("\" value=\"");
		OUT(code);
		OUT("\"");
		if (why != T__COUNT) {
			OUT(" disabled aria-describedby=\"r-");
			OUT(code);
			OUT("\"");
		} else if (!any_checked && v->preselect != NULL && strcmp(v->preselect, code) == 0) {
			OUT(" checked");
			any_checked = true;
		}
		OUT("><label for=\"c-");
		OUT(code);
		OUT("\">");
		ESC(c->conf->name_en != NULL ? c->conf->name_en : code);
		if (c->conf->name_local != NULL && c->conf->name_en != NULL &&
		    strcmp(c->conf->name_local, c->conf->name_en) != 0) {
			OUT(" (");
			ESC(c->conf->name_local);
			OUT(")");
		}
		OUT("</label>");
		if (why != T__COUNT) {
			OUT("<span class=\"reason\" id=\"r-");
			OUT(code);
			OUT("\">");
			ESC(gw_text(v->lang, why));
			OUT("</span>");
		}
		OUT("</div>");
	}
	OUT("</fieldset><button type=\"submit\">");
	ESC(gw_text(v->lang, T_SELECT_CONTINUE));
	OUT("</button></form>");
	if (rc == EIDGW_OK)
		rc = lang_nav(b, v->lang, "/login/select");
	OUT("</main></body></html>\n");
	if (rc != EIDGW_OK) {
		gw_resp_error_page(req, resp, 500);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	resp->csp = GW_PAGE_CSP;
}

void
gw_page_error(struct gw_req *req, struct gw_resp *resp, unsigned int status, enum gw_lang lang,
    enum gw_text message)
{
	struct eidgw_buf *b = &resp->body;
	enum eidgw_err rc;

	eidgw_buf_reset(b);
	rc = page_head(b, lang, gw_text(lang, T_ERROR_TITLE));
	OUT("<h1>");
	ESC(gw_text(lang, T_ERROR_TITLE));
	OUT("</h1><p class=\"error\" role=\"alert\">");
	ESC(gw_text(lang, message));
	OUT("</p><p>");
	ESC(gw_text(lang, T_REFERENCE));
	OUT(": <code>");
	OUT(req->req_id);
	OUT("</code></p></main></body></html>\n");
	if (rc != EIDGW_OK) {
		gw_resp_error_page(req, resp, 500);
		return;
	}
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	resp->csp = GW_PAGE_CSP;
}
