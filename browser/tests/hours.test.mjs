// Support hours in Chromium against `paydesk serve` on demo data (PAYDESK_URL): a guest
// who writes while support is closed sees the next opening on the contact form, and the
// automatic reply on their ticket names it in their local time.
// The test points the web channel at a calendar that is closed today (open one hour on
// the weekday three days from now) and puts the demo's calendar back afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PHONE, baseUrl, collectPageErrors, launch } from '../lib.mjs';

const ADMIN = { login: 'admin@demo.paydesk.id', password: 'paydesk-demo' };

let browser;
let admin;
let previous;

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

/** Monday = 0 of today in Jakarta. */
function jakartaWeekday() {
  const name = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: 'Asia/Jakarta' }).format(new Date());
  return ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(name);
}

before(async () => {
  baseUrl();
  browser = await launch();
  ({ token: admin } = await api('POST', '/api/v1/auth/tokens', {
    body: { audience: 'staff', login: ADMIN.login, password: ADMIN.password },
    expect: 201,
  }));
  const calendars = await api('GET', '/api/v1/calendars', { token: admin });
  previous = calendars.find((c) => c.channels.includes('web'))?.id;
  await api('PUT', '/api/v1/calendars/browser-closed-today', {
    token: admin,
    body: {
      name: 'Closed today (browser test)',
      time_zone: 'Asia/Jakarta',
      intervals: [{ weekday: (jakartaWeekday() + 3) % 7, opens: '08:00', closes: '09:00' }],
    },
  });
  await api('PUT', '/api/v1/calendar-assignments', {
    token: admin,
    body: { channels: { web: 'browser-closed-today' } },
    expect: 204,
  });
});

after(async () => {
  if (admin && previous) {
    await api('PUT', '/api/v1/calendar-assignments', {
      token: admin,
      body: { channels: { web: previous } },
      expect: 204,
    });
  }
  await browser?.close();
});

describe('support hours', () => {
  test('a guest writing out of hours sees the next opening and gets it in the reply', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ locale: 'en-US', ...PHONE });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await page.goto(`${baseUrl()}/contact`);
      const hours = await page.locator('[data-testid=support-hours]').innerText();
      assert.match(hours, /closed/i);
      assert.match(hours, /08:00 WIB/, `the next opening in the visitor's terms: ${hours}`);

      await page.locator('select[name=category]').selectOption('other');
      await page.locator('#subject').fill('Question at night');
      await page.locator('#body').fill('Can I change the phone number on my account?');
      await page.locator('#name').fill('Rudi Hartono');
      await page.locator('#email').fill('rudi.night@example.id');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('[data-testid=contact-submit]').click(),
      ]);
      const link = await page.locator('[data-testid=private-link]').getAttribute('href');
      await page.goto(baseUrl() + link);
      const reply = page.locator('[data-testid=message]').filter({ hasText: 'we will reply by' });
      await reply.waitFor();
      assert.match(await reply.innerText(), /08:00 WIB/);
      assert.deepEqual(errors, [], 'no JavaScript errors');
    } finally {
      await context.close();
    }
  });
});
