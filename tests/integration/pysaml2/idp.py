#!/usr/bin/python3
"""A national identity provider played by Debian's python3-pysaml2 (an
independent SAML implementation; signatures and encryption by the xmlsec1
CLI).  It reads our signed SP metadata and our signed AuthnRequest (the
HTTP-POST form value), checks the request's signature as pysaml2 does, and
answers with a signed Response (ECDSA P-256, SHA-256) carrying the eIDAS
natural-person minimum data set; with --encrypt the assertion is encrypted
to the encryption certificate from our metadata.

pysaml2 defaults that eIDAS forbids are changed here, not in saml/: 3DES-CBC
content encryption becomes AES-256-GCM (xmlenc11), the key transport stays
pysaml2's rsa-oaep-mgf1p (SHA-1), which saml/ accepts only behind its
per-country flag allow_rsa_oaep_mgf1p.

Usage: idp.py --workdir DIR [--encrypt] [--out-metadata FILE]
  reads DIR/sp-metadata.xml and DIR/request.b64, writes DIR/response.b64
"""
import argparse
import base64
import os
import sys

import saml2.entity
import saml2.sigver
from saml2 import BINDING_HTTP_POST
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "..", "data", "saml", "keys")
IDP = "https://idp.pysaml2.test/metadata"
NP = "http://eidas.europa.eu/attributes/naturalperson/"
LOA = "http://eidas.europa.eu/LoA/substantial"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"


def eidas_encryption():
    """AES-256-GCM instead of pysaml2's default 3DES-CBC."""
    orig_part = saml2.sigver.pre_encryption_part
    orig_enc = saml2.sigver.CryptoBackendXmlSec1.encrypt_assertion

    def part(**kw):
        kw["msg_enc"] = AES256_GCM
        return orig_part(**kw)

    def enc(self, statement, enc_key, template, key_type="aes-256", node_xpath=None, node_id=None):
        return orig_enc(self, statement, enc_key, template, key_type="aes-256",
                        node_xpath=node_xpath, node_id=node_id)

    saml2.entity.pre_encryption_part = part
    saml2.sigver.CryptoBackendXmlSec1.encrypt_assertion = enc


def allow_ecdsa():
    """pysaml2 7.0.1 hard-codes RSA signature URIs in its allow-list (its
    entity.py carries a to-do to make that list configurable); xmlsec1 itself
    signs ECDSA fine, so add the URI to pysaml2's list."""
    saml2.entity.SIG_ALLOWED_ALG = tuple(saml2.entity.SIG_ALLOWED_ALG) + (
        ("SIG_ECDSA_SHA256", ECDSA_SHA256),)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--encrypt", action="store_true")
    args = ap.parse_args()
    wd = args.workdir
    eidas_encryption()
    allow_ecdsa()
    conf = IdPConfig()
    conf.load({
        "entityid": IDP,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [("https://idp.pysaml2.test/sso",
                                                      BINDING_HTTP_POST)]},
            "want_authn_requests_signed": True,
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
        }},
        "key_file": os.path.join(KEYS, "idp-sign.key.pem"),
        "cert_file": os.path.join(KEYS, "idp-sign.cert.pem"),
        "metadata": {"local": [os.path.join(wd, "sp-metadata.xml")]},
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "delete_tmpfiles": True,
    })
    idp = Server(config=conf)
    with open(os.path.join(wd, "request.b64")) as f:
        b64 = f.read().strip()
    # pysaml2 checks the request signature against our metadata's signing cert.
    req = idp.parse_authn_request(b64, BINDING_HTTP_POST)
    msg = req.message
    if not req.signature_check(req.xmlstr):
        print("pysaml2: AuthnRequest signature did not verify", file=sys.stderr)
        return 1
    sp = msg.issuer.text
    acs = idp.pick_binding("assertion_consumer_service", bindings=[BINDING_HTTP_POST],
                           entity_id=sp)[1]
    print("pysaml2: verified AuthnRequest %s from %s, answering to %s" % (msg.id, sp, acs),
          file=sys.stderr)
    identity = {
        NP + "PersonIdentifier": ["BE/DE/pysaml2-0042"],
        NP + "CurrentFamilyName": ["Peeters"],
        NP + "CurrentGivenName": ["Marie"],
        NP + "DateOfBirth": ["1985-07-14"],
    }
    resp = idp.create_authn_response(
        identity,
        in_response_to=msg.id,
        destination=acs,
        sp_entity_id=sp,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="BE/DE/pysaml2-0042"),
        authn={"class_ref": LOA},
        sign_response=True,
        sign_assertion=False,
        encrypt_assertion=args.encrypt,
        sign_alg=ECDSA_SHA256,
        digest_alg=SHA256,
    )
    with open(os.path.join(wd, "response.xml"), "w") as f:
        f.write(str(resp))
    with open(os.path.join(wd, "response.b64"), "w") as f:
        f.write(base64.b64encode(str(resp).encode("utf-8")).decode("ascii"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
