// The catalog spreadsheet import in a real browser (driven by tests/test_browser_import.py):
// a department admin uploads a file with errors and sees each bad row in the preview, with
// nothing imported; uploads the corrected file, imports it and follows the job to its end.
//
//   node browser/import_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"admin": {"name", "password"}, "department": "name", "bad": "/path.xlsx",
//        "good": "/path.xlsx", "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {"errors": [[row, column, message], ...], "status_url", "done"}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
fs.mkdirSync(artifacts, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: path.join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'govshare-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: world.chromium || '/usr/bin/chromium', headless: true, args: ARGS,
  viewport: { width: 1280, height: 900 }, locale: 'zh-CN',
});
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const importUrl = `${baseUrl}/organization/${world.department}/catalog/import`;
const result = {};
try {
  await page.goto(`${baseUrl}/user/login`);
  await page.fill('#field-login', world.admin.name);
  await page.fill('#field-password', world.admin.password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"].btn-primary')]);
  check(await page.locator('.account.authed').count() === 1, 'could not log in');

  // 1. A file with errors: the preview lists every bad row; no import button.
  await page.goto(importUrl);
  await shot(page, 'import-page');
  await page.setInputFiles('#upload', world.bad);
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-upload button[type="submit"]')]);
  await shot(page, 'preview-with-errors');
  result.errors = await page.locator('table.govshare-import-errors tbody tr').evaluateAll(
    (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent.trim())));
  check(result.errors.length > 0, 'no error table');
  check(await page.locator('.govshare-import-confirm').count() === 0, 'an import button despite errors');

  // 2. The corrected file: a clean preview, then the import as a job, followed to its end.
  await page.setInputFiles('#upload', world.good);
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-upload button[type="submit"]')]);
  await shot(page, 'preview-clean');
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-confirm button[type="submit"]')]);
  result.status_url = page.url();
  await shot(page, 'job-status');
  for (let i = 0; i < 60 && await page.locator('[data-status="done"]').count() === 0; i += 1) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  await shot(page, 'job-done');
  result.done = await page.locator('[data-status="done"] .alert-success').textContent();
} catch (error) {
  await shot(page, 'failure');
  throw error;
} finally {
  await context.close();
}
console.log(JSON.stringify(result));
