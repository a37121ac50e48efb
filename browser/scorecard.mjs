// The evaluation scorecard in a real browser (driven by tests/test_browser_scorecard.py): the
// authority sees the ranking, opens a department's row with its evidence and publishes; the
// department's admin then sees the published scorecard. Full-page screenshots of each.
//
//   node browser/scorecard.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"authority": {"name", "password"}, "admin": {"name", "password"}, "year": 2026,
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {"ranked": departments in the ranking, "evidence": evidence links in
// the department's row, "followed": URL, "seen": departments the admin sees ranked,
// "failings": failing cells the admin sees}.
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
  viewport: { width: 1400, height: 900 }, locale: 'zh-CN',
});
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const result = { ranked: 0, evidence: 0, followed: '', seen: 0, failings: -1 };
try {
  await logIn(page, world.authority);
  await page.goto(`${baseUrl}/govshare/scorecard?year=${world.year}`);
  result.ranked = await page.locator('#scorecard-ranking tbody tr').count();
  await shot(page, 'scorecard-city');
  await Promise.all([page.waitForNavigation(),
    page.locator('#scorecard-ranking tr[data-department="civil-dept"] a').first().click()]);
  result.followed = page.url();
  result.evidence = await page.locator('#scorecard-department li a').count();
  await shot(page, 'scorecard-department-seen-by-the-authority');
  await page.goto(`${baseUrl}/govshare/scorecard?year=${world.year}`);
  await Promise.all([page.waitForNavigation(), page.click('#scorecard-publish')]);
  check((await page.locator('#scorecard-status').innerText()).includes('发布'), 'not published');
  await logOut(page);
  await logIn(page, world.admin);
  await page.goto(`${baseUrl}/govshare/scorecard`);
  result.seen = await page.locator('#scorecard-ranking tbody tr').count();
  result.failings = await page.locator('#scorecard-ranking td[data-failing]').count();
  await shot(page, 'scorecard-department');
} catch (error) {
  await shot(page, 'failure').catch(() => {});
  console.error(error.stack || String(error));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
