/*
 * bench_idp.c - the benchmark's identity provider and key profiles.
 *
 * The Response is written as text (every value is ours, none needs
 * escaping), parsed once with the hardened parser, then signed and
 * encrypted with saml/'s own functions: the IdP side is not under test, it
 * only has to be correct and cheap enough not to be the bottleneck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/x509.h>

#include "bench.h"
#include "core/util.h"
#include "saml/response.h"
#include "saml/xml.h"
#include "saml/xmldsig.h"
#include "saml/xmlenc.h"

#define NS_P  "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_A  "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NP    "http://eidas.europa.eu/attributes/naturalperson/"
#define URIF  "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

static const struct bench_profile profiles[] = {
	{ "eidas", EIDGW_SIG_RSA_PSS_SHA256, EIDGW_SIG_ECDSA_SHA256, OIDC_ALG_ES256, 3072 },
	{ "ec", EIDGW_SIG_ECDSA_SHA256, EIDGW_SIG_ECDSA_SHA256, OIDC_ALG_ES256, 3072 },
	{ "rsa2048", EIDGW_SIG_RSA_PSS_SHA256, EIDGW_SIG_RSA_PSS_SHA256, OIDC_ALG_PS256, 2048 },
};

const struct bench_profile *
bench_profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(profiles); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

static enum eidgw_err
load_one(const char *dir, const char *base, bool cert, int min_rsa, struct eidgw_key **out,
    struct eidgw_diag *d)
{
	char kp[4096], cp[4096];

	(void)snprintf(kp, sizeof(kp), "%s/%s.key", dir, base);
	(void)snprintf(cp, sizeof(cp), "%s/%s.crt", dir, base);
	return eidgw_key_load_pem(kp, cert ? cp : NULL, min_rsa, out, d);
}

enum eidgw_err
bench_keys_load(const char *dir, const struct bench_profile *prof, struct bench_keys *k,
    struct eidgw_diag *d)
{
	enum eidgw_err rc;
	int m = prof->min_rsa_bits;

	memset(k, 0, sizeof(*k));
	k->prof = prof;
	EIDGW_TRY(load_one(dir, "idp", true, m, &k->idp, d));
	EIDGW_TRY(load_one(dir, "md", true, m, &k->md, d));
	EIDGW_TRY(load_one(dir, "sp-sign", true, m, &k->sp_sign, d));
	EIDGW_TRY(load_one(dir, "sp-enc", true, m, &k->sp_enc, d));
	EIDGW_TRY(load_one(dir, "oidc", false, m, &k->oidc, d));
	rc = EIDGW_OK;
out:
	if (rc != EIDGW_OK)
		bench_keys_free(k);
	return rc;
}

void
bench_keys_free(struct bench_keys *k)
{
	if (k == NULL)
		return;
	eidgw_key_free(k->idp);
	eidgw_key_free(k->md);
	eidgw_key_free(k->sp_sign);
	eidgw_key_free(k->sp_enc);
	eidgw_key_free(k->oidc);
	memset(k, 0, sizeof(*k));
}

static const char resp_fmt[] =
    "<saml2p:Response xmlns:saml2p=\"" NS_P "\" xmlns:saml2=\"" NS_A "\""
    " ID=\"_r%016llx%016llx\" Version=\"2.0\" IssueInstant=\"%s\" Destination=\"%s\""
    " InResponseTo=\"%s\">"
    "<saml2:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">%s"
    "</saml2:Issuer>"
    "<saml2p:Status><saml2p:StatusCode Value=\"" SAML_STATUS_SUCCESS "\"/></saml2p:Status>"
    "<saml2:Assertion ID=\"_a%016llx%016llx\" Version=\"2.0\" IssueInstant=\"%s\">"
    "<saml2:Issuer>%s</saml2:Issuer>"
    "<saml2:Subject><saml2:NameID Format=\"" SAML_NAMEID_PERSISTENT "\">"
    BENCH_PID_PREFIX "%llu</saml2:NameID>"
    "<saml2:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
    "<saml2:SubjectConfirmationData InResponseTo=\"%s\" NotOnOrAfter=\"%s\" Recipient=\"%s\"/>"
    "</saml2:SubjectConfirmation></saml2:Subject>"
    "<saml2:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><saml2:AudienceRestriction>"
    "<saml2:Audience>%s</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>"
    "<saml2:AuthnStatement AuthnInstant=\"%s\"><saml2:AuthnContext>"
    "<saml2:AuthnContextClassRef>%s</saml2:AuthnContextClassRef></saml2:AuthnContext>"
    "</saml2:AuthnStatement><saml2:AttributeStatement>"
    "<saml2:Attribute Name=\"" NP "PersonIdentifier\" NameFormat=\"" URIF "\">"
    "<saml2:AttributeValue>" BENCH_PID_PREFIX "%llu</saml2:AttributeValue></saml2:Attribute>"
    "<saml2:Attribute Name=\"" NP "CurrentFamilyName\" NameFormat=\"" URIF "\">"
    "<saml2:AttributeValue>Papadopoulos</saml2:AttributeValue>"
    "<saml2:AttributeValue LatinScript=\"false\">\xce\xa0\xce\xb1\xcf\x80\xce\xb1\xce\xb4"
    "\xcf\x8c\xcf\x80\xce\xbf\xcf\x85\xce\xbb\xce\xbf\xcf\x82</saml2:AttributeValue>"
    "</saml2:Attribute>"
    "<saml2:Attribute Name=\"" NP "CurrentGivenName\" NameFormat=\"" URIF "\">"
    "<saml2:AttributeValue>Eleni</saml2:AttributeValue></saml2:Attribute>"
    "<saml2:Attribute Name=\"" NP "DateOfBirth\" NameFormat=\"" URIF "\">"
    "<saml2:AttributeValue>1970-05-31</saml2:AttributeValue></saml2:Attribute>"
    "</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>";

enum eidgw_err
bench_resp_build(const struct bench_keys *k, const struct bench_resp_params *p,
    struct eidgw_buf *out, struct eidgw_diag *d)
{
	struct eidgw_buf txt;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, iss, as, ais, enc;
	xmlChar *mem = NULL;
	unsigned long long r[4], s = (unsigned long long)p->serial;
	char now[32], nbf[32], noa[32];
	int64_t t = eidgw_now();
	enum eidgw_err rc;
	int size = 0;

	eidgw_buf_init(&txt, 64 * 1024);
	if (eidgw_random(r, sizeof(r)) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_RANDOM, "ids");
	eidgw_time_fmt(t, now);
	eidgw_time_fmt(t - 60, nbf);
	eidgw_time_fmt(t + 300, noa);
	EIDGW_TRY(eidgw_buf_printf(&txt, resp_fmt, r[0], r[1], now, p->acs_url, p->in_response_to,
	    BENCH_IDP_ENTITY, r[2], r[3], now, BENCH_IDP_ENTITY, s, p->in_response_to, noa,
	    p->acs_url, nbf, noa, p->sp_entity_id, now, p->loa, s));
	EIDGW_TRY(saml_xml_parse(txt.data, txt.len, txt.max, &doc, d));
	root = xmlDocGetRootElement(doc);
	iss = saml_xml_child(root, NS_A, "Issuer", NULL);
	as = saml_xml_child(root, NS_A, "Assertion", NULL);
	if (iss == NULL || as == NULL ||
	    (ais = saml_xml_child(as, NS_A, "Issuer", NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_INTERNAL, "template lost its shape");
	if (p->sign_assertion)
		EIDGW_TRY(saml_sig_sign_enveloped(doc, as, "ID", ais, k->idp, k->prof->idp_alg, d));
	if (p->encrypt)
		EIDGW_TRY(saml_encrypt_element(doc, as, k->sp_enc->pub, k->sp_enc->cert, &enc, d));
	EIDGW_TRY(saml_sig_sign_enveloped(doc, root, "ID", iss, k->idp, k->prof->idp_alg, d));
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "serialising");
	EIDGW_TRY(eidgw_buf_append(out, mem, (size_t)size));
	rc = EIDGW_OK;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	eidgw_buf_free(&txt);
	return rc;
}

static const char md_fmt[] =
    "<md:EntityDescriptor xmlns:md=\"" NS_MD "\" xmlns:saml2=\"" NS_A "\""
    " xmlns:mdattr=\"urn:oasis:names:tc:SAML:metadata:attribute\""
    " xmlns:eidas=\"http://eidas.europa.eu/saml-extensions\""
    " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\""
    " ID=\"_md%016llx\" entityID=\"" BENCH_IDP_ENTITY "\" validUntil=\"%s\">"
    "<md:Extensions><mdattr:EntityAttributes><saml2:Attribute"
    " Name=\"urn:oasis:names:tc:SAML:attribute:assurance-certification\""
    " NameFormat=\"" URIF "\"><saml2:AttributeValue>" SAML_LOA_LOW "</saml2:AttributeValue>"
    "<saml2:AttributeValue>" SAML_LOA_SUBSTANTIAL "</saml2:AttributeValue>"
    "<saml2:AttributeValue>" SAML_LOA_HIGH "</saml2:AttributeValue></saml2:Attribute>"
    "</mdattr:EntityAttributes></md:Extensions>"
    "<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\""
    " protocolSupportEnumeration=\"" NS_P "\">"
    "<md:Extensions><eidas:NodeCountry>" BENCH_COUNTRY "</eidas:NodeCountry></md:Extensions>"
    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    "<md:NameIDFormat>" SAML_NAMEID_PERSISTENT "</md:NameIDFormat>"
    "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\""
    " Location=\"" BENCH_IDP_SSO "\"/>"
    "<saml2:Attribute Name=\"" NP "PersonIdentifier\" NameFormat=\"" URIF "\"/>"
    "<saml2:Attribute Name=\"" NP "CurrentFamilyName\" NameFormat=\"" URIF "\"/>"
    "<saml2:Attribute Name=\"" NP "CurrentGivenName\" NameFormat=\"" URIF "\"/>"
    "<saml2:Attribute Name=\"" NP "DateOfBirth\" NameFormat=\"" URIF "\"/>"
    "</md:IDPSSODescriptor></md:EntityDescriptor>";

enum eidgw_err
bench_idp_metadata_write(const struct bench_keys *k, const char *path, struct eidgw_diag *d)
{
	struct eidgw_buf txt, b64;
	xmlDocPtr doc = NULL;
	xmlChar *mem = NULL;
	unsigned char *der = NULL;
	unsigned long long id;
	enum eidgw_sig_alg alg;
	char until[32], tmp[4096];
	enum eidgw_err rc;
	FILE *f = NULL;
	int derlen, size = 0;

	eidgw_buf_init(&txt, 64 * 1024);
	eidgw_buf_init(&b64, 16 * 1024);
	if (k->idp->cert == NULL || (derlen = i2d_X509(k->idp->cert, &der)) <= 0)
		EIDGW_FAIL(d, EIDGW_E_CRYPTO, "IdP certificate");
	EIDGW_TRY(eidgw_b64_encode(&b64, der, (size_t)derlen, false));
	if (eidgw_random(&id, sizeof(id)) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_RANDOM, "id");
	eidgw_time_fmt(eidgw_now() + 7 * 86400, until);
	EIDGW_TRY(eidgw_buf_printf(&txt, md_fmt, id, until, b64.data));
	EIDGW_TRY(saml_xml_parse(txt.data, txt.len, txt.max, &doc, d));
	alg = k->md->type == EIDGW_KEY_EC ? EIDGW_SIG_ECDSA_SHA256 : EIDGW_SIG_RSA_PSS_SHA256;
	EIDGW_TRY(saml_sig_sign_enveloped(doc, xmlDocGetRootElement(doc), "ID", NULL, k->md, alg,
	    d));
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "serialising");
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL || fwrite(mem, 1, (size_t)size, f) != (size_t)size)
		EIDGW_FAIL(d, EIDGW_E_IO, "cannot write %s", tmp);
	if (fclose(f) != 0) {
		f = NULL;
		EIDGW_FAIL(d, EIDGW_E_IO, "cannot write %s", tmp);
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		EIDGW_FAIL(d, EIDGW_E_IO, "cannot rename to %s", path);
	rc = EIDGW_OK;
out:
	if (f != NULL)
		(void)fclose(f);
	OPENSSL_free(der);
	xmlFree(mem);
	xmlFreeDoc(doc);
	eidgw_buf_free(&txt);
	eidgw_buf_free(&b64);
	return rc;
}

uint64_t
bench_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
