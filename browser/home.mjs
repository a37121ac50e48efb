// The home page, the search results and an entry page in a real browser (driven by
// tests/test_browser_home.py), at 1366×900 and 390×844, as one kind of visitor.
// Full-page screenshots of each.
//
//   node browser/home.mjs BASE_URL ARTIFACTS_DIR JSON
//
// JSON: {"prefix": "open-citizen", "user": {"name", "password"} or null,
//        "entries": {"<label>": "<entry name>", ...}, "chromium": "/usr/bin/chromium"}
// Prints one JSON line: per viewport, the statistics shown, the result badges counted, each
// entry's next-step button (its class) and whether any page scrolls sideways.
import { logIn, screenshots, VIEWPORTS, withBrowser } from './lib.mjs';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
const shot = screenshots(artifacts, { prefix: `${world.prefix}-` });

// Whether the page scrolls sideways, and then the outermost elements that stick out.
async function sideways(page) {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth + 1) return null;
    const out = [...document.querySelectorAll('body *')].filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width && box.right > window.innerWidth + 1
        && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1);
    });
    return out.slice(0, 3).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} in ${e.parentElement.tagName.toLowerCase()}.${[...e.parentElement.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px; parent padding ${getComputedStyle(e.parentElement).paddingRight})`);
  });
}

async function note(page, seen, name) {
  const out = await sideways(page);
  if (out) seen.sideways.push(`${name}: ${out.join(' ')}`);
}

const result = {};
await withBrowser(world, shot, async (page) => {
  if (world.user) await logIn(page, baseUrl, world.user);
  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const seen = { figures: {}, badges: 0, steps: {}, sideways: [] };
    await page.goto(`${baseUrl}/`);
    for (const figure of await page.locator('li[data-figure]').all()) {
      seen.figures[await figure.getAttribute('data-figure')] = (await figure.locator('strong').innerText()).trim();
    }
    await note(page, seen, 'home');
    await shot(page, `home-${name}`);
    await page.goto(`${baseUrl}/dataset/`);
    seen.badges = await page.locator('li.dataset-item ul.govshare-badges').count();
    await note(page, seen, 'search');
    await shot(page, `search-${name}`);
    for (const [label, entry] of Object.entries(world.entries)) {
      await page.goto(`${baseUrl}/dataset/${entry}`);
      const button = page.locator('.govshare-next-step a.btn');
      seen.steps[label] = await button.count() ? (await button.getAttribute('class')).split(' ').pop() : '';
      await note(page, seen, `entry ${label}`);
      await shot(page, `entry-${label}-${name}`);
    }
    result[name] = seen;
  }
}, { viewport: VIEWPORTS.desktop });
console.log(JSON.stringify(result));
