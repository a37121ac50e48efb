// The catalog spreadsheet import in a real browser (driven by tests/test_browser_import.py), on a
// desktop (1366×900) and a phone (390×844): a department admin uploads a file with errors and
// sees each bad row in the preview, with nothing imported; uploads the corrected file, imports
// it and follows the job to its end. Each device imports its own pair of files. Screenshots in
// ARTIFACTS_DIR/desktop/ and ARTIFACTS_DIR/phone/.
//
//   node browser/import_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"admin": {"name", "password"}, "department": "name",
//        "files": {desktop|phone: {"bad": "/path.xlsx", "good": "/path.xlsx"}},
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"errors": [[row, column, message], ...], "status_url",
// "done"}, "sideways": onEachDevice's pages that scrolled sideways}.
import { check, logIn, onEachDevice } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const importUrl = `${baseUrl}/organization/${world.department}/catalog/import`;
const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const seen = {};
  result[device] = seen;
  const files = world.files[device];
  await logIn(page, baseUrl, world.admin);

  // 1. A file with errors: the preview lists every bad row; no import button.
  await page.goto(importUrl);
  await shot(page, 'import-page');
  await page.setInputFiles('#upload', files.bad);
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-upload button[type="submit"]')]);
  await shot(page, 'preview-with-errors');
  seen.errors = await page.locator('table.govshare-import-errors tbody tr').evaluateAll(
    (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent.trim())));
  check(seen.errors.length > 0, 'no error table');
  check(await page.locator('.govshare-import-confirm').count() === 0, 'an import button despite errors');

  // 2. The corrected file: a clean preview, then the import as a job, followed to its end.
  await page.setInputFiles('#upload', files.good);
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-upload button[type="submit"]')]);
  await shot(page, 'preview-clean');
  await Promise.all([page.waitForNavigation(), page.click('.govshare-import-confirm button[type="submit"]')]);
  seen.status_url = page.url();
  await shot(page, 'job-status');
  for (let i = 0; i < 60 && await page.locator('[data-status="done"]').count() === 0; i += 1) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  await shot(page, 'job-done');
  seen.done = await page.locator('[data-status="done"] .alert-success').textContent();
}, { numbered: true });
console.log(JSON.stringify(result));
