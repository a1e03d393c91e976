/*
 * Unit tests for the citizen pages (gateway/src/pages.c): what a hostile
 * configuration or request could put into them comes out HTML-escaped, the
 * page states its language, every radio button has a label, unavailable
 * countries say why, the strict page CSP is set, and error pages carry
 * only the localized text and the request id.
 */
#include "testlib.h"

#include <string.h>

#include "core/buf.h"
#include "pages.h"

struct page {
	struct gw_req req;
	struct gw_resp resp;
	struct gw_country_conf conf[3];
	struct gw_country_rt crt[3];
	struct gw_runtime rt;
};

static void
page_init(struct page *p)
{
	memset(p, 0, sizeof(*p));
	(void)snprintf(p->req.req_id, sizeof(p->req.req_id), "0123456789abcdef0123456789abcdef");
	eidgw_buf_init(&p->resp.body, 1 << 20);
	(void)snprintf(p->conf[0].code, 3, "BE");
	p->conf[0].name_en = (char *)"Belgium <script>alert(1)</script>";
	p->conf[0].name_local = (char *)"Belgi\xc3\xab \"&'";
	p->conf[0].max_loa = GW_LOA_HIGH;
	(void)snprintf(p->conf[1].code, 3, "LU");
	p->conf[1].name_en = (char *)"Luxembourg";
	p->conf[1].max_loa = GW_LOA_LOW;
	(void)snprintf(p->conf[2].code, 3, "NL");
	p->conf[2].name_en = (char *)"Netherlands";
	p->conf[2].max_loa = GW_LOA_HIGH;
	p->crt[0].conf = &p->conf[0];
	p->crt[0].state = GW_COUNTRY_READY;
	p->crt[1].conf = &p->conf[1];
	p->crt[1].state = GW_COUNTRY_READY;
	p->crt[2].conf = &p->conf[2];
	p->crt[2].state = GW_COUNTRY_UNAVAILABLE;
	p->rt.countries = p->crt;
	p->rt.n_countries = 3;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p;

	for (p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_select_page(void **state)
{
	struct gw_select_view v;
	struct page p;
	const char *html;

	(void)state;
	page_init(&p);
	memset(&v, 0, sizeof(v));
	v.rt = &p.rt;
	v.client_name = "Evil <img src=x onerror=alert(1)> \"service\"";
	v.csrf = "tok\"><script>x</script>";
	v.preselect = "BE";
	v.lang = GW_LANG_DE;
	v.min_loa = GW_LOA_SUBSTANTIAL;
	v.show_error = true;
	gw_page_select(&p.req, &p.resp, &v);
	assert_int_equal(p.resp.status, 200);
	assert_string_equal(p.resp.content_type, "text/html; charset=utf-8");
	assert_non_null(p.resp.csp);
	assert_string_equal(p.resp.csp, GW_PAGE_CSP);
	assert_non_null(strstr(GW_PAGE_CSP, "frame-ancestors 'none'"));
	assert_int_equal(p.resp.max_age, 0);		/* no-store */
	html = p.resp.body.data;
	assert_non_null(html);
	/* escaped, never raw */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_non_null(strstr(html, "Belgium &lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "Belgi\xc3\xab &quot;&amp;&#39;"));
	assert_non_null(strstr(html, "Evil &lt;img src=x onerror=alert(1)&gt; &quot;service&quot;"));
	assert_non_null(strstr(html, "value=\"tok&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
	/* language, heading, labels, no script needed */
	assert_non_null(strstr(html, "<html lang=\"de\">"));
	assert_int_equal(count(html, "<h1>"), 1);
	assert_int_equal(count(html, "type=\"radio\""), 3);
	assert_int_equal(count(html, "<label for=\"c-"), 3);
	assert_non_null(strstr(html, "<fieldset aria-describedby=\"form-error\"><legend>"));
	assert_non_null(strstr(html, "role=\"alert\""));
	assert_non_null(strstr(html, "<button type=\"submit\">"));
	assert_non_null(strstr(html, "method=\"post\" action=\"/login/select\""));
	/* the preselected country is checked; LU (LoA too low) and NL (down) are disabled */
	assert_non_null(strstr(html, "id=\"c-BE\" value=\"BE\" checked>"));
	assert_non_null(strstr(html, "id=\"c-LU\" value=\"LU\" disabled aria-describedby=\"r-LU\""));
	assert_non_null(strstr(html, "id=\"c-NL\" value=\"NL\" disabled aria-describedby=\"r-NL\""));
	assert_non_null(strstr(html, "<span class=\"reason\" id=\"r-LU\">"));
	/* the language links name their own language */
	assert_non_null(strstr(html, "lang=\"fr\">Fran\xc3\xa7" "ais</a>"));
	assert_non_null(strstr(html, "aria-current=\"true\">Deutsch</a>"));
	eidgw_buf_free(&p.resp.body);
}

static void
test_error_page(void **state)
{
	struct page p;
	const char *html;

	(void)state;
	page_init(&p);
	gw_page_error(&p.req, &p.resp, 503, GW_LANG_FR, T_ERROR_UNAVAILABLE);
	assert_int_equal(p.resp.status, 503);
	assert_string_equal(p.resp.csp, GW_PAGE_CSP);
	html = p.resp.body.data;
	assert_non_null(strstr(html, "<html lang=\"fr\">"));
	assert_non_null(strstr(html, "<h1>Connexion impossible</h1>"));
	assert_non_null(strstr(html, "<code>0123456789abcdef0123456789abcdef</code>"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<form"));
	eidgw_buf_free(&p.resp.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_page),
		cmocka_unit_test(test_error_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
