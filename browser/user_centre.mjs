// The user centre in a real browser (driven by tests/test_browser_user_centre.py): log in from
// an entry page through the header's link and come back to it, open the WeChat share code, then
// each tab of 个人中心 at 1366×900 and 390×844 and the request desk at 390×844, measuring
// sideways overflow and how narrow the table cells get. Screenshots of each.
//
//   node browser/user_centre.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"member": {"name", "password"}, "entry": name, "tabs": [...], "chromium": path}
// Prints one JSON line: {"returned": URL after login, "qr_width": the code's natural width,
//   "rows": {tab: rows}, "overflow": {"desktop-requests": px, ..., "phone-desk": px}, "narrowest_cell": px,
//   "narrowest_desk_cell": px}.
import { check, DEVICES, screenshots, sideways, VIEWPORTS, withBrowser } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
const shot = screenshots(artifacts);

const result = { returned: '', qr_width: 0, rows: {}, overflow: {}, narrowest_cell: 0,
  narrowest_desk_cell: 0 };
await withBrowser(world, shot, async (page) => {
  await page.goto(`${baseUrl}/dataset/${world.entry}`);
  await Promise.all([page.waitForNavigation(), page.click('a.govshare-login-link')]);
  await page.fill('#field-login', world.member.name);
  await page.fill('#field-password', world.member.password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"].btn-primary')]);
  check(await page.locator('.account.authed').count() === 1, 'could not log in');
  result.returned = page.url().split('?')[0];

  await page.click('.govshare-share-qr summary');
  const qr = page.locator('.govshare-share-qr img');
  await qr.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = document.querySelector('.govshare-share-qr img');
    return img && img.complete && img.naturalWidth > 0;
  });
  result.qr_width = await qr.evaluate((img) => img.naturalWidth);
  await shot(page, 'entry-share-qr');

  for (const [name, viewport] of Object.entries(DEVICES)) {
    await page.setViewportSize(viewport);
    for (const tab of world.tabs) {
      await page.goto(`${baseUrl}/govshare/me?tab=${tab}`);
      if (name === 'desktop' && tab !== 'notifications') {
        result.rows[tab] = await page.locator(`table.govshare-me-${tab} tbody tr`).count();
      }
      if (name === 'phone' && tab === 'requests') {
        result.narrowest_cell = await page.evaluate(() => Math.min(
          ...[...document.querySelectorAll('table.govshare-me-requests td')]
            .map((td) => td.getBoundingClientRect().width)));
      }
      result.overflow[`${name}-${tab}`] = await sideways(page);
      await shot(page, `user-centre-${name}-${tab}`);
    }
  }
  // the department's request desk, on the phone
  await page.goto(`${baseUrl}/govshare/requests?tab=department`);
  result.overflow['phone-desk'] = await sideways(page);
  result.narrowest_desk_cell = await page.evaluate(() => Math.min(
    ...[...document.querySelectorAll('table.govshare-requests td')]
      .map((td) => td.getBoundingClientRect().width)));
  await shot(page, 'requests-desk-phone');
}, { viewport: VIEWPORTS.desktop });
console.log(JSON.stringify(result));
