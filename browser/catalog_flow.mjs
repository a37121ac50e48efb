// Catalog registration in a real browser (driven by tests/test_browser_catalog.py), on a
// desktop (1366×900) and a phone (390×844), each with an entry of its own:
// a department admin compiles a new entry (the 一数一源 hint shows while an information
// item's name is typed), submits it with a secrecy review; the data authority returns it
// with a reason; the department sees the reason, fixes the entry and submits it again;
// the authority registers it; another department then sees it (and, unconditional, its
// data), where before it saw nothing. Screenshots in ARTIFACTS_DIR/desktop/ and
// ARTIFACTS_DIR/phone/, numbered.
//
//   node browser/catalog_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"provider", "authority", "other": {"name", "password"}, "entries": {desktop|phone:
//        {"title", "resource_code", "resource_url"}}, "item", "hint": {"entry", "source"},
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"name" (the entry's), "hint" (the hint's text),
// "lines": {"desk", "queue"}: the lines its title takes in those tables},
// "sideways": onEachDevice's pages that scrolled sideways}.
import { check, lineCount, logIn, logOut, onEachDevice } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const REASON = '共享方式应包含批量下载，请补充后重新报送';

async function signIn(page, shot, user, name) {
  await logIn(page, baseUrl, user);
  await shot(page, `${name}-logged-in`);
}

async function submitDesk(page, title, conclusion) {
  await page.goto(`${baseUrl}/govshare/catalog`);
  await page.check(`input[name="ids"][aria-label="${title}"]`);
  await page.fill('#reviewer', '张保密');
  await page.fill('#conclusion', conclusion);
  await page.fill('#date', '2026-01-05');
  await Promise.all([page.waitForNavigation(), page.click('form.govshare-catalog-submit button[type="submit"]')]);
}

// The lines the entry's title takes in its row of the desk's or the queue's table.
const titleLines = (page, title) => lineCount(page.locator(`tr:has(input[aria-label="${title}"]) a`).first());

async function decide(page, shot, title, decision, reason, lines) {
  await page.goto(`${baseUrl}/govshare/catalog/review`);
  const box = page.locator(`input[name="ids"][aria-label="${title}"]`);
  check(await box.count() === 1, `${title} is not in the review queue`);
  lines.queue = Math.max(lines.queue || 0, await titleLines(page, title));
  await box.check();
  if (reason) await page.fill('#reason', reason);
  await shot(page, `authority-queue-${decision}`);
  await Promise.all([page.waitForNavigation(),
    page.click(`form.govshare-catalog-review button[name="decision"][value="${decision}"]`)]);
}

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const entry = world.entries[device];
  let name = '';
  const lines = {};
  page.on('response', (response) => {
    if (response.status() >= 400) console.error(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));

  // 1. The department admin compiles a new entry.
  await signIn(page, shot, world.provider, 'provider');
  await page.goto(`${baseUrl}/dataset/new`);
  await page.fill('#field-title', entry.title);
  await page.fill('#field-notes', '本市困难群众救助对象的基本信息');
  await page.fill('#field-resource_code', entry.resource_code);
  await page.selectOption('#field-resource_class', 'department');
  await page.selectOption('#field-share_type', 'unconditional');
  await page.check('#field-share_method-api');
  await page.selectOption('#field-open_type', 'closed');
  await page.selectOption('#field-update_frequency', 'monthly');
  await page.fill('#field-publish_date', '2026-01-15');
  await page.selectOption('#field-format_class', 'spreadsheet');
  // 一数一源: typing the item's name shows who already provides it and its source department
  await page.locator('#field-info_items-0-name').pressSequentially(world.item, { delay: 50 });
  const shown = page.locator('.govshare-item-hint');
  await shown.first().waitFor({ state: 'visible' });
  const hint = (await shown.first().textContent()).replace(/\s+/g, ' ').trim();
  check(hint.includes(world.hint.entry), `the hint does not name ${world.hint.entry}: ${hint}`);
  check(hint.includes(world.hint.source), `the hint does not name the source ${world.hint.source}: ${hint}`);
  await shot(page, 'compile-item-hint');
  await page.selectOption('#field-info_items-0-data_type', 'C');
  await Promise.all([page.waitForNavigation(), page.click('#dataset-edit button.btn-primary[name="save"]')]);
  const resourceNew = page.url().match(/\/dataset\/([^/]+)\/resource\/new/);
  check(resourceNew, `not on the resource form: ${page.url()}`);
  name = decodeURIComponent(resourceNew[1]);
  result[device] = { name, hint, lines };
  await page.click('#resource-link-button');
  await page.fill('#field-resource-url', entry.resource_url);
  await page.fill('#field-name', '救助对象名单');
  await shot(page, 'compile-resource');
  await Promise.all([page.waitForNavigation(), page.click('button[name="save"][value="go-metadata"]')]);
  check(page.url().endsWith(`/dataset/${name}`), `not on the entry page: ${page.url()}`);
  await shot(page, 'compiled-entry');

  // 2. Submitted with its secrecy review (first without a conclusion: refused, said why).
  await submitDesk(page, entry.title, '');
  check(await page.locator('.govshare-catalog-draft').count() === 1, 'submitted without a conclusion');
  check(await page.locator('.text-danger').count() >= 1, 'no error about the secrecy review');
  await shot(page, 'submit-refused-without-conclusion');
  await submitDesk(page, entry.title, '不涉及国家秘密，可按共享属性共享');
  check(await page.locator('.govshare-catalog-submitted').count() === 1, 'not submitted');
  await shot(page, 'submitted');
  await logOut(page);

  // 3. Another department does not see it yet.
  await signIn(page, shot, world.other, 'other');
  const before = await page.goto(`${baseUrl}/dataset/${name}`);
  check(before.status() === 404, `another department saw the submitted entry: ${before.status()}`);
  await shot(page, 'other-before-registration');
  await logOut(page);

  // 4. The authority returns it with a reason.
  await signIn(page, shot, world.authority, 'authority');
  await decide(page, shot, entry.title, 'return', REASON, lines);
  await shot(page, 'authority-returned');
  await logOut(page);

  // 5. The department sees the reason, fixes the entry, submits again.
  await signIn(page, shot, world.provider, 'provider-again');
  await page.goto(`${baseUrl}/govshare/catalog`);
  const returned = page.locator('.govshare-catalog-returned');
  check(await returned.count() === 1, 'the entry is not returned on the desk');
  check((await returned.textContent()).includes(REASON), 'the reason is not on the desk');
  lines.desk = await titleLines(page, entry.title);
  await shot(page, 'desk-returned-with-reason');
  await page.goto(`${baseUrl}/dataset/edit/${name}`);
  await page.check('#field-share_method-bulk_download');
  await shot(page, 'fixing');
  await Promise.all([page.waitForNavigation(), page.click('#dataset-edit button.btn-primary[name="save"]')]);
  check(page.url().endsWith(`/dataset/${name}`), `the fix was not saved: ${page.url()}`);
  await shot(page, 'fixed');
  await submitDesk(page, entry.title, '不涉及国家秘密，可按共享属性共享（已补充批量下载）');
  check(await page.locator('.govshare-catalog-submitted').count() === 1, 'not submitted again');
  await shot(page, 'resubmitted');
  await logOut(page);

  // 6. The authority registers it.
  await signIn(page, shot, world.authority, 'authority-again');
  await decide(page, shot, entry.title, 'confirm', undefined, lines);
  await shot(page, 'authority-registered');
  await logOut(page);

  // 7. Another department now sees it, and (unconditional) its data.
  await signIn(page, shot, world.other, 'other-again');
  const after = await page.goto(`${baseUrl}/dataset/${name}`);
  check(after.status() === 200, `another department does not see the registered entry: ${after.status()}`);
  check((await page.content()).includes(entry.title), 'the entry page lacks its title');
  await shot(page, 'other-sees-the-entry');
  await page.click('.resource-item a.heading');
  await page.waitForLoadState();
  check(await page.locator(`a.resource-url-analytics[href="${entry.resource_url}"]`).count() > 0,
    'another department has no link to the unconditional data');
  await shot(page, 'other-sees-the-data');
  await page.goto(`${baseUrl}/dataset/?q=${encodeURIComponent(entry.title)}`);
  check(await page.locator(`a[href$="/dataset/${name}"]`).count() > 0, 'not found by search');
  await shot(page, 'other-finds-it');
}, {
  numbered: true,
  explain: async (page) => (await page.locator('.error-explanation, .alert-error, .alert-danger, .error-block').allTextContents()).join(' | '),
});
console.log(JSON.stringify(result));
