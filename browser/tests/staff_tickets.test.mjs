// The agents' ticket pages, end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL): a Messenger message comes in through the signed webhook, an agent finds
// the ticket and replies, and a fake Messenger Graph API on 127.0.0.1 receives the Send
// API call from the outbox; and an agent works the queue (unassigned, take it, pending).
//
// scripts/test.sh starts the server with the Messenger channel switched on and pointed at
// the fake Graph API: PAYDESK__CHANNELS__MESSENGER__APP_SECRET, __PAGE_ACCESS_TOKEN and
// __API_BASE=http://127.0.0.1:$PAYDESK_FAKE_GRAPH_PORT. Without them the Messenger test
// is skipped. Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { DEMO, DESKTOP, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;
/** The outbox polls every second; a delivery must have happened well within this. */
const DELIVERY_TIMEOUT_MS = 15_000;

const SECRET = process.env.PAYDESK__CHANNELS__MESSENGER__APP_SECRET || '';
const PAGE_TOKEN = process.env.PAYDESK__CHANNELS__MESSENGER__PAGE_ACCESS_TOKEN || '';
const GRAPH_PORT = Number(process.env.PAYDESK_FAKE_GRAPH_PORT || 0);
const MESSENGER_OFF = !SECRET || !GRAPH_PORT
  ? 'the server under test has no Messenger channel (set by scripts/test.sh)'
  : false;

let browser;

/**
 * A stand-in for the Messenger Graph API: records every Send API call
 * (`POST /me/messages`) and answers as Meta does.
 */
function startFakeGraph(port) {
  const calls = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (req.method !== 'POST' || url.pathname !== '/me/messages') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"unknown path"}}');
        return;
      }
      let body = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      calls.push({ accessToken: url.searchParams.get('access_token'), body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ recipient_id: body?.recipient?.id, message_id: `m_${randomUUID()}` }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, calls }));
  });
}

/** Posts a Messenger webhook event signed as Meta signs it: HMAC-SHA256 of the raw body. */
async function messengerWebhook(psid, text) {
  const body = JSON.stringify({
    object: 'page',
    entry: [
      {
        id: 'browser-test-page',
        time: Date.now(),
        messaging: [
          {
            sender: { id: psid },
            recipient: { id: 'browser-test-page' },
            timestamp: Date.now(),
            message: { mid: `m_${randomUUID()}`, text },
          },
        ],
      },
    ],
  });
  const signature = 'sha256=' + createHmac('sha256', SECRET).update(body, 'utf8').digest('hex');
  const res = await fetch(`${baseUrl()}/webhooks/messenger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
  const answer = await res.text();
  assert.equal(res.status, 200, `the webhook should accept a signed message: ${answer}`);
  return JSON.parse(answer);
}

/** Opens a guest ticket through the API (no account, no key needed). */
async function guestTicket(subject) {
  const res = await fetch(`${baseUrl()}/api/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      category: 'coupon',
      subject,
      body: 'The coupon WELCOME10 says it does not apply to my order.',
      guest: { name: 'Rina Browser', email: `rina-${randomUUID().slice(0, 8)}@example.id` },
      locale: 'en',
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `a guest opens a ticket: ${text}`);
  return JSON.parse(text);
}

/** Waits until `check()` returns something truthy, polling; fails with `what`. */
async function eventually(check, what, timeout = DELIVERY_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Submit `form` and wait for the next page. */
async function submitForm(page, form) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    form.locator('button[type=submit]').first().click(),
  ]);
}

/** The alert texts on the page, for failure messages. */
async function alerts(page) {
  return JSON.stringify(await page.locator('[role=alert]').allTextContents());
}

async function agentPage() {
  const context = await browser.newContext({ locale: 'en-US', ...DESKTOP });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await signIn(page, { path: '/staff/signin', login: DEMO.agent.login, password: DEMO.password });
  await expectPath(page, '/staff', 'agent sign-in');
  return { context, page };
}

/** Searches the ticket list (through its form) and opens the one row found. */
async function findAndOpen(page, text, assignee = '') {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('nav a[href="/staff/tickets"]').click(),
  ]);
  await expectPath(page, '/staff/tickets', 'the Tickets link');
  const filters = page.locator('[data-testid=ticket-filters]');
  await filters.locator('input[name=q]').fill(text);
  if (assignee) await filters.locator('select[name=assignee]').selectOption(assignee);
  await submitForm(page, filters);
  const rows = page.locator('[data-testid=ticket-row]');
  assert.equal(await rows.count(), 1, `one ticket should match "${text}"`);
  const number = await rows.first().getAttribute('data-number');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), rows.first().locator('a').first().click()]);
  await expectPath(page, `/staff/tickets/${number}`, 'the ticket page');
  return number;
}

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

describe('agent ticket pages', () => {
  test('a Messenger message round-trips through the ticket page', { timeout: TEST_TIMEOUT, skip: MESSENGER_OFF }, async () => {
    const graph = await startFakeGraph(GRAPH_PORT);
    const { context, page } = await agentPage();
    const errors = collectPageErrors(page);
    try {
      const run = randomUUID().slice(0, 8);
      const psid = `7${Date.now()}${Math.floor(Math.random() * 1000)}`;
      const received = await messengerWebhook(psid, `Saldo saya belum masuk ${run}\nSudah dua jam.`);
      assert.equal(received.stored, 1, `the message is stored: ${JSON.stringify(received)}`);

      // The agent finds it in the list: an unknown contact on Messenger.
      const number = await findAndOpen(page, run);
      const summary = await page.locator('#summary').innerText();
      assert.match(summary, /Messenger/);
      assert.equal(await page.locator('#summary [data-testid=unknown-contact]').count(), 1, 'not a customer yet');
      assert.match(await page.locator('[data-testid=message]').first().innerText(), new RegExp(`Saldo saya belum masuk ${run}`));

      // A public reply.
      const replyText = `Halo, kami cek dulu ya (${run}).`;
      const form = page.locator('[data-testid=reply-form]');
      await form.locator('textarea[name=body]').fill(replyText);
      await form.locator('input[name=internal][value=false]').check();
      await submitForm(page, form);
      await expectPath(page, `/staff/tickets/${number}`, 'back on the ticket after replying');
      const done = page.locator('[data-testid=done]');
      assert.match(await done.innerText(), /Reply sent/, `the confirmation; alerts: ${await alerts(page)}`);

      // The outbox delivers it to the platform once, to the sender.
      const call = await eventually(
        () => graph.calls.find((c) => c.body?.message?.text === replyText),
        'the Send API call with the reply',
      );
      assert.equal(call.body.recipient.id, psid, 'sent to the sender');
      if (PAGE_TOKEN) assert.equal(call.accessToken, PAGE_TOKEN, 'with the page access token');
      // Give a second round of the outbox the chance to send it again (it must not).
      await new Promise((r) => setTimeout(r, 2_500));
      const sends = graph.calls.filter((c) => c.body?.message?.text === replyText);
      assert.equal(sends.length, 1, `exactly one Send API call, got ${sends.length}`);

      // After a reload the reply shows as sent.
      await eventually(async () => {
        await page.reload({ waitUntil: 'load' });
        const reply = page.locator('[data-testid=message]').filter({ hasText: replyText });
        return (await reply.locator('[data-testid=delivery][data-state=sent]').count()) === 1;
      }, 'the reply marked as sent');
      const state = await page
        .locator('[data-testid=message]')
        .filter({ hasText: replyText })
        .locator('[data-testid=delivery]')
        .innerText();
      assert.equal(state.trim(), 'Sent');
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
      await new Promise((r) => graph.server.close(r));
    }
  });

  test('an agent takes an unassigned ticket and sets it pending', { timeout: TEST_TIMEOUT }, async () => {
    const run = randomUUID().slice(0, 8);
    const subject = `Coupon did not apply ${run}`;
    await guestTicket(subject);
    const { context, page } = await agentPage();
    const errors = collectPageErrors(page);
    try {
      await findAndOpen(page, run, 'none');
      assert.equal(new URL(page.url()).pathname.startsWith('/staff/tickets/'), true);
      assert.match(await page.locator('[data-testid=ticket-title]').innerText(), new RegExp(subject));
      assert.match(await page.locator('[data-testid=ticket-assignee]').innerText(), /Unassigned/);

      // Take it and wait for the customer.
      const form = page.locator('[data-testid=properties-form]');
      await form.locator('select[name=assignee]').selectOption({ label: DEMO.agent.name });
      await form.locator('select[name=status]').selectOption('pending_customer');
      await submitForm(page, form);
      assert.match(await page.locator('[data-testid=done]').innerText(), /Changes saved/, `alerts: ${await alerts(page)}`);
      assert.match(await page.locator('[data-testid=ticket-status]').innerText(), /Pending \(customer\)/);
      assert.match(await page.locator('[data-testid=ticket-assignee]').innerText(), new RegExp(DEMO.agent.name));
      const history = await page.locator('[data-testid=history]').innerText();
      assert.match(history, /Assignee/);
      assert.match(history, /Pending \(customer\)/);

      // Closing it now is refused in words, and the choice stays on the form.
      await form.locator('select[name=status]').selectOption('closed');
      await submitForm(page, page.locator('[data-testid=properties-form]'));
      assert.match(await alerts(page), /Only a solved ticket can be closed/);
      assert.equal(await page.locator('[data-testid=properties-form] select[name=status]').inputValue(), 'closed');

      // It is now the agent's, and no longer in the unassigned queue.
      await page.goto(`${baseUrl()}/staff/tickets?assignee=me&q=${run}`);
      assert.equal(await page.locator('[data-testid=ticket-row]').count(), 1, 'in my queue');
      await page.goto(`${baseUrl()}/staff/tickets?assignee=none&q=${run}`);
      assert.equal(await page.locator('[data-testid=ticket-row]').count(), 0, 'not unassigned any more');
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });
});
