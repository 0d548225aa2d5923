// The agent console in Chromium against `paydesk serve` on demo data (PAYDESK_URL): an
// agent works the queue (the first ticket in "Unassigned", a canned response inserted at
// once in the ticket's language, a reply), an agent switches between available and away,
// and a supervisor opens the dashboard and its charts.
//
// Other browser tests run at the same time on the same server, so this one changes only
// what no other test reads: it replies on a demo ticket, and it switches availability
// for an agent of the China Desk, a group no category routes new tickets to.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, DESKTOP, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;
/** Demo staff this test signs in as, besides the agent in lib.mjs. */
const QUEUE_AGENT = 'dewi.lestari@demo.paydesk.id';
const CHINA_DESK_AGENT = 'wang.fang@demo.paydesk.id';
const SUPERVISOR = 'supervisor@demo.paydesk.id';

let browser;

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function staffPage(login) {
  const context = await browser.newContext({ locale: 'en-US', ...DESKTOP });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await signIn(page, { path: '/staff/signin', login, password: DEMO.password });
  await expectPath(page, '/staff', `${login} signs in`);
  return { context, page };
}

/** Click `locator` and wait for the page it leads to. */
async function follow(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
}

describe('agent console', () => {
  test('an agent works the queue with a canned response', { timeout: TEST_TIMEOUT }, async () => {
    const { context, page } = await staffPage(QUEUE_AGENT);
    const errors = collectPageErrors(page);
    try {
      await follow(page, page.locator('nav a[href="/staff/tickets"]'));
      const unassigned = page.locator('[data-testid=queue-unassigned]');
      const waiting = Number(await unassigned.getAttribute('data-count'));
      assert.ok(waiting > 0, 'the demo has unassigned tickets');
      await follow(page, unassigned);
      assert.equal(await unassigned.getAttribute('aria-current'), 'page', 'the tab is marked');
      const rows = page.locator('[data-testid=ticket-row]');
      assert.ok((await rows.count()) > 0, 'the queue lists them');
      // Sorted by due time: the earliest SLA due time first, tickets without a running
      // target last (ties by priority and the longest wait are tested in Rust).
      const dues = (await rows.evaluateAll((rs) => rs.map((r) => r.dataset.due)))
        .map((d) => (d === '' ? Infinity : Number(d)));
      assert.ok(dues.some(Number.isFinite), 'the demo queue has due times');
      for (let i = 1; i < dues.length; i++) {
        assert.ok(dues[i - 1] <= dues[i], `row ${i} is not due before row ${i - 1}: ${dues}`);
      }

      const number = await rows.first().getAttribute('data-number');
      await follow(page, rows.first().locator('a').first());
      await expectPath(page, `/staff/tickets/${number}`, 'the first ticket of the queue');
      const panel = page.locator('[data-testid=customer-panel]');
      assert.ok(await panel.isVisible(), 'the customer panel is beside the thread');

      // A canned response goes into the reply at once, in the ticket's language.
      const pick = page.locator('[data-testid=canned-pick]');
      const option = pick.locator('option', { hasText: 'Greeting: looking into it' });
      const text = await option.getAttribute('data-body');
      assert.ok(text && !text.includes('{name}'), `filled in for this requester: ${text}`);
      await pick.locator('select[name=canned]').selectOption({ label: 'Greeting: looking into it' });
      const url = page.url();
      await pick.locator('button[type=submit]').click();
      const body = page.locator('#reply-body');
      await assert.doesNotReject(
        body.evaluate((el, want) => new Promise((resolve, reject) => {
          const t0 = Date.now();
          (function poll() {
            if (el.value.includes(want)) return resolve();
            if (Date.now() - t0 > 5000) return reject(new Error(`reply is ${JSON.stringify(el.value)}`));
            setTimeout(poll, 50);
          })();
        }), text),
        'the text is in the reply',
      );
      assert.equal(page.url(), url, 'no reload: the script put it in');

      // The agent adds a line and sends it publicly.
      const stamp = `(${Date.now()})`;
      await body.press('End');
      await body.pressSequentially(` ${stamp}`);
      const form = page.locator('[data-testid=reply-form]');
      await form.locator('input[name=internal][value=false]').check();
      await follow(page, form.locator('button[type=submit]'));
      await expectPath(page, `/staff/tickets/${number}`, 'back on the ticket after replying');
      // (Dewi works in Indonesian: the confirmation is checked by its place, not its words.)
      assert.ok(await page.locator('[data-testid=done]').isVisible(), 'the reply was sent');
      const sent = page.locator('[data-testid=message]').filter({ hasText: stamp });
      assert.equal(await sent.count(), 1, 'the reply is in the thread');
      assert.ok((await sent.innerText()).includes(text.slice(0, 20)), 'with the canned text');
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });

  test('an agent switches between available and away', { timeout: TEST_TIMEOUT }, async () => {
    const { context, page } = await staffPage(CHINA_DESK_AGENT);
    try {
      await page.goto(`${baseUrl()}/staff/tickets?queue=group`);
      const state = page.locator('[data-testid=availability]');
      const form = page.locator('[data-testid=availability-form]');
      if ((await state.getAttribute('data-available')) === 'true') {
        await follow(page, form.locator('button'));
      }
      assert.equal(await state.getAttribute('data-available'), 'false');
      // Wang Fang works in Chinese: the buttons are found by what they send.
      await follow(page, form.locator('button[name=available][value=true]'));
      assert.equal(await state.getAttribute('data-available'), 'true');
      assert.equal(new URL(page.url()).search, '?queue=group', 'back where the switch was');
      await follow(page, form.locator('button[name=available][value=false]'));
      assert.equal(await state.getAttribute('data-available'), 'false');
    } finally {
      await context.close();
    }
  });

  test('a supervisor opens the dashboard and sees the charts', { timeout: TEST_TIMEOUT }, async () => {
    const { context, page } = await staffPage(SUPERVISOR);
    const errors = collectPageErrors(page);
    try {
      await follow(page, page.locator('nav a[href="/staff/dashboard"]'));
      await expectPath(page, '/staff/dashboard', 'the dashboard link');
      assert.ok(Number(await page.locator('[data-testid=figure-open]').innerText()) > 0, 'open tickets');
      for (const id of ['by-category', 'by-channel', 'first-response', 'satisfaction', 'deflection']) {
        const chart = page.locator(`[data-testid=chart-${id}]`);
        const svg = chart.locator('svg[role=img]');
        assert.ok(await svg.isVisible(), `${id}: drawn`);
        const box = await svg.boundingBox();
        assert.ok(box && box.width > 200 && box.height > 20, `${id}: has a size`);
        assert.ok((await svg.locator('title').textContent()).length > 0, `${id}: titled`);
        // The numbers behind it, for anyone who cannot see the bars.
        await chart.locator('summary').click();
        assert.ok(await chart.locator('[data-testid=chart-table]').isVisible(), `${id}: table`);
      }
      const bars = page.locator('[data-testid=chart-by-category] rect.chart-bar');
      assert.ok((await bars.count()) > 0, 'bars for the open categories');
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });
});
