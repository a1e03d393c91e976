"""Enveloped XML signatures for the demo IdP (RSA-PSS or ECDSA, SHA-256).

pysaml2 signs through the xmlsec1 binary, and xmlsec1 1.2.37 (Debian 12)
cannot make RSASSA-PSS signatures; RSA PKCS#1 v1.5 is outside the eIDAS
cryptographic requirements and eidgw refuses it unless a country sets
allow_rsa_pkcs1.  So the demo IdP signs here, with lxml (exclusive c14n,
libxml2) and python3-cryptography, in the shape eidgw and the EC eIDAS node
expect: one Reference "#ID", transforms enveloped-signature + exc-c14n,
SHA-256 digest, signature placed right after the Issuer (or first).

Only signing lives here.  Verification of what the gateway sends is done
by xmlsec1 through pysaml2 (idp.py), an implementation independent of ours.
"""

import base64
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"


class Signer:
    """A private key (PEM file) and its certificate (PEM file)."""

    def __init__(self, key_file, cert_file):
        with open(key_file, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cert_file, "rb") as f:
            self.cert = x509.load_pem_x509_certificate(f.read())
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.alg = RSA_PSS_SHA256
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            self.alg = ECDSA_SHA256
        else:
            raise ValueError("%s: only RSA and EC keys are supported" % key_file)

    def cert_b64(self):
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def _raw_sign(self, data):
        if self.alg == RSA_PSS_SHA256:
            # RFC 6931 2.3.10: MGF1 with the same hash, salt = hash length.
            return self.key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                   salt_length=32), hashes.SHA256())
        der = self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        n = (self.key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")

    def sign(self, elem, after=None):
        """Signs elem (which has an ID attribute) in place; the Signature
        goes right after the child `after` (normally the Issuer) or first."""
        ref_id = elem.get("ID")
        if not ref_id:
            raise ValueError("element to sign has no ID")
        # The enveloped transform removes the Signature; it is not there yet.
        c14n = etree.tostring(elem, method="c14n", exclusive=True, with_comments=False)
        digest = base64.b64encode(hashlib.sha256(c14n).digest()).decode()

        def ds(parent, tag, **attrs):
            e = etree.SubElement(parent, "{%s}%s" % (DS, tag))
            for k, v in attrs.items():
                e.set(k, v)
            return e

        sig = etree.Element("{%s}Signature" % DS, nsmap={"ds": DS})
        si = ds(sig, "SignedInfo")
        ds(si, "CanonicalizationMethod", Algorithm=EXC_C14N)
        ds(si, "SignatureMethod", Algorithm=self.alg)
        ref = ds(si, "Reference", URI="#" + ref_id)
        tr = ds(ref, "Transforms")
        ds(tr, "Transform", Algorithm=ENVELOPED)
        ds(tr, "Transform", Algorithm=EXC_C14N)
        ds(ref, "DigestMethod", Algorithm=SHA256)
        ds(ref, "DigestValue").text = digest
        sv = ds(sig, "SignatureValue")
        ki = ds(sig, "KeyInfo")
        xd = ds(ki, "X509Data")
        ds(xd, "X509Certificate").text = self.cert_b64()
        if after is not None:
            after.addnext(sig)
        else:
            elem.insert(0, sig)
        si_c14n = etree.tostring(si, method="c14n", exclusive=True, with_comments=False)
        sv.text = base64.b64encode(self._raw_sign(si_c14n)).decode()
        return sig
