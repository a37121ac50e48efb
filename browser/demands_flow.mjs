// 数据需求 and 应用成果 in a real browser (driven by tests/test_browser_demands.py), on a
// desktop (1366×900) and a phone (390×844), each user on the pages:
//   a citizen files a data demand and submits two showcases from an open entry's page;
//   nobody else sees the showcases yet; the authority routes the demand to the department,
//   approves one showcase and rejects the other with a reason; the department's admin
//   answers the demand; the citizen sees the answer and the reason; the public sees the
//   demand (the requester by display name), the approved showcase on the list and on the
//   entry's page, and not the rejected one.
//
//   node browser/demands_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"citizen"|"authority"|"answerer": {"name", "password"}, "department": title,
//        "private": [what the public must not see of the citizen (user name, email)],
//        "devices": {desktop|phone: {"entry": {"name", "title"}, "demand": title,
//                    "outcome": "will_open"|"not_available", "answer": text,
//                    "approved": title, "rejected": title, "reason": text}},
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {what each step showed}, "sideways": onEachDevice's
// pages that scrolled sideways}. Screenshots in ARTIFACTS_DIR/desktop/ and /phone/.
import { check, logIn, logOutByRoute, onEachDevice, text } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const submit = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);

// Through the header's menu (on a phone, folded behind its toggle), as a user goes there.
async function menu(page, path) {
  const toggle = page.locator('.navbar-toggler');
  if (await toggle.isVisible()) {
    await toggle.click();
    // Bootstrap's collapse moves the links while it opens: click once it has opened.
    await page.locator('#main-navigation-toggle.show:not(.collapsing)').waitFor();
  }
  const link = page.locator(`#main-navigation-toggle a[href="${path}"]`);
  await link.waitFor({ state: 'visible' });
  await Promise.all([page.waitForNavigation(), link.click()]);
}

async function tab(page, name) {
  await Promise.all([page.waitForNavigation(), page.click(`.govshare-tabs a[href*="tab=${name}"]`)]);
}

const link = (page, title) => page.getByRole('link', { name: title, exact: true }).first();
const open = async (page, title) => Promise.all([page.waitForNavigation(), link(page, title).click()]);
const flash = (page) => text(page, '.flash-messages .alert');

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
    const mine = world.devices[device];
    const seen = {};
    result[device] = seen;
    const step = (name) => shot(page, name);
    // the citizen asks for data
    await logIn(page, baseUrl, world.citizen);
    await menu(page, '/govshare/demands');
    await submit(page, 'a.govshare-demand-new');
    await page.fill('#field-title', mine.demand);
    await page.fill('#field-description', `希望开放${mine.demand}，便于出行服务`);
    await page.fill('#field-wanted_fields', '线路、车辆、位置、时间');
    await page.fill('#field-purpose', '开发候车提醒小程序');
    await step('citizen-demand-form');
    await submit(page, '#govshare-demand-form button[type="submit"]');
    seen.filed = { flash: await flash(page), state: await text(page, '.govshare-demand-state'),
      requester: await text(page, '.govshare-demand-requester') };
    await step('citizen-demand-filed');

    // ... and submits two showcases from the open entry's page
    const showcaseUrls = {};
    for (const which of ['approved', 'rejected']) {
      await page.goto(`${baseUrl}/dataset/${mine.entry.name}`);
      await submit(page, 'a.govshare-showcase-add');
      seen.prefilled = await page.inputValue('#field-entries');
      await page.fill('#field-title', mine[which]);
      await page.fill('#field-description', `基于${mine.entry.title}的应用：${mine[which]}`);
      await page.fill('#field-url', `https://app.example/${device}-${which}`);
      if (which === 'approved') await step('citizen-showcase-form');
      await submit(page, '#govshare-showcase-form button[type="submit"]');
      showcaseUrls[which] = page.url();
      if (which === 'approved') {
        seen.submitted = { flash: await flash(page), state: await text(page, '.govshare-showcase-state'),
          entries: await text(page, '.govshare-showcase-detail .govshare-showcase-entry') };
        await step('citizen-showcase-submitted');
      }
    }
    await logOutByRoute(page, baseUrl);

    // not public yet
    await page.goto(`${baseUrl}/govshare/showcases`);
    seen.public_before = await page.locator('.govshare-showcase-item h3 a').allInnerTexts();
    await step('public-showcases-before-approval');
    seen.hidden_status = (await page.goto(showcaseUrls.approved)).status();
    await page.goto(`${baseUrl}/dataset/${mine.entry.name}`);
    seen.entry_before = await page.locator('.govshare-entry-showcases').count();

    // the authority routes the demand and moderates the showcases
    await logIn(page, baseUrl, world.authority);
    await menu(page, '/govshare/demands');
    await tab(page, 'to_route');
    seen.to_route = await page.locator('tr.govshare-demand-row td:first-child').allInnerTexts();
    await step('authority-to-route');
    await open(page, mine.demand);
    await page.selectOption('#field-department', { label: world.department });
    await step('authority-route-form');
    await submit(page, 'form.govshare-demand-route button[type="submit"]');
    seen.routed = { flash: await flash(page), state: await text(page, '.govshare-demand-state'),
      department: await text(page, '.govshare-demand-department'),
      days_left: await text(page, '.govshare-days-left') };
    await step('authority-routed');

    await menu(page, '/govshare/showcases');
    await submit(page, 'a.govshare-showcase-queue');
    seen.queue = await page.locator('.govshare-showcase-item h3 a').allInnerTexts();
    await step('authority-moderation-queue');
    await open(page, mine.approved);
    await step('authority-showcase-to-approve');
    await submit(page, 'form.govshare-showcase-moderate button.btn-success');
    seen.approved = { flash: await flash(page),
      badge: await page.locator('.govshare-showcase-state').count() };
    await step('authority-approved');
    await page.goto(`${baseUrl}/govshare/showcases/moderation`);
    await open(page, mine.rejected);
    await page.fill('#field-reason', mine.reason);
    await step('authority-reject-form');
    await submit(page, 'form.govshare-showcase-moderate button.btn-danger');
    seen.rejected = { flash: await flash(page), state: await text(page, '.govshare-showcase-state') };
    await step('authority-rejected');
    await logOutByRoute(page, baseUrl);

    // the department's admin answers
    await logIn(page, baseUrl, world.answerer);
    await menu(page, '/govshare/demands');
    await tab(page, 'department');
    seen.to_answer = await page.locator('tr.govshare-demand-row td:first-child').allInnerTexts();
    await step('department-to-answer');
    await open(page, mine.demand);
    await page.selectOption('#field-outcome', mine.outcome);
    await page.fill('#field-answer', mine.answer);
    if (mine.outcome === 'will_open') await page.fill('#field-package_id', mine.entry.name);
    await step('department-answer-form');
    await submit(page, 'form.govshare-demand-reply button[type="submit"]');
    seen.answered_flash = await flash(page);
    check(await page.locator('form.govshare-demand-reply').count() === 0, 'the answer form is still there');
    await step('department-answered');
    await logOutByRoute(page, baseUrl);

    // the citizen sees the answer and the reason
    await logIn(page, baseUrl, world.citizen);
    await menu(page, '/govshare/demands');
    await tab(page, 'mine');
    await open(page, mine.demand);
    seen.citizen_sees = { state: await text(page, '.govshare-demand-state'),
      outcome: await text(page, '.govshare-demand-detail .govshare-demand-outcome'),
      answer: await text(page, '.govshare-demand-answer'),
      entry: await page.locator('a.govshare-demand-entry').allInnerTexts() };
    await step('citizen-sees-the-answer');
    if (seen.citizen_sees.entry.length) {
      await open(page, mine.entry.title);
      seen.entry_link = new URL(page.url()).pathname;
    }
    await menu(page, '/govshare/showcases');
    await tab(page, 'mine');
    seen.my_showcases = Object.fromEntries(await page.locator('.govshare-showcase-item').evaluateAll(
      (items) => items.map((li) => [li.querySelector('h3 a').innerText.trim(),
        li.querySelector('.govshare-showcase-state').innerText.trim()])));
    await step('citizen-my-showcases');
    await open(page, mine.rejected);
    seen.reason = await text(page, '.govshare-showcase-reason');
    await step('citizen-sees-the-reason');
    await logOutByRoute(page, baseUrl);

    // the public
    await page.goto(baseUrl);
    await menu(page, '/govshare/demands');
    const row = page.locator('tr.govshare-demand-row', { has: link(page, mine.demand) });
    seen.public_demand = (await row.locator('td').allInnerTexts()).map((cell) => cell.replace(/\s+/g, ' ').trim());
    // into how many lines the title and the department break (squeezed columns: one a character)
    seen.public_demand_lines = await row.evaluate((tr) => {
      const lines = (node) => { const range = document.createRange(); range.selectNodeContents(node); return range.getClientRects().length; };
      return { title: tr.querySelector('td a').getClientRects().length, department: lines(tr.cells[3].firstChild) };
    });
    const html = await page.content();
    seen.public_leaks = world.private.filter((secret) => html.includes(secret));
    await step('public-demands');
    await menu(page, '/govshare/showcases');
    seen.public_after = await page.locator('.govshare-showcase-item h3 a').allInnerTexts();
    await step('public-showcases');
    await page.goto(`${baseUrl}/dataset/${mine.entry.name}`);
    seen.entry_after = await page.locator('.govshare-entry-showcases .govshare-showcase-item h3 a').allInnerTexts();
    await page.locator('.govshare-entry-showcases').scrollIntoViewIfNeeded();
    await step('public-entry-page');
    seen.rejected_status = (await page.goto(showcaseUrls.rejected)).status();
}, { numbered: true });
console.log(JSON.stringify(result));
