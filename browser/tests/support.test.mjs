// The customer's support pages, end to end in Chromium against `paydesk serve` on demo
// data (PAYDESK_URL): a guest writes from the contact form after seeing suggested
// articles and follows the reply on their private link; a visitor is answered by a
// suggestion; Siti opens a ticket about a failed payment picked from her history.
// Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, PHONE, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 60_000;

let browser;

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Run `fn(page)` in a fresh context and fail if the page threw. */
async function withPage(options, fn) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
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

/** Calls the JSON API; fails with the answer's body when the status is not `expect`. */
async function api(method, path, { token, body, expect = 200 } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
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

/** Types like a person, so the page's debounced suggestions fire. */
async function type(page, selector, text) {
  await page.locator(selector).pressSequentially(text, { delay: 20 });
}

/** Waits for the suggestions and returns their links' hrefs. */
async function suggestions(page) {
  const links = page.locator('[data-testid=suggestion]');
  await links.first().waitFor();
  return links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
}

describe('support pages', () => {
  test('a guest sends the form anyway and reads the agent\'s reply on the private link', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(PHONE, async (page) => {
      await page.goto(`${baseUrl()}/contact`);
      const form = page.locator('[data-testid=contact-form]');
      await form.locator('select[name=category]').selectOption('account_sign_in');
      // Not a transaction matter: the time-and-amount fields stay out of the way.
      assert.equal(await form.locator('fieldset.reported').isVisible(), false);
      await type(page, '#subject', 'forgot my password');
      const hrefs = await suggestions(page);
      assert.ok(
        hrefs.some((h) => h.startsWith('/help/a/reset-password')),
        `reset-password among the suggestions: ${JSON.stringify(hrefs)}`,
      );
      await type(page, '#body', 'I cannot sign in since yesterday and the reset e-mail never came.');
      await page.locator('#name').fill('Dewi Lestari');
      await page.locator('#email').fill('dewi.browser@example.id');
      // The page tells the server that suggestions were shown (counted as "continued").
      assert.ok((await page.locator('input[name=suggested]').inputValue()).length > 0);
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('[data-testid=contact-submit]').click(),
      ]);
      const number = (await page.locator('[data-testid=ticket-number]').innerText()).match(/#(\d+)/)?.[1];
      assert.ok(number, 'the ticket number is shown');
      await page.locator('[data-testid=keep-link]').waitFor();
      const link = await page.locator('[data-testid=private-link]').getAttribute('href');
      assert.match(link, /^\/support\/guest\/[A-Za-z0-9_-]{20,}$/);
      const copy = await page.locator('#private-link').inputValue();
      assert.equal(copy, baseUrl() + link, 'the full address, ready to copy');

      const { token } = await api('POST', '/api/v1/auth/tokens', {
        body: { audience: 'staff', login: DEMO.agent.login, password: DEMO.password },
        expect: 201,
      });
      const reply = 'Use "Forgot password" on the sign-in page; the e-mail comes from no-reply@paydesk.';
      await api('POST', `/api/v1/tickets/${number}/messages`, { token, body: { body: reply }, expect: 201 });

      const response = await page.goto(baseUrl() + link);
      assert.equal(response.status(), 200);
      assert.equal(response.headers()['referrer-policy'], 'no-referrer');
      const messages = page.locator('[data-testid=message]');
      await messages.filter({ hasText: 'no-reply@paydesk' }).waitFor();
      assert.match(await messages.last().innerText(), new RegExp(`${DEMO.agent.name}, support team`));
      assert.match(await page.locator('[data-testid=ticket-subject]').innerText(), /forgot my password/);
    });
  });

  test('a visitor is answered by a suggested article', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(PHONE, async (page) => {
      await page.goto(`${baseUrl()}/contact`);
      await type(page, '#subject', 'how long does a refund take');
      await suggestions(page);
      const recorded = page.waitForResponse(
        (r) => r.url().endsWith('/api/v1/help/deflections') && r.request().method() === 'POST',
      );
      await page.locator('[data-testid=suggestion-answered]').first().click();
      const answer = await recorded;
      assert.equal(answer.status(), 204, 'the deflection is recorded');
      assert.equal(JSON.parse(answer.request().postData()).outcome, 'deflected');
      await page.locator('[data-testid=deflection-thanks]').waitFor();
      assert.equal(await page.locator('[data-testid=contact-suggestions]').isVisible(), false);
      assert.equal(await page.locator('input[name=suggested]').inputValue(), '', 'not "sent anyway" any more');
    });
  });

  test('Siti opens a ticket about a failed payment picked from her history', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({}, async (page) => {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await expectPath(page, '/home', 'customer sign-in');
      await page.locator('nav a[href="/support"]').waitFor();
      await page.goto(`${baseUrl()}/contact`);
      const picker = page.locator('[data-testid=transaction-picker]');
      await page.locator('select[name=category]').selectOption('other');
      assert.equal(await picker.isVisible(), false, 'no transaction needed for "something else"');
      await page.locator('select[name=category]').selectOption('failed_transaction');
      assert.equal(await picker.isVisible(), true);
      const failed = picker.locator('[data-testid=pick].pick-failed');
      const catering = failed.filter({ hasText: 'Catering order' });
      const pick = (await catering.count()) > 0 ? catering.first() : failed.first();
      assert.ok((await failed.count()) > 0, 'the demo gives Siti failed payments to pick');
      const reference = (await pick.locator('code').innerText()).trim();
      await pick.locator('input[type=radio]').check();
      await page.locator('#subject').fill('Catering order failed but was it charged?');
      await page.locator('#body').fill('The catering order failed. Please check whether the money left my wallet.');
      await Promise.all([
        page.waitForURL(/\/support\/tickets\/\d+\?done=opened$/),
        page.locator('[data-testid=contact-submit]').click(),
      ]);
      await page.locator('[data-testid=done]').waitFor();
      assert.equal((await page.locator('[data-testid=linked-reference]').innerText()).trim(), reference);
      const number = (await page.locator('[data-testid=ticket-number]').innerText()).replace('#', '').trim();

      await page.goto(`${baseUrl()}/support`);
      const row = page.locator('[data-testid=ticket-row]').filter({ hasText: `#${number}` });
      await row.waitFor();
      assert.match(await row.innerText(), /Catering order failed but was it charged\?/);
      assert.equal(await row.locator('[data-testid=transaction-linked]').count(), 1, 'the transaction is linked');
      await Promise.all([page.waitForURL(new RegExp(`/support/tickets/${number}$`)), row.locator('a').click()]);
    });
  });
});
