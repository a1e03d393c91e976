/*
 * Unit tests for saml/binding.c: the HTTP-POST form (no inline script, a
 * <noscript> button, escaping), HTTP-Redirect round trip with a detached
 * signature, tampering, and the caps on RelayState and inflation.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "core/keyops.h"
#include "core/util.h"
#include "saml/binding.h"
#include "saml/xml.h"

static struct eidgw_key *key_ec;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(saml_library_init(), EIDGW_OK);
	assert_int_equal(eidgw_key_load_pem(tl_path(EIDGW_TEST_DATA, "saml/keys/sp-sign.key.pem"),
	    NULL, 3072, &key_ec, NULL), EIDGW_OK);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	eidgw_key_free(key_ec);
	return 0;
}

static const char xml[] = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
    "ID=\"_1\" Version=\"2.0\"/>";

static void
test_post_form(void **state)
{
	struct eidgw_buf html, b64;

	(void)state;
	eidgw_buf_init(&html, 65536);
	eidgw_buf_init(&b64, 4096);
	assert_int_equal(saml_binding_post_form("https://idp.example/sso?a=1&b=\"x\"", "SAMLRequest",
	    xml, strlen(xml), "rs-<1>", "/static/autosubmit.js", &html, NULL), EIDGW_OK);
	assert_int_equal(eidgw_b64_encode(&b64, xml, strlen(xml), false), EIDGW_OK);
	assert_non_null(strstr(html.data, b64.data));
	assert_non_null(strstr(html.data, "action=\"https://idp.example/sso?a=1&amp;b=&quot;x&quot;\""));
	assert_non_null(strstr(html.data, "name=\"RelayState\" value=\"rs-&lt;1&gt;\""));
	assert_non_null(strstr(html.data, "<noscript>"));
	assert_non_null(strstr(html.data, "<button type=\"submit\">"));
	assert_non_null(strstr(html.data, "<script src=\"/static/autosubmit.js\" defer></script>"));
	/* strict CSP: no inline script, no inline handlers or styles */
	assert_null(strstr(html.data, "<script>"));
	assert_null(strstr(html.data, "onload"));
	assert_null(strstr(html.data, "style="));
	eidgw_buf_free(&html);
	eidgw_buf_init(&html, 65536);
	assert_int_equal(saml_binding_post_form("https://idp.example/sso", "SAMLRequest",
	    xml, strlen(xml), NULL, NULL, &html, NULL), EIDGW_OK);
	assert_null(strstr(html.data, "<script"));
	assert_null(strstr(html.data, "RelayState"));
	eidgw_buf_reset(&html);
	/* RelayState over 80 bytes, bad parameter name, control characters */
	assert_int_equal(saml_binding_post_form("https://idp.example/sso", "SAMLRequest", xml,
	    strlen(xml), "0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789X", NULL, &html, NULL), EIDGW_E_SAML_BINDING);
	assert_int_equal(saml_binding_post_form("https://idp.example/sso", "Foo", xml, strlen(xml),
	    NULL, NULL, &html, NULL), EIDGW_E_SAML_BINDING);
	assert_int_equal(saml_binding_post_form("https://idp.example/s so", "SAMLRequest", xml,
	    strlen(xml), NULL, NULL, &html, NULL), EIDGW_E_SAML_BINDING);
	eidgw_buf_free(&html);
	eidgw_buf_free(&b64);
}

static void
test_redirect_roundtrip(void **state)
{
	struct saml_redirect_msg m;
	struct saml_trust trust;
	EVP_PKEY *pk = key_ec->pub;
	struct eidgw_diag d;
	char *url = NULL, *q;

	(void)state;
	trust.keys = &pk;
	trust.nkeys = 1;
	assert_int_equal(saml_binding_redirect_encode("https://idp.example/sso?x=1", "SAMLRequest",
	    xml, strlen(xml), "state 1/2", key_ec, EIDGW_SIG_ECDSA_SHA256, &url, NULL), EIDGW_OK);
	assert_true(eidgw_starts_with(url, "https://idp.example/sso?x=1&SAMLRequest="));
	assert_non_null(strstr(url, "&RelayState=state%201%2F2&SigAlg=http%3A%2F%2Fwww.w3.org"));
	assert_non_null(strstr(url, "&Signature="));
	q = strchr(url, '?') + 1;
	eidgw_diag_clear(&d);
	assert_int_equal(saml_binding_redirect_decode(q, "SAMLRequest", &m, &d), EIDGW_OK);
	assert_int_equal(m.xml.len, strlen(xml));
	assert_memory_equal(m.xml.data, xml, strlen(xml));
	assert_string_equal(m.relay_state, "state 1/2");
	assert_string_equal(m.sig_alg, SAML_ALG_ECDSA_SHA256);
	assert_int_equal(saml_binding_redirect_verify(&m, &trust, NULL, NULL), EIDGW_OK);
	saml_redirect_msg_clear(&m);
	/* tampered RelayState: the signature no longer verifies */
	{
		char *t = strdup(q), *rs = strstr(t, "RelayState=state") + strlen("RelayState=state");

		*rs = 'X';
		assert_int_equal(saml_binding_redirect_decode(t, "SAMLRequest", &m, NULL), EIDGW_OK);
		assert_int_equal(saml_binding_redirect_verify(&m, &trust, NULL, NULL),
		    EIDGW_E_SAML_SIG_UNTRUSTED);
		saml_redirect_msg_clear(&m);
		free(t);
	}
	free(url);
	/* unsigned */
	assert_int_equal(saml_binding_redirect_encode("https://idp.example/sso", "SAMLRequest",
	    xml, strlen(xml), NULL, NULL, EIDGW_SIG_NONE, &url, NULL), EIDGW_OK);
	assert_null(strstr(url, "Signature"));
	assert_int_equal(saml_binding_redirect_decode(strchr(url, '?') + 1, "SAMLRequest", &m, NULL),
	    EIDGW_OK);
	assert_null(m.relay_state);
	assert_int_equal(saml_binding_redirect_verify(&m, &trust, NULL, NULL), EIDGW_E_SAML_SIG_MISSING);
	saml_redirect_msg_clear(&m);
	free(url);
	/* a disallowed signature scheme is refused when encoding */
	assert_int_equal(saml_binding_redirect_encode("https://idp.example/sso", "SAMLRequest",
	    xml, strlen(xml), NULL, key_ec, EIDGW_SIG_NONE, &url, NULL), EIDGW_E_SAML_SIG_ALG);
	assert_null(url);
}

static void
test_redirect_hostile(void **state)
{
	struct eidgw_buf raw, defl, b64, q;
	struct saml_redirect_msg m;

	(void)state;
	/* a DEFLATE bomb: 16 MiB of zeros is a few KiB compressed */
	eidgw_buf_init(&raw, 16u << 20);
	eidgw_buf_init(&defl, 1u << 20);
	eidgw_buf_init(&b64, 2u << 20);
	eidgw_buf_init(&q, 4u << 20);
	{
		char *zeros = calloc(1, 16u << 20);

		assert_non_null(zeros);
		assert_int_equal(saml_deflate(zeros, 16u << 20, &defl), EIDGW_OK);
		free(zeros);
	}
	assert_true(defl.len < 64 * 1024);
	assert_int_equal(eidgw_b64_encode(&b64, defl.data, defl.len, false), EIDGW_OK);
	assert_int_equal(eidgw_buf_puts(&q, "SAMLRequest="), EIDGW_OK);
	{
		size_t i;

		for (i = 0; i < b64.len; i++) {
			char c = b64.data[i];

			if (c == '+')
				assert_int_equal(eidgw_buf_puts(&q, "%2B"), EIDGW_OK);
			else if (c == '/')
				assert_int_equal(eidgw_buf_puts(&q, "%2F"), EIDGW_OK);
			else if (c == '=')
				assert_int_equal(eidgw_buf_puts(&q, "%3D"), EIDGW_OK);
			else
				assert_int_equal(eidgw_buf_append(&q, &c, 1), EIDGW_OK);
		}
	}
	assert_int_equal(saml_binding_redirect_decode(q.data, "SAMLRequest", &m, NULL),
	    EIDGW_E_SAML_XML_TOO_LARGE);
	saml_redirect_msg_clear(&m);
	/* not DEFLATE, not base64, bad escapes, missing, repeated, half a signature */
	assert_int_equal(saml_binding_redirect_decode("SAMLRequest=aGVsbG8%3D", "SAMLRequest", &m,
	    NULL), EIDGW_E_SAML_ENCODING);
	saml_redirect_msg_clear(&m);
	assert_int_equal(saml_binding_redirect_decode("SAMLRequest=%%%", "SAMLRequest", &m, NULL),
	    EIDGW_E_SAML_BINDING);
	saml_redirect_msg_clear(&m);
	assert_int_equal(saml_binding_redirect_decode("SAMLRequest=%4", "SAMLRequest", &m, NULL),
	    EIDGW_E_SAML_BINDING);
	saml_redirect_msg_clear(&m);
	assert_int_equal(saml_binding_redirect_decode("RelayState=x", "SAMLRequest", &m, NULL),
	    EIDGW_E_SAML_BINDING);
	saml_redirect_msg_clear(&m);
	assert_int_equal(saml_binding_redirect_decode("SAMLRequest=a&SAMLRequest=b", "SAMLRequest",
	    &m, NULL), EIDGW_E_SAML_BINDING);
	saml_redirect_msg_clear(&m);
	assert_int_equal(saml_binding_redirect_decode("SAMLRequest=abcd&SigAlg=x", "SAMLRequest",
	    &m, NULL), EIDGW_E_SAML_BINDING);
	saml_redirect_msg_clear(&m);
	/* truncated DEFLATE */
	eidgw_buf_reset(&defl);
	assert_int_equal(saml_deflate(xml, strlen(xml), &defl), EIDGW_OK);
	eidgw_buf_reset(&raw);
	assert_int_equal(saml_inflate(defl.data, defl.len / 2, 1024, &raw), EIDGW_E_SAML_ENCODING);
	eidgw_buf_reset(&raw);
	assert_int_equal(saml_inflate(defl.data, defl.len, 1024, &raw), EIDGW_OK);
	assert_int_equal(raw.len, strlen(xml));
	eidgw_buf_free(&raw);
	eidgw_buf_free(&defl);
	eidgw_buf_free(&b64);
	eidgw_buf_free(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_form),
		cmocka_unit_test(test_redirect_roundtrip),
		cmocka_unit_test(test_redirect_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
