// The data authority's dashboard in a real browser (driven by tests/test_browser_dashboard.py):
// the authority sees the city's charts and follows a department's bar to its dashboard; the
// department's admin sees its own. Full-page screenshots of each.
//
//   node browser/dashboard.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"authority": {"name", "password"}, "admin": {"name", "password"}, "year": 2026,
//        "chromium": "/usr/bin/chromium"}
// Prints one JSON line: {"charts": number of SVG charts on the city's page, "followed": URL}.
import { check, logIn, logOut, screenshots, withBrowser } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
const shot = screenshots(artifacts);

const result = { charts: 0, followed: '' };
await withBrowser(world, shot, async (page) => {
  await logIn(page, baseUrl, world.authority);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  result.charts = await page.locator('svg.govshare-chart').count();
  await shot(page, 'dashboard-city');
  await Promise.all([page.waitForNavigation(),
    page.locator('#chart-ranking svg a').first().click()]);
  result.followed = page.url();
  await shot(page, 'dashboard-department-seen-by-the-authority');
  await logOut(page);
  await logIn(page, baseUrl, world.admin);
  await page.goto(`${baseUrl}/govshare/dashboard?year=${world.year}`);
  check(await page.locator('#chart-ranking').count() === 0, 'a department sees the ranking');
  await shot(page, 'dashboard-department');
});
console.log(JSON.stringify(result));
