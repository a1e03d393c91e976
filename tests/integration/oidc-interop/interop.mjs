// eidgw's OpenID Provider driven by openid-client (an independent RP
// library).  Run by tests/integration/test_oidc_interop.sh, which starts
// eidgw with a test-auto country (a connector that logs a synthetic citizen
// in at once), so the front channel needs no browser: redirects are
// followed by hand (fetch, redirect: 'manual').
//
// Environment: ISSUER, CERTS (the dev PKI: demo-client.key,
// demo-client.jwks.json), SECRET (demo-service's client secret), COUNTRY,
// EXPECT_ACR (the LoA the test connector asserts), CODE_TTL_S; from the
// client YAMLs: BASIC_REDIRECT, BASIC_ALG, JWT_REDIRECT, JWT_ALG; DPOP_CLIENT
// (a client_secret_basic client with dpop_bound_access_tokens: true and
// demo-service's secret and redirect URI, written by the test script).
// Prints "N passed, N failed"; exits 1 on any failure.

import * as fs from 'node:fs';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as client from 'openid-client';
import * as jose from 'jose';
import { results, check, assert, assertEq, rawFetch, frontChannel } from './lib.mjs';

const ISSUER = process.env.ISSUER;
const CERTS = process.env.CERTS;
const SECRET = process.env.SECRET;
const COUNTRY = process.env.COUNTRY || 'LU';
const EXPECT_ACR = process.env.EXPECT_ACR || 'http://eidas.europa.eu/LoA/high';
const CODE_TTL_S = Number(process.env.CODE_TTL_S || 0);
if (!ISSUER || !CERTS || !SECRET) {
  console.error('interop.mjs: ISSUER, CERTS and SECRET are required');
  process.exit(2);
}

// The two demo clients of conf/clients/ (redirect URIs as configured there).
const BASIC = { id: 'demo-service', redirect: process.env.BASIC_REDIRECT || 'http://127.0.0.1:8090/callback', alg: process.env.BASIC_ALG || 'PS256' };
const JWT = { id: 'demo-par-jwt', redirect: process.env.JWT_REDIRECT || 'http://127.0.0.1:8090/callback-jwt', alg: process.env.JWT_ALG || 'ES256' };
const DPOP_CLIENT = process.env.DPOP_CLIENT || '';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const opts = { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks], timeout: 15 };

const jwks = JSON.parse(fs.readFileSync(`${CERTS}/demo-client.jwks.json`, 'utf8'));
const KID = jwks.keys[0].kid;
const clientKey = await jose.importPKCS8(fs.readFileSync(`${CERTS}/demo-client.key`, 'utf8'), 'ES256');

let meta = null;
let firstSub = null;
let basicCfg = null;
let jwtCfg = null;

async function basicConfig(secret = SECRET) {
  return client.discovery(new URL(ISSUER), BASIC.id,
    { client_secret: secret, id_token_signed_response_alg: BASIC.alg },
    client.ClientSecretBasic(secret), opts);
}

async function jwtConfig() {
  return client.discovery(new URL(ISSUER), JWT.id, { id_token_signed_response_alg: JWT.alg },
    client.PrivateKeyJwt({ key: clientKey, kid: KID }), opts);
}

// Authorization parameters with PKCE S256, state and nonce.
async function authParams(c, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  return {
    verifier,
    params: {
      redirect_uri: c.redirect, scope: 'openid profile', response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      state: client.randomState(), nonce: client.randomNonce(), country: COUNTRY, ...extra,
    },
  };
}

// Runs the front channel from an authorization URL; returns the URL eidgw
// redirected to (the client's redirect_uri with code or error).
async function toRedirect(authUrl, redirectUri) {
  const r = await frontChannel(authUrl.href, redirectUri, { country: COUNTRY });
  if (!r.redirect) {
    throw new Error(`no redirect to ${redirectUri}; stopped at ${r.url} with ${r.status}: ${String(r.body).slice(0, 200).replace(/\s+/g, ' ')}`);
  }
  return new URL(r.redirect);
}

async function basicLogin(extra = {}) {
  const { verifier, params } = await authParams(BASIC, extra);
  const back = await toRedirect(client.buildAuthorizationUrl(basicCfg, params), BASIC.redirect);
  return { verifier, params, back };
}

// The OAuth error of what openid-client threw: an error response body, or a
// WWW-Authenticate challenge (401 invalid_client with HTTP Basic, RFC 6749 5.2).
// A challenge without an error parameter (Basic realm=...) leaves the error
// in the JSON body of the response.
async function expectOAuthError(e, code, what) {
  const challenge = e && Array.isArray(e.cause) ? e.cause.find((c) => c && c.parameters && c.parameters.error) : null;
  let got = e && (e.error || (challenge && challenge.parameters.error) || (e.cause && e.cause.error));
  if (!got && e && e.response) {
    try { got = (await e.response.clone().json()).error; } catch { /* no JSON body */ }
  }
  if (got !== code) throw new Error(`${what}: want error ${code}, got ${got ?? ''} (${e && e.message})`);
}

// A client assertion for demo-par-jwt (RFC 7523), signed or not.
async function assertion({ alg = 'ES256', key = clientKey, claims = {}, kid = KID } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: JWT.id, sub: JWT.id, aud: ISSUER, jti: crypto.randomUUID(), iat: now, exp: now + 60, ...claims };
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
}

function b64u(o) {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

async function parWithAssertion(clientAssertion) {
  const { params } = await authParams(JWT);
  const body = new URLSearchParams({ ...params, client_id: JWT.id, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion });
  const r = await rawFetch(meta.pushed_authorization_request_endpoint, {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const text = await r.text();
  let json = {};
  try { json = JSON.parse(text); } catch { /* checked by the caller */ }
  return { status: r.status, json };
}

// ---------------------------------------------------------------------------
await check('discovery: openid-client reads eidgw metadata (issuer, endpoints, code only, S256, PAR, iss parameter)', async () => {
  basicCfg = await basicConfig();
  meta = basicCfg.serverMetadata();
  assertEq(meta.issuer, ISSUER, 'issuer');
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'pushed_authorization_request_endpoint']) {
    assert(typeof meta[k] === 'string' && meta[k].startsWith(`${ISSUER}/oidc/`), `${k} under ${ISSUER}/oidc/: ${meta[k]}`);
  }
  assert(JSON.stringify(meta.response_types_supported) === '["code"]', `response_types_supported is ["code"]: ${JSON.stringify(meta.response_types_supported)}`);
  assert((meta.code_challenge_methods_supported || []).includes('S256'), 'S256 supported');
  assert(!(meta.code_challenge_methods_supported || []).includes('plain'), 'plain not supported');
  assert(meta.authorization_response_iss_parameter_supported === true, 'authorization_response_iss_parameter_supported');
  assert((meta.acr_values_supported || []).includes(EXPECT_ACR), 'acr_values_supported has the eIDAS LoAs');
});

await check('code flow, client_secret_basic: PKCE S256 + state + nonce; openid-client validates the PS256 ID token against the JWKS; userinfo', async () => {
  const { verifier, params, back } = await basicLogin();
  assertEq(back.searchParams.get('iss'), ISSUER, 'iss in the authorization response (RFC 9207)');
  assert(back.searchParams.get('code'), 'code in the authorization response');
  const tokens = await client.authorizationCodeGrant(basicCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  });
  const c = tokens.claims();
  assertEq(c.iss, ISSUER, 'iss');
  assertEq(c.aud === BASIC.id || (Array.isArray(c.aud) && c.aud.includes(BASIC.id)), true, 'aud has the client');
  assertEq(c.nonce, params.nonce, 'nonce');
  assertEq(c.acr, EXPECT_ACR, 'acr is the LoA the connector asserted');
  assert(typeof c.sub === 'string' && c.sub.length >= 16, 'pairwise sub');
  assert(!c.sub.includes('interop-0001') && !c.sub.startsWith('LU/'), `sub does not reveal the PersonIdentifier: ${c.sub}`);
  firstSub = c.sub;
  const hdr = jose.decodeProtectedHeader(tokens.id_token);
  assertEq(hdr.alg, BASIC.alg, 'ID token alg of the client config');
  // The same signature, checked by jose against the published JWKS.
  await jose.jwtVerify(tokens.id_token, jose.createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: ISSUER, audience: BASIC.id });
  const ui = await client.fetchUserInfo(basicCfg, tokens.access_token, c.sub);
  assertEq(ui.sub, c.sub, 'userinfo sub');
  assert(typeof ui.family_name === 'string' && ui.family_name.length > 0, 'userinfo family_name (profile scope)');
});

await check('PAR + private_key_jwt (demo-par-jwt, ES256 assertion): request_uri flow, ES256 ID token validated, userinfo', async () => {
  jwtCfg = await jwtConfig();
  const { verifier, params } = await authParams(JWT);
  const authUrl = await client.buildAuthorizationUrlWithPAR(jwtCfg, params);
  assert(authUrl.searchParams.get('request_uri'), 'authorization URL carries request_uri');
  assert(!authUrl.searchParams.get('redirect_uri'), 'parameters travel by PAR, not the URL');
  const back = await toRedirect(authUrl, JWT.redirect);
  const tokens = await client.authorizationCodeGrant(jwtCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  });
  const c = tokens.claims();
  assertEq(jose.decodeProtectedHeader(tokens.id_token).alg, JWT.alg, 'ID token alg');
  assertEq(c.acr, EXPECT_ACR, 'acr');
  const ui = await client.fetchUserInfo(jwtCfg, tokens.access_token, c.sub);
  assertEq(ui.sub, c.sub, 'userinfo sub');
});

await check('PAR request_uri is single use', async () => {
  const { params } = await authParams(JWT);
  const authUrl = await client.buildAuthorizationUrlWithPAR(jwtCfg, params);
  await toRedirect(authUrl, JWT.redirect);
  const again = await frontChannel(authUrl.href, JWT.redirect, { country: COUNTRY });
  assert(!(again.redirect && new URL(again.redirect).searchParams.get('code')), 'second use of request_uri gave a code');
});

await check('a client that requires PAR is refused without it (no code)', async () => {
  const { params } = await authParams(JWT);
  const u = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries({ ...params, client_id: JWT.id })) u.searchParams.set(k, v);
  const r = await frontChannel(u.href, JWT.redirect, { country: COUNTRY });
  assert(!(r.redirect && new URL(r.redirect).searchParams.get('code')), 'got a code without PAR');
  if (r.redirect) assert(new URL(r.redirect).searchParams.get('error'), 'error in the redirect');
});

const otherPort = new URL(BASIC.redirect);
otherPort.port = String(Number(otherPort.port || 80) + 1);
for (const [what, bad] of [
  ['unregistered redirect_uri', new URL('/evil', BASIC.redirect).href],
  ['altered redirect_uri (extra path)', `${BASIC.redirect}/x`],
  ['altered redirect_uri (extra query)', `${BASIC.redirect}?next=http://127.0.0.1:9/`],
  ['altered redirect_uri (other port)', otherPort.href],
  ['altered redirect_uri (trailing slash)', `${BASIC.redirect}/`],
  ['altered redirect_uri (upper-case path)', BASIC.redirect.replace(/\/([^/]*)$/, (m, p) => `/${p.toUpperCase()}`)],
]) {
  await check(`${what}: error page, no redirect at all`, async () => {
    const { params } = await authParams(BASIC, { redirect_uri: bad });
    const r = await rawFetch(client.buildAuthorizationUrl(basicCfg, params).href);
    const body = await r.text();
    assert(!(r.status >= 300 && r.status < 400), `status ${r.status} is a redirect (Location ${r.headers.get('location')})`);
    assert(!r.headers.get('location'), 'no Location header');
    assert(r.status >= 400 && r.status < 500, `4xx error page, got ${r.status}`);
    assert(/<html/i.test(body), 'an HTML error page');
  });
}

await check('unknown client_id: error page, no redirect', async () => {
  const { params } = await authParams(BASIC);
  const u = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries({ ...params, client_id: 'no-such-client' })) u.searchParams.set(k, v);
  const r = await rawFetch(u.href);
  await r.arrayBuffer();
  assert(r.status >= 400 && r.status < 500 && !r.headers.get('location'), `got ${r.status} Location ${r.headers.get('location')}`);
});

async function expectRedirectError(params, code, what) {
  const u = client.buildAuthorizationUrl(basicCfg, params);
  const r = await frontChannel(u.href, BASIC.redirect, { country: COUNTRY });
  assert(r.redirect, `${what}: want an error redirect to the client, got ${r.status} at ${r.url}`);
  const back = new URL(r.redirect);
  assert(!back.searchParams.get('code') && !back.hash.includes('token'), `${what}: no code/token issued`);
  assertEq(back.searchParams.get('error'), code, `${what}: error`);
  assertEq(back.searchParams.get('state'), params.state, `${what}: state echoed`);
  assertEq(back.searchParams.get('iss'), ISSUER, `${what}: iss`);
}

await check('missing PKCE: error redirect invalid_request, no code', async () => {
  const { params } = await authParams(BASIC);
  delete params.code_challenge;
  delete params.code_challenge_method;
  await expectRedirectError(params, 'invalid_request', 'no code_challenge');
});

await check('PKCE method plain refused: error redirect invalid_request, no code', async () => {
  const { params } = await authParams(BASIC);
  params.code_challenge = client.randomPKCECodeVerifier();
  params.code_challenge_method = 'plain';
  await expectRedirectError(params, 'invalid_request', 'plain PKCE');
});

await check('implicit flow (response_type=token): unsupported_response_type, no token', async () => {
  const { params } = await authParams(BASIC, { response_type: 'token' });
  await expectRedirectError(params, 'unsupported_response_type', 'response_type=token');
});

await check('implicit/hybrid flow (response_type=id_token token): refused, no token', async () => {
  const { params } = await authParams(BASIC, { response_type: 'id_token token' });
  await expectRedirectError(params, 'unsupported_response_type', 'response_type=id_token token');
});

await check('wrong PKCE verifier: token exchange refused (invalid_grant)', async () => {
  const { params, back } = await basicLogin();
  try {
    await client.authorizationCodeGrant(basicCfg, back, {
      pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: params.state, expectedNonce: params.nonce,
    });
  } catch (e) {
    return await expectOAuthError(e, 'invalid_grant', 'wrong verifier');
  }
  throw new Error('tokens issued for a wrong verifier');
});

await check('code reuse: second exchange refused, and the first access token is revoked at userinfo', async () => {
  const { verifier, params, back } = await basicLogin();
  const checks = { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce };
  const first = await client.authorizationCodeGrant(basicCfg, back, checks);
  const sub = first.claims().sub;
  assertEq(sub, firstSub, 'the same citizen and client get the same sub on every login');
  const ui = await client.fetchUserInfo(basicCfg, first.access_token, sub);
  assertEq(ui.sub, sub, 'first access token works before the reuse');
  let reused = false;
  try {
    await client.authorizationCodeGrant(basicCfg, back, checks);
    reused = true;
  } catch (e) {
    await expectOAuthError(e, 'invalid_grant', 'second exchange');
  }
  assert(!reused, 'second exchange of the same code issued tokens');
  const r = await rawFetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${first.access_token}` } });
  await r.arrayBuffer();
  assertEq(r.status, 401, 'userinfo with the revoked access token');
  assert(/invalid_token/.test(r.headers.get('www-authenticate') || ''), `WWW-Authenticate invalid_token: ${r.headers.get('www-authenticate')}`);
});

await check('wrong client secret: token exchange refused (invalid_client), the code was not for it', async () => {
  const { verifier, params, back } = await basicLogin();
  const wrong = await basicConfig(`${SECRET}x`);
  try {
    await client.authorizationCodeGrant(wrong, back, { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce });
  } catch (e) {
    await expectOAuthError(e, 'invalid_client', 'wrong secret');
    if (e.status !== undefined) assertEq(e.status, 401, 'status of the refusal');
    return;
  }
  throw new Error('tokens issued with a wrong client secret');
});

await check('userinfo without or with a made-up bearer token: 401', async () => {
  for (const h of [{}, { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }]) {
    const r = await rawFetch(meta.userinfo_endpoint, { headers: h });
    await r.arrayBuffer();
    assertEq(r.status, 401, `userinfo ${JSON.stringify(h)}`);
    assert(r.headers.get('www-authenticate'), 'WWW-Authenticate');
  }
});

await check('client assertion control: a correct ES256 assertion is accepted at PAR (201)', async () => {
  const r = await parWithAssertion(await assertion());
  assertEq(r.status, 201, `PAR status (${JSON.stringify(r.json)})`);
  assert(r.json.request_uri, 'request_uri');
});

await check('client assertion alg "none": refused (401 invalid_client)', async () => {
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u({ iss: JWT.id, sub: JWT.id, aud: ISSUER, jti: crypto.randomUUID(), iat: now, exp: now + 60 })}.`;
  const r = await parWithAssertion(unsigned);
  assertEq(r.status, 401, 'status');
  assertEq(r.json.error, 'invalid_client', 'error');
});

await check('client assertion tampered (payload changed after signing): refused', async () => {
  const good = await assertion();
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.exp += 3600;
  const r = await parWithAssertion(`${h}.${b64u(claims)}.${s}`);
  assertEq(r.status, 401, 'status');
  assertEq(r.json.error, 'invalid_client', 'error');
});

await check('client assertion with a flipped signature bit: refused', async () => {
  const good = await assertion();
  const [h, p, s] = good.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[5] ^= 0x01;
  const r = await parWithAssertion(`${h}.${p}.${sig.toString('base64url')}`);
  assertEq(r.status, 401, 'status');
});

await check('client assertion signed by another key under the registered kid: refused', async () => {
  const { privateKey } = await jose.generateKeyPair('ES256');
  const r = await parWithAssertion(await assertion({ key: privateKey }));
  assertEq(r.status, 401, 'status');
});

await check('client assertion HS256 with the public key as secret (alg confusion): refused', async () => {
  const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
  const r = await parWithAssertion(await assertion({ alg: 'HS256', key: secret }));
  assertEq(r.status, 401, 'status');
});

await check('client assertion for another audience / expired: refused', async () => {
  const a = await parWithAssertion(await assertion({ claims: { aud: 'http://127.0.0.1:1/other' } }));
  assertEq(a.status, 401, 'wrong aud');
  const now = Math.floor(Date.now() / 1000);
  const b = await parWithAssertion(await assertion({ claims: { iat: now - 600, exp: now - 300 } }));
  assertEq(b.status, 401, 'expired');
});

await check('client assertion jti replay: the second use is refused', async () => {
  const a = await assertion();
  const first = await parWithAssertion(a);
  assertEq(first.status, 201, 'first use');
  const second = await parWithAssertion(a);
  assertEq(second.status, 401, 'replayed jti');
});

// ---------------------------------------------------------------------------
// DPoP (RFC 9449): openid-client makes the proofs (getDPoPHandle); eidgw binds
// the access token to the key and checks the proofs at token and userinfo.

function tokenType(tokens) {
  return String(tokens.token_type || '').toLowerCase();
}

// userinfo by hand: status and WWW-Authenticate.
async function rawUserinfo(headers) {
  const r = await rawFetch(meta.userinfo_endpoint, { headers });
  await r.arrayBuffer();
  return { status: r.status, challenge: r.headers.get('www-authenticate') || '' };
}

await check('DPoP: discovery advertises dpop_signing_alg_values_supported (ES256, no none/HS*/RS256)', async () => {
  const algs = meta.dpop_signing_alg_values_supported || [];
  assert(algs.includes('ES256'), `ES256 in ${JSON.stringify(algs)}`);
  assert(!algs.some((a) => a === 'none' || a.startsWith('HS')), `no none/HS*: ${JSON.stringify(algs)}`);
  // FAPI 2.0 §5.4: PS256, ES256, EdDSA only
  assert(!algs.includes('RS256'), `no RS256: ${JSON.stringify(algs)}`);
});

// A login whose code is bound (dpop_jkt) to a fresh openid-client DPoP key of
// alg, redeemed with a proof by that key, and userinfo read with one.
async function dpopLogin(alg) {
  const DPoP = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair(alg));
  const { verifier, params, back } = await basicLogin({ dpop_jkt: await DPoP.calculateThumbprint() });
  const tokens = await client.authorizationCodeGrant(basicCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  }, undefined, { DPoP });
  assertEq(tokenType(tokens), 'dpop', `token_type (${alg})`);
  const sub = tokens.claims().sub;
  const ui = await client.fetchUserInfo(basicCfg, tokens.access_token, sub, { DPoP });
  assertEq(ui.sub, sub, `userinfo sub with a ${alg} proof`);
  return { DPoP, tokens, sub };
}

await check('DPoP: code flow with dpop_jkt; openid-client proves at the token endpoint, gets token_type DPoP, and fetches userinfo with DPoP', async () => {
  const { DPoP, tokens, sub } = await dpopLogin('ES256');
  // The same token without its key: as Bearer, and under DPoP without a proof.
  const asBearer = await rawUserinfo({ authorization: `Bearer ${tokens.access_token}` });
  assertEq(asBearer.status, 401, 'DPoP-bound token used as Bearer');
  assert(/^DPoP /.test(asBearer.challenge) && /error="invalid_token"/.test(asBearer.challenge), `challenge: ${asBearer.challenge}`);
  const noProof = await rawUserinfo({ authorization: `DPoP ${tokens.access_token}` });
  assertEq(noProof.status, 401, 'DPoP scheme without a proof');
  assert(/error="invalid_dpop_proof"/.test(noProof.challenge) && /algs="[^"]*ES256/.test(noProof.challenge), `challenge: ${noProof.challenge}`);
  // Still good with a fresh proof afterwards.
  const again = await client.fetchUserInfo(basicCfg, tokens.access_token, sub, { DPoP });
  assertEq(again.sub, sub, 'userinfo again with a new proof');
});

await check('DPoP: an Ed25519 key (EdDSA, RFC 8037): openid-client proves with it at token and userinfo, the token is bound to its thumbprint', async () => {
  assert((meta.dpop_signing_alg_values_supported || []).includes('EdDSA'), 'EdDSA advertised');
  const { tokens, sub } = await dpopLogin('EdDSA');
  // another Ed25519 key does not unlock it
  const thief = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair('EdDSA'));
  let refused = false;
  try {
    await client.fetchUserInfo(basicCfg, tokens.access_token, sub, { DPoP: thief });
  } catch (e) {
    refused = true;
  }
  assert(refused, 'a proof by another Ed25519 key is refused');
});

// One GET with header fields exactly as given (an array value becomes that
// many header lines, which fetch would merge into one); loopback only.
function rawGet(url, headers) {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`refusing to contact ${u.origin}`);
  return new Promise((resolve, reject) => {
    const rq = http.request(u, { method: 'GET', headers, timeout: 15000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'] || '' }));
    });
    rq.on('error', reject);
    rq.on('timeout', () => rq.destroy(new Error('timeout')));
    rq.end();
  });
}

await check('DPoP: two DPoP header fields at userinfo are refused (invalid_dpop_proof), one good proof is accepted', async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const DPoP = client.getDPoPHandle(basicCfg, { publicKey, privateKey });
  const { verifier, params, back } = await basicLogin();
  const tokens = await client.authorizationCodeGrant(basicCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce,
  }, undefined, { DPoP });
  const ath = crypto.createHash('sha256').update(tokens.access_token).digest('base64url');
  const mk = () => new jose.SignJWT({ jti: crypto.randomUUID(), htm: 'GET', htu: meta.userinfo_endpoint, iat: Math.floor(Date.now() / 1000), ath })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
  const two = await rawGet(meta.userinfo_endpoint, { authorization: `DPoP ${tokens.access_token}`, dpop: [await mk(), await mk()] });
  assertEq(two.status, 401, 'two DPoP fields');
  assert(/error="invalid_dpop_proof"/.test(two.challenge), `challenge: ${two.challenge}`);
  const one = await rawGet(meta.userinfo_endpoint, { authorization: `DPoP ${tokens.access_token}`, dpop: await mk() });
  assertEq(one.status, 200, 'one hand-made proof (jose) with ath');
});

await check('DPoP: a proof by another key does not unlock a DPoP-bound token at userinfo', async () => {
  const DPoP = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair('ES256'));
  const thief = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair('ES256'));
  const { verifier, params, back } = await basicLogin();
  const tokens = await client.authorizationCodeGrant(basicCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce,
  }, undefined, { DPoP });
  assertEq(tokenType(tokens), 'dpop', 'token_type');
  try {
    await client.fetchUserInfo(basicCfg, tokens.access_token, tokens.claims().sub, { DPoP: thief });
  } catch (e) {
    return await expectOAuthError(e, 'invalid_dpop_proof', 'proof by another key');
  }
  throw new Error('userinfo answered a proof by another key');
});

await check('DPoP: dpop_jkt binds the code; redeeming it with another key is refused (invalid_grant)', async () => {
  const DPoP = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair('ES256'));
  const other = client.getDPoPHandle(basicCfg, await client.randomDPoPKeyPair('ES256'));
  const { verifier, params, back } = await basicLogin({ dpop_jkt: await DPoP.calculateThumbprint() });
  try {
    await client.authorizationCodeGrant(basicCfg, back, {
      pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce,
    }, undefined, { DPoP: other });
  } catch (e) {
    return await expectOAuthError(e, 'invalid_grant', 'code bound by dpop_jkt, other key');
  }
  throw new Error('tokens issued to another DPoP key than dpop_jkt named');
});

await check('DPoP with PAR + private_key_jwt: the proof at PAR binds the code, openid-client completes with the same key; another key is refused', async () => {
  const DPoP = client.getDPoPHandle(jwtCfg, await client.randomDPoPKeyPair('ES256'));
  let { verifier, params } = await authParams(JWT);
  let back = await toRedirect(await client.buildAuthorizationUrlWithPAR(jwtCfg, params, { DPoP }), JWT.redirect);
  const tokens = await client.authorizationCodeGrant(jwtCfg, back, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  }, undefined, { DPoP });
  assertEq(tokenType(tokens), 'dpop', 'token_type');
  assertEq(jose.decodeProtectedHeader(tokens.id_token).alg, JWT.alg, 'ID token unaffected');
  const ui = await client.fetchUserInfo(jwtCfg, tokens.access_token, tokens.claims().sub, { DPoP });
  assertEq(ui.sub, tokens.claims().sub, 'userinfo sub');
  // A second login bound at PAR, redeemed with another key.
  const other = client.getDPoPHandle(jwtCfg, await client.randomDPoPKeyPair('ES256'));
  ({ verifier, params } = await authParams(JWT));
  back = await toRedirect(await client.buildAuthorizationUrlWithPAR(jwtCfg, params, { DPoP }), JWT.redirect);
  try {
    await client.authorizationCodeGrant(jwtCfg, back, {
      pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce,
    }, undefined, { DPoP: other });
  } catch (e) {
    return await expectOAuthError(e, 'invalid_grant', 'code bound at PAR, other key');
  }
  throw new Error('tokens issued to another DPoP key than the one proven at PAR');
});

await check('DPoP: a raw proof with alg "none" or a wrong htu at the token endpoint is refused (invalid_dpop_proof)', async () => {
  const now = Math.floor(Date.now() / 1000);
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const unsigned = `${b64u({ typ: 'dpop+jwt', alg: 'none', jwk })}.${b64u({ jti: crypto.randomUUID(), htm: 'POST', htu: meta.token_endpoint, iat: now })}.`;
  const wrongHtu = await new jose.SignJWT({ jti: crypto.randomUUID(), htm: 'POST', htu: meta.userinfo_endpoint, iat: now })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
  for (const [what, proof] of [['alg none', unsigned], ['htu of userinfo', wrongHtu]]) {
    const { verifier, back } = await basicLogin();
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: BASIC.redirect, code_verifier: verifier });
    const r = await rawFetch(meta.token_endpoint, {
      method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${BASIC.id}:${SECRET}`).toString('base64')}`, dpop: proof },
    });
    const json = await r.json();
    assertEq(r.status, 400, `${what}: status`);
    assertEq(json.error, 'invalid_dpop_proof', `${what}: error`);
  }
});

if (DPOP_CLIENT) {
  await check(`DPoP required (${DPOP_CLIENT}, dpop_bound_access_tokens: true): a token request without a proof is refused, with one it is a DPoP token`, async () => {
    const cfg = await client.discovery(new URL(ISSUER), DPOP_CLIENT,
      { client_secret: SECRET, id_token_signed_response_alg: BASIC.alg }, client.ClientSecretBasic(SECRET), opts);
    const login = async () => {
      const { verifier, params } = await authParams(BASIC);
      const back = await toRedirect(client.buildAuthorizationUrl(cfg, params), BASIC.redirect);
      return { checks: { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce }, back };
    };
    let l = await login();
    let refused = false;
    try {
      await client.authorizationCodeGrant(cfg, l.back, l.checks);
    } catch (e) {
      await expectOAuthError(e, 'invalid_dpop_proof', 'no proof for a DPoP-required client');
      refused = true;
    }
    assert(refused, 'tokens issued without a DPoP proof');
    // The code was not burnt by the refusal: the same code, now with a proof.
    const DPoP = client.getDPoPHandle(cfg, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.authorizationCodeGrant(cfg, l.back, l.checks, undefined, { DPoP });
    assertEq(tokenType(tokens), 'dpop', 'token_type');
    l = null;
  });
}

if (CODE_TTL_S > 0) {
  await check(`expired code (code_ttl_s ${CODE_TTL_S}): exchange refused after ${CODE_TTL_S + 2} s`, async () => {
    const { verifier, params, back } = await basicLogin();
    await new Promise((r) => setTimeout(r, (CODE_TTL_S + 2) * 1000));
    try {
      await client.authorizationCodeGrant(basicCfg, back, { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce });
    } catch (e) {
      return await expectOAuthError(e, 'invalid_grant', 'expired code');
    }
    throw new Error('tokens issued for an expired code');
  });
}

console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 && results.passed > 0 ? 0 : 1);
