// Screenshots of the main pages for the docs, taken against PAYDESK_URL (demo data).
//
//   PAYDESK_SCREENSHOTS=1 node browser/screenshots.mjs   # rewrites docs/screenshots/*.png
//   node browser/screenshots.mjs                         # same pages, into a temporary
//                                                        # directory (keeps the tree clean)
//
// PAYDESK_SCREENSHOT_DIR overrides where the files go. scripts/test.sh runs this
// after the browser tests; a failure there is only a warning.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO, DESKTOP, PHONE, baseUrl, expectPath, launch, signIn } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const regenerate = process.env.PAYDESK_SCREENSHOTS === '1';
const outDir = process.env.PAYDESK_SCREENSHOT_DIR
  ? resolve(process.env.PAYDESK_SCREENSHOT_DIR)
  : regenerate
    ? resolve(here, '..', 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'paydesk-screenshots-'));
mkdirSync(outDir, { recursive: true });

const url = baseUrl();

/** Let web fonts (CJK fallbacks included) settle before the picture. */
async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.evaluate(() => document.fonts.ready).catch(() => {});
}

async function shoot(browser, name, options, visit) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  context.setDefaultTimeout(15_000);
  try {
    const page = await context.newPage();
    await visit(page);
    await settle(page);
    const file = join(outDir, name);
    await page.screenshot({ path: file, animations: 'disabled' });
    console.log(`saved ${file}`);
  } finally {
    await context.close();
  }
}

const browser = await launch();
let failed = 0;
const shots = [
  ['signin.png', PHONE, async (page) => {
    await page.goto(url + '/signin');
  }],
  ['customer-home.png', DESKTOP, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
  }],
  ['staff-home.png', DESKTOP, async (page) => {
    await signIn(page, { path: '/staff/signin', login: DEMO.agent.login, password: DEMO.password });
    await expectPath(page, '/staff', 'agent sign-in');
  }],
  ['staff-tickets.png', DESKTOP, async (page) => {
    await signIn(page, { path: '/staff/signin', login: DEMO.agent.login, password: DEMO.password });
    await expectPath(page, '/staff', 'agent sign-in');
    await page.goto(url + '/staff/tickets');
  }],
  ['staff-ticket.png', DESKTOP, async (page) => {
    await signIn(page, { path: '/staff/signin', login: DEMO.agent.login, password: DEMO.password });
    await expectPath(page, '/staff', 'agent sign-in');
    await page.goto(url + '/staff/tickets?channel=messenger');
    await page.locator('[data-testid=ticket-row] a').first().click();
    await page.waitForURL(/\/staff\/tickets\/\d+/);
  }],
  ['staff-dashboard.png', DESKTOP, async (page) => {
    await signIn(page, { path: '/staff/signin', login: 'supervisor@demo.paydesk.id', password: DEMO.password });
    await expectPath(page, '/staff', 'supervisor sign-in');
    await page.goto(url + '/staff/dashboard');
  }],
  ['wallet.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/wallet');
  }],
  ['wallet-failed.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/wallet?status=failed&q=catering');
    const link = page.locator('a[href^="/wallet/tx/"]').first();
    await link.click();
    await page.waitForURL(/\/wallet\/tx\//);
  }],
  ['help-search-id.png', PHONE, async (page) => {
    await page.goto(url + '/help/search?locale=id&q=' + encodeURIComponent('saldo ga cukup'));
  }],
  ['help-article-zh.png', PHONE, async (page) => {
    await page.goto(url + '/help/search?locale=zh-CN&q=' + encodeURIComponent('退款没到账'));
    await page.locator('[data-testid=help-hits] a').first().click();
    await page.waitForURL(/\/help\/a\//);
  }],
  ['contact.png', PHONE, async (page) => {
    await page.goto(url + '/contact');
    await page.locator('#subject').pressSequentially('forgot my password', { delay: 20 });
    await page.locator('[data-testid=suggestion]').first().waitFor();
    // What was typed and what it brought up, in one phone screen.
    await page.locator('label[for=subject]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  }],
  ['support-ticket.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/support');
    // A ticket support has answered shows the whole conversation.
    const rows = page.locator('[data-testid=ticket-row]');
    const answered = rows.filter({ has: page.locator('.badge-ticket-solved, .badge-ticket-pending_customer') });
    await ((await answered.count()) > 0 ? answered : rows).first().locator('a').click();
    await page.waitForURL(/\/support\/tickets\//);
    await page.locator('#thread-title').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  }],
  ['checkout.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/pay');
  }],
  ['complaint.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/complaints');
    await page.locator('a[href^="/complaints/"]').first().click();
    await page.waitForURL(/\/complaints\/[^/]+$/);
  }],
  ['cards.png', PHONE, async (page) => {
    await signIn(page, { path: '/signin', login: DEMO.customer.login, password: DEMO.password });
    await expectPath(page, '/home', 'customer sign-in');
    await page.goto(url + '/cards');
  }],
  ['api.png', DESKTOP, async (page) => {
    const response = await page.goto(url + '/api');
    if (!response?.ok()) throw new Error(`/api answered HTTP ${response?.status()}`);
  }],
];
try {
  for (const [name, options, visit] of shots) {
    try {
      await shoot(browser, name, options, visit);
    } catch (err) {
      failed++;
      console.error(`screenshot ${name} failed: ${err.message}`);
    }
  }
} finally {
  await browser.close();
}
if (!regenerate && !process.env.PAYDESK_SCREENSHOT_DIR) {
  console.log(`(screenshots went to ${outDir}; set PAYDESK_SCREENSHOTS=1 to update docs/screenshots/)`);
}
process.exitCode = failed ? 1 : 0;
