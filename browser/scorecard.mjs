// The evaluation scorecard in a real browser (driven by tests/test_browser_scorecard.py), on a
// desktop (1366×900) and a phone (390×844): the authority sees the ranking, opens a
// department's row with its evidence and publishes (on the phone: publishes again); the
// department's admin then sees the published scorecard. Full-page screenshots of each, in
// ARTIFACTS_DIR/desktop/ and ARTIFACTS_DIR/phone/.
//
//   node browser/scorecard.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"authority": {"name", "password"}, "admin": {"name", "password"}, "year": 2026,
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"ranked": departments in the ranking,
// "narrowest_name": the narrowest department cell of the ranking (px), "evidence":
// evidence links in the department's row, "followed": URL, "seen": departments the admin sees
// ranked, "failings": failing cells the admin sees}, "sideways": onEachDevice's pages that
// scrolled sideways}.
import { check, logIn, logOut, onEachDevice } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const seen = { ranked: 0, evidence: 0, followed: '', seen: 0, failings: -1 };
  result[device] = seen;
  await logIn(page, baseUrl, world.authority);
  await page.goto(`${baseUrl}/govshare/scorecard?year=${world.year}`);
  seen.ranked = await page.locator('#scorecard-ranking tbody tr').count();
  seen.narrowest_name = await page.locator('#scorecard-ranking tbody td:nth-child(2)').evaluateAll(
    (cells) => Math.min(...cells.map((td) => td.getBoundingClientRect().width)));
  await shot(page, 'scorecard-city');
  await Promise.all([page.waitForNavigation(),
    page.locator('#scorecard-ranking tr[data-department="civil-dept"] a').first().click()]);
  seen.followed = page.url();
  seen.evidence = await page.locator('#scorecard-department li a').count();
  await shot(page, 'scorecard-department-seen-by-the-authority');
  await page.goto(`${baseUrl}/govshare/scorecard?year=${world.year}`);
  await Promise.all([page.waitForNavigation(), page.click('#scorecard-publish')]);
  check((await page.locator('#scorecard-status').innerText()).includes('发布'), 'not published');
  await shot(page, 'scorecard-published');
  await logOut(page);
  await logIn(page, baseUrl, world.admin);
  await page.goto(`${baseUrl}/govshare/scorecard`);
  seen.seen = await page.locator('#scorecard-ranking tbody tr').count();
  seen.failings = await page.locator('#scorecard-ranking td[data-failing]').count();
  await shot(page, 'scorecard-department');
});
console.log(JSON.stringify(result));
