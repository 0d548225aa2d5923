// The help center, end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL; `paydesk demo` imports kb/). Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PHONE, baseUrl, collectPageErrors, launch } from '../lib.mjs';

const TEST_TIMEOUT = 45_000;

let browser;

before(async () => {
  baseUrl(); // fail early, with a clear message, when PAYDESK_URL is missing
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Run `fn(page)` in a fresh phone-width context and fail if the page threw. */
async function withPage(locale, fn) {
  const context = await browser.newContext({ ...PHONE, locale });
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

/** Searches from the help home page in `locale` and returns the result links' hrefs. */
async function searchFromHome(page, locale, query) {
  await page.goto(`${baseUrl()}/help?locale=${encodeURIComponent(locale)}`);
  assert.equal(await page.locator('html').getAttribute('lang'), locale);
  await page.locator('[data-testid=help-q]').fill(query);
  await Promise.all([page.waitForURL(/\/help\/search\?/), page.locator('[data-testid=help-q]').press('Enter')]);
  const hits = page.locator('[data-testid=help-hits] a');
  await hits.first().waitFor();
  assert.ok(
    (await page.locator('[data-testid=help-hits] mark').count()) > 0,
    `${query}: snippets should highlight the match`,
  );
  return hits.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
}

describe('help center', () => {
  for (const [locale, query] of [
    ['en', 'forgot my password'],
    ['id', 'lupa kata sandi'],
    ['zh-CN', '忘记密码了'],
  ]) {
    test(`searches in ${locale} from /help`, { timeout: TEST_TIMEOUT }, async () => {
      await withPage(locale, async (page) => {
        const hrefs = await searchFromHome(page, locale, query);
        assert.ok(
          hrefs.slice(0, 3).some((h) => h.startsWith(`/help/a/reset-password?locale=${locale}`)),
          `${query}: reset-password in the top 3, got ${JSON.stringify(hrefs.slice(0, 3))}`,
        );
      });
    });
  }

  test('suggests articles while typing', { timeout: TEST_TIMEOUT }, async () => {
    await withPage('en-US', async (page) => {
      await page.goto(`${baseUrl()}/help?locale=en`);
      await page.locator('[data-testid=help-q]').pressSequentially('passw', { delay: 30 });
      const list = page.locator('[data-testid=help-suggestions] a');
      await list.first().waitFor();
      const hrefs = await list.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.some((h) => h.includes('password')), `a password article among ${JSON.stringify(hrefs)}`);
      await Promise.all([page.waitForURL(/\/help\/a\//), list.first().click()]);
    });
  });

  test('opens an article and votes helpful', { timeout: TEST_TIMEOUT }, async () => {
    await withPage('en-US', async (page) => {
      const hrefs = await searchFromHome(page, 'en', 'refund how long');
      await page.locator('[data-testid=help-hits] a').first().click();
      await page.waitForURL(/\/help\/a\//);
      assert.ok(hrefs.length > 0);
      const title = (await page.locator('article h1').innerText()).trim();
      assert.ok(title.length > 0, 'the article has a title');
      await page.locator('[data-testid=help-yes]').click();
      await page.locator('[data-testid=help-vote-thanks]').waitFor();
      assert.match(page.url(), /voted=1/);
    });
  });
});
