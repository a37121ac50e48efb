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
import { check, logIn, logOut, screenshots, withBrowser } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
const shot = screenshots(artifacts);

const result = { ranked: 0, evidence: 0, followed: '', seen: 0, failings: -1 };
await withBrowser(world, shot, async (page) => {
  await logIn(page, baseUrl, world.authority);
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
  await logIn(page, baseUrl, world.admin);
  await page.goto(`${baseUrl}/govshare/scorecard`);
  result.seen = await page.locator('#scorecard-ranking tbody tr').count();
  result.failings = await page.locator('#scorecard-ranking td[data-failing]').count();
  await shot(page, 'scorecard-department');
}, { viewport: { width: 1400, height: 900 } });
console.log(JSON.stringify(result));
