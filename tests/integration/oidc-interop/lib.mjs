// Helpers for the openid-client interop test: a tiny browser without a
// browser (follows redirects and auto-submitted POST forms by hand, with a
// cookie jar) and a pass/fail counter.  Only 127.0.0.1 is ever contacted.

export const results = { passed: 0, failed: 0, failures: [] };

export async function check(name, fn) {
  try {
    await fn();
    results.passed++;
    console.log(`ok   - ${name}`);
  } catch (e) {
    results.failed++;
    results.failures.push(name);
    console.log(`FAIL - ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

export function assertEq(got, want, msg) {
  if (got !== want) throw new Error(`${msg}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function loopbackOnly(u) {
  const url = new URL(u);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to contact ${url.origin} (loopback only)`);
  return url;
}

export function timeoutSignal(ms = 15000) {
  return AbortSignal.timeout(ms);
}

// fetch with a timeout, never following redirects, loopback only.
export async function rawFetch(url, init = {}) {
  loopbackOnly(url);
  return fetch(url, { redirect: 'manual', signal: timeoutSignal(), ...init });
}

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (m, e) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos' || l === '#39') return "'";
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    return String.fromCodePoint(parseInt(l.slice(1), 10));
  });
}

// The first <form method=post> of a page and its hidden inputs, or null.
function autoPostForm(html) {
  const fm = html.match(/<form\b[^>]*>/i);
  if (!fm || !/method\s*=\s*["']?post/i.test(fm[0])) return null;
  const action = (fm[0].match(/action\s*=\s*"([^"]*)"/i) || fm[0].match(/action\s*=\s*'([^']*)'/i) || [])[1];
  if (!action) return null;
  const fields = new URLSearchParams();
  for (const inp of html.matchAll(/<input\b[^>]*>/gi)) {
    const t = inp[0];
    if (!/type\s*=\s*["']?hidden/i.test(t)) continue;
    const n = (t.match(/name\s*=\s*"([^"]*)"/i) || [])[1];
    const v = (t.match(/value\s*=\s*"([^"]*)"/i) || [])[1] ?? '';
    if (n) fields.append(decodeEntities(n), decodeEntities(v));
  }
  return { action: decodeEntities(action), fields };
}

// Follows the front channel from url until a redirect to a URL starting with
// stopPrefix (returned as {redirect}), or a page that is neither a redirect
// nor an auto-POST form (returned as {status, body, url}).  maxHops bounds it.
// A country selector form is submitted with `country` when that is given.
export async function frontChannel(url, stopPrefix, { maxHops = 12, jar = new Map(), country = null } = {}) {
  let method = 'GET';
  let body;
  let cur = url;
  for (let hop = 0; hop < maxHops; hop++) {
    const headers = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const r = await rawFetch(cur, { method, headers, body });
    for (const sc of r.headers.getSetCookie ? r.headers.getSetCookie() : []) {
      const [kv] = sc.split(';');
      const i = kv.indexOf('=');
      if (i > 0) jar.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
    }
    if (r.status >= 300 && r.status < 400) {
      const loc = r.headers.get('location');
      if (!loc) throw new Error(`${r.status} without Location at ${cur}`);
      const next = new URL(loc, cur).href;
      await r.arrayBuffer();
      if (next.startsWith(stopPrefix)) return { redirect: next, status: r.status, hops: hop + 1 };
      cur = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await r.text();
    const form = r.status === 200 ? autoPostForm(text) : null;
    if (form) {
      // A country selector: choose `country` when given, else stop there.
      if (/name\s*=\s*"?country/i.test(text)) {
        if (!country) return { status: r.status, body: text, url: cur, headers: r.headers };
        form.fields.set('country', country);
      }
      cur = new URL(form.action, cur).href;
      method = 'POST';
      body = form.fields.toString();
      continue;
    }
    return { status: r.status, body: text, url: cur, headers: r.headers };
  }
  throw new Error(`more than ${maxHops} hops from ${url}`);
}
