#!/usr/bin/python3
"""Checks the demo IdP on its own, before the browser test relies on it.

    idp_selftest.py IDP_URL SP_METADATA_URL CERTS_DIR

Plays the gateway: signs AuthnRequests with the gateway's SAML signing key
(CERTS_DIR/saml-signing.key; pysaml2/xmlsec1 in the IdP verify them) and
reads the answers with the gateway's encryption key through the xmlsec1
binary (independent of the IdP's signing code).  Prints "N passed, N failed".
"""

import base64
import datetime
import html
import os
import re
import secrets
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from lxml import etree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo", "idp"))
import xmlsig  # noqa: E402

IDP, SP_MD_URL, CERTS = sys.argv[1:4]
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "ds": "http://www.w3.org/2000/09/xmldsig#", "xenc": "http://www.w3.org/2001/04/xmlenc#",
      "md": "urn:oasis:names:tc:SAML:2.0:metadata"}
NP = "http://eidas.europa.eu/attributes/naturalperson/"
passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print("ok   - " + name)
    except Exception as e:  # a failed check, whatever raised it
        failed += 1
        print("FAIL - %s: %s" % (name, str(e)[:400]))


def post(path, data):
    req = urllib.request.Request(IDP + path, urllib.parse.urlencode(data).encode())
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


with urllib.request.urlopen(SP_MD_URL, timeout=10) as r:
    sp_md = etree.fromstring(r.read())
SP_ENTITY = sp_md.get("entityID")
ACS = sp_md.find(".//md:AssertionConsumerService", NS).get("Location")
gw_signer = xmlsig.Signer(os.path.join(CERTS, "saml-signing.key"), os.path.join(CERTS, "saml-signing.crt"))
other_signer = xmlsig.Signer(os.path.join(CERTS, "demo-idp.key"), os.path.join(CERTS, "demo-idp.crt"))


def authn_request(loa="http://eidas.europa.eu/LoA/substantial", dest=None, issuer=None, signer=gw_signer,
                  tamper=False, age_s=0):
    rid = "_" + secrets.token_hex(16)
    t = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=age_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = ('<saml2p:AuthnRequest xmlns:saml2p="%s" xmlns:saml2="%s" ID="%s" Version="2.0" IssueInstant="%s" '
           'Destination="%s" ForceAuthn="true" IsPassive="false"><saml2:Issuer>%s</saml2:Issuer>'
           '<saml2p:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>'
           '<saml2p:RequestedAuthnContext Comparison="minimum"><saml2:AuthnContextClassRef>%s</saml2:AuthnContextClassRef>'
           '</saml2p:RequestedAuthnContext></saml2p:AuthnRequest>') % (
        NS["samlp"], NS["saml"], rid, t, dest or IDP + "/sso/post", issuer or SP_ENTITY, loa)
    root = etree.fromstring(xml)
    if signer is not None:
        signer.sign(root, after=root[0])
    if tamper:
        root.set("ForceAuthn", "false")
    return rid, base64.b64encode(etree.tostring(root)).decode()


def login_page(b64, relay="rs-selftest"):
    st, body = post("/sso/post", {"SAMLRequest": b64, "RelayState": relay})
    if st != 200:
        raise AssertionError("IdP answered %d: %s" % (st, re.sub(r"\s+", " ", body)[-200:]))
    return re.search(r'name="handle" value="([^"]+)"', body).group(1), body


def saml_response(body):
    m = re.search(r'name="SAMLResponse" value="([^"]+)"', body)
    assert m, "no SAMLResponse in the answer"
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', body).group(1))
    assert action == ACS, "form posts to %s, not the ACS %s" % (action, ACS)
    return etree.fromstring(base64.b64decode(html.unescape(m.group(1))))


def decrypt(resp):
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(etree.tostring(resp))
        f.flush()
        r = subprocess.run(["xmlsec1", "--decrypt", "--privkey-pem", os.path.join(CERTS, "saml-encryption.key"),
                            f.name], capture_output=True, timeout=20)
    assert r.returncode == 0, "xmlsec1 --decrypt failed: %s" % r.stderr.decode()[-300:]
    return etree.fromstring(r.stdout)


def refused(name, **kw):
    def fn():
        _, b64 = authn_request(**kw)
        st, body = post("/sso/post", {"SAMLRequest": b64})
        assert st == 400, "status %d, want 400" % st
        assert 'name="handle"' not in body, "a login form was shown"
    check("AuthnRequest refused: " + name, fn)


def t_login():
    rid, b64 = authn_request(loa="http://eidas.europa.eu/LoA/high")
    handle, page = login_page(b64)
    assert page.count('name="citizen"') >= 3, "test citizens listed"
    assert re.search(r'value="high" checked', page), "the requested LoA is preselected"
    assert 'lang="el"' in page, "the Greek name is marked lang=el"
    st, body = post("/login", {"handle": handle, "citizen": "eleni", "loa": "high", "action": "login"})
    assert st == 200, "login status %d" % st
    assert 'name="RelayState" value="rs-selftest"' in body, "RelayState returned unchanged"
    resp = saml_response(body)
    assert resp.get("Destination") == ACS and resp.get("InResponseTo") == rid, "Destination/InResponseTo"
    kids = [etree.QName(c).localname for c in resp]
    assert kids[:3] == ["Issuer", "Signature", "Status"], "Response children %s" % kids
    assert resp.find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm").endswith("sha256-rsa-MGF1")
    assert resp.find("ds:Signature/ds:SignedInfo/ds:Reference", NS).get("URI") == "#" + resp.get("ID")
    assert resp.find("saml:Assertion", NS) is None, "no plaintext assertion"
    encs = resp.findall("saml:EncryptedAssertion", NS)
    assert len(encs) == 1, "one EncryptedAssertion"
    algs = [e.get("Algorithm") for e in encs[0].iter("{%s}EncryptionMethod" % NS["xenc"])]
    assert "http://www.w3.org/2009/xmlenc11#aes256-gcm" in algs and \
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" in algs, "algorithms %s" % algs
    a = decrypt(resp).find(".//saml:Assertion", NS)
    assert a is not None, "decrypted assertion"
    assert a.find("ds:Signature", NS) is not None, "assertion signed"
    assert a.find("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS).text == SP_ENTITY, "Audience"
    scd = a.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    assert scd.get("Recipient") == ACS and scd.get("InResponseTo") == rid, "SubjectConfirmationData"
    loa = a.find("saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef", NS).text
    assert loa == "http://eidas.europa.eu/LoA/high", "AuthnContextClassRef %s" % loa
    attrs = {x.get("Name"): x for x in a.iter("{%s}Attribute" % NS["saml"])}
    for n in ("PersonIdentifier", "CurrentFamilyName", "CurrentGivenName", "DateOfBirth"):
        assert NP + n in attrs, "attribute " + n
        assert attrs[NP + n].get("NameFormat") == "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
    assert attrs[NP + "PersonIdentifier"].findtext("saml:AttributeValue", namespaces=NS).startswith("LU/")
    fam = attrs[NP + "CurrentFamilyName"].findall("saml:AttributeValue", NS)
    assert [v.text for v in fam] == ["Papadopoulou", "Παπαδοπούλου"] and fam[1].get("LatinScript") == "false", \
        "family name values with LatinScript=false on the Greek one"
    st, _ = post("/login", {"handle": handle, "citizen": "eleni", "loa": "high", "action": "login"})
    assert st == 400, "a used login handle answers %d, want 400" % st


def t_cancel():
    rid, b64 = authn_request()
    handle, _ = login_page(b64)
    st, body = post("/login", {"handle": handle, "action": "cancel"})
    assert st == 200
    resp = saml_response(body)
    codes = [c.get("Value") for c in resp.iter("{%s}StatusCode" % NS["samlp"])]
    assert codes == ["urn:oasis:names:tc:SAML:2.0:status:Responder",
                     "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"], "status %s" % codes
    assert resp.get("InResponseTo") == rid
    assert resp.find("ds:Signature", NS) is not None, "signed"
    assert resp.find("saml:EncryptedAssertion", NS) is None and resp.find("saml:Assertion", NS) is None


check("signed AuthnRequest -> login page -> signed Response with one encrypted, signed assertion (read by xmlsec1)", t_login)
check("Cancel -> signed Response, Responder/RequestDenied, no assertion", t_cancel)
refused("unsigned", signer=None)
refused("changed after signing", tamper=True)
refused("signed by a key that is not in the SP metadata", signer=other_signer)
refused("Destination is not this IdP", dest="http://127.0.0.1:1/sso/post")
refused("Issuer is not the SP", issuer="http://127.0.0.1:1/other-sp")
refused("IssueInstant 20 minutes old", age_s=1200)
print("%d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 and passed > 0 else 1)
