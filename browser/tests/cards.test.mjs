// Linking a bank card, end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL): a number that fails the check is refused with a message and a link to
// its help article; a valid one is added, verified with the issuer's code (the demo's
// development issuer shows it) and removed again, so the test can run any number of
// times. Words depend on the customer's language: the test reads test ids, states and hrefs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, PHONE, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;

/** A BCA Visa range of the sample BIN table (crates/server/data/bins.toml). */
const BCA_VISA = '455612';

/** Luhn check digit for a string of digits. */
function luhnDigit(partial) {
  for (let d = 0; d <= 9; d++) {
    const n = partial + d;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) {
        x *= 2;
        if (x > 9) x -= 9;
      }
      sum += x;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('no check digit');
}

/** A fresh valid 16-digit card number in the range, so reruns never collide. */
function freshCard() {
  let body = BCA_VISA;
  while (body.length < 15) body += String(Math.floor(Math.random() * 10));
  return body + luhnDigit(body);
}

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function submit(page, form) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
}

async function fillCard(page, number) {
  const form = page.locator('[data-testid=add-card-form]');
  await form.locator('input[name=number]').fill(number);
  await form.locator('input[name=expiry_month]').fill('12');
  await form.locator('input[name=expiry_year]').fill(String(new Date().getFullYear() + 3));
  await form.locator('input[name=cvv]').fill('123');
  await form.locator('input[name=holder_name]').fill(DEMO.customer.name);
  await form.locator('select[name=verification]').selectOption('issuer_otp');
  return form;
}

describe('bank cards', () => {
  test('a card that fails the check is explained, a valid one is linked, verified and removed', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ ...PHONE, locale: 'en-US' });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await expectPath(page, '/home', 'after sign-in');
      await page.goto(baseUrl() + '/cards');
      await expectPath(page, '/cards', 'cards page');

      // A typo: the last digit is wrong, so the Luhn check fails.
      const good = freshCard();
      const typo = good.slice(0, 15) + String((Number(good[15]) + 1) % 10);
      await submit(page, await fillCard(page, typo.replace(/(\d{4})(?=\d)/g, '$1 ')));
      const error = page.locator('[data-testid=cards-error]');
      assert.equal(await error.count(), 1, 'the refusal is shown');
      const message = (await error.innerText()).trim();
      assert.ok(message.length > 10, `a readable message, got: ${message}`);
      assert.doesNotMatch(message, /cards-problem/, 'a message, not a catalogue key');
      assert.equal(await error.getAttribute('data-form'), 'card');
      const help = page.locator('[data-testid=cards-error-help]');
      assert.equal(await help.getAttribute('href'), '/help/a/card-number-invalid');
      assert.ok(!(await page.content()).includes(typo), 'the typed number is not sent back');
      // The help article it points to exists.
      const article = await page.request.get(baseUrl() + '/help/a/card-number-invalid');
      assert.equal(article.status(), 200, 'help article card-number-invalid');

      // Now a valid card: added and waiting for the issuer's code.
      await submit(page, await fillCard(page, good));
      await expectPath(page, '/cards', 'after adding');
      assert.equal(await page.locator('[data-testid=cards-notice]').count(), 1);
      const row = page.locator(`[data-testid=card-row][data-last4="${good.slice(-4)}"]`);
      assert.equal(await row.count(), 1, 'the new card is listed');
      assert.equal(await row.getAttribute('data-state'), 'pending_verification');
      assert.ok(!(await page.content()).includes(good), 'only the last four digits are shown');

      // The demo's development issuer says which code it accepts.
      const hint = page.locator('[data-testid=cards-dev-issuer]');
      if ((await hint.count()) === 1) {
        const code = (await hint.innerText()).match(/\d{6}/)?.[0];
        assert.ok(code, 'the development code is shown');
        const verify = row.locator('[data-testid=card-verify]');
        await verify.locator('input[name=code]').fill('000000');
        await submit(page, verify);
        assert.equal(await page.locator('[data-testid=cards-error]').count(), 1, 'a wrong code is refused');
        assert.equal(await page.locator('[data-testid=cards-error-help]').getAttribute('href'), '/help/a/card-verification-failed');
        const again = page.locator(`[data-testid=card-row][data-last4="${good.slice(-4)}"] [data-testid=card-verify]`);
        await again.locator('input[name=code]').fill(code);
        await submit(page, again);
        const verified = page.locator(`[data-testid=card-row][data-last4="${good.slice(-4)}"]`);
        assert.equal(await verified.getAttribute('data-state'), 'verified');
      }

      // Remove it so reruns stay under the card limit.
      await submit(page, page.locator(`[data-testid=card-row][data-last4="${good.slice(-4)}"] form:has([data-testid=card-remove])`));
      assert.equal(await page.locator(`[data-testid=card-row][data-last4="${good.slice(-4)}"]`).count(), 0, 'removed');
      assert.deepEqual(errors, [], `uncaught JavaScript errors on ${page.url()}`);
    } finally {
      await context.close();
    }
  });
});
