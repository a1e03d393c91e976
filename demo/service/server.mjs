// Demo service (relying party) for eidgw, built on openid-client (an OIDC RP
// library independent of eidgw).  Demo only: in-memory sessions, http on
// loopback.
//
//   node demo/service/server.mjs [--port 8090] [--issuer http://127.0.0.1:8080]
//        [--client-config conf/clients/demo-service.yaml]
//
// GET  /          start page: "Log in with your eID" (optional LoA, country)
// GET  /login     authorization code flow: PKCE S256, state, nonce -> eidgw
// GET  /callback  code -> tokens (client_secret_basic); the ID token is
//                 validated by openid-client, its signature against eidgw's
//                 JWKS; then userinfo; shows the claims (escaped) incl. acr
// GET  /healthz   {"status":"ok"}
//
// The client secret comes from the client's YAML (client_secret, or the first
// line of client_secret_file, relative to the YAML's folder's parent as eidgw
// resolves it: conf/) or from EIDGW_DEMO_CLIENT_SECRET.

import * as http from 'node:http';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';

const here = path.dirname(fileURLToPath(import.meta.url));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const PORT = Number(arg('port', process.env.PORT || 8090));
const HOST = '127.0.0.1';
const BASE = arg('base-url', `http://${HOST}:${PORT}`);
const ISSUER = arg('issuer', 'http://127.0.0.1:8080');
const CLIENT_CONFIG = arg('client-config', path.join(here, '..', '..', 'conf', 'clients', 'demo-service.yaml'));
const REDIRECT_URI = `${BASE}/callback`;
const SCOPE = arg('scope', 'openid profile eidas');
const LOAS = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
};

// The few keys of the client YAML we need (flat "key: value" lines).
function readClientConfig(file) {
  const text = fs.readFileSync(file, 'utf8');
  const get = (k) => {
    const m = text.match(new RegExp(`^${k}:\\s*(?:"([^"]*)"|'([^']*)'|([^#\\s][^#]*?))\\s*(?:#.*)?$`, 'm'));
    return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  };
  let secret = process.env.EIDGW_DEMO_CLIENT_SECRET || get('client_secret');
  const secretFile = get('client_secret_file');
  if (!secret && secretFile) {
    // eidgw resolves relative paths against the folder of gateway.yaml (conf/).
    const p = path.isAbsolute(secretFile) ? secretFile : path.join(path.dirname(file), '..', secretFile);
    secret = fs.readFileSync(p, 'utf8').split('\n')[0].trim();
  }
  return {
    clientId: get('client_id'),
    secret,
    alg: get('id_token_signed_response_alg') || 'PS256',
  };
}

const cc = readClientConfig(CLIENT_CONFIG);
if (!cc.clientId || !cc.secret) {
  console.error(`demo service: ${CLIENT_CONFIG}: need client_id and client_secret (or client_secret_file)`);
  process.exit(2);
}

let config = null;
async function oidc() {
  if (config) return config;
  config = await client.discovery(new URL(ISSUER), cc.clientId,
    { client_secret: cc.secret, id_token_signed_response_alg: cc.alg },
    client.ClientSecretBasic(cc.secret),
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks], timeout: 10 });
  return config;
}

// What a citizen reads for the usual OIDC errors (the code is shown too).
const ERROR_TEXT = {
  access_denied: 'The login was cancelled, or refused by your national eID.',
  unmet_authentication_requirements: 'Your national eID could not give the level of assurance this service asks for.',
  login_required: 'You need to log in again.',
  temporarily_unavailable: 'The login service is temporarily unavailable. Please try again later.',
  server_error: 'The login service had a problem. Please try again later.',
  invalid_grant: 'This login can no longer be completed (it was used or has expired). Start again.',
};

const sessions = new Map(); // sid -> { verifier, state, nonce, acr, at }
const SESSION_TTL_MS = 15 * 60 * 1000;

function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #8a8a8a;padding:.35rem .6rem;text-align:left;vertical-align:top;word-break:break-all}
th{background:#eef1f6;width:16rem}.btn{display:inline-block;font-size:1.05rem;padding:.6rem 1.4rem;background:#0b3d91;color:#fff;border:2px solid #0b3d91;border-radius:4px;text-decoration:none;cursor:pointer}
.btn:focus,select:focus{outline:3px solid #ffbf47;outline-offset:2px}.error{border-left:6px solid #b00020;background:#fdecee;padding:.75rem 1rem}
.ok{border-left:6px solid #1e7d32;background:#e9f5ea;padding:.75rem 1rem}label{display:block;margin:.5rem 0 .25rem}code{background:#f2f2f2;padding:0 .2rem}`;

function page(res, status, title, body, nonce) {
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style nonce="${nonce}">${CSS}</style></head><body><main>${body}<p><a href="/">Back to the start page</a></p></main></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    // form-action covers the redirect chain of a form submission too
    // (Chromium): /login redirects to eidgw.
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self' ${new URL(ISSUER).origin}; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(html);
}

function claimsTable(id, claims) {
  const rows = Object.keys(claims).sort().map((k) => {
    const v = typeof claims[k] === 'string' ? claims[k] : JSON.stringify(claims[k]);
    return `<tr><th scope="row">${esc(k)}</th><td data-claim="${esc(k)}">${esc(v)}</td></tr>`;
  });
  return `<table id="${id}"><caption>${id === 'id-token-claims' ? 'ID token claims' : 'Userinfo claims'}</caption><tbody>${rows.join('')}</tbody></table>`;
}

function getCookie(req, name) {
  const h = req.headers.cookie || '';
  for (const part of h.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function log(event, extra = {}) {
  process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), event, ...extra }) + '\n');
}

async function handle(req, res) {
  const url = new URL(req.url, BASE);
  const nonce = crypto.randomBytes(16).toString('base64url');
  if (req.method !== 'GET') return page(res, 405, 'Method not allowed', '<h1>Method not allowed</h1>', nonce);

  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end('{"status":"ok"}');
  }

  if (url.pathname === '/') {
    const opts = ['<option value="">service default</option>']
      .concat(Object.keys(LOAS).map((k) => `<option value="${k}">${k}</option>`)).join('');
    return page(res, 200, 'Demo service', `<h1>Demo service</h1>
<p>This service lets citizens of other European countries log in with their national eID through <strong>eidgw</strong> (${esc(ISSUER)}).</p>
<form method="get" action="/login">
<label for="acr">Level of assurance required</label>
<select id="acr" name="acr">${opts}</select>
<p><button type="submit" class="btn" id="login">Log in with your eID</button></p>
</form>`, nonce);
  }

  if (url.pathname === '/login') {
    let cfg;
    try {
      cfg = await oidc();
    } catch (e) {
      log('discovery.failed', { reason: String(e.message || e) });
      return page(res, 502, 'eidgw unreachable', `<h1>Cannot reach eidgw</h1><div class="error" role="alert"><p>Discovery at <code>${esc(ISSUER)}</code> failed: ${esc(e.message || e)}</p></div>`, nonce);
    }
    const verifier = client.randomPKCECodeVerifier();
    const s = {
      verifier, state: client.randomState(), nonce: client.randomNonce(), at: Date.now(),
      acr: LOAS[url.searchParams.get('acr') || ''] || null,
    };
    const params = {
      redirect_uri: REDIRECT_URI, scope: SCOPE, response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      state: s.state, nonce: s.nonce,
    };
    if (s.acr) params.acr_values = s.acr;
    const country = url.searchParams.get('country');
    if (country && /^[A-Z]{2}$/.test(country)) params.country = country;
    const sid = crypto.randomBytes(24).toString('base64url');
    const now = Date.now();
    for (const [k, v] of sessions) if (v.at + SESSION_TTL_MS < now) sessions.delete(k);
    sessions.set(sid, s);
    const to = client.buildAuthorizationUrl(cfg, params);
    res.writeHead(302, {
      Location: to.href, 'Cache-Control': 'no-store',
      'Set-Cookie': `demo_sid=${sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age=900`,
    });
    return res.end();
  }

  if (url.pathname === '/callback') {
    const sid = getCookie(req, 'demo_sid');
    const s = sid ? sessions.get(sid) : undefined;
    if (!s) {
      return page(res, 400, 'Login failed', `<h1>Login failed</h1><div class="error" role="alert"><p id="error-code">no_session</p><p>This browser has no login in progress here. Start again.</p></div>`, nonce);
    }
    sessions.delete(sid); // one use
    let tokens;
    try {
      tokens = await client.authorizationCodeGrant(await oidc(), url, {
        pkceCodeVerifier: s.verifier, expectedState: s.state, expectedNonce: s.nonce, idTokenExpected: true,
      });
    } catch (e) {
      // AuthorizationResponseError (error=... from eidgw, after openid-client
      // checked state and iss), ResponseBodyError (token endpoint), or a
      // validation failure of the ID token.
      const code = e.error || e.code || 'error';
      log('login.failed', { code, reason: String(e.message || e) });
      return page(res, 400, 'Login failed', `<h1>Login failed</h1><div class="error" role="alert">
<p>eidgw did not log you in. Error: <strong id="error-code">${esc(code)}</strong></p>
${ERROR_TEXT[code] ? `<p id="error-text">${esc(ERROR_TEXT[code])}</p>` : ''}
${e.error_description ? `<p id="error-description">${esc(e.error_description)}</p>` : ''}
<p class="detail">${esc(e.message || '')}</p></div>`, nonce);
    }
    const claims = tokens.claims();
    let userinfo = null;
    let uiError = null;
    try {
      userinfo = await client.fetchUserInfo(await oidc(), tokens.access_token, claims.sub);
    } catch (e) {
      uiError = e.error || e.code || String(e.message || e);
    }
    log('login.ok', { acr: claims.acr });
    const acrNote = s.acr ? ` (requested: <code>${esc(s.acr)}</code>)` : '';
    return page(res, 200, 'Logged in', `<h1>Logged in</h1>
<div class="ok" role="status"><p>Welcome${claims.given_name ? ', ' + esc(claims.given_name) : ''}. Level of assurance: <strong id="acr">${esc(claims.acr ?? '')}</strong>${acrNote}</p></div>
<h2>ID token claims</h2><p>Validated by openid-client: signature (${esc(cc.alg)}) against eidgw's JWKS, issuer, audience, expiry, nonce.</p>
${claimsTable('id-token-claims', claims)}
<h2>Userinfo</h2>
${userinfo ? claimsTable('userinfo-claims', userinfo) : `<div class="error" role="alert"><p>Userinfo failed: <span id="userinfo-error">${esc(uiError)}</span></p></div>`}`, nonce);
  }

  return page(res, 404, 'Not found', '<h1>Not found</h1>', nonce);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    log('error', { reason: String(e && e.stack || e) });
    if (!res.headersSent) { res.writeHead(500, { 'Content-Type': 'text/plain' }); }
    res.end('internal error');
  });
});
server.requestTimeout = 30000;
server.listen(PORT, HOST, () => {
  log('startup.listening', { url: BASE, issuer: ISSUER, client_id: cc.clientId, port: String(server.address().port) });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
