// Privacy pages end to end in Chromium against `paydesk serve` on demo data
// (PAYDESK_URL): a customer downloads their data from /privacy and finds their own
// records in it (and nobody else's); an admin browses the audit log on /staff/audit,
// sees the hash chain verified and filters to the download just made.
// Run: node --test browser/tests/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DEMO, DESKTOP, PHONE, baseUrl, collectPageErrors, expectPath, launch, signIn } from '../lib.mjs';

const TEST_TIMEOUT = 90_000;
const ADMIN = 'admin@demo.paydesk.id';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

describe('data rights and the audit log', () => {
  test('a customer downloads their data as JSON from the privacy page', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ ...PHONE, acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      // The security page links to the privacy page.
      await page.goto(baseUrl() + '/security');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByTestId('privacy-link').click()]);
      await expectPath(page, '/privacy', 'the privacy link');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('privacy-download').click(),
      ]);
      assert.equal(download.suggestedFilename(), 'paydesk-data.json');
      const text = await readFile(await download.path(), 'utf8');
      const data = JSON.parse(text);
      assert.equal(data.format, 'paydesk-data-export/1');
      assert.equal(data.profile.email, DEMO.customer.login);
      assert.ok(data.profile.phone, 'the phone number, decrypted');
      assert.ok(Array.isArray(data.transactions) && data.transactions.length > 0, 'Siti has transactions in the demo');
      assert.ok(Array.isArray(data.tickets));
      for (const t of data.transactions) {
        assert.equal(t.customer_id, data.profile.id, `transaction ${t.id} is someone else's`);
      }
      for (const t of data.tickets) {
        for (const m of t.messages) assert.notEqual(m.visibility, 'internal', 'internal notes stay with staff');
      }
      // The erasure form is there, guarded by a password and a confirmation.
      const form = page.getByTestId('privacy-erase-form');
      assert.equal(await form.locator('input[name=password]').count(), 1);
      assert.equal(await form.locator('input[name=confirm][required]').count(), 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('an admin browses the audit log and filters it', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await signIn(page, { path: '/staff/signin', login: ADMIN, password: DEMO.password });
      await page.goto(baseUrl() + '/staff');
      const nav = page.locator('a[href="/staff/audit"]');
      assert.ok((await nav.count()) > 0, 'the admin nav links the audit log');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), nav.first().click()]);
      await expectPath(page, '/staff/audit', 'the audit link');
      assert.equal(await page.getByTestId('audit-chain').getAttribute('data-state'), 'intact');
      assert.ok((await page.getByTestId('audit-row').count()) > 0, 'the log has entries');
      const filters = page.getByTestId('audit-filters');
      await filters.locator('input[name=action]').fill('privacy.export');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        filters.locator('button[type=submit]').click(),
      ]);
      const rows = page.getByTestId('audit-row');
      assert.ok((await rows.count()) > 0, 'the download of the test before is audited');
      for (const action of await rows.evaluateAll((els) => els.map((e) => e.dataset.action))) {
        assert.ok(action.startsWith('privacy.export'), action);
      }
      assert.ok(new URL(page.url()).searchParams.get('action') === 'privacy.export');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('customers and agents cannot open the audit log', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    try {
      await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
      const res = await page.goto(baseUrl() + '/staff/audit');
      assert.equal(res.status(), 403);
    } finally {
      await context.close();
    }
  });
});
