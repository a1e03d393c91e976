#!/usr/bin/python3
"""Generates tests/data/saml/attacks/: a second hostile suite, built on the
helpers of gen_hostile.py (same keys, clock, identities), aimed at the attack
classes a hostile-input suite for a SAML SP tries and that hostile/ does not
cover yet: more wrapping shapes, ID-attribute games, transform and c14n
swaps, algorithm downgrades, KeyInfo tricks, namespace tricks, clock
boundaries, status/assertion mixes, and XML-Enc abuse (CBC, rsa-1_5, tampered
GCM, wrong key sizes, invalid ECDH points, RetrievalMethod, CipherReference,
hostile plaintexts).

Every message is built from a valid one with python3-lxml and
python3-cryptography (no code shared with saml/), then signed with the test
IdP key so that it reaches the check under attack.  Writes attacks/MANIFEST
in the format of hostile/MANIFEST (file, expected code, options), replayed
by tests/unit/saml/test_response.c at 2026-01-01T00:05:00Z.

Run: /usr/bin/python3 tests/data/saml/gen_attacks.py
"""
import base64
import copy
import hashlib
import hmac
import os
import sys

from lxml import etree
from cryptography.hazmat.primitives import hashes, padding as sympad, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_hostile as gh  # noqa: E402

from gen_hostile import (DS, SAML, SAMLP, XENC, XENC11, EXC, ENV, NP,  # noqa: E402
                         q, c14n, base, sign, assertion, raw_sign, load_key)

OUT = os.path.join(HERE, "attacks")
DS11 = "http://www.w3.org/2009/xmldsig11#"
INCL = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
INCL_C = INCL + "#WithComments"
EXC_C = EXC + "WithComments"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
B64T = "http://www.w3.org/2000/09/xmldsig#base64"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
OK = "EIDGW_OK"


def sign_custom(elem, key, cert=None, alg="ecdsa-sha256", ref=None, transforms=(ENV, EXC),
                si_c14n=EXC, digest_uri=SHA256, sig_method=None, after_issuer=True):
    """Enveloped signature with chosen transforms / c14n / URIs.  The digest
    is computed the standard way (exclusive c14n of elem without the
    signature), so only the attacked field differs from a good signature."""
    ref = ref if ref is not None else "#" + elem.get("ID")
    digest_value = base64.b64encode(hashlib.sha256(c14n(elem)).digest()).decode()
    sig = etree.Element(q(DS, "Signature"), nsmap={"ds": DS})
    si = etree.SubElement(sig, q(DS, "SignedInfo"))
    etree.SubElement(si, q(DS, "CanonicalizationMethod"), Algorithm=si_c14n)
    etree.SubElement(si, q(DS, "SignatureMethod"),
                     Algorithm=sig_method or gh.SIG_ALGS[alg][0])
    r = etree.SubElement(si, q(DS, "Reference"), URI=ref)
    if transforms is not None:
        tr = etree.SubElement(r, q(DS, "Transforms"))
        for t in transforms:
            if isinstance(t, tuple):
                t_el = etree.SubElement(tr, q(DS, "Transform"), Algorithm=t[0])
                t[1](t_el)
            else:
                etree.SubElement(tr, q(DS, "Transform"), Algorithm=t)
    etree.SubElement(r, q(DS, "DigestMethod"), Algorithm=digest_uri)
    etree.SubElement(r, q(DS, "DigestValue")).text = digest_value
    sv = etree.SubElement(sig, q(DS, "SignatureValue"))
    if cert is not None:
        ki = etree.SubElement(sig, q(DS, "KeyInfo"))
        xd = etree.SubElement(ki, q(DS, "X509Data"))
        etree.SubElement(xd, q(DS, "X509Certificate")).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode()
    issuer = elem.find(q(SAML, "Issuer"))
    if issuer is not None and after_issuer:
        issuer.addnext(sig)
    else:
        elem.insert(0, sig)
    if si_c14n in (INCL, INCL_C):
        data = etree.tostring(si, method="c14n", exclusive=False,
                              with_comments=si_c14n == INCL_C)
    else:
        data = c14n(si)
    sv.text = base64.b64encode(raw_sign(key, alg, data)).decode()
    return sig


def gcm_encrypt(plain, cek):
    iv = os.urandom(12)
    return iv + AESGCM(cek).encrypt(iv, plain, None)


def encrypted_assertion(plain, cert, content_alg="aes256-gcm", cek=None, ct=None,
                        kt="rsa-oaep", wrapped=None, ed_type="#Element", extra=None):
    """An EncryptedAssertion around plain (bytes) for an RSA recipient;
    every part can be replaced to build a hostile variant."""
    cek = cek if cek is not None else AESGCM.generate_key(256)
    if ct is None:
        ct = gcm_encrypt(plain, cek)
    if wrapped is None:
        wrapped = cert.public_key().encrypt(cek, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    ea = etree.Element(q(SAML, "EncryptedAssertion"), nsmap={"saml2": SAML})
    ed = etree.SubElement(ea, q(XENC, "EncryptedData"), nsmap={"xenc": XENC},
                          Type="http://www.w3.org/2001/04/xmlenc" + ed_type)
    cm = content_alg if content_alg.startswith("http") else XENC11 + content_alg
    etree.SubElement(ed, q(XENC, "EncryptionMethod"), Algorithm=cm)
    ki = etree.SubElement(ed, q(DS, "KeyInfo"), nsmap={"ds": DS})
    ek = etree.SubElement(ki, q(XENC, "EncryptedKey"))
    em = etree.SubElement(ek, q(XENC, "EncryptionMethod"),
                          Algorithm=kt if kt.startswith("http") else XENC11 + kt)
    if kt == "rsa-oaep":
        etree.SubElement(em, q(DS, "DigestMethod"), Algorithm=SHA256)
        etree.SubElement(em, q(XENC11, "MGF"), nsmap={"xenc11": XENC11},
                         Algorithm=XENC11 + "mgf1sha256")
    cd = etree.SubElement(ek, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(wrapped).decode()
    cd = etree.SubElement(ed, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(ct).decode()
    if extra is not None:
        extra(ea, ed, ki, ek, em)
    return ea


def ecdh_encrypted_assertion(plain, cert, point=None, curve_oid="1.3.36.3.3.2.8.1.1.7",
                             eph_curve=None, kdf_digest=SHA256, keep_eph=False):
    cek = AESGCM.generate_key(256)
    ct = gcm_encrypt(plain, cek)
    peer = cert.public_key()
    eph = ec.generate_private_key(eph_curve or peer.curve)
    if eph_curve is None:
        z = eph.exchange(ec.ECDH(), peer)
        kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32,
                            otherinfo=b"\x00" * 3).derive(z)
    else:
        kek = os.urandom(32)
    wrapped = aes_key_wrap(kek, cek)
    if point is None:
        point = eph.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    ea = etree.Element(q(SAML, "EncryptedAssertion"), nsmap={"saml2": SAML})
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
    etree.SubElement(kp, q(DS, "DigestMethod"), Algorithm=kdf_digest)
    oki = etree.SubElement(am, q(XENC, "OriginatorKeyInfo"))
    kv = etree.SubElement(oki, q(DS, "KeyValue"))
    eckv = etree.SubElement(kv, q(DS11, "ECKeyValue"), nsmap={"ds11": DS11})
    etree.SubElement(eckv, q(DS11, "NamedCurve"), URI="urn:oid:" + curve_oid)
    etree.SubElement(eckv, q(DS11, "PublicKey")).text = base64.b64encode(point).decode()
    cd = etree.SubElement(ek, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(wrapped).decode()
    cd = etree.SubElement(ed, q(XENC, "CipherData"))
    etree.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(ct).decode()
    if keep_eph:
        return ea, eph
    return ea


def replace_assertion(resp, new):
    a = assertion(resp)
    a.addprevious(new)
    resp.remove(a)


def main():
    os.makedirs(OUT, exist_ok=True)
    idp, idp_cert = load_key("idp-sign")
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

    def nameid(r):
        return assertion(r).find(".//{%s}NameID" % SAML)

    def evil_copy(a, suffix, nid="BE/DE/EVIL"):
        ev = copy.deepcopy(a)
        ev.set("ID", "_evil0000000000000000000000000" + suffix)
        s = ev.find(q(DS, "Signature"))
        if s is not None:
            ev.remove(s)
        ev.find(".//{%s}NameID" % SAML).text = nid
        ev.find(".//{%s}Attribute[@Name='%sPersonIdentifier']/{%s}AttributeValue"
                % (SAML, NP, SAML)).text = nid
        return ev

    # ======== signature wrapping, beyond hostile/xsw1-8 ========
    # signed Response; an unsigned forged assertion hidden in samlp:Extensions
    r = base()
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    ext.append(evil_copy(assertion(r), "01"))
    sign(r, idp, idp_cert)
    emit("xsw-evil-in-extensions.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT")
    # the genuine signed Response moved into ds:Object of a forged unsigned Response
    good = signed()
    r = base(nameid="BE/DE/EVIL", resp_id="_evilresp00000000000000000000001")
    sig = copy.deepcopy(good.find(q(DS, "Signature")))
    r.find(q(SAML, "Issuer")).addnext(sig)
    obj = etree.SubElement(sig, q(DS, "Object"))
    obj.append(good)
    # (the genuine assertion's ID now occurs twice: refused before any signature work)
    emit("xsw-response-in-object.xml", r, "EIDGW_E_SAML_DUPLICATE_ID")
    good = signed()
    for a in good.iter(q(SAML, "Assertion")):
        a.set("ID", "_moved000000000000000000000000001")
    r = base(nameid="BE/DE/EVIL", resp_id="_evilresp00000000000000000000002")
    sig = copy.deepcopy(good.find(q(DS, "Signature")))
    r.find(q(SAML, "Issuer")).addnext(sig)
    obj = etree.SubElement(sig, q(DS, "Object"))
    obj.append(good)
    emit("xsw-response-in-object-unique-ids.xml", r, "EIDGW_E_SAML_SIG_MALFORMED")
    # signed assertion (aso) whose Advice carries a forged assertion
    r = base()
    a = assertion(r)
    adv = etree.Element(q(SAML, "Advice"))
    a.find(q(SAML, "Conditions")).addnext(adv)
    adv.append(evil_copy(a, "02"))
    sign(a, idp, idp_cert)
    emit("xsw-evil-in-advice.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # forged assertion before and after the signed one, Response signed
    r = base()
    a = assertion(r)
    a.addprevious(evil_copy(a, "03"))
    sign(r, idp, idp_cert)
    emit("xsw-unsigned-before.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT")
    r = base()
    a = assertion(r)
    a.addnext(evil_copy(a, "04"))
    sign(r, idp, idp_cert)
    emit("xsw-unsigned-after.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT")
    # assertion signature (aso) copied onto a forged assertion that names the original ID
    r = base()
    a = assertion(r)
    sign(a, idp, idp_cert)
    ev = evil_copy(a, "05")
    ev.insert(1, copy.deepcopy(a.find(q(DS, "Signature"))))
    r.remove(a)
    r.append(ev)
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    holder = etree.SubElement(ext, "{urn:x-evil}Holder")
    holder.append(a)
    emit("xsw-sig-refers-elsewhere.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "aso")
    # Response signature whose Reference names the Status (an element we do not consume)
    r = base()
    r.find(q(SAMLP, "Status")).set("ID", "_status000000000000000000000001")
    sign_custom(r, idp, idp_cert, ref="#_status000000000000000000000001")
    emit("ref-to-status.xml", r, "EIDGW_E_SAML_SIG_REFERENCE")
    # Reference by the Response's "Id" (a second ID-like attribute), not "ID"
    r = base()
    r.set("Id", "_otherid00000000000000000000001")
    sign_custom(r, idp, idp_cert, ref="#_otherid00000000000000000000001")
    emit("ref-by-Id-attribute.xml", r, "EIDGW_E_SAML_SIG_REFERENCE")
    # the Response ID repeated as Id / AssertionID / xml:id elsewhere
    for attrname, fname in (("Id", "dup-id-as-Id.xml"), ("AssertionID", "dup-id-as-AssertionID.xml"),
                            ("{http://www.w3.org/XML/1998/namespace}id", "dup-id-as-xml-id.xml")):
        r = base()
        nameid(r).set(attrname, "_resp000000000000000000000000001")
        sign(r, idp, idp_cert)
        emit(fname, r, "EIDGW_E_SAML_DUPLICATE_ID")
    # xml:id on the Response equal to the reference, ID different
    r = base()
    r.set("{http://www.w3.org/XML/1998/namespace}id", "_xmlid000000000000000000000001")
    sign_custom(r, idp, idp_cert, ref="#_xmlid000000000000000000000001")
    emit("ref-by-xml-id.xml", r, "EIDGW_E_SAML_SIG_REFERENCE")
    # external / XPointer / empty-fragment references
    for uri, fname in (("https://evil.example/resp.xml", "ref-external-http.xml"),
                       ("file:///etc/passwd", "ref-external-file.xml"),
                       ("#xpointer(/)", "ref-xpointer-root.xml"),
                       ("#xpointer(id('_resp000000000000000000000000001'))", "ref-xpointer-id.xml"),
                       ("#", "ref-empty-fragment.xml")):
        r = base()
        sign_custom(r, idp, idp_cert, ref=uri)
        emit(fname, r, "EIDGW_E_SAML_SIG_REFERENCE")

    # ======== transforms and canonicalisation ========
    def xpath_param(t):
        xp = etree.SubElement(t, q(DS, "XPath"))
        xp.text = "not(ancestor-or-self::ds:Signature)"

    def xslt_param(t):
        st = etree.SubElement(t, "{http://www.w3.org/1999/XSL/Transform}stylesheet",
                              version="1.0")
        etree.SubElement(st, "{http://www.w3.org/1999/XSL/Transform}template", match="/")

    for tr, fname in (((ENV, (XPATH, xpath_param), EXC), "transform-xpath.xml"),
                      ((ENV, (XSLT, xslt_param), EXC), "transform-xslt.xml"),
                      ((ENV, B64T, EXC), "transform-base64.xml"),
                      ((ENV, INCL), "transform-inclusive-c14n.xml"),
                      ((ENV, EXC_C), "transform-exc-c14n-with-comments.xml"),
                      ((ENV, INCL_C), "transform-inclusive-with-comments.xml"),
                      ((EXC, ENV), "transform-order-swapped.xml"),
                      ((ENV, ENV, EXC), "transform-enveloped-twice.xml"),
                      ((EXC,), "transform-no-enveloped.xml"),
                      ((ENV,), "transform-no-c14n.xml"),
                      ((ENV, EXC, EXC), "transform-c14n-twice.xml"),
                      (None, "transform-none.xml")):
        r = base()
        sign_custom(r, idp, idp_cert, transforms=tr)
        emit(fname, r, "EIDGW_E_SAML_SIG_TRANSFORM")
    for c, fname in ((INCL, "si-c14n-inclusive.xml"), (INCL_C, "si-c14n-inclusive-comments.xml"),
                     (EXC_C, "si-c14n-exc-comments.xml"),
                     ("http://www.w3.org/2006/12/xml-c14n11", "si-c14n-11.xml")):
        r = base()
        sign_custom(r, idp, idp_cert, si_c14n=c)
        emit(fname, r, "EIDGW_E_SAML_SIG_C14N")

    # ======== algorithm downgrades and KeyInfo ========
    r = base()
    sign_custom(r, idp, idp_cert, digest_uri="http://www.w3.org/2001/04/xmldsig-more#md5")
    emit("digest-md5.xml", r, "EIDGW_E_SAML_SIG_DIGEST_ALG")
    r = base()
    sign_custom(r, idp, idp_cert, digest_uri="http://www.w3.org/2001/04/xmldsig-more#sha224")
    emit("digest-sha224.xml", r, "EIDGW_E_SAML_SIG_DIGEST_ALG")
    # HMAC keyed with the (public) certificate the message itself carries
    for meth, fname in (("http://www.w3.org/2000/09/xmldsig#hmac-sha1", "sig-hmac-sha1.xml"),
                        ("http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
                         "sig-hmac-sha256.xml")):
        r = base()
        s = sign_custom(r, idp, idp_cert, sig_method=meth)
        key = idp_cert.public_bytes(serialization.Encoding.DER)
        s.find(q(DS, "SignatureValue")).text = base64.b64encode(
            hmac.new(key, c14n(s.find(q(DS, "SignedInfo"))), hashlib.sha256).digest()).decode()
        emit(fname, r, "EIDGW_E_SAML_SIG_ALG")
    r = base()
    sign_custom(r, idp, idp_cert, sig_method="http://www.w3.org/2000/09/xmldsig#dsa-sha1")
    emit("sig-dsa-sha1.xml", r, "EIDGW_E_SAML_SIG_ALG")
    r = base()
    sign_custom(r, idp, idp_cert, sig_method="http://www.w3.org/2007/05/xmldsig-more#rsa-pss")
    emit("sig-generic-rsa-pss.xml", r, "EIDGW_E_SAML_SIG_ALG")
    # valid signature, KeyInfo carries an attacker certificate: KeyInfo is ignored
    r = base()
    sign_custom(r, idp, evil_cert)
    emit("keyinfo-attacker-cert-ignored.xml", r, OK)
    # valid signature, KeyInfo with a RetrievalMethod / KeyName pointing elsewhere: ignored
    r = base()
    s = sign_custom(r, idp, None)
    ki = etree.SubElement(s, q(DS, "KeyInfo"))
    etree.SubElement(ki, q(DS, "RetrievalMethod"), URI="https://evil.example/key.der",
                     Type="http://www.w3.org/2000/09/xmldsig#rawX509Certificate")
    etree.SubElement(ki, q(DS, "KeyName")).text = "evil"
    emit("keyinfo-retrieval-ignored.xml", r, OK)
    # signed by the attacker key, KeyInfo names the trusted certificate
    r = base()
    sign_custom(r, evil, idp_cert)
    emit("sig-evil-key-trusted-keyinfo.xml", r, "EIDGW_E_SAML_SIG_INVALID")
    # two Signature children on the Response
    r = signed()
    r.find(q(DS, "Signature")).addnext(copy.deepcopy(r.find(q(DS, "Signature"))))
    # (the schema order check sees the repeated Signature child first)
    emit("two-response-signatures.xml", r, "EIDGW_E_SAML_UNEXPECTED")
    # two References in one SignedInfo (second pointing at the assertion)
    r = base()
    s = sign_custom(r, idp, idp_cert)
    ref2 = copy.deepcopy(s.find(".//{%s}Reference" % DS))
    ref2.set("URI", "#" + assertion(r).get("ID"))
    s.find(q(DS, "SignedInfo")).append(ref2)
    emit("two-references.xml", r, "EIDGW_E_SAML_SIG_MULTIPLE")
    # a signature inside Status and one inside the assertion's Subject
    r = base()
    r.find(q(SAMLP, "Status")).append(copy.deepcopy(signed().find(q(DS, "Signature"))))
    sign(r, idp, idp_cert)
    emit("signature-in-status.xml", r, "EIDGW_E_SAML_SIG_MULTIPLE")
    r = base()
    assertion(r).find(q(SAML, "Subject")).append(
        copy.deepcopy(signed().find(q(DS, "Signature"))))
    sign(r, idp, idp_cert)
    emit("signature-in-subject.xml", r, "EIDGW_E_SAML_SIG_MULTIPLE")
    # DER-encoded ECDSA value
    r = base()
    s = sign_custom(r, idp, idp_cert)
    der = idp.sign(c14n(s.find(q(DS, "SignedInfo"))), ec.ECDSA(hashes.SHA256()))
    s.find(q(DS, "SignatureValue")).text = base64.b64encode(der).decode()
    emit("sig-ecdsa-der.xml", r, "EIDGW_E_SAML_SIG_VALUE_FORMAT")
    # SignatureValue / DigestValue with wrapped lines (allowed) and not base64
    r = signed()
    sv = r.find(".//{%s}SignatureValue" % DS)
    sv.text = "\n".join(sv.text[i:i + 20] for i in range(0, len(sv.text), 20)) + "\r\n"
    emit("sigvalue-wrapped-lines.xml", r, OK)
    r = signed()
    sv = r.find(".//{%s}SignatureValue" % DS)
    sv.text = sv.text[:-4] + "!!!!"
    emit("sigvalue-not-base64.xml", r, "EIDGW_E_SAML_SIG_VALUE_FORMAT")
    r = signed()
    dv = r.find(".//{%s}DigestValue" % DS)
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = dv.text[42]
    dv.text = dv.text[:42] + b64[b64.index(last) ^ 1] + "="	# non-zero leftover bits
    emit("digestvalue-non-canonical.xml", r, "EIDGW_E_SAML_SIG_MALFORMED")

    # ======== comments, PIs, CDATA, XInclude, entities ========
    r = base(nameid="user@evil.com.example.org")
    n = nameid(r)
    n.text = "user@evil.com"
    c = etree.Comment("")
    c.tail = ".example.org"
    n.append(c)
    sign(r, idp, idp_cert)
    emit("comment-truncation-nameid.xml", r, OK, "name_id=user@evil.com.example.org")
    r = base()
    n = nameid(r)
    n.text = "BE/DE/12345"
    pi = etree.ProcessingInstruction("x", "y")
    pi.tail = "67890"
    n.append(pi)
    sign(r, idp, idp_cert)
    emit("pi-in-nameid.xml", r, OK, "name_id=BE/DE/1234567890")
    r = base()
    iss = assertion(r).find(q(SAML, "Issuer"))
    iss.text = "https://idp.example.eu"
    c = etree.Comment("x")
    c.tail = "/metadata"
    iss.append(c)
    sign(r, idp, idp_cert)
    emit("comment-in-assertion-issuer.xml", r, OK)
    r = base(loa="http://eidas.europa.eu/LoA/high")
    ref = assertion(r).find(".//{%s}AuthnContextClassRef" % SAML)
    ref.text = "http://eidas.europa.eu/LoA/"
    c = etree.Comment("")
    c.tail = "low"
    ref.append(c)
    sign(r, idp, idp_cert)
    emit("comment-in-loa-reads-low.xml", r, "EIDGW_E_SAML_LOA")
    # XInclude in NameID and an AttributeValue: never processed, an element child is refused
    r = base()
    xi = etree.SubElement(nameid(r), "{http://www.w3.org/2001/XInclude}include",
                          href="file:///etc/passwd", parse="text")
    xi.tail = ""
    sign(r, idp, idp_cert)
    emit("xinclude-in-nameid.xml", r, "EIDGW_E_SAML_NAMEID")
    r = base()
    av = assertion(r).find(".//{%s}Attribute[@Name='%sCurrentGivenName']/{%s}AttributeValue"
                           % (SAML, NP, SAML))
    av.text = None
    etree.SubElement(av, "{http://www.w3.org/2001/XInclude}include", href="file:///etc/passwd",
                     parse="text")
    sign(r, idp, idp_cert)
    emit("xinclude-in-attribute.xml", r, "EIDGW_E_SAML_ATTR_INVALID")
    valid = etree.tostring(signed(), xml_declaration=True, encoding="UTF-8")
    body = valid.split(b"?>", 1)[1]
    emit("entity-ref-undeclared.xml", valid.replace(b">BE/DE/1234567890<", b">&xxe;<", 1),
         "EIDGW_E_SAML_XML_MALFORMED")
    emit("doctype-after-decl.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n'
         b'<!DOCTYPE saml2p:Response SYSTEM "https://evil.example/x.dtd">' + body,
         "EIDGW_E_SAML_XML_DOCTYPE")
    emit("doctype-parameter-entity.xml", b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p '
         b'SYSTEM "https://evil.example/p.dtd"> %p;]>' + body, "EIDGW_E_SAML_XML_DOCTYPE")
    emit("doctype-no-decl.xml", b'<!DOCTYPE r [<!ENTITY a "b">]>' + body,
         "EIDGW_E_SAML_XML_DOCTYPE")

    # ======== encodings ========
    emit("invalid-utf8.xml", valid.replace(b"Eleni", b"El\xc3\x28ni", 1),
         "EIDGW_E_SAML_XML_MALFORMED")
    emit("overlong-utf8.xml", valid.replace(b"Eleni", b"El\xc0\xafni", 1),
         "EIDGW_E_SAML_XML_MALFORMED")
    emit("encoding-latin1.xml", b"<?xml version='1.0' encoding='ISO-8859-1'?>" + body,
         "EIDGW_E_SAML_XML_ENCODING")
    emit("encoding-utf16-declared.xml", body.decode("utf-8").join(
        ['<?xml version="1.0" encoding="UTF-16"?>', ""]).encode("utf-16"),
        "EIDGW_E_SAML_XML_ENCODING")
    emit("encoding-utf16-bom-only.xml", body.lstrip().decode("utf-8").encode("utf-16"),
         "EIDGW_E_SAML_XML_ENCODING")
    emit("encoding-utf16le-bom-only.xml", body.lstrip().decode("utf-8").encode("utf-16-le"),
         "EIDGW_E_SAML_XML_MALFORMED")
    emit("encoding-utf8-bom-ok.xml", b"\xef\xbb\xbf" + valid, OK)
    emit("nul-byte.xml", valid.replace(b"Eleni", b"El\x00ni", 1), "EIDGW_E_SAML_XML_MALFORMED")

    # ======== namespace tricks ========
    # the "saml2" prefix redeclared to another namespace on the assertion
    r = base()
    a = assertion(r)
    xml = etree.tostring(r).replace(b"<saml2:Assertion ", b'<saml2:Assertion xmlns:saml2="urn:evil" ', 1)
    r = etree.fromstring(xml)
    sign(r, idp, idp_cert)
    emit("prefix-redefined-assertion.xml", r, "EIDGW_E_SAML_UNEXPECTED")
    # the same message written with default namespaces and odd prefixes: accepted
    r = base()
    xml = etree.tostring(r).replace(b"saml2p:", b"p:").replace(b"xmlns:saml2p=", b"xmlns:p=")
    xml = xml.replace(b"saml2:", b"").replace(b"xmlns:saml2=", b"xmlns=")
    r = etree.fromstring(xml)
    sign(r, idp, idp_cert)
    emit("default-namespace-ok.xml", r, OK)
    # an Attribute element in another namespace that looks like SAML
    r = base()
    st = assertion(r).find(q(SAML, "AttributeStatement"))
    fake = etree.SubElement(st, "{urn:oasis:names:tc:SAML:2.0:assertion-evil}Attribute",
                            Name=NP + "PersonIdentifier",
                            NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
    etree.SubElement(fake, q(SAML, "AttributeValue")).text = "BE/DE/EVIL"
    sign(r, idp, idp_cert)
    emit("attribute-foreign-namespace.xml", r, "EIDGW_E_SAML_UNEXPECTED")
    # Name given as a namespaced attribute only
    r = base()
    pid_attr = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']" % (SAML, NP))
    del pid_attr.attrib["Name"]
    pid_attr.set("{urn:evil}Name", NP + "PersonIdentifier")
    sign(r, idp, idp_cert)
    emit("attribute-name-namespaced.xml", r, "EIDGW_E_SAML_ATTR_INVALID")
    # eIDAS-like Name with another case / trailing slash: unknown, so the MDS is incomplete
    r = base()
    pid_attr = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']" % (SAML, NP))
    pid_attr.set("Name", NP.replace("naturalperson", "NaturalPerson") + "PersonIdentifier")
    sign(r, idp, idp_cert)
    emit("attribute-name-case.xml", r, "EIDGW_E_SAML_ATTR_MISSING")
    r = base()
    pid_attr = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']" % (SAML, NP))
    pid_attr.set("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
    sign(r, idp, idp_cert)
    emit("attribute-nameformat-basic.xml", r, "EIDGW_E_SAML_ATTR_NAMEFORMAT")
    r = base()
    pid_attr = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']" % (SAML, NP))
    del pid_attr.attrib["NameFormat"]
    sign(r, idp, idp_cert)
    emit("attribute-nameformat-missing.xml", r, "EIDGW_E_SAML_ATTR_NAMEFORMAT")
    r = base()
    gn = assertion(r).find(".//{%s}Attribute[@Name='%sCurrentGivenName']" % (SAML, NP))
    gn.getparent().remove(gn)
    sign(r, idp, idp_cert)
    emit("given-name-missing.xml", r, "EIDGW_E_SAML_ATTR_MISSING")
    r = base()
    pid_attr = assertion(r).find(".//{%s}Attribute[@Name='%sPersonIdentifier']" % (SAML, NP))
    etree.SubElement(pid_attr, q(SAML, "AttributeValue")).text = "BE/DE/EVIL"
    sign(r, idp, idp_cert)
    emit("pid-two-values.xml", r, "EIDGW_E_SAML_ATTR_INVALID")

    # ======== semantics and clock boundaries (now 00:05:00Z, skew 30 s) ========
    emit("nb-at-skew-edge.xml", signed(nb="2026-01-01T00:05:30Z"), OK)
    emit("nb-past-skew-edge.xml", signed(nb="2026-01-01T00:05:31Z"), "EIDGW_E_SAML_NOT_YET_VALID")
    emit("noa-at-skew-edge.xml", signed(noa="2026-01-01T00:04:30Z"), "EIDGW_E_SAML_EXPIRED")
    emit("noa-inside-skew.xml", signed(noa="2026-01-01T00:04:31Z"), OK)
    emit("sc-noa-at-skew-edge.xml", signed(sc_noa="2026-01-01T00:04:30Z"),
         "EIDGW_E_SAML_SC_EXPIRED")
    emit("noa-with-offset-expired.xml", signed(noa="2026-01-01T01:04:00+01:00"),
         "EIDGW_E_SAML_EXPIRED")
    emit("noa-malformed.xml", signed(noa="2026-01-01 00:10:00"), "EIDGW_E_SAML_CONDITIONS")
    emit("issue-instant-feb30.xml", signed(issue="2026-02-30T00:04:50Z"),
         "EIDGW_E_SAML_ISSUE_INSTANT")
    r = base()
    scd = assertion(r).find(".//{%s}SubjectConfirmationData" % SAML)
    scd.getparent().remove(scd)
    sign(r, idp, idp_cert)
    emit("sc-data-missing.xml", r, "EIDGW_E_SAML_SUBJECT_CONFIRMATION")
    r = base()
    del assertion(r).find(".//{%s}SubjectConfirmationData" % SAML).attrib["Recipient"]
    sign(r, idp, idp_cert)
    emit("sc-recipient-missing.xml", r, "EIDGW_E_SAML_RECIPIENT")
    r = base()
    del assertion(r).find(".//{%s}SubjectConfirmationData" % SAML).attrib["InResponseTo"]
    sign(r, idp, idp_cert)
    emit("sc-irt-missing.xml", r, "EIDGW_E_SAML_SC_IN_RESPONSE_TO")
    r = base()
    del assertion(r).find(".//{%s}SubjectConfirmationData" % SAML).attrib["NotOnOrAfter"]
    sign(r, idp, idp_cert)
    emit("sc-noa-missing.xml", r, "EIDGW_E_SAML_SUBJECT_CONFIRMATION")
    emit("recipient-trailing-slash.xml", signed(recipient="https://gw.example.org/saml/acs/"),
         "EIDGW_E_SAML_RECIPIENT")
    emit("destination-case.xml", signed(destination="https://GW.example.org/saml/acs"),
         "EIDGW_E_SAML_DESTINATION")
    emit("audience-prefix.xml", signed(audience="https://gw.example.org/saml/metadata.evil"),
         "EIDGW_E_SAML_AUDIENCE")
    emit("issuer-suffix.xml", signed(issuer="https://idp.example.eu/metadata/"),
         "EIDGW_E_SAML_ISSUER")
    emit("irt-prefix.xml", signed(irt="_0123456789abcdef0123456789abcde"),
         "EIDGW_E_SAML_IN_RESPONSE_TO")
    emit("status-responder-with-assertion.xml",
         signed(status="urn:oasis:names:tc:SAML:2.0:status:Responder"),
         "EIDGW_E_SAML_STATUS_RESPONDER")
    emit("status-denied-with-assertion.xml",
         signed(status="urn:oasis:names:tc:SAML:2.0:status:Responder",
                sub_status="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"),
         "EIDGW_E_SAML_STATUS_DENIED")
    emit("status-success-with-subcode.xml",
         signed(sub_status="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"),
         "EIDGW_E_SAML_STATUS_MALFORMED")
    emit("status-unknown.xml", signed(status="urn:evil:Success"), "EIDGW_E_SAML_STATUS_OTHER")
    emit("loa-unknown-case.xml", signed(loa="http://eidas.europa.eu/LoA/Substantial"),
         "EIDGW_E_SAML_LOA")
    emit("loa-legacy-notnotified.xml", signed(loa="http://eidas.europa.eu/LoA/NotNotified/high"),
         "EIDGW_E_SAML_LOA")
    emit("loa-empty.xml", signed(loa=""), "EIDGW_E_SAML_LOA")
    emit("replay-second-copy.xml", signed(), OK, "replay")

    # remote schema hints are never fetched (no network): the message is simply valid
    r = base()
    r.set("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
          "urn:oasis:names:tc:SAML:2.0:protocol https://evil.example/x.xsd")
    r.set("{http://www.w3.org/XML/1998/namespace}base", "https://evil.example/")
    sign(r, idp, idp_cert)
    emit("schema-location-not-fetched.xml", r, OK)
    # SAML 1.1 style AssertionID instead of ID, and a padded Version
    r = base()
    a = assertion(r)
    a.set("AssertionID", a.get("ID"))
    del a.attrib["ID"]
    sign(r, idp, idp_cert)
    emit("assertion-id-saml11-style.xml", r, "EIDGW_E_SAML_ID")
    r = base()
    assertion(r).set("Version", "2.0 ")
    sign(r, idp, idp_cert)
    emit("assertion-version-padded.xml", r, "EIDGW_E_SAML_VERSION")
    r = base()
    nameid(r).set("Format", " urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    sign(r, idp, idp_cert)
    emit("nameid-format-padded.xml", r, "EIDGW_E_SAML_NAMEID")
    # an EncryptedData that is not an EncryptedAssertion, in Extensions: not read, not decrypted
    r = base()
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    ext.append(encrypted_assertion(b"<x/>", enc_cert).find(q(XENC, "EncryptedData")))
    sign(r, idp, idp_cert)
    emit("encrypted-data-in-extensions-ignored.xml", r, OK)

    # ======== size ========
    r = base()
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    for i in range(4100):
        etree.SubElement(ext, "{urn:x}e", Id="_x%d" % i)
    sign(r, idp, idp_cert)
    emit("many-id-attributes.xml", r, "EIDGW_E_SAML_XML_TOO_LARGE")
    r = base()
    st = assertion(r).find(q(SAML, "AttributeStatement"))
    for i in range(400):
        gh.attr(st, "urn:x-unknown:attr:%d" % i, "v" * 40)
    sign(r, idp, idp_cert)
    emit("many-unknown-attributes.xml", r, OK)
    # one start tag with more attributes than any SAML element has (quadratic in libxml2)
    r = base()
    for i in range(300):
        nameid(r).set("a%d" % i, "")
    sign(r, idp, idp_cert)
    emit("attribute-flood-one-tag.xml", r, "EIDGW_E_SAML_XML_TOO_LARGE")
    # namespace declarations piling up over nesting levels (linear lookups in libxml2)
    r = base()
    ext = etree.Element(q(SAMLP, "Extensions"))
    r.find(q(SAML, "Issuer")).addnext(ext)
    parent = ext
    for lvl in range(3):
        parent = etree.SubElement(parent, "{urn:x}e",
                                  nsmap={"p%d" % (lvl * 100 + i): "urn:x:%d" % i for i in range(100)})
    sign(r, idp, idp_cert)
    emit("namespace-flood-nested.xml", r, "EIDGW_E_SAML_XML_TOO_LARGE")
    r = base(nameid="A" * 1025)
    sign(r, idp, idp_cert)
    emit("nameid-too-long.xml", r, "EIDGW_E_SAML_NAMEID")

    # ======== XML Encryption ========
    # everything below is Response-signed by the IdP, so only the decryptor decides
    def enc_case(fname, expect, make, *opts, sign_inner=False, **kw):
        r = base(**kw)
        a = assertion(r)
        if sign_inner:
            sign(a, idp, idp_cert)
        plain = etree.tostring(a)
        ea = make(plain)
        replace_assertion(r, ea)
        sign(r, idp, idp_cert)
        emit(fname, r, expect, "enc_required", *opts)

    enc_case("enc-valid-rsa-oaep.xml", OK, lambda p: encrypted_assertion(p, enc_cert))
    enc_case("enc-valid-ecdh-bp256.xml", OK, lambda p: ecdh_encrypted_assertion(p, enc_bp_cert))

    def cbc(p):
        cek = os.urandom(32)
        iv = os.urandom(16)
        padder = sympad.PKCS7(128).padder()
        data = padder.update(p) + padder.finalize()
        enc = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
        ct = iv + enc.update(data) + enc.finalize()
        return encrypted_assertion(p, enc_cert, content_alg=XENC + "aes256-cbc", cek=cek, ct=ct)
    enc_case("enc-aes256-cbc.xml", "EIDGW_E_SAML_ENC_ALG", cbc)
    enc_case("enc-aes128-cbc-3des-uri.xml", "EIDGW_E_SAML_ENC_ALG",
             lambda p: encrypted_assertion(p, enc_cert, content_alg=XENC + "tripledes-cbc"))

    def tampered_tag(p):
        cek = AESGCM.generate_key(256)
        ct = bytearray(gcm_encrypt(p, cek))
        ct[-1] ^= 1
        return encrypted_assertion(p, enc_cert, cek=cek, ct=bytes(ct))
    enc_case("enc-gcm-tag-tampered.xml", "EIDGW_E_SAML_DECRYPT", tampered_tag)

    def tampered_ct(p):
        cek = AESGCM.generate_key(256)
        ct = bytearray(gcm_encrypt(p, cek))
        ct[20] ^= 0x80
        return encrypted_assertion(p, enc_cert, cek=cek, ct=bytes(ct))
    enc_case("enc-gcm-ciphertext-tampered.xml", "EIDGW_E_SAML_DECRYPT", tampered_ct)

    def truncated_tag(p):
        cek = AESGCM.generate_key(256)
        ct = gcm_encrypt(p, cek)[:-8]
        return encrypted_assertion(p, enc_cert, cek=cek, ct=ct)
    enc_case("enc-gcm-tag-truncated.xml", "EIDGW_E_SAML_DECRYPT", truncated_tag)

    def short_ct(p):
        cek = AESGCM.generate_key(256)
        return encrypted_assertion(p, enc_cert, cek=cek, ct=os.urandom(20))
    # structural (no plaintext at all), whether or not the key unwraps
    enc_case("enc-gcm-too-short.xml", "EIDGW_E_SAML_ENC_MALFORMED", short_ct)

    def short_ct_bad_key(p):
        return encrypted_assertion(p, enc_cert, ct=os.urandom(20), wrapped=os.urandom(384))
    # the same answer when the key does not unwrap: no oracle on the unwrap
    enc_case("enc-gcm-too-short-key-garbage.xml", "EIDGW_E_SAML_ENC_MALFORMED", short_ct_bad_key)

    def ct_not_b64_bad_key(p):
        def ex(ea, ed, ki, ek, em):
            ed.find(q(XENC, "CipherData")).find(q(XENC, "CipherValue")).text = "not*base64"
        return encrypted_assertion(p, enc_cert, wrapped=os.urandom(384), extra=ex)
    enc_case("enc-ct-not-base64-key-garbage.xml", "EIDGW_E_SAML_ENC_MALFORMED", ct_not_b64_bad_key)

    def wrong_len(p):
        cek = AESGCM.generate_key(256)
        return encrypted_assertion(p, enc_cert, content_alg="aes128-gcm", cek=cek,
                                   ct=gcm_encrypt(p, cek))
    enc_case("enc-key-length-mismatch.xml", "EIDGW_E_SAML_DECRYPT", wrong_len)

    def rsa15(p):
        cek = AESGCM.generate_key(256)
        w = enc_cert.public_key().encrypt(cek, padding.PKCS1v15())
        return encrypted_assertion(p, enc_cert, cek=cek, kt=XENC + "rsa-1_5", wrapped=w)
    enc_case("enc-rsa-1_5.xml", "EIDGW_E_SAML_ENC_ALG", rsa15)

    def mgf1p(p):
        cek = AESGCM.generate_key(256)
        w = enc_cert.public_key().encrypt(cek, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
        return encrypted_assertion(p, enc_cert, cek=cek, kt=XENC + "rsa-oaep-mgf1p", wrapped=w)
    enc_case("enc-rsa-oaep-mgf1p-not-allowed.xml", "EIDGW_E_SAML_ENC_ALG", mgf1p)
    enc_case("enc-rsa-oaep-mgf1p-allowed.xml", OK, mgf1p, "mgf1p")

    def oaep_md5(p):
        def ex(ea, ed, ki, ek, em):
            em.find(q(DS, "DigestMethod")).set("Algorithm",
                                               "http://www.w3.org/2001/04/xmldsig-more#md5")
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-oaep-digest-md5.xml", "EIDGW_E_SAML_ENC_ALG", oaep_md5)

    def content_type(p):
        return encrypted_assertion(p, enc_cert, ed_type="#Content")
    enc_case("enc-type-content.xml", "EIDGW_E_SAML_ENC_MALFORMED", content_type)

    def cipher_ref(p):
        def ex(ea, ed, ki, ek, em):
            cd = ed.find(q(XENC, "CipherData"))
            cd.remove(cd.find(q(XENC, "CipherValue")))
            etree.SubElement(cd, q(XENC, "CipherReference"), URI="https://evil.example/ct")
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-cipher-reference.xml", "EIDGW_E_SAML_ENC_MALFORMED", cipher_ref)

    def retrieval_ext(p):
        def ex(ea, ed, ki, ek, em):
            ki.remove(ek)
            etree.SubElement(ki, q(DS, "RetrievalMethod"), URI="https://evil.example/ek.xml",
                             Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey")
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-retrieval-external.xml", "EIDGW_E_SAML_ENC_MALFORMED", retrieval_ext)

    def retrieval_local(p):
        def ex(ea, ed, ki, ek, em):
            ki.remove(ek)
            ek.set("Id", "_ek00000000000000000000000000001")
            ed.addnext(ek)
            etree.SubElement(ki, q(DS, "RetrievalMethod"), URI="#_ek00000000000000000000000000001",
                             Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey")
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-retrieval-same-document-ok.xml", OK, retrieval_local)

    def two_ed(p):
        def ex(ea, ed, ki, ek, em):
            ea.append(copy.deepcopy(ed))
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-two-encrypted-data.xml", "EIDGW_E_SAML_ENC_MALFORMED", two_ed)

    def no_key(p):
        def ex(ea, ed, ki, ek, em):
            ki.remove(ek)
        return encrypted_assertion(p, enc_cert, extra=ex)
    enc_case("enc-no-encrypted-key.xml", "EIDGW_E_SAML_ENC_NO_KEY", no_key)

    def evil_recipient(p):
        cek = AESGCM.generate_key(256)
        w = evil_cert.public_key().encrypt(cek, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)) \
            if hasattr(evil_cert.public_key(), "encrypt") else os.urandom(384)
        return encrypted_assertion(p, enc_cert, cek=cek, wrapped=w)
    enc_case("enc-wrapped-for-someone-else.xml", "EIDGW_E_SAML_DECRYPT", evil_recipient)

    # ECDH-ES: a point off the curve, the wrong curve, SHA-1 in the KDF, a KA-Nonce
    def off_curve(p):
        good_pt = ec.generate_private_key(ec.BrainpoolP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        bad = bytearray(good_pt)
        bad[-1] ^= 1
        return ecdh_encrypted_assertion(p, enc_bp_cert, point=bytes(bad))
    enc_case("enc-ecdh-point-off-curve.xml", "EIDGW_E_SAML_ENC_MALFORMED", off_curve)

    def compressed(p):
        pt = ec.generate_private_key(ec.BrainpoolP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return ecdh_encrypted_assertion(p, enc_bp_cert, point=pt)
    enc_case("enc-ecdh-compressed-point.xml", "EIDGW_E_SAML_ENC_MALFORMED", compressed)

    def infinity(p):
        return ecdh_encrypted_assertion(p, enc_bp_cert, point=b"\x04" + b"\x00" * 64)
    enc_case("enc-ecdh-point-zero.xml", "EIDGW_E_SAML_ENC_MALFORMED", infinity)

    def wrong_curve(p):
        return ecdh_encrypted_assertion(p, enc_bp_cert, eph_curve=ec.SECP256R1(),
                                        curve_oid="1.2.840.10045.3.1.7")
    enc_case("enc-ecdh-wrong-curve.xml", "EIDGW_E_SAML_ENC_NO_KEY", wrong_curve)

    def curve_mislabelled(p):
        # a brainpool point labelled as P-256: not on P-256
        return ecdh_encrypted_assertion(p, enc_bp_cert, curve_oid="1.2.840.10045.3.1.7")
    enc_case("enc-ecdh-curve-mislabelled.xml", "EIDGW_E_SAML_ENC_MALFORMED", curve_mislabelled)

    def explicit_params(p):
        # the ephemeral key only as DER SubjectPublicKeyInfo with explicit curve parameters
        import subprocess
        ea, eph = ecdh_encrypted_assertion(p, enc_bp_cert, keep_eph=True)
        pem = eph.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        der = subprocess.run(["openssl", "ec", "-param_enc", "explicit", "-pubout",
                              "-outform", "DER"], input=pem, capture_output=True,
                             check=True).stdout
        kv = ea.find(".//{%s}OriginatorKeyInfo/{%s}KeyValue" % (XENC, DS))
        oki = kv.getparent()
        oki.remove(kv)
        etree.SubElement(oki, q(DS11, "DEREncodedKeyValue"), nsmap={"ds11": DS11}).text = \
            base64.b64encode(der).decode()
        return ea
    enc_case("enc-ecdh-explicit-curve-params.xml", "EIDGW_E_SAML_ENC_ALG", explicit_params)

    def kdf_sha1(p):
        return ecdh_encrypted_assertion(p, enc_bp_cert,
                                        kdf_digest="http://www.w3.org/2000/09/xmldsig#sha1")
    enc_case("enc-ecdh-kdf-sha1.xml", "EIDGW_E_SAML_ENC_ALG", kdf_sha1)

    # hostile plaintexts (the IdP-signed Response makes them reach the parser)
    wrap = ('<saml2:Assertion xmlns:saml2="%s" ID="_x" Version="2.0"/>' % SAML).encode()
    enc_case("enc-plain-two-assertions.xml", "EIDGW_E_SAML_XML_NOT_ALLOWED",
             lambda p: encrypted_assertion(p + wrap, enc_cert))
    enc_case("enc-plain-not-assertion.xml", "EIDGW_E_SAML_XML_NOT_ALLOWED",
             lambda p: encrypted_assertion(b'<x:Evil xmlns:x="urn:x"/>', enc_cert))
    enc_case("enc-plain-text-beside.xml", "EIDGW_E_SAML_XML_NOT_ALLOWED",
             lambda p: encrypted_assertion(p + b"evil", enc_cert))
    enc_case("enc-plain-doctype.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(b'<!DOCTYPE a [<!ENTITY x "y">]>' + p, enc_cert))
    enc_case("enc-plain-entity.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(p.replace(b">Eleni<", b">&xxe;<"), enc_cert))
    enc_case("enc-plain-utf16.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(p.decode("utf-8").encode("utf-16"), enc_cert))
    enc_case("enc-plain-xml-declaration.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(b'<?xml version="1.0" encoding="UTF-8"?>' + p, enc_cert))
    flood = b"".join(b' a%d=""' % i for i in range(300))
    enc_case("enc-plain-attribute-flood.xml", "EIDGW_E_SAML_XML_TOO_LARGE",
             lambda p: encrypted_assertion(p.replace(b"<saml2:NameID ", b"<saml2:NameID" + flood + b" ", 1),
                                           enc_cert))
    def ns_flood(p):
        inner = b"".join(b"<x:e%s>" % b"".join(b' xmlns:p%d="u"' % (lvl * 100 + i) for i in range(100))
                         for lvl in range(3))
        inner = inner.replace(b"<x:e", b'<x:e xmlns:x="urn:x"', 1) + b"</x:e>" * 3
        return encrypted_assertion(p.replace(b"</saml2:Subject>", inner + b"</saml2:Subject>"),
                                   enc_cert)
    enc_case("enc-plain-namespace-flood.xml", "EIDGW_E_SAML_XML_TOO_LARGE", ns_flood)
    enc_case("enc-plain-invalid-utf8.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(p.replace(b"Eleni", b"El\xff\xfeni"), enc_cert))
    enc_case("enc-plain-unbound-prefix.xml", "EIDGW_E_SAML_XML_MALFORMED",
             lambda p: encrypted_assertion(
                 b'<saml2:Assertion ID="_a" Version="2.0"><evil:x/></saml2:Assertion>', enc_cert))
    deep = b"<x:a xmlns:x='urn:x'>" + b"<x:a>" * 70 + b"</x:a>" * 71
    enc_case("enc-plain-deep.xml", "EIDGW_E_SAML_XML_TOO_DEEP",
             lambda p: encrypted_assertion(p.replace(b"</saml2:Subject>",
                                                     deep + b"</saml2:Subject>"), enc_cert))

    def nested_assertion(p):
        inner = ('<saml2:Advice xmlns:saml2="%s"><saml2:Assertion ID="_inner" Version="2.0"/>'
                 '</saml2:Advice>' % SAML).encode()
        return encrypted_assertion(p.replace(b"<saml2:AuthnStatement", inner +
                                             b"<saml2:AuthnStatement"), enc_cert)
    enc_case("enc-plain-nested-assertion.xml", "EIDGW_E_SAML_ASSERTION_COUNT", nested_assertion)
    enc_case("enc-plain-id-clash.xml", "EIDGW_E_SAML_DUPLICATE_ID",
             lambda p: encrypted_assertion(p.replace(b"_asrt000000000000000000000000001",
                                                     b"_resp000000000000000000000000001"),
                                           enc_cert))

    def sig_in_plain_subject(p):
        s = etree.tostring(signed().find(q(DS, "Signature")))
        return encrypted_assertion(p.replace(b"</saml2:Subject>", s + b"</saml2:Subject>"),
                                   enc_cert)
    enc_case("enc-plain-signature-in-subject.xml", "EIDGW_E_SAML_SIG_MULTIPLE",
             sig_in_plain_subject)

    # signed assertion inside, Response signed too: accepted; inner signature by the attacker: refused
    enc_case("enc-inner-signed-ok.xml", OK, lambda p: encrypted_assertion(p, enc_cert),
             "assertion_sig_required", sign_inner=True)

    def inner_evil(p):
        t = etree.fromstring(p)
        s = t.find(q(DS, "Signature"))
        t.remove(s)
        sign(t, evil, evil_cert)
        return encrypted_assertion(etree.tostring(t), enc_cert)
    enc_case("enc-inner-signed-by-attacker.xml", "EIDGW_E_SAML_SIG_UNTRUSTED", inner_evil,
             sign_inner=True)

    # EncryptedAssertion beside a plaintext assertion, and two EncryptedAssertions
    r = base()
    a = assertion(r)
    a.addprevious(encrypted_assertion(etree.tostring(a), enc_cert))
    sign(r, idp, idp_cert)
    emit("enc-plus-plain.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT")
    r = base()
    a = assertion(r)
    plain = etree.tostring(a)
    a.addprevious(encrypted_assertion(plain, enc_cert))
    a.addprevious(encrypted_assertion(plain, enc_cert))
    r.remove(a)
    sign(r, idp, idp_cert)
    emit("enc-two-encrypted-assertions.xml", r, "EIDGW_E_SAML_ASSERTION_COUNT", "enc_required")
    # unsigned Response (aso) with an EncryptedAssertion of an unsigned assertion: anyone can encrypt
    r = base()
    a = assertion(r)
    replace_assertion(r, encrypted_assertion(etree.tostring(a), enc_cert))
    emit("enc-unsigned-anyone-can-encrypt.xml", r, "EIDGW_E_SAML_ASSERTION_SIG_REQUIRED",
         "aso", "enc_required")

    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("# file expected-code [options]; generated by ../gen_attacks.py\n")
        f.write("# options as in ../hostile/MANIFEST, plus mgf1p (allow rsa-oaep-mgf1p)\n")
        for name, expect, opts in cases:
            f.write(" ".join([name, expect] + list(opts)) + "\n")
    print("%d cases" % len(cases))


if __name__ == "__main__":
    sys.exit(main())
