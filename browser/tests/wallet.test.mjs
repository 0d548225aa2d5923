// The customer's wallet pages, end to end in Chromium against `paydesk serve` on demo
// data (PAYDESK_URL): filter the history, open a payment, add a note, flag it and request
// a refund, seeing the refund policy's answer. Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO, PHONE, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;

const ADMIN = 'admin@demo.paydesk.id';
const MERCHANT_STAFF = 'merchant@demo.paydesk.id';
const WARUNG = 'Warung Nusantara';
const LUNCH = { description: 'Nasi goreng & es teh', amountMinor: 35_000_00 };

/** Every answer the refund policy can give, in English (locales/en.ftl, refund-rule-*). */
const POLICY_ANSWER =
  /Approved automatically|Sent to the merchant|Not possible|Enter an amount above zero|rejected the request|Approved by a supervisor/;

let browser;
/** The Warung Nusantara lunch this run works on. */
let lunchId;

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

/**
 * A succeeded Warung Nusantara lunch of IDR 35,000 with no open flag and no refunds yet:
 * the one `paydesk demo` seeds, or — when the demo lacks it or an earlier run used it up —
 * a new one posted through the API as the admin, so the test stands on its own.
 */
async function usableLunch() {
  const siti = await token('customer', DEMO.customer.login);
  const q = encodeURIComponent('Nasi goreng');
  const page = await api('GET', `/api/v1/transactions?q=${q}&kind=payment&status=succeeded&limit=100`, {
    token: siti,
  });
  for (const t of page.items) {
    if (t.merchant_name !== WARUNG || t.description !== LUNCH.description) continue;
    if (t.amount_minor !== LUNCH.amountMinor) continue;
    const detail = await api('GET', `/api/v1/transactions/${t.id}`, { token: siti });
    const openFlag = detail.flags.some((f) => f.status !== 'resolved');
    if (!openFlag && detail.refunds.length === 0) return t.id;
  }
  const admin = await token('staff', ADMIN);
  const merchant = await token('staff', MERCHANT_STAFF);
  const me = await api('GET', '/api/v1/me', { token: siti });
  const { merchant_id: merchantId } = await api('GET', '/api/v1/me', { token: merchant });
  assert.ok(merchantId, `${MERCHANT_STAFF} should belong to ${WARUNG}`);
  await api('POST', '/api/v1/wallet/operations', {
    token: admin,
    key: randomUUID(),
    body: { type: 'top_up', customer_id: me.id, amount_minor: 100_000_00 },
    expect: 201,
  });
  const lunch = await api('POST', '/api/v1/wallet/operations', {
    token: admin,
    key: randomUUID(),
    body: {
      type: 'payment',
      customer_id: me.id,
      merchant_id: merchantId,
      amount_minor: LUNCH.amountMinor,
      description: LUNCH.description,
    },
    expect: 201,
  });
  return lunch.id;
}

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  lunchId = await usableLunch();
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Submit `form` with its submit button and wait for the next page. */
async function submitForm(page, form, button = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator(button).click()]);
}

/** Wait for a visible element, or fail naming what the page shows instead. */
async function expectVisible(page, locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: 10_000 });
  } catch {
    const alerts = await page.locator('[role=alert]').allTextContents();
    throw new Error(`${what}: not visible on ${page.url()}; [role=alert] texts: ${JSON.stringify(alerts)}`);
  }
}

describe('wallet', () => {
  test('filter the history, note, flag and refund a payment on a phone', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ locale: 'en-US', ...PHONE });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await expectPath(page, '/home', 'customer sign-in');

      // The navigation leads to the history; the balance is at the top.
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('nav a[href="/wallet"]').click(),
      ]);
      await expectPath(page, '/wallet', 'the Transactions link');
      assert.match(await page.locator('[data-testid=balance-available]').innerText(), /IDR [\d,]+/);
      assert.ok((await page.locator('[data-testid=tx-row]').count()) > 0, 'the demo history has rows');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `/wallet should fit a phone's width, but is ${overflow}px wider`);

      // Free-text filter: only matching rows remain.
      const filters = page.locator('form.filters');
      await filters.locator('input[name=q]').fill('Warung');
      await submitForm(page, filters);
      assert.equal(new URL(page.url()).searchParams.get('q'), 'Warung');
      const rows = await page.locator('[data-testid=tx-row]').allInnerTexts();
      assert.ok(rows.length > 0, 'filtering by "Warung" should keep the Warung Nusantara payments');
      for (const row of rows) {
        assert.match(row, /warung/i, `every row should match "Warung": ${JSON.stringify(row)}`);
      }

      // Open the lunch.
      const link = page.locator(`[data-testid=tx-row] a[href="/wallet/tx/${lunchId}"]`);
      assert.equal(await link.count(), 1, `the filtered list should link to the lunch ${lunchId}`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
      await expectPath(page, `/wallet/tx/${lunchId}`, 'the lunch detail');
      const summary = await page.locator('.tx-summary').innerText();
      assert.ok(summary.includes(LUNCH.description), `detail should show "${LUNCH.description}": ${summary}`);
      assert.ok(summary.includes(WARUNG), `detail should name ${WARUNG}`);
      assert.ok(summary.includes('IDR 35,000'), `detail should show the amount: ${summary}`);

      // A private note.
      const note = `Lunch with the team ${randomUUID().slice(0, 8)}`;
      const noteForm = page.locator('[data-testid=note-form]');
      await noteForm.locator('textarea[name=body]').fill(note);
      await submitForm(page, noteForm);
      await expectVisible(page, page.locator('[data-testid=note]').filter({ hasText: note }), 'the new note');
      await expectVisible(page, page.locator('[role=status]').filter({ hasText: 'Note added' }), 'the confirmation');

      // Flag it.
      const flagForm = page.locator('[data-testid=flag-form]');
      await flagForm.locator('input[name=reason][value=not_recognised]').check();
      await flagForm.locator('textarea[name=comment]').fill('I was not in Jakarta that day');
      await submitForm(page, flagForm);
      const flagged = page.locator('[data-testid=flagged]');
      await expectVisible(page, flagged, 'the flagged status');
      assert.match(await flagged.innerText(), /You reported this transaction\. Status: Open/);
      assert.equal(await page.locator('[data-testid=flag-form]').count(), 0, 'no second flag form');

      // Ask for IDR 10,000 back: the merchant's policy answers at once.
      const refundForm = page.locator('[data-testid=refund-form]');
      assert.equal(await refundForm.count(), 1, 'a succeeded payment offers a refund form');
      await refundForm.locator('input[name=amount]').fill('10000');
      await refundForm.locator('select[name=reason]').selectOption('not_received');
      await submitForm(page, refundForm);
      await expectPath(page, `/wallet/tx/${lunchId}`, 'back on the detail after the refund request');
      const answer = page.locator('[data-testid=refund-answer]');
      await expectVisible(page, answer, "the refund policy's answer");
      const answerText = await answer.innerText();
      assert.match(answerText, /Your refund request:/);
      assert.match(answerText, POLICY_ANSWER, `the answer should quote the policy: ${answerText}`);
      const refunds = await page.locator('[data-testid=refund]').allInnerTexts();
      assert.ok(
        refunds.some((r) => r.includes('IDR 10,000') && /Not received/.test(r)),
        `the refund list should show IDR 10,000, not received: ${JSON.stringify(refunds)}`,
      );

      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });

  test('invalid filters explain themselves without JavaScript', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ locale: 'en-US', ...PHONE, javaScriptEnabled: false });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      const response = await page.goto(`${baseUrl()}/wallet?min=lots&kind=payment`);
      assert.ok(response && response.status() < 500, `an invalid filter is not a server error (HTTP ${response?.status()})`);
      const alert = page.locator('[role=alert]');
      await expectVisible(page, alert, 'the filter error');
      assert.match(await alert.innerText(), /whole rupiah/);
      assert.equal(await page.locator('form.filters input[name=min]').inputValue(), 'lots', 'the form keeps what was typed');
    } finally {
      await context.close();
    }
  });
});
