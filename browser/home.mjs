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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, artifacts, json] = process.argv.slice(2);
const world = JSON.parse(json);
fs.mkdirSync(artifacts, { recursive: true });

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORTS = { desktop: { width: 1366, height: 900 }, mobile: { width: 390, height: 844 } };

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${world.prefix}-${name}.png`), fullPage: true });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

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

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'govshare-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: world.chromium || '/usr/bin/chromium', headless: true, args: ARGS,
  viewport: VIEWPORTS.desktop, locale: 'zh-CN',
});
context.setDefaultTimeout(30000);
const page = context.pages()[0] || await context.newPage();
const result = {};
try {
  if (world.user) {
    await page.goto(`${baseUrl}/user/login`);
    await page.fill('#field-login', world.user.name);
    await page.fill('#field-password', world.user.password);
    await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"].btn-primary')]);
    check(await page.locator('.account.authed').count() === 1, `${world.user.name} could not log in`);
  }
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
} catch (error) {
  await shot(page, 'failure').catch(() => {});
  console.error(error.stack || String(error));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
