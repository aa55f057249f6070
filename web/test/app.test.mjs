// The web app end to end: a real `trail serve --demo`, the system Chromium, and
// every check against what the HTTP API answers for the same question.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ADMIN_KEY,
  OWNER_PASSWORD,
  TrailServer,
  browserSuite,
  newContext,
  parseCsv,
  rowIds,
  screenshot,
  signIn,
  viewerTime,
  waitForRows,
} from './helpers.mjs';

const suite = browserSuite();
const { skip, problems, clean } = suite;

const MEMBER = 'bob@company.com';
const MEMBER_PASSWORD = 'bob-web-e2e-password-0123';

let trail;
let browser;
let owner; // a signed-in owner's context, shared by the tests that read
before(async () => ({ trail, browser, owner } = await suite.ready));

async function ownerPage() {
  const page = await owner.newPage();
  return page;
}

test(
  'a visit without a session goes to sign-in and comes back to the address asked for',
  { skip, timeout: 60_000 },
  async () => {
    const context = await newContext(browser, problems);
    const page = await context.newPage();
    await page.goto(`${trail.url}/activity?status=failed`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Login').waitFor();
    await screenshot(page, 'sign-in');

    await page.getByLabel('Login').fill('owner');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong login or password' }).waitFor();

    await page.getByLabel('Password').fill(OWNER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${trail.url}/activity?status=failed`);
    const menu = page.getByRole('button', { name: /^Account: / });
    assert.match(await menu.innerText(), /Account owner[\s\S]*Owner/);
    await menu.click();
    assert.equal(await page.getByRole('menuitem', { name: 'Sign out' }).isVisible(), true);
    await page.keyboard.press('Escape');
    await context.close();
    clean();
  },
);

test(
  'the list is the API’s answer, newest first, with times in the viewer’s time zone',
  { skip, timeout: 60_000 },
  async () => {
    const page = await ownerPage();
    const started = Date.now();
    await page.goto(`${trail.url}/activity?status=failed`);
    await page.waitForFunction(() => document.querySelector('tbody tr'), null, { polling: 'raf' });
    const firstScreen = await page.evaluate(() => Math.round(performance.now()));
    process.stderr.write(
      `# first screen of Activity Logs (status:failed, 50 rows): ${firstScreen} ms after navigation (${Date.now() - started} ms from the test's side)\n`,
    );

    const api = await trail.page('status:failed');
    assert.deepEqual(
      await waitForRows(
        page,
        api.events.map((e) => e.id),
      ),
      api.events.map((e) => e.id),
    );
    const first = page.locator('tbody tr').first();
    const cells = await first.locator('td').allInnerTexts();
    const e = api.events[0];
    assert.equal(cells[0], viewerTime(e.occurred_at));
    assert.equal(cells[1], e.actor.email ?? e.actor.id);
    assert.equal(cells[2], e.action);
    assert.match(cells[4], /Failed/);
    assert.equal(cells[5], e.ip ?? '');

    // Scrolling to the end brings the next page, which the API gives for the cursor.
    const next = await trail.api(
      `/api/v1/events?${new URLSearchParams({ q: 'status:failed', limit: '50', cursor: api.next_cursor, tz: 'Europe/Berlin' })}`,
    );
    await page.locator('.datatable-end').scrollIntoViewIfNeeded();
    const want = [...api.events, ...next.json.events].map((x) => x.id);
    assert.deepEqual(await waitForRows(page, want), want);

    await page.goto(`${trail.url}/activity`);
    await page.locator('tbody tr').first().waitFor();
    await screenshot(page, 'activity-logs');
    await page.close();
    clean();
  },
);

test(
  'the filter bar narrows the list to what the API returns for the same filters',
  { skip, timeout: 60_000 },
  async () => {
    const page = await ownerPage();
    await page.goto(`${trail.url}/activity`);
    await page.locator('tbody tr').first().waitFor();

    const choose = async (filter, option) => {
      await page.locator('.choice-button', { hasText: `${filter}:` }).click();
      await page.locator('.choice-panel').getByLabel(option, { exact: true }).check();
      await page.keyboard.press('Escape');
    };
    await choose('Action', 'updated');
    await choose('Resource', 'database');
    await choose('Status', 'Success');
    // A single choice closes its panel at once.
    await page.locator('.choice-button', { hasText: 'Date:' }).click();
    await page.locator('.choice-panel').getByLabel('Last 30 days').click();
    await page.locator('.choice-button', { hasText: 'User:' }).click();
    await page.locator('.choice-panel').getByLabel('A person (login, email or name)').fill('alice@company.com');
    await screenshot(page, 'filters');
    await page.locator('.choice-panel').getByRole('button', { name: 'Apply' }).click();

    await page.waitForURL((u) => u.searchParams.get('user') === 'alice@company.com');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('action'), 'updated');
    assert.equal(url.searchParams.get('kind'), 'database');
    assert.equal(url.searchParams.get('status'), 'success');
    assert.equal(url.searchParams.get('date'), '30d');

    // Seed 004's advanced search: alice's successful database updates.
    const api = await trail.page('action:updated kind:database user:alice@company.com status:success date:30d');
    assert.ok(api.events.length > 0, 'the demo has such events');
    const want = api.events.map((e) => e.id);
    assert.deepEqual(await waitForRows(page, want), want);
    for (const user of await page.locator('tbody td.col-user').allInnerTexts()) assert.equal(user, 'alice@company.com');

    // A bookmark of this address shows the same.
    const again = await ownerPage();
    await again.goto(page.url());
    assert.deepEqual(await waitForRows(again, want), want);
    await again.close();
    await page.close();
    clean();
  },
);

test('the search box suggests fields and values from the API, and searches', { skip, timeout: 60_000 }, async () => {
  const page = await ownerPage();
  await page.goto(`${trail.url}/activity`);
  await page.locator('tbody tr').first().waitFor();
  const box = page.getByRole('combobox');
  const options = page.getByRole('option');

  await box.click();
  await box.pressSequentially('us');
  await options.filter({ hasText: 'user:' }).first().waitFor();
  await box.press('ArrowDown');
  await box.press('Enter');
  assert.equal(await box.inputValue(), 'user:');

  await box.pressSequentially('ali');
  const alice = options.filter({ hasText: 'alice@company.com' });
  await alice.first().waitFor();
  await screenshot(page, 'search-suggestions');
  await alice.first().click();
  assert.equal(await box.inputValue(), 'user:alice@company.com ');

  await box.pressSequentially('kind:data');
  await options.filter({ hasText: 'database' }).first().click();
  await box.pressSequentially('stat');
  await options.filter({ hasText: 'status:' }).first().click();
  await box.pressSequentially('succ');
  await options.filter({ hasText: 'success' }).first().click();
  await box.press('Enter');

  const q = 'user:alice@company.com kind:database status:success';
  await page.waitForURL((u) => u.searchParams.get('q') === q);
  const api = await trail.page(q);
  assert.ok(api.events.length > 0);
  const want = api.events.map((e) => e.id);
  assert.deepEqual(await waitForRows(page, want), want);

  // Nothing matches: the empty state says so and offers a way out.
  await box.fill('"no such thing anywhere"');
  await box.press('Enter');
  await page.getByRole('heading', { name: 'No events match' }).waitFor();
  await page.getByRole('button', { name: 'Clear the search and filters' }).click();
  await page.waitForURL(`${trail.url}/activity`);
  await page.close();
  clean();
});

test(
  'a search the server cannot understand shows its error at the term at fault',
  { skip, timeout: 60_000 },
  async () => {
    const page = await ownerPage();
    await page.goto(`${trail.url}/activity?status=failed`);
    await page.locator('tbody tr').first().waitFor();
    const box = page.getByRole('combobox');
    await box.fill('alice usr:alice');
    await box.press('Escape');
    await box.press('Enter');
    const problem = page.locator('.search-problem');
    await problem.waitFor();
    assert.match(await problem.innerText(), /Unknown field 'usr'; did you mean 'user'\? \(column 7\)/);
    assert.equal(await problem.locator('mark').innerText(), 'usr:alice');
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('tbody tr').count(), 0, 'no stale rows under an error');
    await screenshot(page, 'search-error');
    await page.close();
    clean();
  },
);

test('an entry opens with its changes highlighted, by mouse and by keyboard', { skip, timeout: 60_000 }, async () => {
  const page = await ownerPage();
  await page.goto(`${trail.url}/activity?action=updated&kind=database`);
  const ids = await rowIds(page);
  const event = (await trail.api(`/api/v1/events/${ids[0]}`)).json;
  assert.ok(event.changes?.changed.length, 'the demo’s updates carry changes');

  await page.locator('tbody tr').first().click();
  const panel = page.locator('.detail');
  await panel.getByRole('heading', { name: 'Changes made' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('event'), ids[0]);
  const changed = event.changes.changed.map((c) => c.field).sort();
  const marked = (side) =>
    panel.locator(`.json-${side} .json-line.is-changed`).evaluateAll((ls) => ls.map((l) => l.dataset.path).sort());
  assert.deepEqual(await marked('before'), changed);
  assert.deepEqual(await marked('after'), changed);
  const list = await panel.getByRole('list', { name: 'Changed fields' }).innerText();
  for (const c of event.changes.changed)
    assert.ok(list.includes(`${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`), list);
  assert.match(await panel.innerText(), new RegExp(event.request_id));

  // Seed 004's example, with a nested field and fields that stay: only what changed is marked.
  const report = await trail.api('/api/v1/events', {
    method: 'POST',
    body: {
      type: 'report-edited',
      actor: { kind: 'user', id: 'alice@company.com', email: 'alice@company.com', name: 'Alice' },
      resource: { kind: 'report', id: 'q2-sales', name: 'Q2 Sales Report' },
      message: 'Renamed the report and shared it',
      changes: {
        before: { title: 'Report', visibility: 'private', owner: 'alice', layout: { columns: 2, theme: 'light' } },
        after: {
          title: 'Q2 Sales Report',
          visibility: 'shared',
          owner: 'alice',
          layout: { columns: 3, theme: 'light' },
        },
      },
    },
  });
  assert.equal(report.status, 201, report.text);
  await page.goto(`${trail.url}/activity?action=updated&kind=database&event=${report.json.events[0].id}`);
  await panel.getByRole('heading', { name: 'Changes made' }).waitFor();
  const nested = ['layout.columns', 'title', 'visibility'];
  assert.deepEqual(await marked('before'), nested);
  assert.deepEqual(await marked('after'), nested);
  const kept = await panel.locator('.json-after .json-line:not(.is-changed)').allInnerTexts();
  assert.ok(kept.some((l) => l.includes('"owner": "alice"')) && kept.some((l) => l.includes('"theme": "light"')), kept);
  await panel.locator('.changes').evaluate((el) => el.parentElement?.scrollIntoView({ block: 'center' }));
  await screenshot(page, 'event-detail');
  await page.goto(`${trail.url}/activity?action=updated&kind=database`);
  assert.deepEqual(await rowIds(page), ids);
  await page.locator('tbody tr').first().click();
  await panel.getByRole('heading', { name: 'Changes made' }).waitFor();

  // Escape closes it and gives the focus back to the row; arrows move, Enter opens.
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await page.waitForFunction((id) => document.activeElement?.getAttribute('data-id') === id, ids[0]);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('event') === ids[1]);
  await panel.getByRole('heading', { level: 2 }).waitFor();

  // A failed run shows its error and stack trace.
  const failed = (await trail.page('type:job-start status:failed', 1)).events[0];
  await page.goto(`${trail.url}/activity?event=${failed.id}&status=failed`);
  await panel.locator('.stack').waitFor();
  assert.equal(await panel.locator('.stack').innerText(), failed.error.stack_trace);
  await page.close();
  clean();
});

test(
  'Export downloads the streamed CSV of the chosen range, as the API counts it',
  { skip, timeout: 60_000 },
  async () => {
    const page = await ownerPage();
    await page.goto(`${trail.url}/activity?status=failed`);
    await page.locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Export' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export activity' });
    await dialog.getByLabel('Last 30 days').check();
    await dialog.getByLabel(/^CSV/).check();
    await screenshot(page, 'export');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^trail-export-\d{8}T\d{6}Z\.csv$/);
    const csv = parseCsv(readFileSync(await download.path(), 'utf8')).filter((r) => r.length > 1);
    const expected = await trail.all('status:failed date:30d');
    assert.deepEqual(csv[0].slice(0, 6), ['timestamp', 'user', 'action', 'resource', 'status', 'ip_address']);
    assert.equal(csv.length - 1, expected.length, 'one row per event the API returns');
    const idColumn = csv[0].indexOf('id');
    assert.deepEqual(
      csv.slice(1).map((r) => r[idColumn]),
      expected.map((e) => e.id),
    );
    await page.getByRole('status').filter({ hasText: 'Export started' }).first().waitFor();
    await page.close();
    clean();
  },
);

test('live mode shows an event posted while watching', { skip, timeout: 60_000 }, async () => {
  const page = await ownerPage();
  await page.goto(`${trail.url}/activity?kind=query`);
  await page.locator('tbody tr').first().waitFor();
  await page.getByRole('button', { name: 'Go live' }).click();
  await page.waitForURL((u) => u.searchParams.get('live') === '1');
  assert.equal(await page.getByRole('button', { name: 'Live' }).getAttribute('aria-pressed'), 'true');

  const posted = await trail.api('/api/v1/events', {
    method: 'POST',
    body: {
      type: 'query-start',
      actor: { kind: 'user', id: 'carol@company.com', email: 'carol@company.com' },
      resource: { id: '42', name: 'Top 10 Customers' },
      duration_ms: 1200,
      params: { rows: 10 },
      message: 'Executed Top 10 Customers while the test watched',
    },
  });
  assert.equal(posted.status, 201, posted.text);
  const id = posted.json.events[0].id;
  const row = page.locator(`tbody tr[data-id="${id}"]`);
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('tbody tr').first().getAttribute('data-id'), id, 'on top');
  assert.match(await row.getAttribute('class'), /is-fresh/);
  await screenshot(page, 'live');
  await page.close();
  clean();
});

test('a resource’s page shows its usage and its last 7 days of activity', { skip, timeout: 60_000 }, async () => {
  const page = await ownerPage();
  const run = (await trail.page('type:query-start date:7d -resource.id:42', 1)).events[0];
  await page.goto(`${trail.url}/activity?event=${run.id}`);
  await page.getByRole('link', { name: 'Activity and usage of this query' }).click();
  const path = `/entities/query/${encodeURIComponent(run.resource.id)}`;
  await page.waitForURL(`${trail.url}${path}`);

  const usage = (await trail.api(`/api/v1/entities/query/${run.resource.id}/usage?days=7&tz=Europe/Berlin`)).json;
  const cards = page.locator('.card');
  await cards.first().waitFor();
  const card = async (label) =>
    (await cards.filter({ hasText: label }).locator('.card-value').innerText()).replace(/,/g, '');
  assert.equal(await card('Events'), String(usage.events));
  assert.equal(await card('Failures'), String(usage.failures));
  assert.equal(await card('People'), String(usage.users));
  const people = await page.getByRole('region', { name: 'Top people' }).locator('li a').allInnerTexts();
  assert.deepEqual(
    people,
    usage.top_users.map((u) => u.label),
  );

  // The chart is drawn from the data, and its tooltip follows the pointer.
  const chart = page.locator('.chart canvas').first();
  await chart.waitFor();
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width - 30, box.y + box.height / 2);
  await page.locator('.chart-tip').waitFor();
  assert.match(await page.locator('.chart-tip').innerText(), /Events\s+[\d,]+/);

  const activity = (
    await trail.api(`/api/v1/entities/query/${run.resource.id}/activity?days=7&limit=50&tz=Europe/Berlin`)
  ).json;
  const want = activity.events.map((e) => e.id);
  assert.deepEqual(await waitForRows(page, want), want);
  assert.match(await page.locator('h1').innerText(), new RegExp(run.resource.name));
  await screenshot(page, 'entity');
  await page.close();
  clean();
});

test('a member sees only their own events and no usage of others', { skip, timeout: 60_000 }, async () => {
  await trail.setPassword(MEMBER, MEMBER_PASSWORD);
  const context = await newContext(browser, problems);
  const page = await context.newPage();
  await signIn(page, trail, MEMBER, MEMBER_PASSWORD);
  await page.waitForURL(`${trail.url}/activity`);
  const ids = await rowIds(page);
  assert.equal(ids.length, 50);
  for (const user of await page.locator('tbody td.col-user').allInnerTexts()) assert.equal(user, MEMBER);
  assert.match(await page.locator('.screen-head').innerText(), /Your own activity/);
  assert.equal(await page.locator('.choice-button', { hasText: 'User:' }).count(), 0, 'no filter by person');
  assert.match(await page.getByRole('button', { name: /^Account: / }).innerText(), /Member/);
  await screenshot(page, 'member');

  // Someone else's event is not there, even by its address.
  const others = (await trail.page('-user:bob@company.com', 1)).events[0];
  await page.goto(`${trail.url}/activity?event=${others.id}`);
  await page
    .locator('.detail')
    .getByRole('alert')
    .filter({ hasText: /no event/i })
    .waitFor();

  // A resource's page shows its activity (theirs) but not its usage (everyone's).
  const mine = (await trail.page('user:bob@company.com kind:query date:7d', 1)).events[0];
  await page.goto(`${trail.url}/entities/query/${mine.resource.id}`);
  await page.getByRole('heading', { name: 'Activity', exact: true }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Usage', exact: true }).count(), 0);
  await context.close();
  clean();
});

test(
  'a new server tells how to send the first event; unknown addresses say so',
  { skip, timeout: 60_000 },
  async () => {
    const fresh = await TrailServer.start(trail.bin);
    try {
      const context = await newContext(browser, problems);
      const page = await context.newPage();
      await signIn(page, fresh, 'owner', OWNER_PASSWORD);
      await page.getByRole('heading', { name: 'Send your first event' }).waitFor();
      const snippet = await page.locator('.snippet').innerText();
      assert.ok(snippet.includes(`${fresh.url}/api/v1/events`), snippet);
      await screenshot(page, 'first-event');

      // The snippet works as shown (with the key), and the guide gives way to the event.
      const posted = await fresh.api('/api/v1/events', {
        method: 'POST',
        body: {
          type: 'query-created',
          actor: { kind: 'user', id: 'alice@company.com' },
          resource: { id: '42', name: 'Top 10 Customers' },
        },
      });
      assert.equal(posted.status, 201);
      await page.reload();
      await page.locator(`tbody tr[data-id="${posted.json.events[0].id}"]`).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Send your first event' }).count(), 0);

      await page.goto(`${fresh.url}/no/such/page`);
      await page.getByRole('heading', { name: 'There is no page here' }).waitFor();
      const api404 = await fetch(`${fresh.url}/api/v1/no-such-endpoint`, {
        headers: { Authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(api404.status, 404);
      assert.equal((await api404.json()).error.code, 'not_found');
      await context.close();
    } finally {
      await fresh.stop();
    }
    clean();
  },
);

test('signing out ends the session', { skip, timeout: 30_000 }, async () => {
  const context = await newContext(browser, problems);
  const page = await context.newPage();
  await signIn(page, trail, 'owner', OWNER_PASSWORD);
  await page.getByRole('button', { name: /^Account: / }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(`${trail.url}/sign-in`);
  await page.goto(`${trail.url}/activity`);
  await page.waitForURL(/\/sign-in\?next=%2Factivity/);
  await context.close();
  clean();
});
