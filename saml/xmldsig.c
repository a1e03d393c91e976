/*
 * xmldsig.c - XML Signature for the SAML profile on OpenSSL 3 (xmlsec1
 * 1.2.37 cannot verify RSASSA-PSS).  Two verifiers share one core:
 *
 *  - saml_sig_verify_enveloped: the SAML path.  Exactly one Signature child,
 *    exactly one Reference whose URI is "#" + the element's own ID (unique
 *    in the document), transforms exactly enveloped-signature + exclusive
 *    c14n, SignedInfo in exclusive c14n.
 *  - saml_sig_verify_generic: the same algorithms and trust rule with the
 *    reference shapes of the interop vectors (URI="", enveloping ds:Object,
 *    inclusive c14n, the "no Signature" XPath filter).
 *
 * Canonicalisation is libxml2's xmlC14NExecute on the document as parsed
 * (c14n.c).  Keys come only from struct saml_trust; KeyInfo is read for a
 * diagnostic (untrusted signer vs broken signature) and never to verify.
 *
 * Spec: XML Signature 1.1 (https://www.w3.org/TR/xmldsig-core1/), RFC 6931
 * (PSS, ECDSA URIs), eIDAS Crypto Requirements v1.2 section 2 (allow-list).
 */
#include "saml/xmldsig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/util.h"
#include "saml/xml.h"

#define SIG_MAX_BLOB	(64 * 1024)		/* base64-decoded values */
#define SIG_MAX_C14N	(32 * 1024 * 1024)	/* canonical octets of one reference */
#define SIG_MAX_PREFIXES 32
#define SIG_MAX_REFS	8			/* generic verifier only */

#define URI_C14N_INCL	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define URI_XPATH	"http://www.w3.org/TR/1999/REC-xpath-19991116"

struct alg_row {
	const char *uri;
	enum eidgw_sig_alg alg;
};

static const struct alg_row sig_algs[] = {
	{ SAML_ALG_PSS_SHA256, EIDGW_SIG_RSA_PSS_SHA256 },
	{ SAML_ALG_PSS_SHA384, EIDGW_SIG_RSA_PSS_SHA384 },
	{ SAML_ALG_PSS_SHA512, EIDGW_SIG_RSA_PSS_SHA512 },
	{ SAML_ALG_ECDSA_SHA256, EIDGW_SIG_ECDSA_SHA256 },
	{ SAML_ALG_ECDSA_SHA384, EIDGW_SIG_ECDSA_SHA384 },
	{ SAML_ALG_ECDSA_SHA512, EIDGW_SIG_ECDSA_SHA512 },
	{ SAML_ALG_RSA_SHA256, EIDGW_SIG_RSA_PKCS1_SHA256 },
	{ SAML_ALG_RSA_SHA384, EIDGW_SIG_RSA_PKCS1_SHA384 },
	{ SAML_ALG_RSA_SHA512, EIDGW_SIG_RSA_PKCS1_SHA512 },
};

enum eidgw_sig_alg
saml_sig_alg_from_uri(const char *uri)
{
	size_t i;

	if (uri == NULL)
		return EIDGW_SIG_NONE;
	for (i = 0; i < EIDGW_ARRAY_LEN(sig_algs); i++)
		if (strcmp(uri, sig_algs[i].uri) == 0)
			return sig_algs[i].alg;
	return EIDGW_SIG_NONE;
}

const char *
saml_sig_alg_uri(enum eidgw_sig_alg alg)
{
	size_t i;

	for (i = 0; i < EIDGW_ARRAY_LEN(sig_algs); i++)
		if (sig_algs[i].alg == alg)
			return sig_algs[i].uri;
	return NULL;
}

/* Digest URI -> OpenSSL name; SHA-2 >= 256 only (eIDAS crypto requirements). */
static const char *
digest_md(const char *uri)
{
	if (uri == NULL)
		return NULL;
	if (strcmp(uri, SAML_DIGEST_SHA256) == 0)
		return "SHA256";
	if (strcmp(uri, SAML_DIGEST_SHA384) == 0)
		return "SHA384";
	if (strcmp(uri, SAML_DIGEST_SHA512) == 0)
		return "SHA512";
	return NULL;
}

static const char *
digest_uri_for(enum eidgw_sig_alg alg)
{
	const char *md = eidgw_sig_alg_md(alg);

	if (md == NULL)
		return NULL;
	if (strcmp(md, "SHA256") == 0)
		return SAML_DIGEST_SHA256;
	if (strcmp(md, "SHA384") == 0)
		return SAML_DIGEST_SHA384;
	return SAML_DIGEST_SHA512;
}

static bool
alg_is_ecdsa(enum eidgw_sig_alg alg)
{
	return alg == EIDGW_SIG_ECDSA_SHA256 || alg == EIDGW_SIG_ECDSA_SHA384 ||
	    alg == EIDGW_SIG_ECDSA_SHA512;
}

static bool
alg_is_pkcs1(enum eidgw_sig_alg alg)
{
	return alg == EIDGW_SIG_RSA_PKCS1_SHA256 || alg == EIDGW_SIG_RSA_PKCS1_SHA384 ||
	    alg == EIDGW_SIG_RSA_PKCS1_SHA512;
}

/* Policy: the allow-list of eIDAS plus PKCS#1 v1.5 when a scheme needs it. */
static bool
alg_allowed(enum eidgw_sig_alg alg, const struct saml_sig_policy *pol)
{
	if (alg == EIDGW_SIG_NONE || alg == EIDGW_SIG_ED25519)
		return false;
	if (alg_is_pkcs1(alg))
		return pol != NULL && pol->allow_rsa_pkcs1;
	return true;
}

/* ECDSA signature size in XML-DSig: r||s, each ceil(order bits / 8). */
static size_t
ec_half_len(EVP_PKEY *pk)
{
	int bits = EVP_PKEY_get_bits(pk);

	return bits > 0 ? ((size_t)bits + 7) / 8 : 0;
}

/*
 * XML Signature 1.1 section 6.4.3: "the signature value ... is the
 * concatenation of r and s" - OpenSSL wants DER.  Any other length (DER
 * included) is refused.
 */
static enum eidgw_err
ecdsa_rs_to_der(const unsigned char *sig, size_t len, size_t half, unsigned char **der,
    size_t *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = NULL;
	int n;

	*der = NULL;
	*derlen = 0;
	if (half == 0 || len != 2 * half)
		return EIDGW_E_SAML_SIG_VALUE_FORMAT;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + half, (int)half, NULL)) == NULL) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return EIDGW_E_NOMEM;
	}
	(void)ECDSA_SIG_set0(es, r, s);	/* takes r and s */
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return EIDGW_E_CRYPTO;
	*der = p;
	*derlen = (size_t)n;
	return EIDGW_OK;
}

static enum eidgw_err
ecdsa_der_to_rs(const unsigned char *der, size_t len, size_t half, struct eidgw_buf *out)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	unsigned char *rs = NULL;
	enum eidgw_err rc = EIDGW_E_CRYPTO;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return EIDGW_E_CRYPTO;
	ECDSA_SIG_get0(es, &r, &s);
	if (half == 0 || (rs = calloc(2, half)) == NULL) {
		rc = EIDGW_E_NOMEM;
		goto out;
	}
	/* Pad to the full length: leading zero octets are frequent with P-521. */
	if (BN_bn2binpad(r, rs, (int)half) < 0 || BN_bn2binpad(s, rs + half, (int)half) < 0)
		goto out;
	rc = eidgw_buf_append(out, rs, 2 * half);
out:
	free(rs);
	ECDSA_SIG_free(es);
	return rc;
}

/* Whether pk may carry alg under pol: type and minimum size. */
static enum eidgw_err
key_fits(EVP_PKEY *pk, enum eidgw_sig_alg alg, const struct saml_sig_policy *pol)
{
	int id = EVP_PKEY_get_base_id(pk);
	int bits = EVP_PKEY_get_bits(pk);
	int min_rsa = pol != NULL && pol->min_rsa_bits > 0 ? pol->min_rsa_bits : 3072;
	int min_ec = pol != NULL && pol->min_ec_bits > 0 ? pol->min_ec_bits : 256;

	if (alg_is_ecdsa(alg)) {
		if (id != EVP_PKEY_EC)
			return EIDGW_E_SAML_SIG_UNTRUSTED;
		return bits >= min_ec ? EIDGW_OK : EIDGW_E_SAML_SIG_KEY_WEAK;
	}
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
		return EIDGW_E_SAML_SIG_UNTRUSTED;
	return bits >= min_rsa ? EIDGW_OK : EIDGW_E_SAML_SIG_KEY_WEAK;
}

enum eidgw_err
saml_sig_verify_raw(EVP_PKEY *pub, enum eidgw_sig_alg alg, const struct saml_sig_policy *pol,
    const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	enum eidgw_err rc;

	if (pub == NULL)
		return EIDGW_E_INVAL;
	if (!alg_allowed(alg, pol))
		return EIDGW_E_SAML_SIG_ALG;
	if ((rc = key_fits(pub, alg, pol)) != EIDGW_OK)
		return rc;
	if (alg_is_ecdsa(alg)) {
		if ((rc = ecdsa_rs_to_der(sig, siglen, ec_half_len(pub), &der, &derlen)) !=
		    EIDGW_OK)
			return rc;
		sig = der;
		siglen = derlen;
	}
	rc = eidgw_sig_verify(pub, alg, data, len, sig, siglen);
	OPENSSL_free(der);
	if (rc == EIDGW_E_NOMEM)
		return rc;
	return rc == EIDGW_OK ? EIDGW_OK : EIDGW_E_SAML_SIG_INVALID;
}

enum eidgw_err
saml_sig_sign_raw(const struct eidgw_key *key, enum eidgw_sig_alg alg,
    const unsigned char *data, size_t len, struct eidgw_buf *out)
{
	struct eidgw_buf der;
	enum eidgw_err rc;

	if (key == NULL || key->pub == NULL || alg == EIDGW_SIG_NONE ||
	    alg == EIDGW_SIG_ED25519)
		return EIDGW_E_INVAL;
	if (!alg_is_ecdsa(alg))
		return eidgw_key_sign(key, alg, data, len, out);
	eidgw_buf_init(&der, 1024);
	if ((rc = eidgw_key_sign(key, alg, data, len, &der)) == EIDGW_OK)
		rc = ecdsa_der_to_rs((const unsigned char *)der.data, der.len,
		    ec_half_len(key->pub), out);
	eidgw_buf_free(&der);
	return rc;
}

/* ---- parsed Signature ------------------------------------------------ */

struct sig_ref {
	xmlNodePtr node;
	const char *uri;	/* attribute value (owned by the tree copy below) */
	char *uri_owned;
	bool enveloped;
	bool xpath_nosig;
	int c14n_mode;		/* -1: none given (inclusive by default) */
	xmlChar *prefixes[SIG_MAX_PREFIXES + 1];
	const char *md;
	xmlNodePtr digest_value;
	int ntransforms;
};

struct sig_parsed {
	xmlNodePtr sig;
	xmlNodePtr signed_info;
	xmlNodePtr sig_value;
	xmlNodePtr key_info;
	int si_mode;
	xmlChar *si_prefixes[SIG_MAX_PREFIXES + 1];
	enum eidgw_sig_alg alg;
	struct sig_ref refs[SIG_MAX_REFS];
	int nrefs;
};

static void
prefixes_free(xmlChar **p)
{
	size_t i;

	for (i = 0; i < SIG_MAX_PREFIXES && p[i] != NULL; i++) {
		xmlFree(p[i]);
		p[i] = NULL;
	}
}

static void
sig_parsed_free(struct sig_parsed *sp)
{
	int i;

	prefixes_free(sp->si_prefixes);
	for (i = 0; i < sp->nrefs && i < SIG_MAX_REFS; i++) {
		prefixes_free(sp->refs[i].prefixes);
		xmlFree(sp->refs[i].uri_owned);
	}
}

/* Next element sibling starting at n (n itself when it is one). */
static xmlNodePtr
elem_from(xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			return n;
	}
	return NULL;
}

/* Only whitespace text, comments and the listed elements may sit in a node. */
static bool
no_text(const xmlNode *n)
{
	const xmlNode *c;
	const xmlChar *p;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		for (p = c->content; p != NULL && *p != '\0'; p++)
			if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				return false;
	}
	return true;
}

/* InclusiveNamespaces PrefixList (Exclusive XML C14N section 3) into prefixes. */
static enum eidgw_err
parse_prefix_list(xmlNodePtr c14n_el, xmlChar **prefixes, struct eidgw_diag *d)
{
	xmlNodePtr in;
	const char *list, *p, *start;
	enum eidgw_err rc = EIDGW_OK;
	int n = 0, count;

	in = saml_xml_child(c14n_el, SAML_C14N_EXCL, "InclusiveNamespaces", &count);
	if (count > 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "more than one InclusiveNamespaces");
	if (in == NULL)
		goto out;
	if ((list = saml_xml_attr(in, "PrefixList")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "InclusiveNamespaces without PrefixList");
	for (p = list; *p != '\0';) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (n == SIG_MAX_PREFIXES)
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "PrefixList too long");
		if ((prefixes[n] = xmlStrndup((const xmlChar *)start, (int)(p - start))) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "PrefixList");
		n++;
	}
out:
	return rc;
}

/* c14n method URI -> mode; comments variants are not accepted. */
static int
c14n_mode(const char *uri, bool generic)
{
	if (uri == NULL)
		return -1;
	if (strcmp(uri, SAML_C14N_EXCL) == 0)
		return XML_C14N_EXCLUSIVE_1_0;
	if (generic && strcmp(uri, URI_C14N_INCL) == 0)
		return XML_C14N_1_0;
	return -1;
}

/*
 * The XPath filter of the xmlsec vector, "not(ancestor-or-self::P:Signature)"
 * with P bound to the dsig namespace: accepted only in exactly that form
 * (whitespace aside), implemented as "drop every ds:Signature subtree".
 */
static bool
xpath_is_nosig(xmlNodePtr xp)
{
	char *t = saml_xml_text(xp, true), *q;
	const char *pre = "not(ancestor-or-self::", *post = ":Signature)";
	xmlNsPtr ns;
	bool ok = false;
	size_t i, j, plen;

	if (t == NULL)
		return false;
	for (i = j = 0; t[i] != '\0'; i++)	/* drop whitespace */
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
			t[j++] = t[i];
	t[j] = '\0';
	if (strncmp(t, pre, strlen(pre)) != 0)
		goto out;
	q = t + strlen(pre);
	if ((plen = strlen(q)) <= strlen(post) || strcmp(q + plen - strlen(post), post) != 0)
		goto out;
	q[plen - strlen(post)] = '\0';
	ns = xmlSearchNs(xp->doc, xp, (const xmlChar *)q);
	ok = ns != NULL && ns->href != NULL && strcmp((const char *)ns->href, SAML_NS_DSIG) == 0;
out:
	free(t);
	return ok;
}

static enum eidgw_err
parse_reference(xmlNodePtr r, struct sig_ref *ref, bool generic, struct eidgw_diag *d)
{
	xmlNodePtr c, t, tr;
	const char *alg;
	enum eidgw_err rc = EIDGW_OK;
	int mode;

	ref->node = r;
	ref->c14n_mode = -1;
	if (!no_text(r))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "text inside Reference");
	ref->uri_owned = (char *)xmlGetNoNsProp(r, (const xmlChar *)"URI");
	ref->uri = ref->uri_owned;
	c = elem_from(r->children);
	if (saml_xml_is(c, SAML_NS_DSIG, "Transforms")) {
		if (!no_text(c))
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "text inside Transforms");
		for (t = elem_from(c->children); t != NULL; t = elem_from(t->next)) {
			if (!saml_xml_is(t, SAML_NS_DSIG, "Transform"))
				EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED,
				    "unexpected element %.40s in Transforms",
				    (const char *)t->name);
			if ((alg = saml_xml_attr(t, "Algorithm")) == NULL)
				EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED,
				    "Transform without Algorithm");
			ref->ntransforms++;
			/* Octets leave a c14n transform: nothing may follow it. */
			if (ref->c14n_mode >= 0)
				EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
				    "transform %.80s after canonicalisation", alg);
			if (strcmp(alg, SAML_TRANSFORM_ENVELOPED) == 0) {
				if (ref->enveloped || elem_from(t->children) != NULL)
					EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
					    "enveloped-signature repeated or with content");
				ref->enveloped = true;
			} else if ((mode = c14n_mode(alg, generic)) >= 0) {
				ref->c14n_mode = mode;
				if (mode == XML_C14N_EXCLUSIVE_1_0) {
					rc = parse_prefix_list(t, ref->prefixes, d);
					if (rc != EIDGW_OK)
						goto out;
				} else if (elem_from(t->children) != NULL)
					EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
					    "inclusive c14n with parameters");
			} else if (generic && strcmp(alg, URI_XPATH) == 0) {
				tr = saml_xml_child(t, SAML_NS_DSIG, "XPath", NULL);
				if (ref->xpath_nosig || tr == NULL || !xpath_is_nosig(tr))
					EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
					    "XPath filter other than "
					    "not(ancestor-or-self::ds:Signature)");
				ref->xpath_nosig = true;
			} else
				EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
				    "transform %.80s not allowed", alg);
		}
		c = elem_from(c->next);
	}
	if (!saml_xml_is(c, SAML_NS_DSIG, "DigestMethod"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "Reference without DigestMethod");
	alg = saml_xml_attr(c, "Algorithm");
	if ((ref->md = digest_md(alg)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_DIGEST_ALG, "digest %.80s not allowed",
		    alg != NULL ? alg : "(none)");
	if (elem_from(c->children) != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "DigestMethod with content");
	c = elem_from(c->next);
	if (!saml_xml_is(c, SAML_NS_DSIG, "DigestValue"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "Reference without DigestValue");
	ref->digest_value = c;
	if (elem_from(c->next) != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "unexpected element after DigestValue");
out:
	return rc;
}

/* Reads a ds:Signature into sp; structure and algorithm checks only. */
static enum eidgw_err
parse_signature(xmlNodePtr sig, bool generic, const struct saml_sig_policy *pol,
    struct sig_parsed *sp, struct eidgw_diag *d)
{
	xmlNodePtr c, si;
	const char *alg;
	enum eidgw_err rc = EIDGW_OK;

	sp->sig = sig;
	if (!no_text(sig))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "text inside Signature");
	si = elem_from(sig->children);
	if (!saml_xml_is(si, SAML_NS_DSIG, "SignedInfo"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED,
		    "Signature does not start with SignedInfo");
	sp->signed_info = si;
	c = elem_from(si->next);
	if (!saml_xml_is(c, SAML_NS_DSIG, "SignatureValue"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "SignatureValue missing");
	sp->sig_value = c;
	c = elem_from(c->next);
	if (saml_xml_is(c, SAML_NS_DSIG, "KeyInfo")) {
		sp->key_info = c;
		c = elem_from(c->next);
	}
	for (; c != NULL; c = elem_from(c->next)) {
		if (!saml_xml_is(c, SAML_NS_DSIG, "Object"))
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "unexpected %.40s in Signature",
			    (const char *)c->name);
		if (!generic)
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED,
			    "ds:Object in an enveloped signature");
	}

	if (!no_text(si))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "text inside SignedInfo");
	c = elem_from(si->children);
	if (!saml_xml_is(c, SAML_NS_DSIG, "CanonicalizationMethod"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "CanonicalizationMethod missing");
	alg = saml_xml_attr(c, "Algorithm");
	if ((sp->si_mode = c14n_mode(alg, generic)) < 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_C14N,
		    "SignedInfo canonicalisation %.80s not allowed", alg != NULL ? alg : "(none)");
	if (sp->si_mode == XML_C14N_EXCLUSIVE_1_0) {
		if ((rc = parse_prefix_list(c, sp->si_prefixes, d)) != EIDGW_OK)
			goto out;
	} else if (elem_from(c->children) != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_C14N, "inclusive c14n with parameters");

	c = elem_from(c->next);
	if (!saml_xml_is(c, SAML_NS_DSIG, "SignatureMethod"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "SignatureMethod missing");
	alg = saml_xml_attr(c, "Algorithm");
	sp->alg = saml_sig_alg_from_uri(alg);
	if (!alg_allowed(sp->alg, pol))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_ALG, "signature algorithm %.80s not allowed",
		    alg != NULL ? alg : "(none)");
	/* No parameters (HMACOutputLength, RSAPSSParams) for the URIs we accept. */
	if (elem_from(c->children) != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_ALG, "SignatureMethod with parameters");

	for (c = elem_from(c->next); c != NULL; c = elem_from(c->next)) {
		if (!saml_xml_is(c, SAML_NS_DSIG, "Reference"))
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "unexpected %.40s in SignedInfo",
			    (const char *)c->name);
		if (sp->nrefs == (generic ? SIG_MAX_REFS : 1))
			EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MULTIPLE, "more than %d Reference",
			    generic ? SIG_MAX_REFS : 1);
		sp->nrefs++;
		if ((rc = parse_reference(c, &sp->refs[sp->nrefs - 1], generic, d)) != EIDGW_OK)
			goto out;
	}
	if (sp->nrefs == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "SignedInfo without Reference");
out:
	return rc;
}

/* Digest of one reference's node set compared with its DigestValue. */
static enum eidgw_err
check_reference(xmlDocPtr doc, const struct sig_parsed *sp, const struct sig_ref *ref,
    xmlNodePtr target, struct eidgw_diag *d)
{
	struct saml_c14n_set set;
	struct eidgw_buf octets, want;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	enum eidgw_err rc;
	int mode;

	eidgw_buf_init(&octets, SIG_MAX_C14N);
	eidgw_buf_init(&want, SIG_MAX_BLOB);
	memset(&set, 0, sizeof(set));
	set.apex = target;
	set.exclude = ref->enveloped ? sp->sig : NULL;
	set.exclude_all_sigs = ref->xpath_nosig;
	/* XML-DSig 4.4.3.2: a node set left at the end becomes octets by C14N 1.0. */
	mode = ref->c14n_mode >= 0 ? ref->c14n_mode : XML_C14N_1_0;
	rc = saml_c14n(doc, &set, mode, (xmlChar **)(uintptr_t)ref->prefixes, &octets);
	if (rc != EIDGW_OK)
		EIDGW_FAIL(d, rc, "canonicalisation of the referenced content failed");
	if (EVP_Digest(octets.data, octets.len, md, &mdlen, EVP_get_digestbyname(ref->md),
	    NULL) != 1)
		EIDGW_FAIL(d, EIDGW_E_CRYPTO, "digest %s", ref->md);
	if (saml_xml_b64(ref->digest_value, &want) != EIDGW_OK)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MALFORMED, "DigestValue is not base64");
	if (want.len != mdlen || CRYPTO_memcmp(want.data, md, mdlen) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_DIGEST,
		    "digest mismatch for Reference URI \"%.80s\"",
		    ref->uri != NULL ? ref->uri : "");
	rc = EIDGW_OK;
out:
	eidgw_buf_free(&octets);
	eidgw_buf_free(&want);
	return rc;
}

/*
 * Diagnostic only: does KeyInfo carry a certificate whose key is none of
 * the trusted ones?  Then the failure is "untrusted signer", otherwise
 * "invalid signature".  The certificate is never used to verify.
 */
static bool
keyinfo_names_other_key(const struct sig_parsed *sp, const struct saml_trust *trust)
{
	xmlNodePtr x509data, c;
	struct eidgw_buf der;
	const unsigned char *p;
	X509 *cert = NULL;
	EVP_PKEY *pk;
	bool other = false;
	size_t i;

	if (sp->key_info == NULL)
		return false;
	x509data = saml_xml_child(sp->key_info, SAML_NS_DSIG, "X509Data", NULL);
	c = saml_xml_child(x509data, SAML_NS_DSIG, "X509Certificate", NULL);
	if (c == NULL)
		return false;
	eidgw_buf_init(&der, SIG_MAX_BLOB);
	if (saml_xml_b64(c, &der) == EIDGW_OK) {
		p = (const unsigned char *)der.data;
		cert = d2i_X509(NULL, &p, (long)der.len);
	}
	if (cert != NULL && (pk = X509_get0_pubkey(cert)) != NULL) {
		other = true;
		for (i = 0; trust != NULL && i < trust->nkeys; i++)
			if (trust->keys[i] != NULL && EVP_PKEY_eq(pk, trust->keys[i]) == 1)
				other = false;
	}
	X509_free(cert);
	eidgw_buf_free(&der);
	ERR_clear_error();
	return other;
}

/* SignedInfo c14n and the SignatureValue under one of the trusted keys. */
static enum eidgw_err
check_signature_value(xmlDocPtr doc, const struct sig_parsed *sp,
    const struct saml_trust *trust, const struct saml_sig_policy *pol, struct eidgw_diag *d)
{
	struct saml_c14n_set set;
	struct eidgw_buf si, sv;
	enum eidgw_err rc, krc, best = EIDGW_E_SAML_SIG_UNTRUSTED;
	bool tried = false, format_only = true;
	size_t i;

	eidgw_buf_init(&si, SIG_MAX_C14N);
	eidgw_buf_init(&sv, SIG_MAX_BLOB);
	if (saml_xml_b64(sp->sig_value, &sv) != EIDGW_OK || sv.len == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_VALUE_FORMAT, "SignatureValue is not base64");
	memset(&set, 0, sizeof(set));
	set.apex = sp->signed_info;
	rc = saml_c14n(doc, &set, sp->si_mode, (xmlChar **)(uintptr_t)sp->si_prefixes, &si);
	if (rc != EIDGW_OK)
		EIDGW_FAIL(d, rc, "canonicalisation of SignedInfo failed");
	if (trust == NULL || trust->nkeys == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_UNTRUSTED, "no trusted keys configured");
	for (i = 0; i < trust->nkeys; i++) {
		if (trust->keys[i] == NULL)
			continue;
		if ((krc = key_fits(trust->keys[i], sp->alg, pol)) != EIDGW_OK) {
			if (krc == EIDGW_E_SAML_SIG_KEY_WEAK)
				best = krc;
			continue;
		}
		tried = true;
		krc = saml_sig_verify_raw(trust->keys[i], sp->alg, pol,
		    (const unsigned char *)si.data, si.len, (const unsigned char *)sv.data,
		    sv.len);
		if (krc == EIDGW_OK) {
			rc = EIDGW_OK;
			goto out;
		}
		/* A length that fits no trusted key of this type (e.g. DER) is its own error. */
		if (krc != EIDGW_E_SAML_SIG_VALUE_FORMAT)
			format_only = false;
		if (krc == EIDGW_E_NOMEM)
			EIDGW_FAIL(d, krc, "verification");
	}
	if (tried && format_only)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_VALUE_FORMAT, "ECDSA SignatureValue of %zu octets "
		    "is not r||s for any trusted key (DER-encoded value?)", sv.len);
	if (!tried) {
		if (best == EIDGW_E_SAML_SIG_KEY_WEAK)
			EIDGW_FAIL(d, best, "trusted keys for %s are below the minimum size",
			    saml_sig_alg_uri(sp->alg));
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_UNTRUSTED, "no trusted key fits %s",
		    saml_sig_alg_uri(sp->alg));
	}
	if (keyinfo_names_other_key(sp, trust))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_UNTRUSTED,
		    "signed by a key that is not trusted (KeyInfo names another certificate)");
	EIDGW_FAIL(d, EIDGW_E_SAML_SIG_INVALID, "SignatureValue does not verify under "
	    "any trusted key");
out:
	eidgw_buf_free(&si);
	eidgw_buf_free(&sv);
	return rc;
}

/* Resolves a same-document reference: "" is the document, "#id" a unique ID. */
static enum eidgw_err
resolve_uri(xmlDocPtr doc, const char *uri, xmlNodePtr *target, struct eidgw_diag *d)
{
	enum eidgw_err rc = EIDGW_OK;
	int count = 0;

	*target = NULL;
	if (uri == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "Reference without URI");
	if (uri[0] == '\0')
		goto out;	/* whole document, comments excluded */
	if (uri[0] != '#' || uri[1] == '\0' || strncmp(uri, "#xpointer(", 10) == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "Reference URI \"%.80s\" is not "
		    "same-document", uri);
	*target = saml_xml_find_id(doc, uri + 1, &count);
	if (count > 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_DUPLICATE_ID, "ID \"%.80s\" occurs %d times", uri + 1,
		    count);
	if (count == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "no element with ID \"%.80s\"", uri + 1);
out:
	return rc;
}

enum eidgw_err
saml_sig_verify_generic(xmlDocPtr doc, xmlNodePtr sig, const struct saml_trust *trust,
    const struct saml_sig_policy *pol, struct eidgw_diag *d)
{
	struct sig_parsed sp;
	xmlNodePtr target;
	enum eidgw_err rc;
	int i;

	memset(&sp, 0, sizeof(sp));
	if (doc == NULL || !saml_xml_is(sig, SAML_NS_DSIG, "Signature"))
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MISSING, "no ds:Signature given");
	if ((rc = parse_signature(sig, true, pol, &sp, d)) != EIDGW_OK)
		goto out;
	for (i = 0; i < sp.nrefs; i++) {
		if ((rc = resolve_uri(doc, sp.refs[i].uri, &target, d)) != EIDGW_OK)
			goto out;
		if ((rc = check_reference(doc, &sp, &sp.refs[i], target, d)) != EIDGW_OK)
			goto out;
	}
	rc = check_signature_value(doc, &sp, trust, pol, d);
out:
	sig_parsed_free(&sp);
	return rc;
}

enum eidgw_err
saml_sig_verify_enveloped(xmlDocPtr doc, xmlNodePtr elem, const char *id_attr,
    const struct saml_trust *trust, const struct saml_sig_policy *pol,
    struct eidgw_diag *d)
{
	struct sig_parsed sp;
	struct sig_ref *ref;
	xmlNodePtr sig, target;
	enum eidgw_err rc;
	char *id = NULL;
	int count;

	memset(&sp, 0, sizeof(sp));
	if (doc == NULL || elem == NULL || elem->type != XML_ELEMENT_NODE)
		EIDGW_FAIL(d, EIDGW_E_INVAL, "no element to verify");
	sig = saml_xml_child(elem, SAML_NS_DSIG, "Signature", &count);
	if (count == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MISSING, "%.40s is not signed",
		    (const char *)elem->name);
	if (count > 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MULTIPLE, "%.40s has %d Signature children",
		    (const char *)elem->name, count);
	if ((rc = parse_signature(sig, false, pol, &sp, d)) != EIDGW_OK)
		goto out;
	ref = &sp.refs[0];
	/*
	 * SAML core 5.4.2: "The URI attribute ... MUST contain ... the value of
	 * the ID attribute of the root element of the assertion or protocol
	 * message being signed"; 5.4.4: enveloped-signature and exclusive c14n.
	 */
	id = (char *)xmlGetNoNsProp(elem, (const xmlChar *)(id_attr != NULL ? id_attr : "ID"));
	if (id == NULL || *id == '\0')
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "signed element has no %s attribute",
		    id_attr != NULL ? id_attr : "ID");
	(void)saml_xml_find_id(doc, id, &count);
	/* Only "ID"/"Id" are ID attributes here: another id_attr cannot be referenced. */
	if (count == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "%s is not an ID attribute",
		    id_attr != NULL ? id_attr : "ID");
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_DUPLICATE_ID, "ID \"%.80s\" occurs %d times", id, count);
	if (ref->uri == NULL || ref->uri[0] != '#' || strcmp(ref->uri + 1, id) != 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE,
		    "Reference URI \"%.80s\" is not \"#%.80s\"",
		    ref->uri != NULL ? ref->uri : "(none)", id);
	if (ref->ntransforms != 2 || !ref->enveloped || ref->c14n_mode != XML_C14N_EXCLUSIVE_1_0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_TRANSFORM,
		    "transforms must be exactly enveloped-signature then exclusive c14n");
	if (sp.si_mode != XML_C14N_EXCLUSIVE_1_0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_C14N, "SignedInfo must use exclusive c14n");
	if ((rc = resolve_uri(doc, ref->uri, &target, d)) != EIDGW_OK)
		goto out;
	if (target != elem)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "Reference resolves to another element");
	if ((rc = check_reference(doc, &sp, ref, elem, d)) != EIDGW_OK)
		goto out;
	rc = check_signature_value(doc, &sp, trust, pol, d);
out:
	xmlFree(id);
	sig_parsed_free(&sp);
	return rc;
}

/* ---- signing ---------------------------------------------------------- */

static xmlNodePtr
add_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *alg)
{
	xmlNodePtr n = xmlNewChild(parent, ns, (const xmlChar *)name, NULL);

	if (n != NULL && alg != NULL &&
	    xmlNewProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)alg) == NULL)
		return NULL;
	return n;
}

enum eidgw_err
saml_sig_sign_enveloped(xmlDocPtr doc, xmlNodePtr elem, const char *id_attr,
    xmlNodePtr after, const struct eidgw_key *key, enum eidgw_sig_alg alg,
    struct eidgw_diag *d)
{
	struct saml_c14n_set set;
	struct eidgw_buf octets, sigv, b64;
	xmlNodePtr sig = NULL, si, ref, tr, dv, sv, ki, xd;
	xmlNsPtr ns;
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	enum eidgw_err rc;
	char *id = NULL, *uri = NULL;
	size_t urilen;
	int derlen, count;

	eidgw_buf_init(&octets, SIG_MAX_C14N);
	eidgw_buf_init(&sigv, SIG_MAX_BLOB);
	eidgw_buf_init(&b64, SIG_MAX_BLOB);
	if (doc == NULL || elem == NULL || key == NULL || key->pub == NULL)
		EIDGW_FAIL(d, EIDGW_E_INVAL, "nothing to sign or no key");
	if (after != NULL && after->parent != elem)
		EIDGW_FAIL(d, EIDGW_E_INVAL, "`after` is not a child of the signed element");
	if (alg_is_pkcs1(alg) || saml_sig_alg_uri(alg) == NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_ALG, "we do not sign with this algorithm");
	if (saml_xml_child(elem, SAML_NS_DSIG, "Signature", &count) != NULL)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_MULTIPLE, "element is already signed");
	id = (char *)xmlGetNoNsProp(elem, (const xmlChar *)(id_attr != NULL ? id_attr : "ID"));
	if (id == NULL || *id == '\0')
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "element has no ID to reference");
	(void)saml_xml_find_id(doc, id, &count);
	/* Only "ID"/"Id" are ID attributes here: another id_attr cannot be referenced. */
	if (count == 0)
		EIDGW_FAIL(d, EIDGW_E_SAML_SIG_REFERENCE, "%s is not an ID attribute",
		    id_attr != NULL ? id_attr : "ID");
	if (count != 1)
		EIDGW_FAIL(d, EIDGW_E_SAML_DUPLICATE_ID, "ID \"%.80s\" occurs %d times", id, count);
	urilen = strlen(id) + 2;
	if ((uri = malloc(urilen)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "uri");
	(void)snprintf(uri, urilen, "#%s", id);

	/* Build the Signature skeleton first so the enveloped transform can skip it. */
	if ((sig = xmlNewDocNode(doc, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ns = xmlNewNs(sig, (const xmlChar *)SAML_NS_DSIG, (const xmlChar *)"ds")) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "Signature");
	xmlSetNs(sig, ns);
	if ((si = add_el(sig, ns, "SignedInfo", NULL)) == NULL ||
	    add_el(si, ns, "CanonicalizationMethod", SAML_C14N_EXCL) == NULL ||
	    add_el(si, ns, "SignatureMethod", saml_sig_alg_uri(alg)) == NULL ||
	    (ref = add_el(si, ns, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)uri) == NULL ||
	    (tr = add_el(ref, ns, "Transforms", NULL)) == NULL ||
	    add_el(tr, ns, "Transform", SAML_TRANSFORM_ENVELOPED) == NULL ||
	    add_el(tr, ns, "Transform", SAML_C14N_EXCL) == NULL ||
	    add_el(ref, ns, "DigestMethod", digest_uri_for(alg)) == NULL ||
	    (dv = add_el(ref, ns, "DigestValue", NULL)) == NULL ||
	    (sv = add_el(sig, ns, "SignatureValue", NULL)) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "Signature");
	if (key->cert != NULL) {
		if ((derlen = i2d_X509(key->cert, &der)) <= 0)
			EIDGW_FAIL(d, EIDGW_E_CRYPTO, "certificate encoding");
		if ((rc = eidgw_b64_encode(&b64, der, (size_t)derlen, false)) != EIDGW_OK)
			EIDGW_FAIL(d, rc, "certificate base64");
		if ((ki = add_el(sig, ns, "KeyInfo", NULL)) == NULL ||
		    (xd = add_el(ki, ns, "X509Data", NULL)) == NULL ||
		    xmlNewTextChild(xd, ns, (const xmlChar *)"X509Certificate",
		    (const xmlChar *)b64.data) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "KeyInfo");
		eidgw_buf_reset(&b64);
	}
	if (after != NULL) {
		if (xmlAddNextSibling(after, sig) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "insert Signature");
	} else if (elem->children != NULL) {
		if (xmlAddPrevSibling(elem->children, sig) == NULL)
			EIDGW_FAIL(d, EIDGW_E_NOMEM, "insert Signature");
	} else if (xmlAddChild(elem, sig) == NULL)
		EIDGW_FAIL(d, EIDGW_E_NOMEM, "insert Signature");
	/* From here the tree owns sig; on failure it is unlinked and freed below. */

	memset(&set, 0, sizeof(set));
	set.apex = elem;
	set.exclude = sig;
	if ((rc = saml_c14n(doc, &set, XML_C14N_EXCLUSIVE_1_0, NULL, &octets)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "canonicalisation of the signed element");
	if (EVP_Digest(octets.data, octets.len, md, &mdlen,
	    EVP_get_digestbyname(eidgw_sig_alg_md(alg)), NULL) != 1)
		EIDGW_FAIL(d, EIDGW_E_CRYPTO, "digest");
	if ((rc = eidgw_b64_encode(&b64, md, mdlen, false)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "digest base64");
	xmlNodeSetContent(dv, (const xmlChar *)b64.data);	/* base64: nothing to escape */
	eidgw_buf_reset(&b64);
	eidgw_buf_reset(&octets);

	memset(&set, 0, sizeof(set));
	set.apex = si;
	if ((rc = saml_c14n(doc, &set, XML_C14N_EXCLUSIVE_1_0, NULL, &octets)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "canonicalisation of SignedInfo");
	if ((rc = saml_sig_sign_raw(key, alg, (const unsigned char *)octets.data, octets.len,
	    &sigv)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "private-key operation failed (key %s)", key->id);
	if ((rc = eidgw_b64_encode(&b64, sigv.data, sigv.len, false)) != EIDGW_OK)
		EIDGW_FAIL(d, rc, "signature base64");
	xmlNodeSetContent(sv, (const xmlChar *)b64.data);
	sig = NULL;
	rc = EIDGW_OK;
out:
	if (sig != NULL) {
		xmlUnlinkNode(sig);
		xmlFreeNode(sig);
	}
	OPENSSL_free(der);
	xmlFree(id);
	free(uri);
	eidgw_buf_free(&octets);
	eidgw_buf_free(&sigv);
	eidgw_buf_free(&b64);
	return rc;
}
