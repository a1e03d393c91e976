#!/usr/bin/python3
"""Demo national identity provider for eidgw (eIDAS profile, pysaml2).

    demo/idp/idp.py --listen 127.0.0.1:8070 --base-url http://127.0.0.1:8070 \
        --entity-id http://127.0.0.1:8070/metadata \
        --sp-metadata-url http://127.0.0.1:8080/saml/metadata [--sp-metadata-ca certs/dev/ca.crt] \
        [--certs certs/dev] [--metadata-file certs/dev/demo-idp-metadata.xml]

A stand-in for a member state's eIDAS proxy service, for the demo and the
end-to-end test only.  It is built on an implementation independent of
eidgw's saml/ library: pysaml2 parses the AuthnRequest and, through the
xmlsec1 binary, verifies its signature against the SP metadata and encrypts
the assertion.  xmlsec1 1.2.37 cannot make RSA-PSS signatures, so signing
is done by xmlsig.py (lxml + python3-cryptography).

    GET  /metadata   this IdP's signed metadata (the file make-metadata.py wrote)
    POST /sso/post   HTTP-POST binding: SAMLRequest (+ RelayState) -> login page
    POST /login      the login form: a test citizen and a LoA, or Cancel
    GET  /healthz    {"status":"ok"}

Answers: a Response signed (RSA-PSS SHA-256) carrying one EncryptedAssertion
(AES-256-GCM content, rsa-oaep-mgf1p key transport to the SP's encryption
certificate) whose Assertion is signed too; Cancel gives a signed Response
with status Responder / RequestDenied and no assertion.  Nothing personal
is logged.  Test citizens only; never for production.
"""

import argparse
import base64
import datetime
import html
import json
import os
import secrets
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree
from saml2 import samlp
from saml2 import saml
from saml2.sigver import CryptoBackendXmlSec1, SignatureError, pre_encryption_part

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmlsig  # noqa: E402

XMLSEC1 = "/usr/bin/xmlsec1"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = xmlsig.DS
EIDAS = "http://eidas.europa.eu/saml-extensions"
NP = "http://eidas.europa.eu/attributes/naturalperson/"
URI_FMT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
LOAS = {
    "low": "http://eidas.europa.eu/LoA/low",
    "substantial": "http://eidas.europa.eu/LoA/substantial",
    "high": "http://eidas.europa.eu/LoA/high",
}
LOA_RANK = {v: i for i, v in enumerate(LOAS.values())}
MAX_FORM = 256 * 1024
PENDING_TTL = 600

# Test citizens.  Names: (latin, original-script or None).
CITIZENS = [
    {"key": "anna", "given": ("Anna", None), "family": ("Schmit", None),
     "dob": "1985-03-14", "pid": "10001"},
    {"key": "eleni", "given": ("Eleni", "Ελένη"), "family": ("Papadopoulou", "Παπαδοπούλου"),
     "dob": "1990-07-02", "pid": "10002"},
    {"key": "jean", "given": ("Jean-Marc", None), "family": ("Weber", None),
     "dob": "1962-11-30", "pid": "10003"},
]


def log(event, **kw):
    kw.update({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event})
    sys.stderr.write(json.dumps(kw) + "\n")
    sys.stderr.flush()


def utc(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    return "_" + secrets.token_hex(20)


class SPMetadata:
    """What we use of the gateway's SP metadata."""

    def __init__(self, xml, tmpdir):
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True,
                                                     load_dtd=False))
        if root.tag != "{%s}EntityDescriptor" % MD:
            raise ValueError("SP metadata: root is not md:EntityDescriptor")
        self.entity_id = root.get("entityID")
        sp = root.find("{%s}SPSSODescriptor" % MD)
        if sp is None or not self.entity_id:
            raise ValueError("SP metadata: no entityID or SPSSODescriptor")
        self.acs = None
        for a in sp.findall("{%s}AssertionConsumerService" % MD):
            if a.get("Binding") == POST_BINDING:
                self.acs = a.get("Location")
                break
        nc = sp.find("{%s}Extensions/{%s}NodeCountry" % (MD, EIDAS))
        self.node_country = (nc.text or "").strip() if nc is not None else None
        self.signing_pem = self.encryption_pem = None
        for kd in sp.findall("{%s}KeyDescriptor" % MD):
            c = kd.find("{%s}KeyInfo/{%s}X509Data/{%s}X509Certificate" % (DS, DS, DS))
            if c is None:
                continue
            b64 = "".join((c.text or "").split())
            pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(
                b64[i:i + 64] for i in range(0, len(b64), 64))
            use = kd.get("use")
            if use in (None, "signing") and self.signing_pem is None:
                self.signing_pem = os.path.join(tmpdir, "sp-signing.pem")
                with open(self.signing_pem, "w") as f:
                    f.write(pem)
            if use in (None, "encryption") and self.encryption_pem is None:
                self.encryption_pem = os.path.join(tmpdir, "sp-encryption.pem")
                with open(self.encryption_pem, "w") as f:
                    f.write(pem)
        if not self.acs or not self.signing_pem or not self.encryption_pem:
            raise ValueError("SP metadata: need an HTTP-POST ACS, a signing and an encryption certificate")


class IdP:
    def __init__(self, args):
        self.args = args
        self.base = args.base_url.rstrip("/")
        self.sso_url = self.base + "/sso/post"
        self.entity_id = args.entity_id
        self.tmpdir = tempfile.mkdtemp(prefix="eidgw-demo-idp-")
        c = args.certs
        self.signer = xmlsig.Signer(os.path.join(c, "demo-idp.key"), os.path.join(c, "demo-idp.crt"))
        self.xmlsec = CryptoBackendXmlSec1(XMLSEC1)
        self.sp = None
        self.sp_lock = threading.Lock()
        self.pending = {}           # handle -> request state (server side)
        self.pending_lock = threading.Lock()
        self.metadata = None
        if args.metadata_file and os.path.exists(args.metadata_file):
            with open(args.metadata_file, "rb") as f:
                self.metadata = f.read()

    # -- SP metadata ------------------------------------------------------
    def load_sp(self):
        with self.sp_lock:
            if self.sp is not None:
                return self.sp
            a = self.args
            if a.sp_metadata_file:
                with open(a.sp_metadata_file, "rb") as f:
                    xml = f.read()
                src = a.sp_metadata_file
            else:
                with urllib.request.urlopen(a.sp_metadata_url, timeout=5) as r:
                    xml = r.read(1024 * 1024)
                src = a.sp_metadata_url
            if a.sp_metadata_ca:
                # The gateway signs its metadata with its SAML signing key,
                # whose certificate the demo CA issued: xmlsec1 checks both.
                path = os.path.join(self.tmpdir, "sp-metadata.xml")
                with open(path, "wb") as f:
                    f.write(xml)
                r = subprocess.run([XMLSEC1, "--verify", "--trusted-pem", a.sp_metadata_ca,
                                    "--enabled-reference-uris", "empty,same-doc",
                                    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
                                    path], capture_output=True, timeout=20)
                if r.returncode != 0:
                    raise ValueError("SP metadata signature does not verify under %s: %s"
                                     % (a.sp_metadata_ca, r.stderr.decode(errors="replace")[-300:]))
            self.sp = SPMetadata(xml, self.tmpdir)
            log("sp_metadata.loaded", source=src, entity_id=self.sp.entity_id, acs=self.sp.acs,
                verified_with=a.sp_metadata_ca or "none")
            return self.sp

    # -- AuthnRequest -----------------------------------------------------
    def parse_request(self, saml_request_b64):
        sp = self.load_sp()
        xml = base64.b64decode(saml_request_b64, validate=False)
        if len(xml) > MAX_FORM:
            raise ValueError("SAMLRequest too large")
        if b"<!DOCTYPE" in xml.upper():
            raise ValueError("DOCTYPE in SAMLRequest")
        req = samlp.authn_request_from_string(xml.decode("utf-8"))
        if req is None:
            raise ValueError("not an AuthnRequest")
        if req.signature is None:
            raise ValueError("AuthnRequest is not signed")
        try:
            ok = self.xmlsec.validate_signature(
                xml, sp.signing_pem, "pem", "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest", req.id)
        except SignatureError:
            ok = False
        if not ok:
            raise ValueError("AuthnRequest signature does not verify")
        if req.issuer is None or (req.issuer.text or "").strip() != sp.entity_id:
            raise ValueError("AuthnRequest Issuer is not the SP's entityID")
        if req.destination != self.sso_url:
            raise ValueError("AuthnRequest Destination %r is not %r" % (req.destination, self.sso_url))
        if req.assertion_consumer_service_url and req.assertion_consumer_service_url != sp.acs:
            raise ValueError("AssertionConsumerServiceURL is not the ACS of the SP metadata")
        issued = datetime.datetime.strptime(req.issue_instant[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        age = (datetime.datetime.now(datetime.timezone.utc) - issued).total_seconds()
        if age > 600 or age < -60:
            raise ValueError("AuthnRequest IssueInstant out of range")
        loa, comparison = None, None
        rac = req.requested_authn_context
        if rac is not None and rac.authn_context_class_ref:
            loa = (rac.authn_context_class_ref[0].text or "").strip()
            comparison = rac.comparison or "exact"
        fmt = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
        if req.name_id_policy is not None and req.name_id_policy.format:
            fmt = req.name_id_policy.format
        return {"id": req.id, "loa": loa, "comparison": comparison, "nameid_format": fmt,
                "provider": req.provider_name or sp.entity_id}

    # -- Response ---------------------------------------------------------
    def _status(self, top, sub=None):
        inner = samlp.StatusCode(value=sub) if sub else None
        return samlp.Status(status_code=samlp.StatusCode(value=top, status_code=inner))

    def _assertion(self, p, citizen, loa):
        sp = self.sp
        dest = sp.node_country or "EU"
        pid = "LU/%s/%s" % (dest, citizen["pid"])
        nameid = secrets.token_hex(16) if p["nameid_format"].endswith(":transient") else \
            "LU-demo-" + citizen["pid"]
        attrs = []

        def attr(suffix, friendly, values):
            attrs.append(saml.Attribute(
                name=NP + suffix, name_format=URI_FMT, friendly_name=friendly,
                attribute_value=[saml.AttributeValue(text=v) for v in values]))

        attr("PersonIdentifier", "PersonIdentifier", [pid])
        attr("CurrentFamilyName", "FamilyName", [v for v in citizen["family"] if v])
        attr("CurrentGivenName", "FirstName", [v for v in citizen["given"] if v])
        attr("DateOfBirth", "DateOfBirth", [citizen["dob"]])
        a = saml.Assertion(
            id=new_id(), version="2.0", issue_instant=utc(),
            issuer=saml.Issuer(text=self.entity_id, format=saml.NAMEID_FORMAT_ENTITY),
            subject=saml.Subject(
                name_id=saml.NameID(format=p["nameid_format"], text=nameid),
                subject_confirmation=[saml.SubjectConfirmation(
                    method=saml.SCM_BEARER,
                    subject_confirmation_data=saml.SubjectConfirmationData(
                        in_response_to=p["id"], recipient=sp.acs, not_on_or_after=utc(300)))]),
            conditions=saml.Conditions(
                not_before=utc(-5), not_on_or_after=utc(300),
                audience_restriction=[saml.AudienceRestriction(
                    audience=[saml.Audience(text=sp.entity_id)])]),
            authn_statement=[saml.AuthnStatement(
                authn_instant=utc(),
                authn_context=saml.AuthnContext(
                    authn_context_class_ref=saml.AuthnContextClassRef(text=loa)))],
            attribute_statement=[saml.AttributeStatement(attribute=attrs)])
        xml = a.to_string(nspair={"saml2": saml.NAMESPACE})
        root = etree.fromstring(xml)
        # eIDAS attribute profile: the original-script value of a name is
        # marked LatinScript="false" (pysaml2 has no slot for it).
        for at in root.iter("{%s}Attribute" % saml.NAMESPACE):
            if at.get("Name") in (NP + "CurrentFamilyName", NP + "CurrentGivenName"):
                vals = at.findall("{%s}AttributeValue" % saml.NAMESPACE)
                if len(vals) == 2:
                    vals[1].set("LatinScript", "false")
        self.signer.sign(root, after=root.find("{%s}Issuer" % saml.NAMESPACE))
        return root

    def _encrypt(self, assertion):
        """EncryptedAssertion element (AES-256-GCM, rsa-oaep-mgf1p) via xmlsec1."""
        sp = self.sp
        wrapper = etree.Element("{%s}EncryptedAssertion" % saml.NAMESPACE,
                                nsmap={"saml2": saml.NAMESPACE})
        wrapper.append(assertion)
        with open(sp.encryption_pem) as f:
            cert_b64 = "".join(l for l in f.read().splitlines() if "-----" not in l)
        template = pre_encryption_part(msg_enc=AES256_GCM, key_enc=RSA_OAEP_MGF1P,
                                       key_name="sp-encryption", encrypt_cert=cert_b64)
        out = self.xmlsec.encrypt_assertion(
            etree.tostring(wrapper).decode(), sp.encryption_pem, str(template),
            key_type="aes-256",
            node_xpath="/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']")
        enc = etree.fromstring(out.encode() if isinstance(out, str) else out)
        if enc.find(".//{%s}Assertion" % saml.NAMESPACE) is not None:
            raise RuntimeError("xmlsec1 left the assertion in plaintext")
        return enc

    def response(self, p, citizen=None, loa=None, cancel=False):
        sp = self.sp
        if cancel:
            status = self._status(samlp.STATUS_RESPONDER, samlp.STATUS_REQUEST_DENIED)
        else:
            status = self._status(samlp.STATUS_SUCCESS)
        r = samlp.Response(
            id=new_id(), version="2.0", issue_instant=utc(), destination=sp.acs,
            in_response_to=p["id"],
            issuer=saml.Issuer(text=self.entity_id, format=saml.NAMEID_FORMAT_ENTITY),
            status=status)
        root = etree.fromstring(r.to_string(nspair={"saml2p": samlp.NAMESPACE,
                                                    "saml2": saml.NAMESPACE}))
        if not cancel:
            root.append(self._encrypt(self._assertion(p, citizen, loa)))
        self.signer.sign(root, after=root.find("{%s}Issuer" % saml.NAMESPACE))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # -- pending requests -------------------------------------------------
    def put_pending(self, state):
        h = secrets.token_urlsafe(24)
        now = time.time()
        with self.pending_lock:
            for k in [k for k, v in self.pending.items() if v["at"] + PENDING_TTL < now]:
                del self.pending[k]
            if len(self.pending) > 10000:
                raise ValueError("too many pending logins")
            state["at"] = now
            self.pending[h] = state
        return h

    def take_pending(self, h):
        with self.pending_lock:
            st = self.pending.pop(h, None)
        if st is None or st["at"] + PENDING_TTL < time.time():
            return None
        return st


# -- HTML ------------------------------------------------------------------
CSS = """
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff;line-height:1.5}
h1{font-size:1.5rem}fieldset{border:1px solid #6b6b6b;margin:1rem 0;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}label{display:block;padding:.25rem 0}
.note{background:#fff4ce;border-left:4px solid #8a6d00;padding:.5rem 1rem}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.75rem;border:2px solid #0b3d91;border-radius:4px;cursor:pointer}
button.primary{background:#0b3d91;color:#fff}button.secondary{background:#fff;color:#0b3d91}
button:focus,input:focus{outline:3px solid #ffbf47;outline-offset:2px}.muted{color:#4a4a4a}
"""


def page(title, body, nonce, lang="en"):
    return ("<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>%s</title><style nonce=\"%s\">%s</style></head><body><main>%s</main></body></html>"
            % (lang, html.escape(title), nonce, CSS, body))


def login_page(handle, p, nonce):
    e = html.escape
    req_loa = p.get("loa") or LOAS["substantial"]
    rows = []
    for i, c in enumerate(CITIZENS):
        name = "%s %s" % (c["given"][0], c["family"][0])
        if c["given"][1]:
            name += " (<span lang=\"el\">%s %s</span>)" % (e(c["given"][1]), e(c["family"][1]))
        rows.append('<label><input type="radio" name="citizen" value="%s"%s> %s, born %s</label>'
                    % (e(c["key"]), " checked" if i == 0 else "", name, e(c["dob"])))
    loas = []
    for k, uri in LOAS.items():
        loas.append('<label><input type="radio" name="loa" value="%s"%s> %s <span class="muted">(%s)</span></label>'
                    % (e(k), " checked" if uri == req_loa else "", e(k.capitalize()), e(uri)))
    body = """
<h1>Demo national eID (LU)</h1>
<p class="note">This is a <strong>test identity provider</strong> for the eidgw demo. Its citizens are fictitious.</p>
<p><strong>%s</strong> asks you to log in%s.</p>
<form method="post" action="/login">
<input type="hidden" name="handle" value="%s">
<fieldset><legend>Test citizen</legend>%s</fieldset>
<fieldset><legend>Level of assurance to assert</legend>%s</fieldset>
<button type="submit" name="action" value="login" class="primary" id="login">Log in</button>
<button type="submit" name="action" value="cancel" class="secondary" id="cancel">Cancel</button>
</form>""" % (e(p["provider"]),
              (" with level of assurance <em>%s</em> (%s)" % (e(req_loa.rsplit("/", 1)[-1]), e(p.get("comparison") or "minimum"))) if p.get("loa") else "",
              e(handle), "\n".join(rows), "\n".join(loas))
    return page("Log in - demo national eID", body, nonce)


def post_page(acs, saml_response, relay_state, nonce):
    e = html.escape
    rs = ('<input type="hidden" name="RelayState" value="%s">' % e(relay_state)) if relay_state else ""
    body = """
<h1>Returning to the service</h1>
<form method="post" action="%s" id="samlform">
<input type="hidden" name="SAMLResponse" value="%s">%s
<p>If nothing happens, press the button.</p>
<button type="submit" class="primary" id="continue">Continue</button>
</form>
<script nonce="%s">document.getElementById('samlform').submit();</script>""" % (
        e(acs), e(base64.b64encode(saml_response).decode()), rs, nonce)
    return page("Returning to the service", body, nonce)


def error_page(msg, nonce):
    return page("Error - demo national eID",
                "<h1>The login request was refused</h1><p role=\"alert\">%s</p>" % html.escape(msg), nonce)


# -- WSGI ------------------------------------------------------------------
def make_app(idp):
    def respond(start, status, body, ctype="text/html; charset=utf-8", nonce=None, form_action=True):
        csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        if nonce:
            csp += "; style-src 'nonce-%s'; script-src 'nonce-%s'" % (nonce, nonce)
            if form_action:
                csp += "; form-action 'self'"
        data = body.encode("utf-8") if isinstance(body, str) else body
        start(status, [("Content-Type", ctype), ("Content-Length", str(len(data))),
                       ("Cache-Control", "no-store"), ("Content-Security-Policy", csp),
                       ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")])
        return [data]

    def read_form(environ):
        try:
            n = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            n = 0
        if n > MAX_FORM:
            raise ValueError("form too large")
        raw = environ["wsgi.input"].read(n).decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def app(environ, start):
        path, method = environ.get("PATH_INFO", "/"), environ["REQUEST_METHOD"]
        nonce = secrets.token_urlsafe(16)
        try:
            if path == "/healthz" and method == "GET":
                return respond(start, "200 OK", '{"status":"ok"}', "application/json")
            if path == "/metadata" and method == "GET":
                if idp.metadata is None:
                    return respond(start, "404 Not Found", "no metadata file", "text/plain")
                return respond(start, "200 OK", idp.metadata, "application/samlmetadata+xml")
            if path == "/sso/post" and method == "POST":
                f = read_form(environ)
                if "SAMLRequest" not in f:
                    return respond(start, "400 Bad Request", error_page("No SAMLRequest.", nonce), nonce=nonce)
                try:
                    p = idp.parse_request(f["SAMLRequest"])
                except Exception as ex:  # refused request: say why (no personal data here)
                    log("sso.refused", reason=str(ex)[:300])
                    return respond(start, "400 Bad Request", error_page(str(ex), nonce), nonce=nonce)
                rs = f.get("RelayState", "")
                if len(rs) > 80:
                    return respond(start, "400 Bad Request", error_page("RelayState longer than 80 bytes.", nonce), nonce=nonce)
                p["relay_state"] = rs
                h = idp.put_pending(p)
                log("sso.request", request_id=p["id"], loa=p["loa"], comparison=p["comparison"])
                return respond(start, "200 OK", login_page(h, p, nonce), nonce=nonce)
            if path == "/login" and method == "POST":
                f = read_form(environ)
                p = idp.take_pending(f.get("handle", ""))
                if p is None:
                    return respond(start, "400 Bad Request",
                                   error_page("This login is unknown or has expired; start again at the service.", nonce), nonce=nonce)
                if f.get("action") == "cancel":
                    xml = idp.response(p, cancel=True)
                    log("sso.response", request_id=p["id"], status="RequestDenied")
                else:
                    citizen = next((c for c in CITIZENS if c["key"] == f.get("citizen")), None)
                    loa = LOAS.get(f.get("loa", ""))
                    if citizen is None or loa is None:
                        return respond(start, "400 Bad Request", error_page("Choose a citizen and a level.", nonce), nonce=nonce)
                    xml = idp.response(p, citizen=citizen, loa=loa)
                    log("sso.response", request_id=p["id"], status="Success", loa=loa)
                return respond(start, "200 OK", post_page(idp.sp.acs, xml, p["relay_state"], nonce),
                               nonce=nonce, form_action=False)
            if path == "/" and method == "GET":
                return respond(start, "200 OK", page("Demo national eID", "<h1>Demo national eID (LU)</h1>"
                               "<p>Start a login at the demo service; this page only answers eidgw's requests.</p>", nonce), nonce=nonce)
            return respond(start, "404 Not Found", "not found", "text/plain")
        except Exception as ex:
            log("error", reason=repr(ex)[:300])
            return respond(start, "500 Internal Server Error", error_page("Internal error.", nonce), nonce=nonce)

    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *a):
        log("http", line=(fmt % a)[:200])


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="demo national eID provider for eidgw")
    ap.add_argument("--listen", default="127.0.0.1:8070")
    ap.add_argument("--base-url", default=None, help="default: http://<listen>")
    ap.add_argument("--entity-id", required=True)
    ap.add_argument("--certs", default=os.path.join(here, "..", "..", "certs", "dev"))
    ap.add_argument("--metadata-file", default=None, help="this IdP's metadata, served at /metadata")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--sp-metadata-url")
    g.add_argument("--sp-metadata-file")
    ap.add_argument("--sp-metadata-ca", help="CA the SP metadata signer must chain to (xmlsec1 check)")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the demo IdP listens on loopback only")
    args.base_url = args.base_url or "http://%s:%s" % (host, port)
    if args.metadata_file is None:
        args.metadata_file = os.path.join(args.certs, "demo-idp-metadata.xml")
    idp = IdP(args)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    # SIGTERM (and SIGINT, which a shell's background job ignores) end the
    # server; the temporary folder (the SP certificates) goes in any case.
    signal.signal(signal.SIGTERM, on_term)
    try:
        try:
            idp.load_sp()
        except Exception as ex:  # the gateway may not be up yet: retried on the first request
            log("sp_metadata.deferred", reason=str(ex)[:300])
        srv = make_server(host, int(port), make_app(idp), server_class=ThreadingWSGIServer,
                          handler_class=QuietHandler)
        log("startup.listening", url=args.base_url, entity_id=args.entity_id,
            port=str(srv.server_address[1]))
        try:
            srv.serve_forever()
        finally:
            srv.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(idp.tmpdir, ignore_errors=True)
        log("shutdown.done")


if __name__ == "__main__":
    main()
