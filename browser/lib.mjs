// Shared helpers for the browser tests and the screenshot script.
//
// Playwright drives Debian's Chromium at /usr/bin/chromium; no browser is ever
// downloaded (playwright-core only). The server under test is given by
// PAYDESK_URL (scripts/test.sh starts `paydesk serve` on demo data and sets it).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.PAYDESK_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Phone-width context options (an iPhone 12-ish portrait screen). */
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Desktop context options. */
export const DESKTOP = {
  viewport: { width: 1280, height: 800 },
  deviceScaleFactor: 1,
};

/** Demo accounts seeded by `paydesk demo`. */
export const DEMO = {
  password: 'paydesk-demo',
  customer: { login: 'siti@demo.paydesk.id', name: 'Siti Rahayu' },
  agent: { login: 'agent@demo.paydesk.id', name: 'Agus Setiawan' },
};

/** Base URL of the server under test, without a trailing slash. */
export function baseUrl() {
  const url = process.env.PAYDESK_URL;
  if (!url) {
    throw new Error(
      'PAYDESK_URL is not set: start `paydesk serve` on demo data and set PAYDESK_URL ' +
        '(scripts/test.sh does both)',
    );
  }
  return url.replace(/\/+$/, '');
}

export async function launch() {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  } catch (err) {
    throw new Error(
      `could not launch Chromium at ${CHROMIUM} (apt-get install chromium): ${err.message}`,
    );
  }
}

/** Path part of the page's current URL. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Wait until the page's path is `path`; fail with a message naming where it is instead. */
export async function expectPath(page, path, what, timeout = 10_000) {
  try {
    await page.waitForURL((u) => u.pathname === path, { timeout });
  } catch {
    throw new Error(`${what}: expected to be on ${path}, but the page is at ${page.url()}`);
  }
}

/**
 * The sign-in form: the form holding input[name=login]. Scoped so that other
 * forms on the page (the locale switch has its own submit button) don't match.
 */
export function signInForm(page) {
  return page.locator('form').filter({ has: page.locator('input[name=login]') });
}

/** Open `path` and return its sign-in form, failing clearly when either is missing. */
export async function openSignIn(page, path) {
  const response = await page.goto(baseUrl() + path);
  if (!response?.ok()) {
    throw new Error(`GET ${path} answered HTTP ${response?.status()}, expected 200`);
  }
  return expectSignInForm(page, path);
}

async function expectSignInForm(page, path) {
  const form = signInForm(page);
  const count = await form.count();
  if (count !== 1) {
    throw new Error(`${path}: expected one form with input[name=login], found ${count}`);
  }
  return form;
}

/**
 * Fill and submit the sign-in form on `path`; with open: false the page must
 * already show it.
 */
export async function signIn(page, { path, login, password, open = true }) {
  const form = open ? await openSignIn(page, path) : await expectSignInForm(page, path);
  await form.locator('input[name=login]').fill(login);
  await form.locator('input[name=password]').fill(password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    form.locator('button[type=submit]').click(),
  ]);
}

/**
 * Switch the interface language with the locale form. The page may submit the
 * form by itself on change (JavaScript); if it hasn't navigated shortly after
 * the selection, the apply button is clicked. Either way this returns once the
 * new page has loaded.
 */
export async function switchLocale(page, locale) {
  const form = page.locator('form.locale-switch');
  if ((await form.count()) === 0) {
    throw new Error(`no form.locale-switch on ${page.url()}`);
  }
  const select = form.locator('select[name=locale]');
  const navigated = page
    .waitForNavigation({ waitUntil: 'load', timeout: 1500 })
    .then(() => true, () => false);
  await select.selectOption(locale);
  if (!(await navigated)) {
    const apply = form.locator('button.locale-apply');
    if ((await apply.count()) === 0) {
      throw new Error(`form.locale-switch has no button.locale-apply on ${page.url()}`);
    }
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), apply.click()]);
  }
}

/** Collect uncaught page errors so a test can assert there were none. */
export function collectPageErrors(page) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}
