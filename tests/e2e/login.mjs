// End-to-end login in headless Chromium (Debian's, driven by playwright-core):
// demo service -> eidgw country selector (LU) -> demo IdP (pysaml2) login
// form -> eidgw ACS -> the service shows the validated ID token claims.
// Also: Cancel at the IdP -> access_denied at the service; a LoA below the
// requested one -> an error at the service; the selector and an error page
// against WCAG 2.1 A/AA with axe-core.
//
// Environment: SERVICE, EIDGW, IDP (base URLs), ARTIFACTS (screenshot dir).
// Prints "N passed, N failed"; exits 1 on any failure.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

// axe-core (npm, Deque): the accessibility rules of WCAG 2.1 A and AA, run in the page.
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const SERVICE = process.env.SERVICE;
const EIDGW = process.env.EIDGW;
const IDP = process.env.IDP;
const ARTIFACTS = process.env.ARTIFACTS;
if (!SERVICE || !EIDGW || !IDP || !ARTIFACTS) {
  console.error('login.mjs: SERVICE, EIDGW, IDP and ARTIFACTS are required');
  process.exit(2);
}
const LOA = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
};
fs.mkdirSync(ARTIFACTS, { recursive: true });

const results = { passed: 0, failed: 0 };
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eidgw-e2e-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 30000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// Loopback only: any other request is aborted (and makes the step fail).
const foreign = [];
await ctx.route((url) => url.hostname !== '127.0.0.1', (route) => {
  foreign.push(route.request().url());
  return route.abort();
});
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(15000);
page.setDefaultNavigationTimeout(15000);
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// The page as it is now against WCAG 2.1 A/AA (axe-core). The script is
// evaluated through the DevTools protocol, which the pages' strict CSP does
// not govern, so the page itself is not changed. Any violation fails.
async function a11y(tag, what) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    const res = await globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return res.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  fs.writeFileSync(path.join(ARTIFACTS, `${tag}-axe.txt`), r.join('\n') + '\n');
  assert(r.length === 0, `${what}: WCAG 2.1 AA violations: ${r.join(' | ')}`);
}

async function scenario(tag, name, fn) {
  await ctx.clearCookies();
  try {
    await fn(tag);
    results.passed++;
    console.log(`ok   - ${name}`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL - ${name}: ${String(e && e.message || e).split('\n').slice(0, 4).join(' | ')} (at ${page.url()})`);
    try { await shot(`${tag}-FAILED`); } catch { /* best effort */ }
  }
}

// Start page -> eidgw.  acr: key of LOA or '' (the client's default).
async function startAtService(tag, acr) {
  await page.goto(`${SERVICE}/`);
  await shot(`${tag}-1-service-start`);
  if (acr) await page.selectOption('#acr', acr);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(EIDGW) || u.href.startsWith(IDP)), page.click('#login')]);
}

// The eidgw country selector: choose LU, whatever the control is.
async function chooseCountry(tag) {
  assert(page.url().startsWith(EIDGW), `expected the eidgw selector, at ${page.url()}`);
  await page.waitForLoadState('load');
  await shot(`${tag}-2-eidgw-selector`);
  const lang = await page.getAttribute('html', 'lang');
  assert(lang, 'selector page has a lang attribute');
  await a11y(tag, 'the country selector');
  const radio = page.locator('input[name="country"][value="LU"]');
  const button = page.locator('button[name="country"][value="LU"]');
  const select = page.locator('select[name="country"]');
  const nav = page.waitForURL((u) => u.href.startsWith(IDP), { timeout: 15000 });
  if (await button.count()) {
    await button.first().click();
  } else if (await radio.count()) {
    await radio.first().check();
    await page.locator('form:has(input[name="country"]) [type="submit"]').first().click();
  } else if (await select.count()) {
    await select.first().selectOption('LU');
    await page.locator('form:has(select[name="country"]) [type="submit"]').first().click();
  } else {
    throw new Error('no country control named "country" with value LU on the selector page');
  }
  await nav;
}

// The demo IdP: pick a citizen and a LoA, then Log in or Cancel.
async function atIdP(tag, { citizen = 'eleni', loa = 'high', cancel = false } = {}) {
  await page.waitForURL((u) => u.href.startsWith(`${IDP}/sso/post`));
  await page.waitForSelector('#login');
  await page.check(`input[name="citizen"][value="${citizen}"]`);
  await page.check(`input[name="loa"][value="${loa}"]`);
  await shot(`${tag}-3-idp-login`);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${SERVICE}/callback`), { timeout: 20000 }),
    page.click(cancel ? '#cancel' : '#login'),
  ]);
  await page.waitForLoadState('load');
}

async function claim(table, name) {
  const cell = page.locator(`#${table} td[data-claim="${name}"]`);
  return (await cell.count()) ? (await cell.first().textContent()) : null;
}

await scenario('login', 'login: service -> selector (LU) -> pysaml2 IdP -> eidgw -> service shows the ID token claims with acr high', async (tag) => {
  await startAtService(tag, 'high');
  await chooseCountry(tag);
  await atIdP(tag, { citizen: 'eleni', loa: 'high' });
  await shot(`${tag}-4-service-claims`);
  const h1 = await page.textContent('h1');
  if (h1 !== 'Logged in') {
    const code = await page.locator('#error-code').textContent().catch(() => '');
    throw new Error(`service says "${h1}" (${code})`);
  }
  assert((await page.textContent('#acr')) === LOA.high, `#acr is ${LOA.high}`);
  assert((await claim('id-token-claims', 'acr')) === LOA.high, 'ID token acr');
  assert((await claim('id-token-claims', 'iss')) === EIDGW, 'ID token iss is eidgw');
  const sub = await claim('id-token-claims', 'sub');
  assert(sub && !sub.includes('10002') && !sub.startsWith('LU/'), `sub is pairwise, not the PersonIdentifier: ${sub}`);
  const ui = (n) => claim('userinfo-claims', n);
  assert((await ui('sub')) === sub, 'userinfo sub = ID token sub');
  assert((await ui('family_name')) === 'Papadopoulou' || (await claim('id-token-claims', 'family_name')) === 'Papadopoulou', 'family_name Papadopoulou');
  assert((await ui('given_name')) === 'Eleni' || (await claim('id-token-claims', 'given_name')) === 'Eleni', 'given_name Eleni');
  assert((await ui('birthdate')) === '1990-07-02' || (await claim('id-token-claims', 'birthdate')) === '1990-07-02', 'birthdate');
  const grek = (await ui('family_name#und-Grek')) || (await claim('id-token-claims', 'family_name#und-Grek'));
  console.log(`#    family_name#und-Grek: ${grek === null ? '(absent)' : grek}`);
});

await scenario('login-substantial', 'second login with the default LoA (substantial) and a Latin-only citizen gives acr substantial', async (tag) => {
  await startAtService(tag, '');
  if (page.url().startsWith(EIDGW)) await chooseCountry(tag);
  await atIdP(tag, { citizen: 'anna', loa: 'substantial' });
  await shot(`${tag}-4-service-claims`);
  assert((await page.textContent('h1')) === 'Logged in', `logged in (${await page.textContent('h1')})`);
  assert((await page.textContent('#acr')) === LOA.substantial, `acr substantial, got ${await page.textContent('#acr')}`);
});

await scenario('cancel', 'cancel at the IdP: the service receives access_denied', async (tag) => {
  await startAtService(tag, '');
  if (page.url().startsWith(EIDGW)) await chooseCountry(tag);
  await atIdP(tag, { cancel: true });
  await shot(`${tag}-4-service-error`);
  assert((await page.textContent('h1')) === 'Login failed', 'service shows Login failed');
  const code = (await page.textContent('#error-code')).trim();
  assert(code === 'access_denied', `error is access_denied, got ${code}`);
});

await scenario('loa-too-low', 'LoA below the request (high requested, substantial asserted): an error at the service, no login', async (tag) => {
  await startAtService(tag, 'high');
  if (page.url().startsWith(EIDGW)) await chooseCountry(tag);
  await atIdP(tag, { citizen: 'jean', loa: 'substantial' });
  await shot(`${tag}-4-service-error`);
  assert((await page.textContent('h1')) === 'Login failed', `service shows Login failed, got ${await page.textContent('h1')}`);
  const code = (await page.textContent('#error-code')).trim();
  // The digest's mapping (2.2): LoA not met -> unmet_authentication_requirements.
  assert(code === 'unmet_authentication_requirements', `error unmet_authentication_requirements, got ${code}`);
});

await scenario('error-page', 'an error page (unknown client) is shown, in the browser\'s language, and passes WCAG 2.1 AA checks', async (tag) => {
  await page.setExtraHTTPHeaders({ 'Accept-Language': 'de' });
  try {
    const resp = await page.goto(`${EIDGW}/oidc/authorize?client_id=no-such-client&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2F`);
    assert(resp.status() === 400, `status 400, got ${resp.status()}`);
    assert(page.url().startsWith(EIDGW), 'no redirect to the unregistered redirect_uri');
    await shot(`${tag}-1-error`);
    assert((await page.getAttribute('html', 'lang')) === 'de', 'error page in German');
    await a11y(tag, 'the error page');
  } finally {
    await page.setExtraHTTPHeaders({});
  }
});

await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
if (foreign.length) {
  results.failed++;
  console.log(`FAIL - requests outside 127.0.0.1 were attempted: ${[...new Set(foreign)].join(', ')}`);
}
if (consoleErrors.length) console.log(`#    browser console errors: ${consoleErrors.slice(0, 5).join(' | ')}`);
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 && results.passed > 0 ? 0 : 1);
