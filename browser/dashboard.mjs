// The data authority's dashboard in a real browser (driven by tests/test_browser_dashboard.py),
// on a desktop (1366×900) and a phone (390×844): the authority sees the city's charts and
// follows a department's bar to its dashboard; the department's admin sees its own.
// Full-page screenshots of each, in ARTIFACTS_DIR/desktop/ and ARTIFACTS_DIR/phone/.
//
//   node browser/dashboard.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"authority": {"name", "password"}, "admin": {"name", "password"}, "year": 2026,
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {desktop|phone: {"charts": number of SVG charts on the city's page,
// "followed": URL}, "sideways": onEachDevice's pages that scrolled sideways}.
import { check, logIn, logOut, onEachDevice } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);

const result = {};
result.sideways = await onEachDevice(world, artifacts, async (page, device, shot) => {
  const seen = { charts: 0, followed: '' };
  result[device] = seen;
  await logIn(page, baseUrl, world.authority);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  seen.charts = await page.locator('svg.govshare-chart').count();
  await shot(page, 'dashboard-city');
  await Promise.all([page.waitForNavigation(),
    page.locator('#chart-ranking svg a').first().click()]);
  seen.followed = page.url();
  await shot(page, 'dashboard-department-seen-by-the-authority');
  await logOut(page);
  await logIn(page, baseUrl, world.admin);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  check(await page.locator('#chart-ranking').count() === 0, 'a department sees the ranking');
  await shot(page, 'dashboard-department');
});
console.log(JSON.stringify(result));
