// The data authority's dashboard in a real browser (driven by tests/test_browser_dashboard.py):
// the authority sees the city's charts and follows a department's bar to its dashboard; the
// department's admin sees its own. Full-page screenshots of each.
//
//   node browser/dashboard.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"authority": {"name", "password"}, "admin": {"name", "password"}, "year": 2026,
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {"charts": number of SVG charts on the city's page, "followed": URL}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
fs.mkdirSync(artifacts, { recursive: true });

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

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
  await Promise.all([page.waitForNavigation(), page.click('form[action*="logout"] button')]);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'govshare-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: world.chromium || '/usr/bin/chromium', headless: true, args: ARGS,
  viewport: { width: 1280, height: 900 }, locale: 'zh-CN',
});
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const result = { charts: 0, followed: '' };
try {
  await logIn(page, world.authority);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  result.charts = await page.locator('svg.govshare-chart').count();
  await shot(page, 'dashboard-city');
  await Promise.all([page.waitForNavigation(),
    page.locator('#chart-ranking svg a').first().click()]);
  result.followed = page.url();
  await shot(page, 'dashboard-department-seen-by-the-authority');
  await logOut(page);
  await logIn(page, world.admin);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  check(await page.locator('#chart-ranking').count() === 0, 'a department sees the ranking');
  await shot(page, 'dashboard-department');
} catch (error) {
  await shot(page, 'failure').catch(() => {});
  console.error(error.stack || String(error));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
