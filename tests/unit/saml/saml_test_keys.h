/*
 * saml_test_keys.h - what test_xmldsig.c and test_xmlenc.c share: the test
 * keys (RSA-3072, P-256, brainpoolP256r1, a foreign P-256, RSA-2048) loaded
 * from tests/data/testvectors in the group setup, parsing with the hardened
 * parser, a round trip over the wire, a recursive element search and a
 * one-bit flip in base64 text.
 * Included by exactly one test program each, after testlib.h.
 */
#ifndef EIDGW_TESTS_SAML_TEST_KEYS_H
#define EIDGW_TESTS_SAML_TEST_KEYS_H

#include <stdio.h>

#include <libxml/parser.h>

#include "core/buf.h"
#include "core/keyops.h"
#include "core/util.h"
#include "saml/xml.h"

#define SAML_TEST_TV EIDGW_TEST_DATA "/testvectors/"

struct keys {
	struct eidgw_key *rsa3072, *p256, *bp256, *other_p256, *rsa2048;
};

static struct keys K;

/* A key (and its certificate, when cert is not NULL) under the test vectors. */
static struct eidgw_key *
load_key(const char *key, const char *cert)
{
	struct eidgw_key *k = NULL;
	struct eidgw_diag d;
	char kp[512], cp[512];

	eidgw_diag_clear(&d);
	(void)snprintf(kp, sizeof(kp), SAML_TEST_TV "%s", key);
	(void)snprintf(cp, sizeof(cp), SAML_TEST_TV "%s", cert != NULL ? cert : "");
	if (eidgw_key_load_pem(kp, cert != NULL ? cp : NULL, 2048, &k, &d) != EIDGW_OK) {
		print_message("key %s: %s\n", key, d.reason);
		return NULL;
	}
	return k;
}

static int
setup(void **state)
{
	(void)state;
	K.rsa3072 = load_key("generated/keys/rsa-3072.key.pem", "generated/keys/rsa-3072.cert.pem");
	K.p256 = load_key("eidas-node/test.p12.test-ec-nist.key.pem",
	    "eidas-node/test.p12.test-ec-nist.cert.pem");
	K.bp256 = load_key("generated/keys/brainpoolP256r1.key.pem",
	    "generated/keys/brainpoolP256r1.cert.pem");
	K.other_p256 = load_key("w3c-xmlenc11-interop/EC-P256.key.pem", NULL);
	K.rsa2048 = load_key("w3c-xmlenc11-interop/RSA-2048_SHA256WithRSA.key.pem", NULL);
	if (K.rsa3072 == NULL || K.p256 == NULL || K.bp256 == NULL || K.other_p256 == NULL ||
	    K.rsa2048 == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	eidgw_key_free(K.rsa3072);
	eidgw_key_free(K.p256);
	eidgw_key_free(K.bp256);
	eidgw_key_free(K.other_p256);
	eidgw_key_free(K.rsa2048);
	return 0;
}

static xmlDocPtr
parse_str(const char *s, size_t len)
{
	struct eidgw_diag d;
	xmlDocPtr doc = NULL;

	eidgw_diag_clear(&d);
	assert_int_equal(saml_xml_parse(s, len, 1 << 20, &doc, &d), EIDGW_OK);
	return doc;
}

/* Serialises and parses again: what a peer receives. */
static xmlDocPtr
wire(xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	xmlDocPtr out;
	int len = 0;

	xmlDocDumpMemory(doc, &mem, &len);
	assert_non_null(mem);
	out = parse_str((const char *)mem, (size_t)len);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return out;
}

static xmlNodePtr
find(xmlNodePtr n, const char *ns, const char *name)
{
	xmlNodePtr r;

	for (; n != NULL; n = n->next) {
		if (saml_xml_is(n, ns, name))
			return n;
		if (n->type == XML_ELEMENT_NODE && (r = find(n->children, ns, name)) != NULL)
			return r;
	}
	return NULL;
}

/* Flips one bit of the base64-encoded octets in n's text (at: octet index). */
static void
flip_b64_text(xmlNodePtr n, size_t at)
{
	struct eidgw_buf raw, b64;

	eidgw_buf_init(&raw, 1 << 20);
	eidgw_buf_init(&b64, 1 << 21);
	assert_int_equal(saml_xml_b64(n, &raw), EIDGW_OK);
	assert_true(at < raw.len);
	raw.data[at] ^= 0x01;
	assert_int_equal(eidgw_b64_encode(&b64, raw.data, raw.len, false), EIDGW_OK);
	xmlNodeSetContent(n, (const xmlChar *)b64.data);
	eidgw_buf_free(&raw);
	eidgw_buf_free(&b64);
}

#endif
