// Sign-in and locale switching, end to end in Chromium against `paydesk serve`
// on demo data (PAYDESK_URL). Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO,
  DESKTOP,
  PHONE,
  baseUrl,
  collectPageErrors,
  expectPath,
  launch,
  openSignIn,
  pathOf,
  signIn,
  signInForm,
  switchLocale,
} from '../lib.mjs';

const TEST_TIMEOUT = 45_000;

let browser;

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/**
 * Run `fn(page)` in a fresh context (own cookies) with the given options,
 * English Accept-Language unless said otherwise, and fail if the page threw.
 */
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

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

async function h1Text(page) {
  const h1 = page.locator('h1').first();
  if ((await h1.count()) === 0) throw new Error(`no <h1> on ${page.url()}`);
  return (await h1.innerText()).trim();
}

/** The signed-in user's name as the page shows it in [data-testid=whoami]. */
async function expectWhoami(page, name, what) {
  const whoami = page.locator('[data-testid=whoami]');
  try {
    await whoami.first().waitFor({ state: 'attached', timeout: 10_000 });
  } catch {
    throw new Error(`${what}: no [data-testid=whoami] element on ${page.url()}`);
  }
  const texts = (await whoami.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  assert.ok(
    texts.some((t) => t.includes(name)),
    `${what}: [data-testid=whoami] should contain "${name}", found ${JSON.stringify(texts)}`,
  );
}

describe('sign-in', () => {
  test('customer signs in on a phone and lands on /home', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(PHONE, async (page) => {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      await expectPath(page, '/home', 'customer sign-in with the demo password');
      await expectWhoami(page, DEMO.customer.name, 'customer home');
    });
  });

  test('agent signs in on the staff page and lands on /staff', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(DESKTOP, async (page) => {
      await signIn(page, {
        path: '/staff/signin',
        login: DEMO.agent.login,
        password: DEMO.password,
      });
      await expectPath(page, '/staff', 'agent sign-in with the demo password');
      await expectWhoami(page, DEMO.agent.name, 'staff home');
    });
  });

  test('a wrong password keeps the customer on /signin with an error', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(DESKTOP, async (page) => {
      const form = await openSignIn(page, '/signin');
      await form.locator('input[name=login]').fill(DEMO.customer.login);
      await form.locator('input[name=password]').fill('wrong-password-123');
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        form.locator('button[type=submit]').click(),
      ]);
      assert.ok(
        response && response.status() < 500,
        `a wrong password should not be a server error, got HTTP ${response?.status()}`,
      );
      assert.equal(pathOf(page), '/signin', `a wrong password should stay on /signin, not ${page.url()}`);

      const alert = page.locator('[role=alert]').filter({ hasText: /incorrect/i });
      try {
        await alert.first().waitFor({ state: 'visible', timeout: 5_000 });
      } catch {
        const alerts = await page.locator('[role=alert]').allTextContents();
        assert.fail(
          `expected a visible [role=alert] saying the login or password is incorrect; ` +
            `[role=alert] texts: ${JSON.stringify(alerts)}`,
        );
      }

      const login = await signInForm(page).locator('input[name=login]').inputValue();
      assert.equal(login, DEMO.customer.login, 'the login field should keep what was typed');
      const password = await signInForm(page).locator('input[name=password]').inputValue();
      assert.equal(password, '', 'the password must not be sent back into the page');
    });
  });
});

describe('locale switch', () => {
  test('without JavaScript: English → Indonesian → Chinese on /signin', { timeout: TEST_TIMEOUT }, async () => {
    await withPage({ ...DESKTOP, javaScriptEnabled: false }, async (page) => {
      await openSignIn(page, '/signin');
      const lang = await htmlLang(page);
      assert.ok(lang?.startsWith('en'), `/signin with Accept-Language en-US should be English, <html lang="${lang}">`);
      const englishH1 = await h1Text(page);

      const form = page.locator('form.locale-switch');
      assert.equal(await form.count(), 1, 'expected one form.locale-switch on /signin');
      const options = await form.locator('select[name=locale] option').evaluateAll((os) => os.map((o) => o.value));
      for (const want of ['en', 'id', 'zh-CN']) {
        assert.ok(options.includes(want), `select[name=locale] should offer "${want}", has ${JSON.stringify(options)}`);
      }

      for (const [locale, label] of [['id', 'Indonesian'], ['zh-CN', 'Chinese']]) {
        await form.locator('select[name=locale]').selectOption(locale);
        await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          form.locator('button.locale-apply').click(),
        ]);
        assert.equal(pathOf(page), '/signin', `switching to ${label} should come back to /signin, not ${page.url()}`);
        assert.equal(await htmlLang(page), locale, `after choosing ${locale}, <html lang> should be "${locale}"`);
        const h1 = await h1Text(page);
        assert.notEqual(h1, englishH1, `the ${label} <h1> should differ from the English one ("${englishH1}")`);
        assert.equal(
          await form.locator('select[name=locale]').inputValue(),
          locale,
          `the locale select should show the current locale ${locale}`,
        );
      }
    });
  });

  test('Indonesian chosen on /signin carries over to the customer home page', { timeout: TEST_TIMEOUT }, async () => {
    await withPage(DESKTOP, async (page) => {
      await openSignIn(page, '/signin');
      const englishH1 = await h1Text(page);
      await switchLocale(page, 'id');
      assert.equal(await htmlLang(page), 'id', 'after choosing id, <html lang> should be "id"');
      assert.notEqual(await h1Text(page), englishH1, 'the Indonesian <h1> should differ from the English one');

      await signIn(page, {
        path: '/signin',
        login: DEMO.customer.login,
        password: DEMO.password,
        open: pathOf(page) !== '/signin',
      });
      await expectPath(page, '/home', 'customer sign-in after switching to Indonesian');
      assert.equal(await htmlLang(page), 'id', 'the home page should stay in Indonesian (<html lang="id">)');
      await expectWhoami(page, DEMO.customer.name, 'customer home in Indonesian');
    });
  });
});
