// Coupons at checkout, end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL): the customer opens the checkout, sees why a coupon does not apply,
// chooses one that does, sees the discount and pays. The two coupons are made for this
// run through the admin API, so the test does not depend on how often it ran before.
// Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO, PHONE, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;
const ADMIN = 'admin@demo.paydesk.id';
const WARUNG = 'Warung Nusantara';

let browser;
/** Ids this run works with. */
const run = { merchantId: '', applies: '', fails: '' };

/** Calls the JSON API; fails with the answer's body when the status is not `expect`. */
async function api(method, path, { token, body, key, expect = 200 } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(baseUrl() + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) {
    throw new Error(`${method} ${path} answered HTTP ${res.status}, expected ${expect}: ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

async function token(audience, login) {
  const answer = await api('POST', '/api/v1/auth/tokens', {
    body: { audience, login, password: DEMO.password },
    expect: 201,
  });
  return answer.token;
}

function day(offset) {
  const d = new Date(Date.now() + offset * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** A platform campaign issued to Siti; returns her coupon's id. */
async function issue(admin, sitiId, body) {
  const c = await api('POST', '/api/v1/coupon-campaigns', {
    token: admin,
    key: randomUUID(),
    body: { valid_from: day(-2), valid_until: day(30), ...body },
    expect: 201,
  });
  const coupon = await api('POST', `/api/v1/coupon-campaigns/${c.campaign.id}/coupons`, {
    token: admin,
    body: { customer_id: sitiId },
    expect: 201,
  });
  return coupon.id;
}

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  const admin = await token('staff', ADMIN);
  const siti = await token('customer', DEMO.customer.login);
  const me = await api('GET', '/api/v1/me', { token: siti });
  const merchants = await api('GET', '/api/v1/merchants?limit=100', { token: admin });
  const warung = merchants.items.find((m) => m.name === WARUNG);
  assert.ok(warung, `the demo has ${WARUNG}`);
  run.merchantId = warung.id;
  // Enough money for the payment whatever earlier runs spent.
  await api('POST', '/api/v1/wallet/operations', {
    token: admin,
    key: randomUUID(),
    body: { type: 'top_up', customer_id: me.id, amount_minor: 200_000_00 },
    expect: 201,
  });
  const tag = randomUUID().slice(0, 8);
  run.applies = await issue(admin, me.id, { name: `Browser ${tag} 5k`, amount_minor: 5_000_00 });
  run.fails = await issue(admin, me.id, {
    name: `Browser ${tag} big`,
    amount_minor: 50_000_00,
    min_spend_minor: 1_000_000_00,
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Click `button` and wait for the next page. */
async function clickAndLoad(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

describe('coupons', () => {
  test('choose a coupon at checkout, see why another does not apply, pay', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ locale: 'en-US', ...PHONE });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await expectPath(page, '/home', 'customer sign-in');

      // The coupon wallet is in the navigation and leads to the checkout.
      await clickAndLoad(page, page.locator('nav a[href="/coupons"]'));
      await expectPath(page, '/coupons', 'the coupons link');
      assert.ok(
        (await page.locator(`[data-testid=bucket-available] [data-coupon="${run.applies}"]`).count()) === 1,
        'the new coupon is in the available bucket',
      );
      await clickAndLoad(page, page.locator('[data-testid=pay-link]'));
      await expectPath(page, '/pay', 'the checkout');

      // Merchant and amount, then check: every coupon is judged.
      const form = page.locator('[data-testid=check-form]');
      await form.locator('select[name=merchant]').selectOption(run.merchantId);
      await form.locator('input[name=amount]').fill('50000');
      await clickAndLoad(page, form.locator('[data-testid=check]'));
      const failing = page.locator(`[data-testid=coupon-choice][data-coupon="${run.fails}"]`);
      assert.equal(await failing.getAttribute('data-applicable'), 'false');
      const reasons = await failing.locator('[data-testid=reason]').allInnerTexts();
      assert.ok(
        reasons.some((r) => r.includes('950,000') && r.includes('1,000,000')),
        `the reason names what is missing (spend IDR 950,000 more of IDR 1,000,000): ${JSON.stringify(reasons)}`,
      );
      const applying = page.locator(`[data-testid=coupon-choice][data-coupon="${run.applies}"]`);
      assert.equal(await applying.getAttribute('data-applicable'), 'true');

      // Choose it and check again: the discount is taken off.
      await applying.locator('input[name=coupon]').check();
      await clickAndLoad(page, page.locator('[data-testid=check-form] [data-testid=check]'));
      const chosen = page.locator(`[data-testid=coupon-choice][data-coupon="${run.applies}"]`);
      assert.ok(await chosen.locator('input[name=coupon]').isChecked(), 'the choice is kept');
      assert.match(await page.locator('[data-testid=total-discount]').innerText(), /5,000/);
      assert.match(await page.locator('[data-testid=payable]').innerText(), /45,000/);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `/pay should fit a phone's width, but is ${overflow}px wider`);

      // Pay: the payment shows IDR 45,000.
      await clickAndLoad(page, page.locator('[data-testid=pay]'));
      const txPath = new URL(page.url()).pathname;
      assert.match(txPath, /^\/wallet\/tx\/[0-9a-f-]+$/, `after paying, the payment's page (at ${page.url()})`);
      assert.match(await page.locator('[data-testid=tx-amount]').innerText(), /45,000/);
      assert.equal(await page.locator('[data-testid=done]').count(), 1, 'a confirmation is shown');

      // The stored evaluation says the same.
      const siti = await token('customer', DEMO.customer.login);
      const id = txPath.split('/').pop();
      const stored = await api('GET', `/api/v1/transactions/${id}/coupon-evaluation`, { token: siti });
      const verdict = stored.evaluation.coupons.find((c) => c.key === run.applies);
      assert.equal(verdict.applicable, true);
      assert.equal(verdict.discount_minor, 5_000_00);

      // Used now: the coupon moved to the used bucket.
      await page.goto(`${baseUrl()}/coupons`);
      assert.equal(
        await page.locator(`[data-testid=bucket-used] [data-coupon="${run.applies}"]`).count(),
        1,
        'the used coupon is in the used bucket',
      );
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });
});
