// Usage Analysis end to end: a real `trail serve --demo`, the system Chromium,
// and every chart, table and context panel compared with what the HTTP API
// answers for the same filters. Clicks on charts are real mouse clicks on the
// canvas, at the place ECharts drew the element.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, newContext, screenshot, signIn } from './helpers.mjs';

const suite = browserSuite();
const { skip } = suite;
const clean = () => suite.clean();

/** A usage view as the API answers it. */
async function view(path, query = {}) {
  const qs = new URLSearchParams(query);
  const r = await suite.trail.api(`/api/v1/usage/${path}${qs.size ? `?${qs}` : ''}`);
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

/** Waits until the panel shows `name` as `want` (figures that load after the panel opens). */
async function waitForFact(panel, name, want) {
  const dd = panel
    .locator('.facts > div')
    .filter({ has: panel.page().locator('dt', { hasText: name }) })
    .locator('dd');
  await dd
    .filter({ hasText: new RegExp(`^${want}$`) })
    .first()
    .waitFor();
}

const n = (v) => v.toLocaleString('en-US');

/** A screenshot for the docs: the pointer off the charts (no hover highlight), scrolled to `at` (a selector) or the top. */
async function shot(page, name, at) {
  await page.mouse.move(2, 300);
  if (at) {
    await page
      .locator(at)
      .first()
      .evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70));
  } else {
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  await screenshot(page, name);
}

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
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/overview?range=30d`);
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
    await shot(page, 'usage-overview');

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
    await waitForFact(panel, 'Sessions', n(ofChem.cards.sessions.current));
    await shot(page, 'usage-overview-selected', '.ua-pair');

    // Escape closes the panel, and the chart shows everyone again.
    await page.keyboard.press('Escape');
    await page.locator(chart('Activity per user')).waitFor();
    assert.equal(await panel.count(), 0);

    // What nobody used today: the candidates for removal, with their last use.
    await page.goto(`${suite.trail.url}/usage/overview?range=today`);
    const unused = await view('unused', { range: 'today' });
    if (unused.functions.length + unused.event_types.length + unused.packages.length === 0) {
      await page.getByText('Everything known was used in this period').waitFor();
    } else {
      for (const [title, items] of [
        ['packages', unused.packages],
        ['functions', unused.functions],
        ['event types', unused.event_types],
      ]) {
        const group = page.getByRole('group', { name: `Unused ${title}` });
        await group.waitFor();
        assert.deepEqual(
          await group.locator('tbody th').allInnerTexts(),
          items.map((i) => i.name),
        );
      }
    }
    await shot(page, 'usage-unused', '#ua-unused');
    await page.close();
    clean();
  },
);

test(
  'Packages: the scatter plot is drawn from the API’s dots; a dot fills the context panel; Details drills into Functions, Back and Close',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/packages?range=7d`);
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
    await shot(page, 'usage-packages');

    // Click a dot (dots of a busy bucket overlap: whichever is on top): the panel shows that dot's
    // person, day and count, as the API has them, and the package's figures.
    await clickChart(page, 'Packages over time, by person', scatter.series.length - 1, 0);
    await page.waitForURL(/dot=/);
    const hit = new URL(page.url()).searchParams;
    const name = hit.get('sel').replace(/^package:/, '');
    const [bucket, user] = hit.get('dot').split('~');
    const dot = api.dots.find((d) => d.name === name && d.user === user && Date.parse(d.bucket) === Date.parse(bucket));
    assert.ok(dot, `the clicked dot ${hit} is one of the API's`);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name, exact: true }).waitFor();
    const point = await facts(panel, 'Selected point');
    assert.equal(point.Person, people.get(user));
    assert.equal(point['Day (UTC)'], bucket.slice(0, 10));
    assert.equal(point.Events, n(dot.events));
    const summary = api.packages.find((p) => p.package === name);
    const period = await facts(panel, 'In this period');
    assert.equal(period.Events, n(summary.events));
    assert.equal(period.People, n(summary.users));

    // The scatter now shows the package alone, one row per person (the linked chart): every dot of it,
    // none overlapping, and a click on one of them shows that one.
    const alone = await chartData(page, `${name}: who used it, when`);
    const mine = api.dots.filter((d) => d.name === name);
    assert.equal(alone.series.flatMap((s) => s.data).length, mine.length);
    const si = alone.series.findIndex((s) => s.name !== people.get(user) && s.data.length > 2);
    const di = Math.floor(alone.series[si].data.length / 2);
    const [col, , events, row] = alone.series[si].data[di];
    await clickChart(page, `${name}: who used it, when`, si, di);
    await page.waitForFunction(
      (d) => new URL(location.href).searchParams.get('dot')?.startsWith(d),
      new Date(buckets(api.span)[col]).toISOString(),
    );
    const again = await facts(panel, 'Selected point');
    assert.equal(again.Person, alone.y[0][row]);
    assert.equal(again.Person, alone.series[si].name);
    assert.equal(again.Events, n(events));
    await shot(page, 'usage-packages-selected', '.ua-span');

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
    await shot(page, 'usage-drilldown');
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

test(
  'Functions: the table is the API’s answer; a function’s panel lists its runs with inputs and outputs',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    const api = await view('functions', { range: '30d' });
    const f = api.functions[0];
    const name = `${f.function.package}:${f.function.label}`;
    await page.goto(`${suite.trail.url}/usage/functions?range=30d`);
    await page.locator('.datatable tbody tr').first().waitFor();
    const ids = await page.locator('.datatable tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    assert.deepEqual(
      ids,
      api.functions.map((x) => `${x.function.package}:${x.function.label}`),
    );
    const cells = await page.locator('.datatable tbody tr').first().locator('td').allInnerTexts();
    assert.equal(cells[2], n(f.runs));
    assert.equal(cells[3], n(f.users));
    await shot(page, 'usage-functions');

    // Enter on the first row opens its panel: figures, and the runs the API lists, newest first.
    await page.locator('.datatable tbody tr').first().focus();
    await page.keyboard.press('Enter');
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name, exact: true }).waitFor();
    assert.equal((await facts(panel, 'In this period')).Runs, n(f.runs));
    const runs = await view('runs', {
      range: '30d',
      kind: f.function.kind,
      function: f.function.function,
      package: f.function.package,
      limit: '20',
    });
    const list = panel.getByRole('list', { name: 'Runs, newest first' });
    await list.locator('li').first().waitFor();
    const shown = await list.locator(':scope > li').evaluateAll((items) =>
      items.map((li) => ({
        user: li.querySelector('.ua-runs-head > span').innerText,
        params: [...li.querySelectorAll('.ua-params li')].map((p) => p.innerText),
      })),
    );
    assert.deepEqual(
      shown.map((r) => r.user),
      runs.runs.map((r) => r.user),
    );
    const first = runs.runs[0];
    assert.deepEqual(
      shown[0].params,
      Object.entries(first.params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`),
    );
    await shot(page, 'usage-functions-runs');
    // A run opens its event in Activity Logs.
    await list.locator('li').first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/activity\\?event=${first.event_id}`));
    await page.locator('aside.detail').getByRole('heading').first().waitFor();
    await page.close();
    clean();
  },
);

test(
  'Events: sources and types are the API’s answer; a type’s bar fills the panel and narrows the people to those who did it',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/events?range=7d`);
    const sources = await chartData(page, 'Events per source over time');
    const types = await chartData(page, 'Most frequent event types');
    const api = await view('events', { range: '7d', top: '12' });
    const bucket = buckets(api.span);
    for (const s of api.by_source) {
      const at = new Map(s.points.map((p) => [Date.parse(p.bucket), p.count]));
      const drawn = sources.series.find((x) => x.name === s.key);
      assert.deepEqual(
        drawn.data,
        bucket.map((t) => at.get(t) ?? 0),
        s.key,
      );
    }
    assert.deepEqual(
      types.y[0],
      api.by_type.map((t) => t.key),
    );
    await shot(page, 'usage-events');

    const i = 1;
    const type = api.by_type[i];
    await clickChart(page, 'Most frequent event types', 0, i);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: type.key, exact: true }).waitFor();
    assert.equal((await facts(panel, 'In this period')).Events, n(type.total));
    const did = await view('events', { range: '7d', top: '12', types: type.key });
    const people = await chartData(page, `People who did ${type.key}`);
    assert.deepEqual(
      people.y[0],
      did.by_user.map((p) => p.user.login),
    );
    const who = await view('overview', { range: '7d', types: type.key, top: '1' });
    await waitForFact(panel, 'People', n(who.cards.active_users.current));
    await page.close();
    clean();
  },
);

test(
  'Errors: the groups are the API’s answer; a group’s panel shows the actions before it and its occurrences',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/errors?range=30d`);
    await page.locator('.datatable tbody tr').first().waitFor();
    const api = await view('errors', { range: '30d' });
    const ids = await page.locator('.datatable tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    assert.deepEqual(
      ids,
      api.groups.map((g) => g.signature),
    );
    await shot(page, 'usage-errors');

    // A package's bar lists only the groups seen in that package.
    const perPackage = await chartData(page, 'Errors per package');
    const pkg = perPackage.y[0][0];
    await clickChart(page, 'Errors per package', 0, 0);
    await page.waitForURL(/pick=package/);
    await page.getByRole('heading', { name: new RegExp(`^Errors in ${pkg}`) }).waitFor();
    const inPkg = await page.locator('.datatable tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    assert.deepEqual(
      inPkg,
      api.groups.filter((g) => g.packages.some((p) => p.name === pkg)).map((g) => g.signature),
    );

    const g = api.groups[0];
    await page.locator(`.datatable tbody tr[data-id="${g.signature}"]`).click();
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: g.message }).waitFor();
    assert.equal((await facts(panel, 'In this period')).Occurrences, n(g.occurrences));
    const detail = await view(`errors/${g.signature}`, { range: '30d' });
    const before = panel.getByRole('table', { name: 'Actions before the error' });
    await before.waitFor();
    const types = await before.locator('tbody th').allInnerTexts();
    assert.deepEqual(types.sort(), detail.preceding.map((p) => p.type).sort());
    const occurrences = panel.getByRole('list', { name: 'Newest occurrences' });
    assert.equal(await occurrences.locator('li').count(), detail.occurrences.length);
    await shot(page, 'usage-errors-group');
    // An occurrence opens in Activity Logs.
    await occurrences.locator('li').first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/activity\\?event=${detail.occurrences[0].id}`));
    await page.locator('aside.detail').getByText(g.message).first().waitFor();
    await page.close();
    clean();
  },
);

test(
  'Performance: the slowest operations are the API’s; a bar shows that operation’s quantiles over time',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/performance?range=30d`);
    const bars = await chartData(page, 'Slowest operations (p90)');
    const api = await view('performance', { range: '30d' });
    const top = api.operations.slice(0, 15);
    assert.deepEqual(
      bars.series[0].data,
      top.map((o) => Math.round(o.durations.p90)),
    );
    const slow = await page
      .locator('#ua-slowest ~ .datatable tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.dataset.id));
    assert.deepEqual(
      slow,
      api.slowest.map((e) => e.id),
    );
    await shot(page, 'usage-performance');

    const i = 2;
    const op = top[i];
    await clickChart(page, 'Slowest operations (p90)', 0, i);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: op.label || op.type, exact: true }).waitFor();
    assert.equal((await facts(panel, 'In this period')).Runs, n(op.durations.count));
    await page.waitForFunction(
      (want) => document.querySelector('.ua-figure-note')?.closest('.ua-pair')?.innerText.includes(want),
      `${op.label} (${op.type}).`,
    );
    const line = await chartData(page, 'Duration over time');
    const at = new Map(op.per_bucket.map((b) => [Date.parse(b.bucket), b.durations.p90]));
    assert.deepEqual(
      line.series.find((s) => s.name === 'p90').data,
      buckets(api.span).map((t) => (at.has(t) ? Math.round(at.get(t)) : null)),
    );
    await page.close();
    clean();
  },
);

test(
  'Users: the clusters and the groups against them are the API’s answer; a cluster drills into its people’s usage',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/users?range=90d`);
    const chartOf = await chartData(page, 'People per cluster, by group');
    const api = await view('patterns', { range: '90d' });
    assert.deepEqual(
      chartOf.series.map((s) => s.name),
      api.by_group.groups,
    );
    assert.deepEqual(
      chartOf.series.map((s) => s.data),
      api.by_group.counts,
    );
    assert.match(
      await page.locator('#ua-contingency + .ua-figure-note').innerText(),
      new RegExp(`Cramér’s V ${api.by_group.cramers_v.toFixed(2)}`),
    );
    const cards = page.getByRole('list', { name: 'Clusters' }).locator(':scope > li');
    assert.equal(await cards.count(), api.clusters.length);
    await shot(page, 'usage-users');

    const c = api.clusters[1];
    await clickChart(page, 'People per cluster, by group', 0, 1);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: `Cluster ${c.id}`, exact: true }).waitFor();
    const members = await panel.locator('.ua-members li').allInnerTexts();
    assert.deepEqual(
      members,
      c.users.map((u) => (u.name ? `${u.name} (${u.login})` : u.login)),
    );
    await panel.getByRole('button', { name: 'Details: their usage' }).click();
    await page.waitForURL(/\/usage\/overview\?.*drill=user/);
    const ofThem = await view('overview', { range: '90d', users: c.users.map((u) => u.login).join(',') });
    const people = await chartData(page, 'Activity per user');
    assert.deepEqual(
      people.y[0],
      ofThem.top_users.map((p) => p.user.login),
    );
    assert.match(
      await page.getByRole('region', { name: 'Drill-down' }).innerText(),
      new RegExp(`${c.users.length} people`),
    );
    await page.close();
    clean();
  },
);

test(
  'Data history: a resource found by name shows its origin graph; a source opens its own history',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/history?range=90d`);
    await page.getByRole('heading', { name: 'Choose a resource' }).waitFor();
    const box = page.getByRole('combobox', { name: 'Name or id' });
    await box.fill('custom');
    const option = page.getByRole('option', { name: /customers/ });
    await option.waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/kind=table&id=/);
    const id = new URL(page.url()).searchParams.get('id');
    const api = await view(`history/table/${id}`, { range: '90d' });
    const graph = await page.locator(chart('Where it came from')).evaluate((b) => {
      const s = b.chart.getOption().series[0];
      return { nodes: s.data.map((d) => d.name), links: s.links.map((l) => l.value) };
    });
    const names = new Set(
      [api.resource, ...api.origin.flatMap((e) => [e.from, e.to])].map((x) => `${x.kind} ${x.name ?? x.id}`),
    );
    assert.deepEqual([...graph.nodes].sort(), [...names].sort());
    assert.deepEqual(
      graph.links,
      api.origin.map((e) => e.count),
    );
    const actions = await page.locator('#ua-actions + table tbody th').allInnerTexts();
    assert.deepEqual(
      actions,
      api.actions.map((a) => a.action),
    );
    await shot(page, 'usage-history');

    // The source's node: its panel, then its own history.
    const source = api.origin[0].from;
    const index = graph.nodes.indexOf(`${source.kind} ${source.name ?? source.id}`);
    const at = await page.locator(chart('Where it came from')).evaluate((b, i) => {
      const c = b.chart;
      const d = c.getOption().series[0].data[i];
      const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [d.x, d.y]);
      const r = b.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    }, index);
    await page.mouse.click(at.x, at.y);
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: source.name ?? source.id, exact: true }).waitFor();
    assert.equal((await facts(panel, 'In this history'))['Went into'], `table ${api.resource.name}`);
    await panel.getByRole('link', { name: 'Details: its own history' }).click();
    await page.waitForURL(new RegExp(`kind=${source.kind}&id=${source.id}`));
    await page
      .getByRole('heading', { name: new RegExp(source.name ?? source.id) })
      .first()
      .waitFor();

    // A resource's page links to its data history.
    await page.goto(`${suite.trail.url}/entities/table/${id}`);
    await page.getByRole('link', { name: 'its data history' }).click();
    await page.waitForURL(new RegExp(`/usage/history\\?kind=table&id=${id}`));
    await page.locator(chart('Where it came from')).waitFor();
    await page.close();
    clean();
  },
);

test(
  'The toolbox’s filters are in the address and apply to every tab; Back and Forward walk the tabs',
  { skip, timeout: 90_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/overview`);
    await chartData(page, 'Users per package');
    // Date: Last 7 days.
    await page.locator('.choice-button', { hasText: 'Date:' }).click();
    await page.getByRole('radio', { name: 'Last 7 days' }).click();
    await page.waitForURL(/range=7d/);
    // Groups: data-team.
    await page.locator('.choice-button', { hasText: 'Groups:' }).click();
    await page.getByRole('checkbox', { name: 'data-team' }).check();
    await page.waitForURL(/groups=data-team/);
    await page.keyboard.press('Escape');
    const api = await view('overview', { range: '7d', groups: 'data-team' });
    await page.waitForFunction(
      ([s, want]) => JSON.stringify(document.querySelector(s)?.chart?.getOption()?.yAxis?.[0]?.data) === want,
      [chart('Activity per user'), JSON.stringify(api.top_users.map((p) => p.user.login))],
    );
    await shot(page, 'usage-filters');

    // Another tab keeps the filters; Back returns to the Overview with them.
    await page.getByRole('navigation', { name: 'Usage Analysis tabs' }).getByRole('link', { name: 'Packages' }).click();
    await page.waitForURL(/\/usage\/packages\?range=7d&groups=data-team/);
    const pk = await view('packages', { range: '7d', groups: 'data-team' });
    const bars = await chartData(page, 'Events per package');
    assert.deepEqual(
      bars.series[0].data,
      pk.packages.map((p) => p.events),
    );
    await page.goBack();
    await page.waitForURL(/\/usage\/overview\?range=7d&groups=data-team/);
    await chartData(page, 'Users per package');
    await page.goForward();
    await page.waitForURL(/\/usage\/packages/);
    await chartData(page, 'Events per package');

    // Performance is kept per operation: the people filters do not apply there, and it says so.
    await page.getByRole('link', { name: 'Performance' }).click();
    await page.getByText('the group and people filters do not apply to this tab').waitFor();
    await chartData(page, 'Slowest operations (p90)');
    await page.close();
    clean();
  },
);

test(
  'Keyboard: a chart’s data table selects like a click, the panel takes the focus, Escape gives it back',
  { skip, timeout: 60_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/overview?range=7d`);
    const api = await view('overview', { range: '7d' });
    const figure = page.locator('figure', { has: page.locator(chart('Users per package')) });
    await chartData(page, 'Users per package');
    await figure.getByText('Data as a table').focus();
    await page.keyboard.press('Enter');
    const cells = await figure
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.innerText)));
    assert.deepEqual(
      cells,
      api.users_per_package.map((p) => [p.name, n(p.users), n(p.events)]),
    );
    await page.keyboard.press('Tab');
    const first = api.users_per_package[0].name;
    assert.equal(await page.evaluate(() => document.activeElement.innerText), first);
    await page.keyboard.press('Enter');
    const panel = page.locator('aside.detail');
    await panel.getByRole('heading', { name: first, exact: true }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.closest('aside.detail') !== null), true);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('sel'));
    assert.equal(await page.evaluate(() => document.activeElement.innerText), first);
    await page.close();
    clean();
  },
);

test(
  'API errors read in plain words; a view with nothing in it says what to do',
  { skip, timeout: 60_000 },
  async () => {
    const page = await suite.owner.newPage();
    await page.goto(`${suite.trail.url}/usage/overview?range=2026-12-01..2026-11-01`);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load the overview' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /range/i);
    await page.goto(`${suite.trail.url}/usage/packages?packages=NoSuchPackage`);
    await page.getByRole('heading', { name: 'No package was used in this period' }).waitFor();
    assert.match(await page.locator('.empty').innerText(), /longer date range or fewer filters/);
    await shot(page, 'usage-empty');
    await page.close();
    clean();
  },
);

test(
  'A member sees only their own usage and no Performance; an auditor has no Usage Analysis',
  { skip, timeout: 90_000 },
  async () => {
    const MEMBER = 'carol@company.com';
    const PASSWORD = 'carol-usage-e2e-password-0123';
    const set = await suite.trail.api(`/api/v1/users/${encodeURIComponent(MEMBER)}`, {
      method: 'PATCH',
      body: { password: PASSWORD },
    });
    assert.equal(set.status, 200, set.text);
    const context = await newContext(suite.browser, suite.problems);
    const page = await context.newPage();
    await signIn(page, suite.trail, MEMBER, PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage Analysis' }).click();
    await page.waitForURL(/\/usage\/overview/);
    const people = await chartData(page, 'Activity per user');
    assert.deepEqual(people.y[0], [MEMBER]);
    assert.match(await page.locator('.screen-head').innerText(), /Your own usage/);
    const tabs = await page.getByRole('navigation', { name: 'Usage Analysis tabs' }).getByRole('link').allInnerTexts();
    assert.ok(!tabs.includes('Performance'), tabs.join(', '));
    assert.equal(await page.locator('.choice-button', { hasText: 'People:' }).count(), 0);
    assert.equal(await page.locator('.choice-button', { hasText: 'Groups:' }).count(), 0);
    await shot(page, 'usage-member');
    await context.close();

    const AUDITOR = 'dave@company.com';
    const made = await suite.trail.api(`/api/v1/users/${encodeURIComponent(AUDITOR)}`, {
      method: 'PATCH',
      body: { password: PASSWORD, role: 'auditor' },
    });
    assert.equal(made.status, 200, made.text);
    const ac = await newContext(suite.browser, suite.problems);
    const ap = await ac.newPage();
    await signIn(ap, suite.trail, AUDITOR, PASSWORD);
    await ap.getByRole('navigation', { name: 'Main' }).waitFor();
    assert.equal(
      await ap.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage Analysis' }).count(),
      0,
    );
    await ap.goto(`${suite.trail.url}/usage/overview`);
    await ap.getByRole('heading', { name: 'You are not allowed to open this page' }).waitFor();
    await ac.close();
    clean();
  },
);
