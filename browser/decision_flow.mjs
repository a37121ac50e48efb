// Approving with confirmation in a real browser (driven by tests/test_browser_decisions.py),
// on a desktop (1366×900) and a phone (390×844): the provider's admin narrows the approval to
// one resource and a shorter period, sees on the confirmation page what will be granted,
// confirms; the request page then shows what was granted; the requester sees the same.
// Screenshots in ARTIFACTS_DIR/desktop/ and ARTIFACTS_DIR/phone/.
//
//   node browser/decision_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"provider": {"name", "password"}, "requester": {"name", "password"},
//        "requests": {"desktop": URL, "phone": URL}, "period_end": "YYYY-MM-DD",
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"confirm", "granted", "requester_sees", "state"},
//                        "sideways": onEachDevice's pages that scrolled sideways}.
import { check, logIn, logOut, onEachDevice, text } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const seen = {};
  result[device] = seen;
  await logIn(page, baseUrl, world.provider);
  await page.goto(world.requests[device]);
  await page.check('#approve-scope-some');
  await page.check('#approve-res-1');
  await page.fill('#approve-period_end', world.period_end);
  await page.fill('#approve-comment', '同意共享名册A，限核验使用');
  await shot(page, '1-request-page');
  await Promise.all([page.waitForNavigation(), page.click('form.govshare-approve-form button[type="submit"]')]);
  check(await page.locator('form.govshare-confirm-form').count() === 1, 'no confirmation step');
  seen.confirm = await text(page, '.govshare-granted-resources') + ' | ' + await text(page, '.govshare-granted-period');
  await shot(page, '2-confirm');
  await Promise.all([page.waitForNavigation(), page.click('form.govshare-confirm-form button.btn-success')]);
  check(await page.locator('form.govshare-approve-form').count() === 0, 'still undecided');
  seen.granted = await text(page, '.govshare-granted-resources') + ' | ' + await text(page, '.govshare-granted-period');
  seen.state = await page.locator('.govshare-current-state .govshare-state').first().getAttribute('class');
  await shot(page, '3-approved');
  await logOut(page);
  await logIn(page, baseUrl, world.requester);
  await page.goto(world.requests[device]);
  seen.requester_sees = await text(page, '.govshare-granted-resources');
  await shot(page, '4-requester-sees-the-grant');
  await page.goto(`${baseUrl}/govshare/notifications`);
  await shot(page, '5-requester-notification');
});
console.log(JSON.stringify(result));
