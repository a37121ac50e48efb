// Approving with confirmation in a real browser (driven by tests/test_browser_decisions.py),
// on a desktop (1366×900) and a phone (390×844): the provider's admin narrows the approval to
// one resource and a shorter period, sees on the confirmation page what will be granted,
// confirms; the request page then shows what was granted; the requester sees the same.
//
//   node browser/decision_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"provider": {"name", "password"}, "requester": {"name", "password"},
//        "requests": {"desktop": URL, "phone": URL}, "period_end": "YYYY-MM-DD",
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"confirm", "granted", "requester_sees", "state",
//                        "overflow"}} (overflow: the widest page's sideways scroll, px).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
fs.mkdirSync(artifacts, { recursive: true });

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORTS = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } };

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function logIn(page, user) {
  await page.goto(`${baseUrl}/user/login`);
  await page.fill('#field-login', user.name);
  await page.fill('#field-password', user.password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"].btn-primary')]);
  check(await page.locator('.account.authed').count() === 1, `${user.name} could not log in`);
}

async function logOut(page) {
  await page.goto(`${baseUrl}/user/_logout`).catch(() => {});
  await page.context().clearCookies();
}

const text = async (page, selector) => (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

const result = {};
for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'govshare-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: world.chromium || '/usr/bin/chromium', headless: true, args: ARGS,
    viewport, locale: 'zh-CN', isMobile: device === 'phone', hasTouch: device === 'phone',
  });
  context.setDefaultTimeout(30000);
  const page = context.pages()[0] || await context.newPage();
  const shot = (name) => page.screenshot({ path: path.join(artifacts, `${device}-${name}.png`), fullPage: true });
  const seen = { overflow: 0 };
  const measure = async () => { seen.overflow = Math.max(seen.overflow, await overflow(page)); };
  try {
    await logIn(page, world.provider);
    await page.goto(world.requests[device]);
    await page.check('#approve-scope-some');
    await page.check('#approve-res-1');
    await page.fill('#approve-period_end', world.period_end);
    await page.fill('#approve-comment', '同意共享名册A，限核验使用');
    await measure();
    await shot('1-request-page');
    await Promise.all([page.waitForNavigation(), page.click('form.govshare-approve-form button[type="submit"]')]);
    check(await page.locator('form.govshare-confirm-form').count() === 1, 'no confirmation step');
    seen.confirm = await text(page, '.govshare-granted-resources') + ' | ' + await text(page, '.govshare-granted-period');
    await measure();
    await shot('2-confirm');
    await Promise.all([page.waitForNavigation(), page.click('form.govshare-confirm-form button.btn-success')]);
    check(await page.locator('form.govshare-approve-form').count() === 0, 'still undecided');
    seen.granted = await text(page, '.govshare-granted-resources') + ' | ' + await text(page, '.govshare-granted-period');
    seen.state = await page.locator('.govshare-current-state .govshare-state').first().getAttribute('class');
    await measure();
    await shot('3-approved');
    await logOut(page);
    await logIn(page, world.requester);
    await page.goto(world.requests[device]);
    seen.requester_sees = await text(page, '.govshare-granted-resources');
    await measure();
    await shot('4-requester-sees-the-grant');
    await page.goto(`${baseUrl}/govshare/notifications`);
    await measure();
    await shot('5-requester-notification');
  } catch (error) {
    await shot('failure').catch(() => {});
    console.error(error.stack || String(error));
    process.exitCode = 1;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  result[device] = seen;
}
console.log(JSON.stringify(result));
