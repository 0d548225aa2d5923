// Merchant complaints end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL): the customer files a complaint from a payment with an attachment, the
// merchant contests it with a statement, the agent decides for the customer, and the
// customer sees the refund. Selects by test ids, hrefs and form names only (demo
// accounts' languages vary). Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO, PHONE, DESKTOP, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 120_000;
const ADMIN = 'admin@demo.paydesk.id';
const MERCHANT_STAFF = 'merchant@demo.paydesk.id';
const AMOUNT_MINOR = 64_000_00;

let browser;
/** A fresh payment of Siti's to the demo merchant, made for this run. */
let paymentId;

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

/** Tops Siti up and pays the merchant the merchant staff belong to, as the admin. */
async function freshPayment() {
  const admin = await token('staff', ADMIN);
  const siti = await token('customer', DEMO.customer.login);
  const merchant = await token('staff', MERCHANT_STAFF);
  const me = await api('GET', '/api/v1/me', { token: siti });
  const { merchant_id: merchantId } = await api('GET', '/api/v1/me', { token: merchant });
  assert.ok(merchantId, `${MERCHANT_STAFF} should belong to a merchant`);
  await api('POST', '/api/v1/wallet/operations', {
    token: admin,
    key: randomUUID(),
    body: { type: 'top_up', customer_id: me.id, amount_minor: AMOUNT_MINOR },
    expect: 201,
  });
  const payment = await api('POST', '/api/v1/wallet/operations', {
    token: admin,
    key: randomUUID(),
    body: {
      type: 'payment',
      customer_id: me.id,
      merchant_id: merchantId,
      amount_minor: AMOUNT_MINOR,
      description: `Running shoes ${randomUUID().slice(0, 6)}`,
    },
    expect: 201,
  });
  return payment.id;
}

before(async () => {
  baseUrl();
  paymentId = await freshPayment();
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function submit(page, form, button = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator(button).click()]);
}

async function stateOf(page) {
  return page.locator('[data-testid=complaint-state]').first().getAttribute('data-state');
}

async function alerts(page) {
  return JSON.stringify(await page.locator('[role=alert]').allTextContents());
}

describe('complaints', () => {
  test('file with evidence, merchant contests, agent decides, customer is refunded', { timeout: TEST_TIMEOUT }, async () => {
    // The customer, on a phone.
    const customer = await browser.newContext({ locale: 'en-US', ...PHONE });
    customer.setDefaultTimeout(10_000);
    const cpage = await customer.newPage();
    const cerrors = collectPageErrors(cpage);
    let complaintPath;
    try {
      await signIn(cpage, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await cpage.goto(`${baseUrl()}/wallet/tx/${paymentId}`);
      const link = cpage.locator(`[data-testid=complaint-link][href="/wallet/tx/${paymentId}/complaint"]`);
      assert.equal(await link.count(), 1, 'a succeeded payment offers to file a complaint');
      await Promise.all([cpage.waitForNavigation({ waitUntil: 'load' }), link.click()]);
      await expectPath(cpage, `/wallet/tx/${paymentId}/complaint`, 'the complaint form');
      const form = cpage.locator('[data-testid=complaint-form]');
      await form.locator('select[name=category]').selectOption('not_received');
      await form.locator('textarea[name=description]').fill('The shoes never arrived; the shop stopped answering.');
      await form.locator('input[name=amount]').fill('64000');
      await form.locator('select[name=desired_outcome]').selectOption('full_refund');
      await form.locator('input[name=files]').setInputFiles({
        name: 'chat-log.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('shop: we will ship tomorrow\nme: it is two weeks now'),
      });
      await submit(cpage, form);
      const path = new URL(cpage.url()).pathname;
      assert.match(path, /^\/complaints\/[0-9a-f-]{36}$/, `after filing: ${cpage.url()} ${await alerts(cpage)}`);
      complaintPath = path;
      assert.equal(await stateOf(cpage), 'awaiting_merchant');
      assert.equal(await cpage.locator('[data-testid=decision-due]').count(), 1, 'a promised decision date');
      assert.equal(
        await cpage.locator('[data-testid=evidence-customer] [data-testid=evidence-file]').count(),
        1,
        'the attachment is listed',
      );
      const overflow = await cpage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the complaint page should fit a phone, but is ${overflow}px wider`);
      assert.deepEqual(cerrors, []);
    } finally {
      await customer.close();
    }
    const id = complaintPath.split('/').pop();

    // The merchant contests with a statement and a receipt.
    const merchant = await browser.newContext({ locale: 'en-US', ...DESKTOP });
    merchant.setDefaultTimeout(10_000);
    try {
      const mpage = await merchant.newPage();
      await signIn(mpage, { path: '/staff/signin', login: MERCHANT_STAFF, password: DEMO.password });
      await mpage.goto(`${baseUrl()}/staff/merchant/complaints`);
      const open = mpage.locator(`[data-testid=complaint-open][href="/staff/merchant/complaints/${id}"]`);
      assert.equal(await open.count(), 1, 'the complaint is in the merchant portal');
      await Promise.all([mpage.waitForNavigation({ waitUntil: 'load' }), open.click()]);
      const respond = mpage.locator('[data-testid=respond-form]');
      await respond.locator('textarea[name=statement]').fill('We shipped on time; tracking attached.');
      await respond.locator('input[name=files]').setInputFiles({
        name: 'tracking.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from('%PDF-1.4\n% tracking 123\n'),
      });
      await submit(mpage, respond, '[data-testid=contest]');
      assert.equal(await stateOf(mpage), 'under_review', `after contesting: ${await alerts(mpage)}`);
    } finally {
      await merchant.close();
    }

    // The agent sees both sides and decides for the customer.
    const agent = await browser.newContext({ locale: 'en-US', ...DESKTOP });
    agent.setDefaultTimeout(10_000);
    try {
      const apage = await agent.newPage();
      await signIn(apage, { path: '/staff/signin', login: DEMO.agent.login, password: DEMO.password });
      await apage.goto(`${baseUrl()}/staff/complaints?view=open`);
      const open = apage.locator(`[data-testid=complaint-open][href="/staff/complaints/${id}"]`);
      assert.equal(await open.count(), 1, 'the complaint is in the agents\' queue');
      await Promise.all([apage.waitForNavigation({ waitUntil: 'load' }), open.click()]);
      assert.equal(await apage.locator('[data-testid=evidence-customer] [data-testid=evidence-file]').count(), 1);
      assert.equal(await apage.locator('[data-testid=evidence-merchant] [data-testid=evidence-file]').count(), 1);
      const decide = apage.locator('[data-testid=decision-form]');
      await decide.locator('input[name=decision][value=customer]').check();
      await decide.locator('input[name=refund]').fill('64000');
      await decide.locator('textarea[name=reason]').fill('Tracking shows the parcel went back to the shop.');
      await submit(apage, decide);
      assert.equal(await stateOf(apage), 'resolved_customer', `after deciding: ${await alerts(apage)}`);
    } finally {
      await agent.close();
    }

    // The customer sees the refund.
    const back = await browser.newContext({ locale: 'en-US', ...PHONE });
    back.setDefaultTimeout(10_000);
    try {
      const page = await back.newPage();
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await page.goto(baseUrl() + complaintPath);
      assert.equal(await stateOf(page), 'resolved_customer');
      const refunded = page.locator('[data-testid=complaint-refunded]');
      assert.equal(await refunded.getAttribute('data-refunded'), String(AMOUNT_MINOR));
      assert.ok((await page.locator('[data-testid=timeline-entry]').count()) >= 5, 'the whole timeline');
      // And in the wallet history: the refund of the payment.
      const siti = await token('customer', DEMO.customer.login);
      const detail = await api('GET', `/api/v1/transactions/${paymentId}`, { token: siti });
      assert.equal(detail.transaction.status, 'reversed', 'refunded in full, the payment shows as reversed');
    } finally {
      await back.close();
    }
  });
});
