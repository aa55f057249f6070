// Usage Analysis end to end: a real `trail serve --demo`, the system Chromium,
// and every chart, table and context panel compared with what the HTTP API
// answers for the same filters. Clicks on charts are real mouse clicks on the
// canvas, at the place ECharts drew the element.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OWNER_PASSWORD,
  TrailServer,
  ensureChromium,
  ensureTrail,
  newContext,
  screenshot,
  signIn,
} from './helpers.mjs';

const chromium = ensureChromium();
const skip = chromium.path ? false : `skipped: ${chromium.why}`;
if (skip) process.stderr.write(`# usage tests ${skip}\n`);
if (skip && process.env.CI) throw new Error(`CI needs the web tests: ${chromium.why}`);

let trail;
let browser;
let owner;
const problems = [];

before(async () => {
  if (skip) return;
  trail = await TrailServer.start(ensureTrail(), ['--demo']);
  const { chromium: pw } = await import('playwright-core');
  browser = await pw.launch({
    executablePath: chromium.path,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  owner = await newContext(browser, problems);
  const page = await owner.newPage();
  await signIn(page, trail, 'owner', OWNER_PASSWORD);
  await page.close();
});

after(async () => {
  await browser?.close();
  await trail?.stop({ keep: !!process.exitCode });
});

function clean() {
  assert.deepEqual(problems.splice(0), [], 'page errors or CSP violations');
}

/** A usage view as the API answers it. */
async function view(path, query = {}) {
  const qs = new URLSearchParams(query);
  const r = await trail.api(`/api/v1/usage/${path}${qs.size ? `?${qs}` : ''}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const chart = (title) => `.chart[data-chart="${title}"]`;

/** Waits for a chart to be drawn, and returns its series (name and values) and category axes. */
async function chartData(page, title) {
  const sel = chart(title);
  await page.waitForFunction((s) => document.querySelector(s)?.chart?.getOption()?.series?.length > 0, sel);
  return page.locator(sel).evaluate((box) => {
    const o = box.chart.getOption();
    const values = (d) => (d !== null && typeof d === 'object' && 'value' in d ? d.value : d);
    return {
      series: o.series.map((s) => ({ name: s.name, data: s.data.map(values) })),
      x: o.xAxis?.map((a) => a.data ?? null) ?? [],
      y: o.yAxis?.map((a) => a.data ?? null) ?? [],
    };
  });
}

/** Clicks where ECharts drew item `dataIndex` of series `seriesIndex` (a bar, a dot, a line's point). */
async function clickChart(page, title, seriesIndex, dataIndex) {
  const box = page.locator(chart(title));
  await box.scrollIntoViewIfNeeded();
  const at = await box.evaluate(
    (b, [si, di]) => {
      const c = b.chart;
      const s = c.getOption().series[si];
      const d = s.data[di];
      const v = d !== null && typeof d === 'object' && 'value' in d ? d.value : d;
      const horizontal = c.getOption().yAxis?.[0]?.type === 'category' && s.type === 'bar';
      const point = Array.isArray(v) ? [v[0], v[1]] : horizontal ? [v / 2, di] : [di, v];
      const [x, y] = c.convertToPixel({ seriesIndex: si }, point);
      const r = b.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    },
    [seriesIndex, dataIndex],
  );
  await page.mouse.click(at.x, at.y);
}

/** The context panel's facts, as name → value. */
async function facts(panel, section) {
  const s = panel.locator('.detail-section').filter({ has: panel.page().getByRole('heading', { name: section }) });
  const pairs = await s
    .locator('.facts > div')
    .evaluateAll((divs) => divs.map((d) => [d.querySelector('dt').innerText, d.querySelector('dd').innerText]));
  return Object.fromEntries(pairs);
}

const n = (v) => v.toLocaleString('en-US');

/** Every bucket of a span, as the app lays out a time axis. */
function buckets(span) {
  const step = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[span.bucket];
  const out = [];
  for (let t = Date.parse(span.from); t < Date.parse(span.to); t += step) out.push(t);
  return out;
}

test(
  'Overview: cards and charts are the API’s answer; a package’s bar fills the context panel and narrows the people',
  { skip, timeout: 90_000 },
  async () => {
    const page = await owner.newPage();
    await page.goto(`${trail.url}/usage/overview?range=30d`);
    const people = await chartData(page, 'Activity per user');
    const packages = await chartData(page, 'Users per package');
    const line = await chartData(page, 'Unique users over time');
    const api = await view('overview', { range: '30d' });

    assert.deepEqual(
      packages.y[0],
      api.users_per_package.map((p) => p.name),
    );
    assert.deepEqual(
      packages.series[0].data,
      api.users_per_package.map((p) => p.users),
    );
    assert.deepEqual(
      people.y[0],
      api.top_users.map((p) => p.user.login),
    );
    assert.deepEqual(
      people.series[0].data,
      api.top_users.map((p) => p.events),
    );
    const perBucket = new Map(api.users_per_bucket.map((b) => [Date.parse(b.bucket), b.count]));
    assert.deepEqual(
      line.series[0].data,
      buckets(api.span).map((t) => perBucket.get(t) ?? 0),
    );
    const sessions = page.locator('[data-card="Sessions"]');
    assert.match(await sessions.innerText(), new RegExp(`vs ${n(api.cards.sessions.previous)}`));
    assert.match(await page.locator('[data-card="Active users"] .card-value').innerText(), /^\d+$/);
    await screenshot(page, 'usage-overview');

    // A click on Chem's bar: the context panel shows its figures, and the people chart narrows to Chem.
    const chem = api.users_per_package.findIndex((p) => p.name === 'Chem');
    await clickChart(page, 'Users per package', 0, chem);
    await page.waitForURL(/sel=package%3AChem/);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: 'Chem' }).waitFor();
    const shown = await facts(panel, 'In this period');
    assert.equal(shown.People, n(api.users_per_package[chem].users));
    assert.equal(shown.Events, n(api.users_per_package[chem].events));
    const ofChem = await view('overview', { range: '30d', packages: 'Chem' });
    const narrowed = await chartData(page, 'Most active users of Chem');
    assert.deepEqual(
      narrowed.series[0].data,
      ofChem.top_users.map((p) => p.events),
    );
    assert.equal(shown.Sessions, n(ofChem.cards.sessions.current));
    await screenshot(page, 'usage-overview-selected');

    // Escape closes the panel, and the chart shows everyone again.
    await page.keyboard.press('Escape');
    await page.locator(chart('Activity per user')).waitFor();
    assert.equal(await panel.count(), 0);
    await page.close();
    clean();
  },
);

test(
  'Packages: the scatter plot is drawn from the API’s dots; a dot fills the context panel; Details drills into Functions, Back and Close',
  { skip, timeout: 90_000 },
  async () => {
    const page = await owner.newPage();
    await page.goto(`${trail.url}/usage/packages?range=7d`);
    const scatter = await chartData(page, 'Packages over time, by person');
    const api = await view('packages', { range: '7d' });
    // One series per person; every dot of the API is drawn once, with its count as its size.
    const drawn = scatter.series.flatMap((s) => s.data.map((v) => v[2]));
    assert.equal(drawn.length, api.dots.length);
    assert.deepEqual(
      drawn.sort((a, b) => a - b),
      api.dots.map((d) => d.events).sort((a, b) => a - b),
    );
    assert.deepEqual(
      scatter.y[0],
      api.packages.map((p) => p.package),
    );
    const people = new Map(api.people.map((p) => [p.id, p.login]));
    assert.deepEqual(
      scatter.series.map((s) => s.name).sort(),
      [...new Set(api.dots.map((d) => people.get(d.user)))].sort(),
    );
    await screenshot(page, 'usage-packages');

    // Click a dot of the person drawn last (on top of the others): the panel shows that dot's person, day and count.
    const top = scatter.series.length - 1;
    const first = scatter.series[top];
    const [col, , events, row] = first.data[0];
    const day = new Date(buckets(api.span)[col]).toISOString().slice(0, 10);
    const name = api.packages[row].package;
    await clickChart(page, 'Packages over time, by person', top, 0);
    await page.waitForURL(/dot=/);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name, exact: true }).waitFor();
    const point = await facts(panel, 'Selected point');
    assert.equal(point.Person, first.name);
    assert.equal(point['Day (UTC)'], day);
    assert.equal(point.Events, n(events));
    const summary = api.packages[row];
    const period = await facts(panel, 'In this period');
    assert.equal(period.Events, n(summary.events));
    assert.equal(period.People, n(summary.users));
    // The scatter now shows the package alone, one row per person.
    const alone = await chartData(page, `${name}: who used it, when`);
    assert.equal(alone.series.flatMap((s) => s.data).length, api.dots.filter((d) => d.name === name).length);
    await screenshot(page, 'usage-packages-selected');

    // Details: Functions of that package, with the derived filter; Back returns to the same view.
    const before = page.url();
    await panel.getByRole('button', { name: 'Details: its functions' }).click();
    await page.waitForURL(new RegExp(`/usage/functions\\?.*drill=package%3A${name}`));
    const bar = page.getByRole('region', { name: 'Drill-down' });
    assert.match(await bar.innerText(), new RegExp(`Functions of the package ${name}`));
    const fns = await view('functions', { range: '7d', packages: name });
    const runs = await chartData(page, 'Runs per function');
    assert.deepEqual(
      runs.y[0],
      fns.functions.map((f) => `${f.function.package}:${f.function.label}`),
    );
    await screenshot(page, 'usage-drilldown');
    await bar.getByRole('button', { name: /Back/ }).click();
    await page.waitForURL(before);
    await panel.getByRole('heading', { name, exact: true }).waitFor();

    // Forward again, then Close: the same tab without the derived filter.
    await page.goForward();
    await bar.waitFor();
    await bar.getByRole('button', { name: /Close/ }).click();
    await page.waitForURL((u) => u.pathname === '/usage/functions' && !u.search.includes('drill='));
    const all = await view('functions', { range: '7d' });
    await page.waitForFunction(
      ([s, want]) => document.querySelector(s)?.chart?.getOption()?.yAxis?.[0]?.data?.length === want,
      [chart('Runs per function'), all.functions.length],
    );
    assert.equal(await bar.count(), 0);
    await page.close();
    clean();
  },
);
