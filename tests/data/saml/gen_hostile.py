#!/usr/bin/python3
"""Generates tests/data/saml/hostile/: properly signed eIDAS SAML Responses
and hostile variants of them, plus MANIFEST (file, expected error code,
options) that tests/unit/saml/test_response.c replays.

An independent signer: lxml exclusive c14n + python3-cryptography, written
from the XML-DSig spec, sharing no code with saml/.  Needs Debian's
python3-lxml and python3-cryptography.  Deterministic apart from signature
randomness (ECDSA, PSS, GCM IVs); rerun only to change the suite.

Fixed clock: the tests validate at NOW = 2026-01-01T00:05:00Z.
"""
import base64
import copy
import hashlib
import os
import sys

from lxml import etree
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")
OUT = os.path.join(HERE, "hostile")

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENV = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
NP = "http://eidas.europa.eu/attributes/naturalperson/"
URI_FMT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
SAML_NAMEID_X = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

IDP = "https://idp.example.eu/metadata"
ACS = "https://gw.example.org/saml/acs"
SP = "https://gw.example.org/saml/metadata"
REQ = "_0123456789abcdef0123456789abcdef"
T_ISSUE = "2026-01-01T00:04:50Z"
T_NB = "2026-01-01T00:04:00Z"
T_NOA = "2026-01-01T00:10:00Z"

SIG_ALGS = {
    "ecdsa-sha256": ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", hashes.SHA256()),
    "ecdsa-sha1": ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", hashes.SHA1()),
    "rsa-sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", hashes.SHA1()),
    "rsa-md5": ("http://www.w3.org/2001/04/xmldsig-more#rsa-md5", hashes.MD5()),
    "rsa-sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", hashes.SHA256()),
    "pss-sha256": ("http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", hashes.SHA256()),
    "pss-sha512": ("http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1", hashes.SHA512()),
}
DIGESTS = {
    "sha256": ("http://www.w3.org/2001/04/xmlenc#sha256", hashlib.sha256),
    "sha512": ("http://www.w3.org/2001/04/xmlenc#sha512", hashlib.sha512),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#sha1", hashlib.sha1),
    "md5": ("http://www.w3.org/2001/04/xmldsig-more#md5", hashlib.md5),
}


def load_key(name):
    with open(os.path.join(KEYS, name + ".key.pem"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(KEYS, name + ".cert.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return key, cert


def q(ns, name):
    return "{%s}%s" % (ns, name)


def c14n(elem):
    return etree.tostring(elem, method="c14n", exclusive=True, with_comments=False)


def raw_sign(key, alg, data):
    uri, h = SIG_ALGS[alg]
    if alg.startswith("ecdsa"):
        der = key.sign(data, ec.ECDSA(h))
        r, s = decode_dss_signature(der)
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg.startswith("pss"):
        return key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    return key.sign(data, padding.PKCS1v15(), h)


def sign(elem, key, cert=None, alg="ecdsa-sha256", digest="sha256", ref=None):
    """Enveloped signature on elem, inserted after its Issuer."""
    ref = ref if ref is not None else "#" + elem.get("ID")
    dig_uri, dig_fn = DIGESTS[digest]
    digest_value = base64.b64encode(dig_fn(c14n(elem)).digest()).decode()
    sig = etree.Element(q(DS, "Signature"), nsmap={"ds": DS})
    si = etree.SubElement(sig, q(DS, "SignedInfo"))
    etree.SubElement(si, q(DS, "CanonicalizationMethod"), Algorithm=EXC)
    etree.SubElement(si, q(DS, "SignatureMethod"), Algorithm=SIG_ALGS[alg][0])
    r = etree.SubElement(si, q(DS, "Reference"), URI=ref)
    tr = etree.SubElement(r, q(DS, "Transforms"))
    etree.SubElement(tr, q(DS, "Transform"), Algorithm=ENV)
    etree.SubElement(tr, q(DS, "Transform"), Algorithm=EXC)
    etree.SubElement(r, q(DS, "DigestMethod"), Algorithm=dig_uri)
    etree.SubElement(r, q(DS, "DigestValue")).text = digest_value
    sv = etree.SubElement(sig, q(DS, "SignatureValue"))
    if cert is not None:
        ki = etree.SubElement(sig, q(DS, "KeyInfo"))
        xd = etree.SubElement(ki, q(DS, "X509Data"))
        etree.SubElement(xd, q(DS, "X509Certificate")).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode()
    issuer = elem.find(q(SAML, "Issuer"))
    if issuer is not None:
        issuer.addnext(sig)
    else:
        elem.insert(0, sig)
    sv.text = base64.b64encode(raw_sign(key, alg, c14n(si))).decode()
    return sig


def attr(stmt, name, *values, latin=None):
    a = etree.SubElement(stmt, q(SAML, "Attribute"), Name=name, NameFormat=URI_FMT)
    for v in values:
        av = etree.SubElement(a, q(SAML, "AttributeValue"))
        av.text = v
    if latin is not None:
        av = etree.SubElement(a, q(SAML, "AttributeValue"), LatinScript="false")
        av.text = latin
    return a


def base(**kw):
    """A valid Response tree (assertion in plaintext, nothing signed yet)."""
    o = dict(destination=ACS, irt=REQ, issuer=IDP, a_issuer=None, recipient=ACS,
             sc_irt=REQ, audience=SP, nb=T_NB, noa=T_NOA, sc_noa=T_NOA,
             loa="http://eidas.europa.eu/LoA/substantial", pid="BE/DE/1234567890",
             nameid="BE/DE/1234567890", status="urn:oasis:names:tc:SAML:2.0:status:Success",
             sub_status=None, with_assertion=True, dob="1970-05-31", issue=T_ISSUE,
             resp_id="_resp000000000000000000000000001", a_id="_asrt000000000000000000000000001")
    o.update(kw)
    nsmap = {"saml2p": SAMLP, "saml2": SAML}
    resp = etree.Element(q(SAMLP, "Response"), nsmap=nsmap)
    for k, v in (("ID", o["resp_id"]), ("Version", "2.0"), ("IssueInstant", o["issue"]),
                 ("Destination", o["destination"]), ("InResponseTo", o["irt"])):
        if v is not None:
            resp.set(k, v)
    iss = etree.SubElement(resp, q(SAML, "Issuer"),
                           Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity")
    iss.text = o["issuer"]
    st = etree.SubElement(resp, q(SAMLP, "Status"))
    sc = etree.SubElement(st, q(SAMLP, "StatusCode"), Value=o["status"])
    if o["sub_status"]:
        etree.SubElement(sc, q(SAMLP, "StatusCode"), Value=o["sub_status"])
    if not o["with_assertion"]:
        return resp
    a = etree.SubElement(resp, q(SAML, "Assertion"), ID=o["a_id"], Version="2.0",
                         IssueInstant=o["issue"])
    etree.SubElement(a, q(SAML, "Issuer")).text = o["a_issuer"] or o["issuer"]
    subj = etree.SubElement(a, q(SAML, "Subject"))
    nid = etree.SubElement(subj, q(SAML, "NameID"),
                           Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    nid.text = o["nameid"]
    scf = etree.SubElement(subj, q(SAML, "SubjectConfirmation"),
                           Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
    etree.SubElement(scf, q(SAML, "SubjectConfirmationData"), InResponseTo=o["sc_irt"],
                     NotOnOrAfter=o["sc_noa"], Recipient=o["recipient"])
    cond = etree.SubElement(a, q(SAML, "Conditions"), NotBefore=o["nb"], NotOnOrAfter=o["noa"])
    ar = etree.SubElement(cond, q(SAML, "AudienceRestriction"))
    etree.SubElement(ar, q(SAML, "Audience")).text = o["audience"]
    ast = etree.SubElement(a, q(SAML, "AuthnStatement"), AuthnInstant=o["issue"])
    ac = etree.SubElement(ast, q(SAML, "AuthnContext"))
    etree.SubElement(ac, q(SAML, "AuthnContextClassRef")).text = o["loa"]
    stmt = etree.SubElement(a, q(SAML, "AttributeStatement"))
    attr(stmt, NP + "PersonIdentifier", o["pid"])
    attr(stmt, NP + "CurrentFamilyName", "Papadopoulos", latin="Παπαδόπουλος")
    attr(stmt, NP + "CurrentGivenName", "Eleni")
    if o["dob"] is not None:
        attr(stmt, NP + "DateOfBirth", o["dob"])
    return resp


def assertion(resp):
    return resp.find(q(SAML, "Assertion"))


def encrypt_assertion(resp, cert):
    """xmlenc11 RSA-OAEP (SHA-256, MGF1-SHA-256) + AES-256-GCM, as an EC node does."""
    a = assertion(resp)
    plain = etree.tostring(a)
    cek = AESGCM.generate_key(256)
    iv = os.urandom(12)
    ct = AESGCM(cek).encrypt(iv, plain, None)
    wrapped = cert.public_key().encrypt(cek, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    ea = etree.Element(q(SAML, "EncryptedAssertion"))
    ed = etree.SubElement(ea, q(XENC, "EncryptedData"), nsmap={"xenc": XENC},
                          Type="http://www.w3.org/2001/04/xmlenc#Element")
    etree.SubElement(ed, q(XENC, "EncryptionMethod"), Algorithm=XENC11 + "aes256-gcm")
    ki = etree.SubElement(ed, q(DS, "KeyInfo"), nsmap={"ds": DS})
    ek = etree.SubElement(ki, q(XENC, "EncryptedKey"))
    em = etree.SubElement(ek, q(XENC, "EncryptionMethod"), Algorithm=XENC11 + "rsa-oaep")
    etree.SubElement(em, q(DS, "DigestMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(em, q(XENC11, "MGF"), nsmap={"xenc11": XENC11},
                     Algorithm=XENC11 + "mgf1sha256")
    cd = etree.SubElement(ek, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(wrapped).decode()
    cd = etree.SubElement(ed, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(iv + ct).decode()
    a.addprevious(ea)
    resp.remove(a)


def encrypt_assertion_ecdh(resp, cert):
    """As a default EC node with an EC recipient: ECDH-ES on the recipient's
    curve, ConcatKDF (SHA-256; AlgorithmID/PartyUInfo/PartyVInfo "0000", i.e.
    a zero padding-bits octet then one zero octet each), kw-aes256, AES-256-GCM."""
    from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap
    a = assertion(resp)
    plain = etree.tostring(a)
    cek = AESGCM.generate_key(256)
    iv = os.urandom(12)
    ct = AESGCM(cek).encrypt(iv, plain, None)
    peer = cert.public_key()
    eph = ec.generate_private_key(peer.curve)
    z = eph.exchange(ec.ECDH(), peer)
    kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=b"\x00" * 3).derive(z)
    wrapped = aes_key_wrap(kek, cek)
    point = eph.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    DS11 = "http://www.w3.org/2009/xmldsig11#"
    ea = etree.Element(q(SAML, "EncryptedAssertion"))
    ed = etree.SubElement(ea, q(XENC, "EncryptedData"), nsmap={"xenc": XENC},
                          Type="http://www.w3.org/2001/04/xmlenc#Element")
    etree.SubElement(ed, q(XENC, "EncryptionMethod"), Algorithm=XENC11 + "aes256-gcm")
    ki = etree.SubElement(ed, q(DS, "KeyInfo"), nsmap={"ds": DS})
    ek = etree.SubElement(ki, q(XENC, "EncryptedKey"))
    etree.SubElement(ek, q(XENC, "EncryptionMethod"), Algorithm=XENC + "kw-aes256")
    eki = etree.SubElement(ek, q(DS, "KeyInfo"))
    am = etree.SubElement(eki, q(XENC, "AgreementMethod"), Algorithm=XENC11 + "ECDH-ES")
    kdm = etree.SubElement(am, q(XENC11, "KeyDerivationMethod"), nsmap={"xenc11": XENC11},
                           Algorithm=XENC11 + "ConcatKDF")
    kp = etree.SubElement(kdm, q(XENC11, "ConcatKDFParams"), AlgorithmID="0000",
                          PartyUInfo="0000", PartyVInfo="0000")
    etree.SubElement(kp, q(DS, "DigestMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    oki = etree.SubElement(am, q(XENC, "OriginatorKeyInfo"))
    kv = etree.SubElement(oki, q(DS, "KeyValue"))
    eckv = etree.SubElement(kv, q(DS11, "ECKeyValue"), nsmap={"ds11": DS11})
    etree.SubElement(eckv, q(DS11, "NamedCurve"), URI="urn:oid:1.3.36.3.3.2.8.1.1.7")
    etree.SubElement(eckv, q(DS11, "PublicKey")).text = base64.b64encode(point).decode()
    rki = etree.SubElement(am, q(XENC, "RecipientKeyInfo"))
    xd = etree.SubElement(rki, q(DS, "X509Data"))
    etree.SubElement(xd, q(DS, "X509Certificate")).text = base64.b64encode(
        cert.public_bytes(serialization.Encoding.DER)).decode()
    cd = etree.SubElement(ek, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(wrapped).decode()
    cd = etree.SubElement(ed, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(iv + ct).decode()
    a.addprevious(ea)
    resp.remove(a)


def inject_comment(elem, split):
    """Splits elem's text with an empty comment: exclusive c14n (no comments)
    is unchanged, so the signature still verifies."""
    text = elem.text
    elem.text = text[:split]
    c = etree.Comment("")
    c.tail = text[split:]
    elem.insert(0, c)


def main():
    os.makedirs(OUT, exist_ok=True)
    idp, idp_cert = load_key("idp-sign")
    idp_rsa, _ = load_key("idp-rsa")
    evil, evil_cert = load_key("evil")
    _, enc_cert = load_key("sp-enc")
    _, enc_bp_cert = load_key("sp-enc-bp256")
    cases = []

    def emit(name, tree_or_bytes, expect, *opts):
        data = tree_or_bytes if isinstance(tree_or_bytes, bytes) else \
            etree.tostring(tree_or_bytes, xml_declaration=True, encoding="UTF-8")
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        cases.append((name, expect, opts))

    def signed(resp=None, sign_assertion=False, **kw):
        resp = resp if resp is not None else base(**kw)
        if sign_assertion:
            sign(assertion(resp), idp, idp_cert)
        sign(resp, idp, idp_cert)
        return resp

    OK = "EIDGW_OK"
    # ---- accepted ----
    emit("valid.xml", signed(), OK, "replay")
    emit("valid-assertion-signed.xml", signed(sign_assertion=True), OK, "assertion_sig_required")
    r = base()
    sign(r, idp_rsa, None, alg="pss-sha512", digest="sha512")
    emit("valid-pss-sha512.xml", r, OK, "trust_rsa")
    r = base()
    encrypt_assertion(r, enc_cert)
    sign(r, idp, idp_cert)
    emit("valid-encrypted.xml", r, OK, "enc_required")
    # as a default EC eIDAS-Node builds them: RSA-PSS SHA-512 Response signature,
    # assertion signed too, AES-256-GCM with xmlenc11 RSA-OAEP (SHA-256/MGF1-SHA-256) ...
    r = base()
    sign(assertion(r), idp_rsa, None, alg="pss-sha512", digest="sha512")
    encrypt_assertion(r, enc_cert)
    sign(r, idp_rsa, None, alg="pss-sha512", digest="sha512")
    emit("ec-node-style-pss512-rsa-oaep.xml", r, OK, "trust_rsa", "enc_required",
         "assertion_sig_required")
    # ... and with ECDH-ES on brainpoolP256r1 + ConcatKDF + kw-aes256
    r = base()
    encrypt_assertion_ecdh(r, enc_bp_cert)
    sign(r, idp_rsa, None, alg="pss-sha512", digest="sha512")
    emit("ec-node-style-pss512-ecdh-es-bp256.xml", r, OK, "trust_rsa", "enc_required")
    # comment injection: the value must be read whole
    r = signed()
    inject_comment(assertion(r).find(q(SAML, "Subject")).find(q(SAML, "NameID")), 5)
    emit("comment-nameid.xml", r, OK, "name_id=BE/DE/1234567890")
    r = signed()
    pid = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']/{%s}AttributeValue"
                            % (SAML, NP, SAML))
    inject_comment(pid, 9)
    emit("comment-pid.xml", r, OK, "pid=BE/DE/1234567890")

    # ---- signatures ----
    r = base()
    emit("sig-stripped.xml", r, "EIDGW_E_SAML_SIG_MISSING")
    r = base()
    sign(r, evil, evil_cert)
    emit("sig-untrusted-embedded-cert.xml", r, "EIDGW_E_SAML_SIG_UNTRUSTED")
    r = base()
    sign(r, idp_rsa, None, alg="rsa-sha1", digest="sha1")
    emit("sig-rsa-sha1.xml", r, "EIDGW_E_SAML_SIG_ALG", "trust_rsa")
    r = base()
    sign(r, idp_rsa, None, alg="rsa-md5", digest="md5")
    emit("sig-rsa-md5.xml", r, "EIDGW_E_SAML_SIG_ALG", "trust_rsa")
    r = base()
    sign(r, idp, idp_cert, alg="ecdsa-sha1", digest="sha256")
    emit("sig-ecdsa-sha1.xml", r, "EIDGW_E_SAML_SIG_ALG")
    r = base()
    sign(r, idp, idp_cert, alg="ecdsa-sha256", digest="sha1")
    emit("sig-digest-sha1.xml", r, "EIDGW_E_SAML_SIG_DIGEST_ALG")
    r = base()
    sign(r, idp_rsa, None, alg="rsa-sha256")
    emit("sig-rsa-pkcs1.xml", r, "EIDGW_E_SAML_SIG_ALG", "trust_rsa")
    r = signed()
    assertion(r).find(q(SAML, "Subject")).find(q(SAML, "NameID")).text = "BE/DE/999"
    emit("sig-tampered-nameid.xml", r, "EIDGW_E_SAML_SIG_DIGEST")
    r = base()
    sign(r, idp, idp_cert, ref="")
    emit("sig-reference-empty.xml", r, "EIDGW_E_SAML_SIG_REFERENCE")
    r = base()
    sign(r, idp, idp_cert, ref="#" + assertion(r).get("ID"))
    emit("sig-reference-assertion.xml", r, "EIDGW_E_SAML_SIG_REFERENCE")
    r = base()
    sign(assertion(r), idp, idp_cert)
    emit("sig-assertion-only.xml", r, "EIDGW_E_SAML_SIG_MISSING")
    emit("sig-assertion-only-allowed.xml", copy.deepcopy(r), OK, "aso")

    # ---- the eight XML signature-wrapping variants (McIntosh/Somorovsky) ----
    # XSW1: a forged Response as the root, the signed original inside its Signature.
    orig = signed()
    forged = base(resp_id="_forged00000000000000000000000001", pid="BE/DE/EVIL", nameid="BE/DE/EVIL",
                  a_id="_forgedasrt000000000000000000001")
    sig = copy.deepcopy(orig.find(q(DS, "Signature")))
    sig.append(orig)
    forged.find(q(SAML, "Issuer")).addnext(sig)
    emit("xsw1.xml", forged, "EIDGW_E_SAML_SIG_MALFORMED")
    # XSW2: as XSW1 but the original as a sibling before the Signature.
    orig = signed()
    forged = base(resp_id="_forged00000000000000000000000002", pid="BE/DE/EVIL", nameid="BE/DE/EVIL",
                  a_id="_forgedasrt000000000000000000002")
    sig = copy.deepcopy(orig.find(q(DS, "Signature")))
    forged.find(q(SAML, "Issuer")).addnext(sig)
    sig.addprevious(orig)
    emit("xsw2.xml", forged, "EIDGW_E_SAML_UNEXPECTED")
    # XSW3-8 attack the assertion signature: run with the Response unsigned
    # and "assertion signature only" allowed, the weakest policy we offer.
    def aso_base():
        r = base()
        sign(assertion(r), idp, idp_cert)
        return r
    # XSW3: forged assertion (new ID) inserted before the signed one.
    r = aso_base()
    ev = copy.deepcopy(assertion(r))
    ev.set("ID", "_evil00000000000000000000000003")
    ev.remove(ev.find(q(DS, "Signature")))
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    assertion(r).addprevious(ev)
    emit("xsw3.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # XSW4: forged assertion wraps the signed one.
    r = aso_base()
    a = assertion(r)
    ev = copy.deepcopy(a)
    ev.set("ID", "_evil00000000000000000000000004")
    ev.remove(ev.find(q(DS, "Signature")))
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    a.addprevious(ev)
    r.remove(a)
    ev.append(a)
    emit("xsw4.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # XSW5: forged assertion carries a copy of the signature; original appended to the Response.
    r = aso_base()
    a = assertion(r)
    ev = copy.deepcopy(a)
    ev.set("ID", "_evil00000000000000000000000005")
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    a.addprevious(ev)
    r.remove(a)
    r.append(a)
    emit("xsw5.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # XSW6: forged assertion with the signature; the original inside that Signature.
    r = aso_base()
    a = assertion(r)
    ev = copy.deepcopy(a)
    ev.set("ID", "_evil00000000000000000000000006")
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    a.addprevious(ev)
    r.remove(a)
    a.remove(a.find(q(DS, "Signature")))
    ev.find(q(DS, "Signature")).append(a)
    emit("xsw6.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # XSW7: original inside an Extensions element, forged assertion unsigned.
    r = aso_base()
    a = assertion(r)
    ev = copy.deepcopy(a)
    ev.set("ID", "_evil00000000000000000000000007")
    ev.remove(ev.find(q(DS, "Signature")))
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    r.remove(a)
    ext.append(a)
    r.append(ev)
    emit("xsw7.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # XSW8: forged assertion's Signature holds ds:Object with the original (signature removed).
    r = aso_base()
    a = assertion(r)
    ev = copy.deepcopy(a)
    ev.set("ID", "_evil00000000000000000000000008")
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    a.addprevious(ev)
    r.remove(a)
    a.remove(a.find(q(DS, "Signature")))
    obj = etree.SubElement(ev.find(q(DS, "Signature")), q(DS, "Object"))
    obj.append(a)
    emit("xsw8.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # same-ID wrapping: forged assertion with the original's ID next to it
    r = signed()
    ev = copy.deepcopy(assertion(r))
    ev.find(".//{%s}NameID" % SAML).text = "BE/DE/EVIL"
    assertion(r).addprevious(ev)
    emit("xsw-same-id.xml", r, "EIDGW_E_SAML_DUPLICATE_ID")

    # ---- protocol checks (each properly signed) ----
    emit("expired.xml", signed(noa="2026-01-01T00:01:00Z"), "EIDGW_E_SAML_EXPIRED")
    emit("sc-expired.xml", signed(sc_noa="2026-01-01T00:01:00Z"), "EIDGW_E_SAML_SC_EXPIRED")
    emit("not-yet-valid.xml", signed(nb="2026-01-01T00:09:00Z"), "EIDGW_E_SAML_NOT_YET_VALID")
    emit("issue-instant-future.xml", signed(issue="2026-01-01T01:00:00Z"),
         "EIDGW_E_SAML_ISSUE_INSTANT")
    emit("issue-instant-old.xml", signed(issue="2025-12-31T00:00:00Z"),
         "EIDGW_E_SAML_ISSUE_INSTANT")
    emit("wrong-audience.xml", signed(audience="https://other.example/sp"),
         "EIDGW_E_SAML_AUDIENCE")
    emit("wrong-recipient.xml", signed(recipient="https://other.example/acs"),
         "EIDGW_E_SAML_RECIPIENT")
    emit("wrong-destination.xml", signed(destination="https://other.example/acs"),
         "EIDGW_E_SAML_DESTINATION")
    emit("missing-destination.xml", signed(destination=None), "EIDGW_E_SAML_DESTINATION")
    emit("wrong-issuer.xml", signed(issuer="https://other-idp.example/md"), "EIDGW_E_SAML_ISSUER")
    emit("wrong-assertion-issuer.xml", signed(a_issuer="https://other-idp.example/md"),
         "EIDGW_E_SAML_ASSERTION_ISSUER")
    emit("wrong-in-response-to.xml", signed(irt="_ffffffffffffffffffffffffffffffff"),
         "EIDGW_E_SAML_IN_RESPONSE_TO")
    emit("unsolicited.xml", signed(irt=None), "EIDGW_E_SAML_IN_RESPONSE_TO")
    emit("wrong-sc-in-response-to.xml", signed(sc_irt="_ffffffffffffffffffffffffffffffff"),
         "EIDGW_E_SAML_SC_IN_RESPONSE_TO")
    emit("loa-too-low.xml", signed(loa="http://eidas.europa.eu/LoA/low"), "EIDGW_E_SAML_LOA")
    emit("loa-non-notified.xml", signed(loa="http://eidas.europa.eu/NotNotified/LoA/high"),
         "EIDGW_E_SAML_LOA")
    emit("loa-high-ok.xml", signed(loa="http://eidas.europa.eu/LoA/high"), OK)
    emit("status-denied.xml", signed(with_assertion=False,
         status="urn:oasis:names:tc:SAML:2.0:status:Responder",
         sub_status="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"), "EIDGW_E_SAML_STATUS_DENIED")
    emit("status-requester.xml", signed(with_assertion=False,
         status="urn:oasis:names:tc:SAML:2.0:status:Requester"), "EIDGW_E_SAML_STATUS_REQUESTER")
    emit("no-assertion.xml", signed(with_assertion=False), "EIDGW_E_SAML_ASSERTION_COUNT")
    r = base()
    second = copy.deepcopy(assertion(r))
    second.set("ID", "_asrt000000000000000000000000002")
    r.append(second)
    emit("two-assertions.xml", signed(r), "EIDGW_E_SAML_ASSERTION_COUNT")
    r = base()
    ext = etree.Element(q(SAMLP, "Extensions"), ID=assertion(r).get("ID"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    emit("duplicate-id.xml", signed(r), "EIDGW_E_SAML_DUPLICATE_ID")
    emit("plaintext-where-encryption-required.xml", signed(), "EIDGW_E_SAML_ENC_REQUIRED",
         "enc_required")
    emit("assertion-signature-required.xml", signed(), "EIDGW_E_SAML_ASSERTION_SIG_REQUIRED",
         "assertion_sig_required")

    # ---- structure of Response and Assertion (each signed after the change) ----
    def variant(name, expect, change, *opts, sign_assertion=False):
        r = base()
        change(r)
        emit(name, signed(r, sign_assertion=sign_assertion), expect, *opts)

    def a_(r, path):
        return assertion(r).find(path)

    variant("version-1.1.xml", "EIDGW_E_SAML_VERSION", lambda r: r.set("Version", "1.1"))
    variant("assertion-version-1.1.xml", "EIDGW_E_SAML_VERSION",
            lambda r: assertion(r).set("Version", "1.1"))
    variant("bad-id.xml", "EIDGW_E_SAML_ID", lambda r: assertion(r).set("ID", "1abc"))
    variant("status-missing.xml", "EIDGW_E_SAML_STATUS_MALFORMED",
            lambda r: r.remove(r.find(q(SAMLP, "Status"))))
    def swap(r):
        st = r.find(q(SAMLP, "Status"))
        r.remove(st)
        r.insert(0, st)
    variant("children-out-of-order.xml", "EIDGW_E_SAML_UNEXPECTED", swap)
    def text_in_response(r):
        r.find(q(SAMLP, "Status")).tail = "injected"
    variant("text-in-response.xml", "EIDGW_E_SAML_UNEXPECTED", text_in_response)
    variant("issuer-format.xml", "EIDGW_E_SAML_ISSUER",
            lambda r: r.find(q(SAML, "Issuer")).set("Format", SAML_NAMEID_X))
    def unknown_condition(r):
        c = etree.SubElement(a_(r, q(SAML, "Conditions")), q(SAML, "Condition"))
        c.set("{http://www.w3.org/2001/XMLSchema-instance}type", "x:Custom")
    variant("unknown-condition.xml", "EIDGW_E_SAML_CONDITIONS", unknown_condition)
    variant("conditions-missing.xml", "EIDGW_E_SAML_CONDITIONS",
            lambda r: assertion(r).remove(a_(r, q(SAML, "Conditions"))))
    variant("conditions-no-noa.xml", "EIDGW_E_SAML_CONDITIONS",
            lambda r: a_(r, q(SAML, "Conditions")).attrib.pop("NotOnOrAfter"))
    def two_audiences(r):
        ar = etree.SubElement(a_(r, q(SAML, "Conditions")), q(SAML, "AudienceRestriction"))
        etree.SubElement(ar, q(SAML, "Audience")).text = "https://other.example/sp"
    variant("audience-second-restriction.xml", "EIDGW_E_SAML_AUDIENCE", two_audiences)
    def onetimeuse(r):
        etree.SubElement(a_(r, q(SAML, "Conditions")), q(SAML, "OneTimeUse"))
    variant("onetimeuse-ok.xml", OK, onetimeuse)
    variant("sc-method.xml", "EIDGW_E_SAML_SUBJECT_CONFIRMATION",
            lambda r: a_(r, ".//" + q(SAML, "SubjectConfirmation")).set(
                "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"))
    variant("sc-notbefore.xml", "EIDGW_E_SAML_SUBJECT_CONFIRMATION",
            lambda r: a_(r, ".//" + q(SAML, "SubjectConfirmationData")).set("NotBefore", T_NB))
    def two_sc(r):
        sc = a_(r, ".//" + q(SAML, "SubjectConfirmation"))
        sc.addnext(copy.deepcopy(sc))
    variant("sc-two.xml", "EIDGW_E_SAML_SUBJECT_CONFIRMATION", two_sc)
    variant("nameid-format-email.xml", "EIDGW_E_SAML_NAMEID",
            lambda r: a_(r, ".//" + q(SAML, "NameID")).set(
                "Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"))
    def nameid_missing(r):
        n = a_(r, ".//" + q(SAML, "NameID"))
        n.getparent().remove(n)
    variant("nameid-missing.xml", "EIDGW_E_SAML_NAMEID", nameid_missing)
    def nameid_empty(r):
        a_(r, ".//" + q(SAML, "NameID")).text = "  "
    variant("nameid-empty.xml", "EIDGW_E_SAML_NAMEID", nameid_empty)
    def advice(r):
        a_(r, q(SAML, "Conditions")).addnext(etree.Element(q(SAML, "Advice")))
    variant("advice.xml", "EIDGW_E_SAML_UNEXPECTED", advice)
    def two_authn(r):
        s = a_(r, q(SAML, "AuthnStatement"))
        s.addnext(copy.deepcopy(s))
    variant("two-authn-statements.xml", "EIDGW_E_SAML_AUTHN_STATEMENT", two_authn)
    variant("authn-instant-future.xml", "EIDGW_E_SAML_AUTHN_INSTANT",
            lambda r: a_(r, q(SAML, "AuthnStatement")).set("AuthnInstant", "2026-01-01T00:30:00Z"))
    def no_classref(r):
        c = a_(r, ".//" + q(SAML, "AuthnContextClassRef"))
        c.getparent().remove(c)
    variant("loa-missing.xml", "EIDGW_E_SAML_LOA", no_classref)
    variant("no-attribute-statement.xml", "EIDGW_E_SAML_ATTR_STATEMENT",
            lambda r: assertion(r).remove(a_(r, q(SAML, "AttributeStatement"))))
    def dup_attr(r):
        at = a_(r, ".//" + q(SAML, "Attribute"))
        at.addnext(copy.deepcopy(at))
    variant("attribute-repeated.xml", "EIDGW_E_SAML_ATTR_INVALID", dup_attr)
    def sig_in_extensions(r):
        ext = etree.Element(q(SAMLP, "Extensions"))
        etree.SubElement(ext, q(DS, "Signature"), nsmap={"ds": DS})
        r.find(q(SAML, "Issuer")).addnext(ext)
    variant("signature-in-extensions.xml", "EIDGW_E_SAML_SIG_MULTIPLE", sig_in_extensions)
    r = base()
    sign(assertion(r), evil, evil_cert)
    emit("assertion-sig-untrusted.xml", signed(r), "EIDGW_E_SAML_SIG_UNTRUSTED")
    emit("unsigned-aso.xml", base(), "EIDGW_E_SAML_ASSERTION_SIG_REQUIRED", "aso")

    # ---- attribute profile ----
    emit("pid-wrong-country.xml", signed(pid="FR/DE/1234"), "EIDGW_E_SAML_PID_COUNTRY")
    emit("pid-whitespace.xml", signed(pid="BE/DE/12 34"), "EIDGW_E_SAML_ATTR_INVALID")
    emit("pid-too-long.xml", signed(pid="BE/DE/" + "A" * 251), "EIDGW_E_SAML_ATTR_INVALID")
    emit("dob-invalid.xml", signed(dob="1970-02-30"), "EIDGW_E_SAML_ATTR_INVALID")
    emit("dob-missing.xml", signed(dob=None), "EIDGW_E_SAML_ATTR_MISSING")
    r = base()
    stmt = assertion(r).find(q(SAML, "AttributeStatement"))
    etree.SubElement(stmt, q(SAML, "EncryptedAttribute"))
    emit("encrypted-attribute.xml", signed(r), "EIDGW_E_SAML_ATTR_ENCRYPTED")
    r = base()
    stmt = assertion(r).find(q(SAML, "AttributeStatement"))
    attr(stmt, NP + "representative/PersonIdentifier", "BE/DE/42")
    emit("representative.xml", signed(r), "EIDGW_E_SAML_ATTR_REPRESENTATIVE")

    # ---- parser ----
    valid = open(os.path.join(OUT, "valid.xml"), "rb").read()
    body = valid.split(b"?>", 1)[1]
    emit("doctype.xml", b'<?xml version="1.0"?>\n<!DOCTYPE Response []>' + body,
         "EIDGW_E_SAML_XML_DOCTYPE")
    emit("xxe.xml", b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b'<r>&x;</r>', "EIDGW_E_SAML_XML_DOCTYPE")
    lol = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
        for i in range(1, 10))
    emit("billion-laughs.xml", b'<?xml version="1.0"?>\n<!DOCTYPE r [' + lol + b']><r>&l9;</r>',
         "EIDGW_E_SAML_XML_DOCTYPE")
    emit("truncated.xml", valid[: len(valid) // 2], "EIDGW_E_SAML_XML_MALFORMED")
    emit("oversized.xml", valid, "EIDGW_E_SAML_XML_TOO_LARGE", "max=2048")
    emit("not-response.xml", b'<?xml version="1.0"?><r xmlns="urn:x"/>', "EIDGW_E_SAML_NOT_RESPONSE")
    emit("deep.xml", b"<a>" * 200 + b"</a>" * 200, "EIDGW_E_SAML_XML_TOO_DEEP")

    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("# file expected-code [options]; generated by ../gen_hostile.py\n")
        f.write("# options: replay (2nd run must be EIDGW_E_SAML_REPLAY), aso (unsigned Response\n"
                "# allowed when the assertion is signed), enc_required, assertion_sig_required,\n"
                "# trust_rsa (trust idp-rsa too), max=N (size cap), name_id=V, pid=V (expected values)\n")
        for name, expect, opts in cases:
            f.write(" ".join([name, expect] + list(opts)) + "\n")
    print("%d cases" % len(cases))


if __name__ == "__main__":
    sys.exit(main())
