#!/usr/bin/python3
"""Writes the demo IdP's SAML metadata, signed with the metadata-signing key.

    demo/idp/make-metadata.py --out certs/dev/demo-idp-metadata.xml \
        --entity-id http://127.0.0.1:8070/metadata --base-url http://127.0.0.1:8070 \
        [--certs certs/dev] [--valid-days 7]

The document is an md:EntityDescriptor with one md:IDPSSODescriptor: the
demo IdP's signing certificate (certs/dev/demo-idp.crt), its HTTP-POST
SingleSignOnService (<base-url>/sso/post), eidas:NodeCountry LU, the four
natural-person attributes it can release, and the three notified LoAs as
assurance-certification entity attributes.  It carries validUntil and an
enveloped signature over the whole document (Reference "#<root ID>") by
certs/dev/demo-idp-metadata-signing.key (RSA-PSS SHA-256), which eidgw checks
against a country's saml.metadata_signing_cert.
"""

import argparse
import datetime
import os
import secrets
import sys

from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmlsig  # noqa: E402

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
EIDAS = "http://eidas.europa.eu/saml-extensions"
DS = xmlsig.DS
URI_FMT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NP = "http://eidas.europa.eu/attributes/naturalperson/"
ATTRS = [("PersonIdentifier", "PersonIdentifier"), ("FamilyName", "CurrentFamilyName"),
         ("FirstName", "CurrentGivenName"), ("DateOfBirth", "DateOfBirth")]
LOAS = ["http://eidas.europa.eu/LoA/low", "http://eidas.europa.eu/LoA/substantial",
        "http://eidas.europa.eu/LoA/high"]


def build(entity_id, base_url, country, idp_signer, valid_days):
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=valid_days))
    root = etree.Element("{%s}EntityDescriptor" % MD, nsmap={
        "md": MD, "saml2": SAML, "mdattr": MDATTR, "eidas": EIDAS, "ds": DS})
    root.set("ID", "_" + secrets.token_hex(16))
    root.set("entityID", entity_id)
    root.set("validUntil", until.strftime("%Y-%m-%dT%H:%M:%SZ"))
    ext = etree.SubElement(root, "{%s}Extensions" % MD)
    ea = etree.SubElement(ext, "{%s}EntityAttributes" % MDATTR)
    a = etree.SubElement(ea, "{%s}Attribute" % SAML,
                         Name="urn:oasis:names:tc:SAML:attribute:assurance-certification",
                         NameFormat=URI_FMT)
    for loa in LOAS:
        etree.SubElement(a, "{%s}AttributeValue" % SAML).text = loa
    idp = etree.SubElement(root, "{%s}IDPSSODescriptor" % MD,
                           WantAuthnRequestsSigned="true",
                           protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol")
    iext = etree.SubElement(idp, "{%s}Extensions" % MD)
    etree.SubElement(iext, "{%s}NodeCountry" % EIDAS).text = country
    kd = etree.SubElement(idp, "{%s}KeyDescriptor" % MD, use="signing")
    ki = etree.SubElement(kd, "{%s}KeyInfo" % DS)
    xd = etree.SubElement(ki, "{%s}X509Data" % DS)
    etree.SubElement(xd, "{%s}X509Certificate" % DS).text = idp_signer.cert_b64()
    for f in ("persistent", "transient"):
        etree.SubElement(idp, "{%s}NameIDFormat" % MD).text = \
            "urn:oasis:names:tc:SAML:2.0:nameid-format:" + f
    etree.SubElement(idp, "{%s}SingleSignOnService" % MD,
                     Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                     Location=base_url.rstrip("/") + "/sso/post")
    for friendly, suffix in ATTRS:
        etree.SubElement(idp, "{%s}Attribute" % SAML, Name=NP + suffix,
                         NameFormat=URI_FMT, FriendlyName=friendly)
    return root


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--certs", default=os.path.join(here, "..", "..", "certs", "dev"))
    p.add_argument("--out", required=True)
    p.add_argument("--entity-id", required=True)
    p.add_argument("--base-url", required=True, help="where the IdP serves, e.g. http://127.0.0.1:8070")
    p.add_argument("--country", default="LU")
    p.add_argument("--valid-days", type=float, default=7.0)
    args = p.parse_args()
    c = args.certs
    idp_signer = xmlsig.Signer(os.path.join(c, "demo-idp.key"), os.path.join(c, "demo-idp.crt"))
    md_signer = xmlsig.Signer(os.path.join(c, "demo-idp-metadata-signing.key"),
                              os.path.join(c, "demo-idp-metadata-signing.crt"))
    root = build(args.entity_id, args.base_url, args.country, idp_signer, args.valid_days)
    md_signer.sign(root, after=None)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print("make-metadata: wrote %s (entityID %s, SSO %s/sso/post)"
          % (args.out, args.entity_id, args.base_url.rstrip("/")))


if __name__ == "__main__":
    main()
