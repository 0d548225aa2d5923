// Account protection in Chromium against `paydesk serve` on demo data (PAYDESK_URL):
// a customer sets up two-step sign-in from the QR page's secret (codes computed here
// with node:crypto, as an authenticator app would), signs out and back in with password
// and code; wrong passwords soon show the throttle message. Uses generated demo
// customers found through the admin API, never Siti, whom other tests sign in as.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DEMO, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 60_000;
let browser;
let customers = [];

/** RFC 4648 base32 (no padding) to bytes. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of clean) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA-1, 30-second steps, 6 digits; `offset` steps from now. */
function totp(secret, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = mac[mac.length - 1] & 0x0f;
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function api(path, { method = 'GET', token, body } = {}) {
  const res = await fetch(baseUrl() + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Active demo customers with an email, no two-step sign-in and no failed sign-ins. */
async function freshCustomers(n) {
  const { token } = await api('/api/v1/auth/tokens', {
    method: 'POST',
    body: { audience: 'staff', login: 'admin@demo.paydesk.id', password: DEMO.password },
  });
  // Emails are encrypted at rest and match only whole, so no search by domain: the
  // first page of customers, those with an email.
  const page = await api('/api/v1/customers?limit=100', { token });
  const found = [];
  for (const c of page.items) {
    if (!c.email || c.status !== 'active' || c.email === DEMO.customer.login) continue;
    const p = await api(`/api/v1/customers/${c.id}/protection`, { token });
    if (!p.totp_enabled && !p.locked && p.failed_sign_ins === 0) found.push(c);
    if (found.length === n) break;
  }
  assert.equal(found.length, n, 'not enough untouched demo customers');
  return found;
}

before(async () => {
  baseUrl();
  browser = await launch();
  customers = await freshCustomers(2);
});

after(async () => {
  await browser?.close();
});

async function withPage(fn) {
  const context = await browser.newContext({ locale: 'en-US' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  try {
    await fn(page);
    assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
  } finally {
    await context.close();
  }
}

describe('two-step sign-in', () => {
  test('a customer sets it up from the QR page, then signs in with password and code', { timeout: TEST_TIMEOUT }, async () => {
    const who = customers[0];
    await withPage(async (page) => {
      await signIn(page, { path: '/signin', login: who.email, password: DEMO.password });
      await expectPath(page, '/home', 'after sign-in');
      await page.goto(baseUrl() + '/security');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('#totp-start button[type=submit]').click(),
      ]);
      assert.equal(await page.locator('[data-testid=totp-qr] svg').count(), 1, 'QR code drawn by the server');
      const secret = (await page.locator('[data-testid=totp-secret]').innerText()).trim();
      assert.match(secret.replace(/\s/g, ''), /^[A-Z2-7]{32}$/);
      await page.locator('#confirm-code').fill(totp(secret));
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('#totp-confirm button[type=submit]').click(),
      ]);
      assert.equal(await page.locator('[data-testid=recovery-codes] li').count(), 10);
      // The customer's own language decides the words (demo customers have several): check the state.
      assert.equal(await page.locator('[data-testid=totp-state]').getAttribute('data-state'), 'on');

      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('form.signout button[type=submit]').click(),
      ]);
      await signIn(page, { path: '/signin', login: who.email, password: DEMO.password });
      // The password alone is not enough: the second step asks for the code.
      assert.equal(await page.locator('form#signin-code').count(), 1, 'code step shown');
      // The set-up used this step's code; the next step's is within the ±1 window.
      await page.locator('#code').fill(totp(secret, 1));
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('form#signin-code button[type=submit]').click(),
      ]);
      await expectPath(page, '/home', 'after the code');
    });
  });
});

describe('sign-in throttling', () => {
  test('after three wrong passwords the page asks to wait', { timeout: TEST_TIMEOUT }, async () => {
    const who = customers[1];
    await withPage(async (page) => {
      const messages = [];
      for (let i = 0; i < 4; i += 1) {
        await signIn(page, { path: '/signin', login: who.email, password: `wrong password ${i}` });
        messages.push((await page.locator('[data-testid=signin-error]').innerText()).trim());
      }
      assert.match(messages[0], /incorrect/);
      assert.match(messages[3], /Too many attempts\. Try again in \d+ seconds\./, messages.join(' | '));
    });
  });
});
