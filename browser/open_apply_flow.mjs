// Authorized open data and error reports on the open site in a real browser (driven by
// tests/test_browser_open_apply.py), on a desktop (1366×900) and a phone (390×844), each with
// an entry of its own:
// an anonymous visitor finds no download on an authorized-open entry; a citizen finds it by
// searching, applies for it (sent without the commitment first), sees the application pending
// in 个人中心; the provider's admin approves it from the inbox (and confirms); the citizen sees
// it approved, downloads the file, and reports a doubtful value (纠错); the admin answers the
// report from the department's error-report list; the citizen reads the answer; an anonymous
// visitor still gets no download. Screenshots in ARTIFACTS_DIR/desktop/ and /phone/, numbered.
//
//   node browser/open_apply_flow.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"citizen", "provider": {"name", "password"}, "entries": {desktop|phone: {"name",
//        "title", "resource_id", "outcome": "corrected" | "not_error"}}, "chromium": path}
// Prints one JSON line: {desktop|phone: {what each step showed: flashes, states, buttons, the
// downloaded text, the anonymous visitor's download answer}, "sideways": onEachDevice's pages
// that scrolled sideways}.
import path from 'node:path';
import { check, download, lineCount, logIn, logOutByRoute, onEachDevice, onFirstScreen,
  text } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const EXPLANATION = { corrected: '已核实，第3行收入数据录入有误，已更正为1300元并重新发布',
  not_error: '经核对原始台账，该值无误，系按月汇总口径统计' };

const submit = (page, selector) => Promise.all([page.waitForNavigation(), page.click(selector)]);
const flash = (page) => text(page, '.flash-messages .alert');
// The entry page's one next-step button: its last class names the step.
const nextStep = async (page) => (await page.getAttribute('.govshare-next-step a.btn', 'class')).split(' ').pop();

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const entry = world.entries[device];
  const entryUrl = `${baseUrl}/dataset/${entry.name}`;
  const resourceUrl = `${entryUrl}/resource/${entry.resource_id}`;
  const seen = { flashes: {}, states: {}, steps: {}, lines: {} };
  result[device] = seen;
  page.on('response', (response) => {
    if (response.status() >= 500) console.error(`${response.status()} ${response.url()}`);
  });

  // 1. An anonymous visitor: the entry says to log in and apply; no download.
  await page.goto(entryUrl);
  seen.steps.anonymous = await nextStep(page);
  await shot(page, 'anonymous-entry');

  // 2. The citizen logs in, finds the entry by searching, applies for it.
  await logIn(page, baseUrl, world.citizen);
  await page.goto(`${baseUrl}/dataset/`);
  await page.fill('#field-giant-search', entry.title);
  await Promise.all([page.waitForNavigation(), page.press('#field-giant-search', 'Enter')]);
  const found = page.locator(`li.dataset-item .dataset-heading a[href$="/dataset/${entry.name}"]`);
  check(await found.count() === 1, `${entry.title} is not found by search`);
  seen.lines.result = await lineCount(found.first());
  await shot(page, 'citizen-search');
  await Promise.all([page.waitForNavigation(), found.first().click()]);
  seen.steps.citizen = await nextStep(page);
  seen.steps.citizen_label = await text(page, '.govshare-next-step a.btn');
  seen.steps.citizen_first_screen = await onFirstScreen(page, '.govshare-next-step a.btn');
  check(await page.locator('a.govshare-download-button').count() === 0, 'a download before approval');
  await shot(page, 'citizen-entry-apply-button');
  await submit(page, 'a.govshare-request-button');
  await page.fill('#field-purpose', '研究本市低保家庭收入结构，撰写社会救助研究报告');
  await page.fill('#field-scenario', '高校课题组内部统计分析，不对外公开个人信息');
  await page.fill('#field-security_measures', '数据存放于课题组加密服务器，专人管理，用后删除');
  await page.fill('#field-contact', '王市民 13800000000');
  await submit(page, '#govshare-request-form button[type="submit"]');
  seen.commitment_error = await page.locator('.govshare-commitment .error-block').count();
  check(await page.inputValue('#field-scenario') === '高校课题组内部统计分析，不对外公开个人信息',
    'the scenario was lost');
  await shot(page, 'application-without-commitment');
  await page.check('#field-commitment_accepted');
  await shot(page, 'application-form');
  await submit(page, '#govshare-request-form button[type="submit"]');
  check(/\/govshare\/requests\/[0-9a-f-]+$/.test(page.url()), `not on the application page: ${page.url()}`);
  seen.request_id = page.url().split('/').pop();
  seen.flashes.applied = await flash(page);
  await shot(page, 'application-submitted');
  await page.goto(`${baseUrl}/govshare/me`);
  const mine = page.locator(`tr.govshare-me-request[data-request-id="${seen.request_id}"]`);
  seen.states.before = await mine.getAttribute('data-state');
  seen.states.before_label = await text(page, `tr[data-request-id="${seen.request_id}"] .govshare-badge-state`);
  await shot(page, 'citizen-centre-pending');
  await logOutByRoute(page, baseUrl);

  // 3. The provider's admin approves it from the inbox, through the confirmation step.
  await logIn(page, baseUrl, world.provider);
  await page.goto(`${baseUrl}/govshare/requests`);
  const row = page.locator(`tr.govshare-request-row[data-request-id="${seen.request_id}"]`);
  check(await row.count() === 1, 'the application is not in the inbox');
  await shot(page, 'provider-inbox');
  await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
  await page.fill('#approve-comment', '同意开放，限课题研究使用');
  await shot(page, 'provider-application');
  await submit(page, 'form.govshare-approve-form button[type="submit"]');
  seen.confirm_step = await page.locator('form.govshare-confirm-form').count();
  await shot(page, 'provider-confirm');
  await submit(page, 'form.govshare-confirm-form button.btn-success');
  seen.flashes.approved = await flash(page);
  check(await page.locator('form.govshare-approve-form').count() === 0, 'still undecided');
  await shot(page, 'provider-approved');
  await logOutByRoute(page, baseUrl);

  // 4. The citizen sees it approved, downloads the data, reports a doubtful value.
  await logIn(page, baseUrl, world.citizen);
  await page.goto(`${baseUrl}/govshare/me`);
  seen.states.after = await mine.getAttribute('data-state');
  seen.states.after_label = await text(page, `tr[data-request-id="${seen.request_id}"] .govshare-badge-state`);
  await shot(page, 'citizen-centre-approved');
  await page.goto(entryUrl);
  seen.steps.approved = await nextStep(page);
  seen.download_url = await page.getAttribute('a.govshare-download-button', 'href');
  await shot(page, 'citizen-entry-download-button');
  seen.download = await download(page, 'a.govshare-download-button', path.join(artifacts, device));
  await submit(page, 'a.govshare-error-report-button');
  await submit(page, '#govshare-error-report-form button[type="submit"]');
  seen.report_errors = await page.locator('#govshare-error-report-form .error-block').count();
  await shot(page, 'error-report-empty');
  await page.selectOption('#field-resource_id', entry.resource_id);
  await page.fill('#field-location', '第3行，收入列');
  await page.fill('#field-description', '收入1200元与区民政局公示的1300元不一致');
  await shot(page, 'error-report-form');
  await submit(page, '#govshare-error-report-form button[type="submit"]');
  check(/\/govshare\/error-reports\/[0-9a-f-]+$/.test(page.url()), `not on the report page: ${page.url()}`);
  seen.report_id = page.url().split('/').pop();
  seen.flashes.reported = await flash(page);
  seen.states.report_open = await text(page, '.govshare-error-report-state');
  await shot(page, 'error-report-sent');
  await logOutByRoute(page, baseUrl);

  // 5. The provider's admin answers it from the department's list.
  await logIn(page, baseUrl, world.provider);
  await page.goto(`${baseUrl}/govshare/error-reports`);
  await Promise.all([page.waitForNavigation(), page.click('.govshare-tabs a[href*="tab=department"]')]);
  const report = page.locator(`tr.govshare-error-report-row[data-report-id="${seen.report_id}"]`);
  check(await report.count() === 1, 'the report is not in the department\'s list');
  seen.lines.report_entry = await lineCount(report.locator('a').first());
  await shot(page, 'provider-error-reports');
  await Promise.all([page.waitForNavigation(), report.locator('a').first().click()]);
  await submit(page, 'form.govshare-error-report-answer button[type="submit"]');
  seen.answer_errors = await page.locator('form.govshare-error-report-answer .error-block').count();
  await page.selectOption('#field-outcome', entry.outcome);
  await page.fill('#field-explanation', EXPLANATION[entry.outcome]);
  await shot(page, 'provider-answer');
  await submit(page, 'form.govshare-error-report-answer button[type="submit"]');
  seen.flashes.answered = await flash(page);
  await shot(page, 'provider-answered');
  await logOutByRoute(page, baseUrl);

  // 6. The citizen reads the answer in their list and on the report.
  await logIn(page, baseUrl, world.citizen);
  await page.goto(`${baseUrl}/govshare/error-reports`);
  seen.states.report_listed = await text(page,
    `tr[data-report-id="${seen.report_id}"] .govshare-error-report-state`);
  await shot(page, 'citizen-error-reports');
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-report-id="${seen.report_id}"] a`).first().click()]);
  seen.states.report_answered = await text(page, '.govshare-error-report-state');
  seen.explanation = await text(page, '.govshare-error-report-explanation');
  await shot(page, 'citizen-reads-answer');
  await logOutByRoute(page, baseUrl);

  // 7. An anonymous visitor still gets no download.
  await page.goto(resourceUrl);
  seen.anonymous_links = await page.locator('a.resource-url-analytics').count();
  await shot(page, 'anonymous-resource');
  const answer = await page.request.get(seen.download_url, { maxRedirects: 0 });
  seen.anonymous_download = { status: answer.status(), body: (await answer.text()).slice(0, 2000) };
}, { numbered: true, acceptDownloads: true });
console.log(JSON.stringify(result));
