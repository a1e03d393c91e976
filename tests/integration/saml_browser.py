#!/usr/bin/python3
"""Plays the browser for one SAML login over plain HTTP, for shell tests.

    saml_browser.py start URL                 -> prints action, SAMLRequest, RelayState (3 lines)
    saml_browser.py idp ACTION REQ RELAY CITIZEN LOA
                                              -> posts the request to the IdP, logs in there,
                                                 prints acs, SAMLResponse, RelayState (3 lines)

It reads auto-submitting HTML forms (the gateway's and the demo IdP's) and
posts them on, as a browser would with JavaScript; nothing more.
"""
import html
import re
import sys
import urllib.parse
import urllib.request


def form(page):
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    if action is None:
        raise SystemExit("no form in page")
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def post(url, data):
    body = urllib.parse.urlencode(data).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
        return r.read().decode(), r.geturl()


def main():
    if sys.argv[1] == "start":
        action, f = form(get(sys.argv[2]))
        print(action)
        print(f["SAMLRequest"])
        print(f.get("RelayState", ""))
    elif sys.argv[1] == "idp":
        action, req, relay, citizen, loa = sys.argv[2:7]
        page, where = post(action, {"SAMLRequest": req, "RelayState": relay})
        login_action, f = form(page)
        login_url = urllib.parse.urljoin(where, login_action)
        page, _ = post(login_url, {"handle": f["handle"], "citizen": citizen, "loa": loa,
                                   "action": "login"})
        acs, f = form(page)
        print(acs)
        print(f["SAMLResponse"])
        print(f.get("RelayState", ""))


if __name__ == "__main__":
    main()
