// Lighthouse's accessibility category on pages of an already running Chromium (its remote debugging
// port), for tests/e2e/test_desk_accessibility.py: the test signs in with Playwright first (the
// session lives in the origin's IndexedDB) and this script opens a tab in the same browser context.
// One Lighthouse user flow, one snapshot per page (no reload, no storage reset, the page as the user
// sees it once its data is in): a few seconds a page instead of a navigation run's ~25.
//
//   node scripts/lighthouse-a11y.mjs <port> '[["http://…/#/coverage", "<css selector shown when ready>"], …]'
//
// Prints JSON: [{url, score, failures: [{id, title, items: [{selector, explanation}]}]}].
import { startFlow } from 'lighthouse';
import puppeteer from 'puppeteer-core';

const [port, pagesJson] = process.argv.slice(2);
const pages = JSON.parse(pagesJson);
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${port}`, defaultViewport: null });
const page = await browser.newPage();
await page.setViewport({ width: 1366, height: 900, deviceScaleFactor: 1 });
const flow = await startFlow(page, {
  config: {
    extends: 'lighthouse:default',
    settings: {
      onlyCategories: ['accessibility'],
      formFactor: 'desktop',
      screenEmulation: { disabled: true }, // the page's own 1366×900 (Playwright's viewport, setViewport)
      disableFullPageScreenshot: true, // seconds a page, and no audit of this category needs it
    },
  },
});
for (const [url, ready] of pages) {
  await page.goto(url);
  await page.waitForSelector(ready, { visible: true, timeout: 20000 });
  await page.waitForNetworkIdle({ idleTime: 500, timeout: 20000 }).catch(() => {});
  await flow.snapshot({ name: url });
}
const result = await flow.createFlowResult();
const out = result.steps.map(({ name, lhr }) => {
  const category = lhr.categories.accessibility;
  const failures = category.auditRefs
    .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
    .map((ref) => {
      const audit = lhr.audits[ref.id];
      const items = (audit.details?.items || []).slice(0, 8).map((item) => ({
        selector: item.node?.selector || '',
        snippet: item.node?.snippet || '',
        explanation: item.node?.explanation || '',
      }));
      return { id: ref.id, title: audit.title, items };
    });
  return { url: name, score: category.score, failures };
});
await page.close();
await browser.disconnect();
process.stdout.write(`${JSON.stringify(out)}\n`);
