#!/usr/bin/python3
"""Checks our standard HTTP-Redirect AuthnRequest with code independent of
saml/: the query's SigAlg/Signature (SAML Bindings 3.4.4.1: the signature
covers "SAMLRequest=..&RelayState=..&SigAlg=.." exactly as sent; XML-DSig
ECDSA is r||s) verified with python3-cryptography, the message inflated
with zlib (raw DEFLATE) and read with the standard library's XML parser.

Usage: check_redirect.py URLFILE CERT.pem EXPECTED_ID
"""
import base64
import sys
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

url = open(sys.argv[1]).read().strip()
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
query = url.split("?", 1)[1]
parts = query.split("&")
raw = dict(p.split("=", 1) for p in parts)
signed = "&".join(p for p in parts if p.split("=", 1)[0] in ("SAMLRequest", "RelayState", "SigAlg"))
assert urllib.parse.unquote(raw["SigAlg"]) == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
sig = base64.b64decode(urllib.parse.unquote(raw["Signature"]))
n = len(sig) // 2
der = encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
cert.public_key().verify(der, signed.encode("ascii"), ec.ECDSA(hashes.SHA256()))
xml = zlib.decompress(base64.b64decode(urllib.parse.unquote(raw["SAMLRequest"])), -15)
root = ET.fromstring(xml)
assert root.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}AuthnRequest", root.tag
assert root.get("ID") == sys.argv[3], root.get("ID")
assert root.get("ForceAuthn") == "true" and root.get("IsPassive") == "false"
assert root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is None
assert urllib.parse.unquote(raw["RelayState"]) == "rs-42"
print("redirect: signature verified by python3-cryptography, request %s inflated and parsed" % root.get("ID"))
