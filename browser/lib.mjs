// What every browser script shares: Chromium as the tests run it (headless, no network of
// its own, a throwaway profile), screenshots, checks, and signing in and out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const VIEWPORTS = { desktop: { width: 1366, height: 900 }, mobile: { width: 390, height: 844 } };
export const DEVICES = { desktop: VIEWPORTS.desktop, phone: VIEWPORTS.mobile };

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// shot(page, name): a full-page screenshot in `artifacts`, named `${prefix}${name}.png`, or
// numbered in the order taken (`01-name.png`) for a flow read step by step.
export function screenshots(artifacts, { numbered = false, prefix = '' } = {}) {
  fs.mkdirSync(artifacts, { recursive: true });
  let step = 0;
  return async (page, name) => {
    step += 1;
    const number = numbered ? `${String(step).padStart(2, '0')}-` : '';
    await page.screenshot({ path: path.join(artifacts, `${number}${prefix}${name}.png`), fullPage: true });
  };
}

// Signs in on the login page; `filled(page)` runs with the form filled in, before it is sent.
export async function logIn(page, baseUrl, user, filled = null) {
  await page.goto(`${baseUrl}/user/login`);
  await page.fill('#field-login', user.name);
  await page.fill('#field-password', user.password);
  if (filled) await filled(page);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"].btn-primary')]);
  check(await page.locator('.account.authed').count() === 1, `${user.name} could not log in`);
}

export async function logOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('form[action*="logout"] button')]);
}

// On a phone the header's sign-out button is folded into the menu: sign out by the route.
export async function logOutByRoute(page, baseUrl) {
  await page.goto(`${baseUrl}/user/_logout`).catch(() => {});
  await page.context().clearCookies();
}

// Clicks a download link; the text of the file the browser saves into `folder`.
export async function download(page, selector, folder) {
  const [saved] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(folder, 'downloaded-' + saved.suggestedFilename());
  await saved.saveAs(file);
  return fs.readFileSync(file, 'utf8');
}

// Whether the page shows `selector` before it is scrolled: a main button further down is missed.
export const onFirstScreen = (page, selector) => page.locator(selector).first().evaluate(
  (element) => element.getBoundingClientRect().bottom <= window.innerHeight);

// The first match's text, its white space collapsed.
export async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
}

// Into how many lines an element's text breaks: a column squeezed on a phone breaks a name
// every few characters.
export function lineCount(locator) {
  return locator.evaluate((node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return range.getClientRects().length;
  });
}

// Runs `body(page, context)` in a fresh browser (a phone's when `mobile`). A failure is screenshot as `failure`,
// printed (with `explain(page)`, when given) and sets the exit code; the browser and its
// profile are removed either way.
export async function withBrowser(world, shot, body, { viewport = { width: 1280, height: 900 },
  mobile = false, acceptDownloads = false, explain = null } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'govshare-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: world.chromium || '/usr/bin/chromium', headless: true, args: ARGS,
    acceptDownloads, viewport, locale: 'zh-CN', isMobile: mobile, hasTouch: mobile,
  });
  context.setDefaultTimeout(30000);
  const page = context.pages()[0] || await context.newPage();
  try {
    await body(page, context);
  } catch (error) {
    await shot(page, 'failure').catch(() => {});
    console.error(error.stack || String(error));
    if (explain) console.error(await explain(page));
    process.exitCode = 1;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// How far the page scrolls sideways, in px (0 when it fits its window): on a phone a wider
// page hides its right side.
export function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

// Runs `body(page, device, shot)` on a desktop, then on a phone (DEVICES), each in a fresh
// browser (withBrowser, `options` passed on), its screenshots in `artifacts/<device>/`. Every
// screenshot also measures sideways scrolling; returns {device: {screenshot: px}} of the pages
// that scrolled sideways (none: {desktop: {}, phone: {}}).
export async function onEachDevice(world, artifacts, body, { numbered = false, ...options } = {}) {
  const scrolled = {};
  for (const [device, viewport] of Object.entries(DEVICES)) {
    const take = screenshots(path.join(artifacts, device), { numbered });
    scrolled[device] = {};
    const shot = async (page, name) => {
      const px = await sideways(page);
      if (px > 0) scrolled[device][name] = px;
      await take(page, name);
    };
    await withBrowser(world, shot, (page, context) => body(page, device, shot, context),
      { ...options, viewport, mobile: device === 'phone' });
  }
  return scrolled;
}
