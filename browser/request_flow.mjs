// The share request flow in a real browser (driven by tests/test_browser.py), on a desktop
// (1366×900) and a phone (390×844), each with an entry of its own:
// a department member finds no download on a conditional entry and requests it,
// the provider's admin approves it from the inbox (and confirms), the member downloads the file,
// the provider sees the download in its usage record. Screenshots in ARTIFACTS_DIR/desktop/ and
// ARTIFACTS_DIR/phone/, numbered.
//
//   node browser/request_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"requester": {"name", "password"}, "provider": {"name", "password"},
//        "entries": {desktop|phone: {"name", "resource_id"}}, "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"request_url", "download" (the downloaded file's text),
// "first_screen": {"request_button", "download_button"}: shown before any scrolling},
// "sideways": onEachDevice's pages that scrolled sideways}.
import path from 'node:path';
import { check, download, logIn, logOut, onEachDevice, onFirstScreen } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const seen = { request_url: '', download: '', first_screen: {} };
  result[device] = seen;
  const signIn = (user, name) => logIn(page, baseUrl, user, (filled) => shot(filled, `${name}-login`));
  const entry = world.entries[device];
  const entryUrl = `${baseUrl}/dataset/${entry.name}`;
  const resourceUrl = `${entryUrl}/resource/${entry.resource_id}`;

  // 1. The requesting department's member: no download, a request button.
  await signIn(world.requester, 'requester');
  await page.goto(resourceUrl);
  check(await page.locator('a.resource-url-analytics').count() === 0, 'a download link before approval');
  check(await page.locator('.govshare-no-access').count() > 0, 'no "how to get access" note');
  await shot(page, 'resource-without-download');
  await page.goto(entryUrl);
  seen.first_screen.request_button = await onFirstScreen(page, 'a.govshare-request-button');
  await shot(page, 'entry-with-request-button');
  await Promise.all([page.waitForNavigation(), page.click('a.govshare-request-button')]);

  // 2. The share request form: sent incomplete first, the errors show by the fields.
  await page.fill('#field-contact', '张三 0392-1234567');
  await Promise.all([page.waitForNavigation(), page.click('#govshare-request-form button[type="submit"]')]);
  check(await page.locator('.govshare-usage-scope .error-block').count() === 1, 'no error at the use');
  check(await page.inputValue('#field-contact') === '张三 0392-1234567', 'the contact was lost');
  await shot(page, 'request-form-errors');
  await page.check('input[name="usage_scope"]');
  await page.fill('#field-purpose', '核验低保对象家庭收入');
  await page.fill('#field-basis', '《社会救助暂行办法》第十一条');
  await shot(page, 'request-form');
  await Promise.all([page.waitForNavigation(), page.click('#govshare-request-form button[type="submit"]')]);
  check(/\/govshare\/requests\/[0-9a-f-]+$/.test(page.url()), `not on the request page: ${page.url()}`);
  seen.request_url = page.url();
  check(await page.locator('.alert-success').count() === 1, 'no confirmation message');
  await shot(page, 'request-submitted');
  await logOut(page);

  // 3. The provider's admin: the inbox, the request, approve.
  await signIn(world.provider, 'provider');
  await Promise.all([page.waitForNavigation(), page.click('a.govshare-requests-link')]);
  const row = page.locator(`tr.govshare-request-row[data-request-id="${seen.request_url.split('/').pop()}"]`);
  check(await row.count() === 1, 'the request is not in the inbox');
  await shot(page, 'provider-inbox');
  await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
  await page.fill('#approve-comment', '同意共享，限核验使用');
  await shot(page, 'provider-request-page');
  await Promise.all([page.waitForNavigation(), page.click('form.govshare-approve-form button[type="submit"]')]);
  check(await page.locator('form.govshare-confirm-form').count() === 1, 'no confirmation step');
  await shot(page, 'provider-confirm');
  await Promise.all([page.waitForNavigation(), page.click('form.govshare-confirm-form button.btn-success')]);
  check(await page.locator('form.govshare-approve-form').count() === 0, 'still undecided');
  await shot(page, 'provider-approved');
  await logOut(page);

  // 4. The member again: told, and the file downloads.
  await signIn(world.requester, 'requester-again');
  await page.goto(`${baseUrl}/govshare/notifications`);
  check(await page.locator('li.govshare-new').count() >= 1, 'no new notification');
  await shot(page, 'requester-notifications');
  await page.goto(resourceUrl);
  check(await page.locator('a.resource-url-analytics').count() > 0, 'no download link after approval');
  seen.first_screen.download_button = await onFirstScreen(page, 'a.resource-url-analytics');
  await shot(page, 'resource-with-download');
  seen.download = await download(page, 'a.resource-url-analytics', path.join(artifacts, device));
  await logOut(page);

  // 5. The provider sees the use of its data.
  await signIn(world.provider, 'provider-again');
  await page.goto(`${baseUrl}/govshare/usage`);
  check(await page.locator('table.govshare-usage tbody tr').count() >= 1, 'no usage record');
  await shot(page, 'provider-usage');
}, { numbered: true, acceptDownloads: true });
console.log(JSON.stringify(result));
