// The Settings screens end to end (issue 7): a real `trail serve --demo`, the
// system Chromium, and every change checked through the HTTP API (and, for
// logging settings, through what ingest then keeps).

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite, newContext, screenshot, signIn } from './helpers.mjs';

const suite = browserSuite();
const { skip, problems, clean } = suite;

let trail;
let browser;
let owner;
before(async () => ({ trail, browser, owner } = await suite.ready));

const MEMBER = 'bob@company.com';
const MEMBER_PASSWORD = 'bob-settings-e2e-password';

async function settingsPage(section) {
  const page = await owner.newPage();
  await page.goto(`${trail.url}/settings/${section}`);
  await page.locator('.settings-main h1').waitFor();
  return page;
}

/** A JSON answer of the API (with the admin key), asserting its status. */
async function apiJson(path, status = 200) {
  const r = await trail.api(path);
  assert.equal(r.status, status, r.text);
  return r.json;
}

/** Polls the API until `check(answer)` holds; the last answer. */
async function eventually(path, check, what) {
  const deadline = Date.now() + 10_000;
  let got;
  while (Date.now() < deadline) {
    got = await apiJson(path);
    if (check(got)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: the API still answers ${JSON.stringify(got).slice(0, 600)}`);
}

test(
  'a member has no Settings, is refused at its address, and the API refuses them too',
  { skip, timeout: 60_000 },
  async () => {
    await trail.setPassword(MEMBER, MEMBER_PASSWORD);
    const context = await newContext(browser, problems);
    const page = await context.newPage();
    // A signed-out visit goes to sign-in quietly: no 401 in the console.
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`${trail.url}/settings/people`);
    await page.waitForURL(/\/sign-in\?next=%2Fsettings%2Fpeople/);
    await page.getByLabel('Login').waitFor();
    assert.deepEqual(consoleErrors, [], 'a signed-out visit logs nothing');

    await page.getByLabel('Login').fill(MEMBER);
    await page.getByLabel('Password').fill(MEMBER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${trail.url}/settings/people`);
    await page.getByRole('heading', { name: 'You are not allowed to open this page' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Settings' }).count(), 0, 'no Settings entry');
    assert.equal(await page.locator('.settings-table').count(), 0);
    await screenshot(page, 'settings-refused');

    const refused = await page.evaluate(async () => {
      const r = await fetch('/api/v1/users');
      return { status: r.status, body: await r.json() };
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    await context.close();
    clean();
  },
);

test('an owner adds a person, puts them in a group and changes their role', { skip, timeout: 90_000 }, async () => {
  const page = await settingsPage('people');
  assert.equal(
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .getAttribute('aria-current'),
    'page',
  );
  const everyone = await apiJson('/api/v1/users');
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('tbody tr').count(), everyone.length);
  await screenshot(page, 'settings-people');

  await page.getByRole('button', { name: 'Add a person' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a person' });
  await dialog.getByLabel('Login').fill('nina@company.com');
  await dialog.getByLabel('Name').fill('Nina');
  await dialog.getByLabel('E-mail').fill('nina@company.com');
  await dialog.getByLabel('Role').selectOption('member');
  await dialog.getByLabel('Password', { exact: true }).fill('too short');
  await dialog.getByRole('checkbox', { name: 'bi' }).check();
  await dialog.getByRole('button', { name: 'Add the person' }).click();
  // Refused: the field the API names says what was wrong.
  const password = dialog.getByLabel('Password', { exact: true });
  await dialog.getByRole('alert').filter({ hasText: 'password must be at least 12 characters' }).waitFor();
  assert.equal(await password.getAttribute('aria-invalid'), 'true');
  assert.equal((await apiJson('/api/v1/users')).length, everyone.length, 'nothing was added');
  assert.doesNotMatch(await dialog.innerText(), /Only owners make owners/, 'an owner may');
  await screenshot(page, 'settings-person');

  await password.fill('nina-settings-e2e-password');
  await dialog.getByRole('button', { name: 'Add the person' }).click();
  await page.getByRole('status').filter({ hasText: 'Added nina@company.com as Member.' }).waitFor();
  const nina = (await apiJson('/api/v1/users')).find((p) => p.login === 'nina@company.com');
  assert.deepEqual([nina.name, nina.email, nina.role], ['Nina', 'nina@company.com', 'member']);
  const bi = (await apiJson('/api/v1/groups')).find((g) => g.name === 'bi');
  assert.ok(bi.members.includes('nina@company.com'), JSON.stringify(bi));
  const row = page.locator('tr[data-login="nina@company.com"]');
  assert.match(await row.innerText(), /Nina[\s\S]*Member[\s\S]*bi/);

  // Change her role, with the change spelled out before saving.
  await page.getByLabel('Find').fill('nina');
  assert.equal(await page.locator('tbody tr').count(), 1);
  await row.getByRole('button', { name: 'Edit nina@company.com' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit nina@company.com' });
  await edit.getByLabel('Role').selectOption('admin');
  assert.match(await edit.locator('.field-hint').filter({ hasText: '→' }).innerText(), /Member → Admin/);
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved the changes to nina@company.com.' }).waitFor();
  assert.equal((await apiJson('/api/v1/users')).find((p) => p.login === 'nina@company.com').role, 'admin');
  assert.match(await row.innerText(), /Admin/);
  const changed = await trail.page('type:user-role-changed resource.id:nina@company.com', 5);
  assert.equal(changed.events.length, 1, 'the change is in the log');
  assert.equal(changed.events[0].message, 'Changed "nina@company.com" role to admin');
  await page.close();

  // Nina, now an admin, has Settings but may not make or change owners.
  const context = await newContext(browser, problems);
  const hers = await context.newPage();
  await signIn(hers, trail, 'nina@company.com', 'nina-settings-e2e-password');
  await hers.goto(`${trail.url}/settings/people`);
  const ownerRow = hers.locator('tr[data-login="owner"]');
  await ownerRow.waitFor();
  assert.equal(await ownerRow.getByRole('button').count(), 0, 'no change offered on an owner');
  assert.match(await ownerRow.innerText(), /Owners only/);
  await hers.locator('tr[data-login="bob@company.com"]').getByRole('button', { name: /^Edit/ }).click();
  const roles = await hers
    .getByRole('dialog')
    .getByLabel('Role')
    .locator('option')
    .evaluateAll((o) => o.map((x) => x.value));
  assert.deepEqual(roles, ['admin', 'member', 'auditor']);
  assert.match(await hers.getByRole('dialog').innerText(), /Only owners make owners/);
  await context.close();
  clean();
});

test(
  'groups: create one inside another, add a member, remove one after confirming',
  { skip, timeout: 60_000 },
  async () => {
    const page = await settingsPage('groups');
    await page.locator('tr[data-group="data-team"]').waitFor();
    await page.getByRole('button', { name: 'New group' }).click();
    const create = page.getByRole('dialog', { name: 'New group' });
    await create.getByLabel('Name').fill('analysts');
    await create.getByLabel('Inside').selectOption('data-team');
    await create.getByRole('button', { name: 'Create the group' }).click();
    await page.getByRole('status').filter({ hasText: 'Created the group analysts.' }).waitFor();
    let analysts = (await apiJson('/api/v1/groups')).find((g) => g.name === 'analysts');
    assert.deepEqual([analysts.parent, analysts.members], ['data-team', []]);
    // Shown in the tree right under its parent's subtree.
    const order = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.group));
    assert.equal(order[order.indexOf('data-team') + 1], 'analysts', order.join(' '));

    await page.getByRole('button', { name: 'Add a member to analysts' }).click();
    const add = page.getByRole('dialog', { name: 'Add a member to analysts' });
    await add.getByLabel('Person').fill('nobody@nowhere');
    await add.getByRole('button', { name: 'Add to the group' }).click();
    await add.getByRole('alert').filter({ hasText: 'No person “nobody@nowhere” in this account' }).waitFor();
    await add.getByLabel('Person').fill('carol@company.com');
    await add.getByRole('button', { name: 'Add to the group' }).click();
    await page.getByRole('status').filter({ hasText: 'Added carol@company.com to analysts.' }).waitFor();
    analysts = (await apiJson('/api/v1/groups')).find((g) => g.name === 'analysts');
    assert.deepEqual(analysts.members, ['carol@company.com']);
    await screenshot(page, 'settings-groups');

    await page.getByRole('button', { name: 'Remove carol@company.com from analysts' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove carol@company.com from analysts?' });
    // Cancel changes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual((await apiJson('/api/v1/groups')).find((g) => g.name === 'analysts').members, [
      'carol@company.com',
    ]);
    await page.getByRole('button', { name: 'Remove carol@company.com from analysts' }).click();
    await confirm.getByRole('button', { name: 'Remove from the group' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed carol@company.com from analysts.' }).waitFor();
    assert.deepEqual((await apiJson('/api/v1/groups')).find((g) => g.name === 'analysts').members, []);
    await page.close();
    clean();
  },
);

test(
  'an API key is shown once on creation, listed by name and prefix after, and revoked after confirming',
  { skip, timeout: 60_000 },
  async () => {
    const page = await settingsPage('keys');
    await page.locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Create a key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a key' });
    await dialog.getByLabel('Name').fill('checkout-service');
    await dialog.getByRole('radio', { name: /^Ingest/ }).check();
    await dialog.getByLabel('Allowed from (optional)').fill('10.0.0.0/8, not-an-address');
    await dialog.getByRole('button', { name: 'Create the key' }).click();
    const ips = dialog.getByLabel('Allowed from (optional)');
    await dialog.getByRole('alert').filter({ hasText: 'allowed_ips: "not-an-address" is not a CIDR range' }).waitFor();
    assert.equal(await ips.getAttribute('aria-invalid'), 'true');
    await ips.fill('127.0.0.1/32\n10.0.0.0/8');
    await dialog.getByRole('button', { name: 'Create the key' }).click();

    const shown = page.getByRole('dialog', { name: 'Your new key: checkout-service' });
    const secret = await shown.getByLabel('The key').inputValue();
    assert.match(secret, /^trail_/);
    assert.match(await shown.innerText(), /shown only this once/);
    await screenshot(page, 'settings-key-created');
    // The key works: it sends events.
    const sent = await trail.api('/api/v1/events', {
      method: 'POST',
      key: secret,
      body: { type: 'log', actor: { kind: 'service_account', id: 'checkout' }, message: 'hello' },
    });
    assert.equal(sent.status, 201, sent.text);
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.getByRole('dialog').count(), 0);

    const listed = (await apiJson('/api/v1/keys')).find((k) => k.name === 'checkout-service');
    assert.equal(listed.secret, undefined, 'the API never shows it again');
    assert.ok(secret.startsWith(listed.prefix), `${listed.prefix} is how the secret starts`);
    assert.deepEqual(listed.allowed_ips, ['127.0.0.1/32', '10.0.0.0/8']);

    // Gone after a reload: the list has its name and prefix only.
    await page.reload();
    const row = page.locator(`tr[data-key="${listed.id}"]`);
    await row.waitFor();
    assert.equal((await page.content()).includes(secret), false, 'the secret is nowhere in the page');
    const cells = await row.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 5), [
      'checkout-service',
      `${listed.prefix}…`,
      'Ingest',
      'the account',
      '127.0.0.1/32, 10.0.0.0/8',
    ]);
    await screenshot(page, 'settings-keys');

    await row.getByRole('button', { name: 'Revoke checkout-service' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke checkout-service?' });
    await confirm.getByRole('button', { name: 'Revoke the key' }).click();
    await page.getByRole('status').filter({ hasText: 'Revoked the key checkout-service' }).waitFor();
    const revoked = (await apiJson('/api/v1/keys')).find((k) => k.id === listed.id);
    assert.ok(revoked.revoked_at, 'revoked');
    const refused = await trail.api('/api/v1/events', {
      method: 'POST',
      key: secret,
      body: { type: 'log', actor: { kind: 'service_account', id: 'checkout' }, message: 'again' },
    });
    assert.equal(refused.status, 401);
    // It moved to the revoked keys.
    assert.equal(await page.locator(`.live-keys tr[data-key="${listed.id}"]`).count(), 0);
    await page.locator('summary', { hasText: 'Revoked and expired keys' }).click();
    assert.match(await page.locator(`details tr[data-key="${listed.id}"]`).innerText(), /revoked/);
    await page.close();
    clean();
  },
);

test(
  'a logging setting changed in the browser is what the API reports and what ingest then keeps',
  { skip, timeout: 90_000 },
  async () => {
    const BOB = 'bob@company.com';
    const page = await settingsPage('logging');
    const rules = page.locator('.rule-list');
    assert.match(await rules.innerText(), /Everyone else \(the account default\)\s*Standard \(nothing set\)/);

    // What Bob gets before: Standard, since nothing applies.
    const effective = page.locator('.effective');
    await effective.getByLabel('Person').fill(BOB);
    await effective.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/who=bob%40company.com/);
    await effective.locator('.effective-verdict').filter({ hasText: 'no setting applies to them' }).waitFor();
    assert.match(await effective.locator('.precedence li.is-won').innerText(), /^Standard/);

    // A setting of his own: Custom, `log` off, viewer-rendered (debug-level) on, query-start throttled.
    await page.getByLabel('Login').fill(BOB);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(/rule=user%3Abob%40company.com/);
    const editor = page.locator('.policy-editor');
    await editor.getByText('New, not saved yet').waitFor();
    const record = (type) => editor.getByRole('checkbox', { name: `Record ${type}`, exact: true });
    assert.equal(await record('log').isDisabled(), true, 'Standard switches nothing one by one');
    assert.equal(await record('viewer-rendered').isChecked(), false, 'Standard leaves debug-level types out');
    await editor.getByRole('radio', { name: /^Custom/ }).check();
    await record('log').uncheck();
    await record('viewer-rendered').check();
    const throttle = editor.getByLabel('Throttle window of query-start, in seconds');
    await throttle.fill('100000');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('alert').filter({ hasText: 'The throttle window of query-start must be' }).waitFor();
    assert.equal(await throttle.getAttribute('aria-invalid'), 'true');
    assert.equal((await apiJson('/api/v1/settings/logging')).users[BOB], undefined, 'nothing saved');
    await throttle.fill('60');
    await editor.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved the setting of ${BOB}.` })
      .waitFor();

    const saved = (await apiJson('/api/v1/settings/logging')).users[BOB];
    assert.deepEqual(saved, {
      level: 'custom',
      enable: ['viewer-rendered'],
      disable: ['log'],
      throttle: { 'query-start': 60 },
    });
    const api = await apiJson(`/api/v1/logging-settings/effective?user=${encodeURIComponent(BOB)}`);
    assert.deepEqual(api.source, { from: 'user' });
    assert.deepEqual([api.disabled_types, api.debug, api.debug_types], [['log'], false, ['viewer-rendered']]);
    assert.match(await rules.innerText(), /bob@company.com\s*Custom: 1 off, 1 on · 1 throttled/);

    // The panel below, asked again after the save, says which setting won and what it does.
    await effective.locator('.effective-verdict').filter({ hasText: 'their own setting' }).waitFor();
    assert.match(await effective.locator('.precedence li.is-won').innerText(), /^Their own setting/);
    const facts = await effective.locator('.facts').innerText();
    assert.match(facts, /Not recorded\s*log/);
    assert.match(facts, /Debug-level events\s*recorded only for viewer-rendered/);
    assert.match(facts, /Throttled\s*query-start: one per 1 min/);
    await effective.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-logging-effective');
    await editor.locator('tr[data-type="log"]').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'settings-logging');

    // Ingest keeps to it: Bob's `log` is dropped, his second query-start within the window too.
    const bob = { kind: 'user', id: BOB };
    const sent = await trail.api('/api/v1/events', {
      method: 'POST',
      body: [
        { type: 'log', actor: bob, message: 'dropped' },
        { type: 'query-start', actor: bob, resource: { kind: 'query', id: 'q1' } },
        { type: 'query-start', actor: bob, resource: { kind: 'query', id: 'q1' } },
        { type: 'log', actor: { kind: 'user', id: 'carol@company.com' }, message: 'kept' },
      ],
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.accepted, 2);
    assert.deepEqual(
      sent.json.dropped.map((d) => d.reason),
      ['disabled', 'throttled'],
    );

    // A group's setting reaches its members without one of their own.
    await page.getByLabel('For a').selectOption('group');
    await page.getByLabel('Group name').fill('bi');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(/rule=group%3Abi/);
    await editor.getByRole('radio', { name: /^Verbose/ }).check();
    assert.equal(await record('viewer-rendered').isChecked(), true, 'Verbose records debug-level types');
    await editor.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the setting of Group bi.' }).waitFor();
    await effective.getByLabel('Person').fill('erin@company.com');
    await effective.getByRole('button', { name: 'Show' }).click();
    await effective.locator('.effective-verdict').filter({ hasText: 'from the group bi' }).waitFor();
    assert.match(
      await effective.locator('.precedence li.is-won').innerText(),
      /Their nearest group with a setting\s*bi: Verbose/,
    );
    const erin = await apiJson('/api/v1/logging-settings/effective?user=erin%40company.com');
    assert.deepEqual([erin.source, erin.debug], [{ from: 'group', name: 'bi' }, true]);

    // Removing Bob's own setting, after confirming, hands him to his group's.
    await page.goto(`${trail.url}/settings/logging?rule=user%3Abob%40company.com`);
    await editor.getByRole('button', { name: 'Remove this setting' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove the setting' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Removed the setting of ${BOB}.` })
      .waitFor();
    assert.equal((await apiJson('/api/v1/settings/logging')).users[BOB], undefined);
    assert.deepEqual((await apiJson(`/api/v1/logging-settings/effective?user=${encodeURIComponent(BOB)}`)).source, {
      from: 'group',
      name: 'bi',
    });
    await page.close();
    clean();
  },
);

test(
  'a redaction rule edited in the browser changes the live preview before it is saved, and ingest after',
  { skip, timeout: 60_000 },
  async () => {
    const before = await apiJson('/api/v1/settings/redaction');
    assert.equal(before.patterns.includes('email'), false, 'the defaults keep e-mail addresses');
    const page = await settingsPage('redaction');
    const preview = page.locator('.redaction-preview');
    const stored = preview.locator('.preview-stored pre');
    const line = (field) => stored.locator(`.json-line[data-path="${field}"]`);
    await line('params.api_token').waitFor();
    // The saved rules: the token's name and the card's digits are hidden, the e-mail address is not.
    assert.match(await line('params.api_token').innerText(), /"api_token": "\[REDACTED\]"/);
    assert.match(await line('params.card').innerText(), /"card": "\[REDACTED\]"/);
    assert.match(await line('params.contact').innerText(), /"contact": "alice@company.com"/);
    assert.match(await line('params.database').innerText(), /"database": "sales_db"/);
    assert.match(await line('message').innerText(), /password_hash=\[REDACTED\]/);
    assert.match(await line('error.message').innerText(), /Bearer \[REDACTED\]/);
    assert.match(await line('params.api_token').getAttribute('class'), /is-changed/);
    assert.doesNotMatch(await line('params.database').getAttribute('class'), /is-changed/);

    // Turning on e-mail addresses and naming `database` change the preview at once, unsaved.
    await page.getByRole('checkbox', { name: /^E-mail addresses/ }).check();
    await page.getByLabel('A new secret name').fill('database');
    await page.getByRole('button', { name: 'Add the name' }).click();
    await line('params.database').filter({ hasText: '[REDACTED]' }).waitFor();
    await line('params.contact').filter({ hasText: '[REDACTED]' }).waitFor();
    assert.match(await preview.getByRole('status').innerText(), /by your unsaved rules/);
    assert.equal(await page.getByText('Unsaved changes').count(), 1);
    assert.deepEqual(await apiJson('/api/v1/settings/redaction'), before, 'nothing saved yet');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'settings-redaction');

    // So does editing the sample.
    const sample = preview.getByLabel('A sample event (JSON, as a client sends it)');
    await sample.fill('{"type": "log", "message": "pwd: hunter2 for bob", "params": {"Database": "hr", "rows": 3}');
    await preview.getByRole('alert').filter({ hasText: 'The sample is not valid JSON' }).waitFor();
    assert.equal(await sample.getAttribute('aria-invalid'), 'true');
    await sample.fill('{"type": "log", "message": "pwd: hunter2 for bob", "params": {"Database": "hr", "rows": 3}}');
    await line('message').filter({ hasText: 'pwd: [REDACTED] for bob' }).waitFor();
    assert.match(await line('params.Database').innerText(), /"Database": "\[REDACTED\]"/);
    assert.match(await line('params.rows').innerText(), /"rows": 3/);
    await sample.fill(
      JSON.stringify(
        { type: 'log', message: 'for alice@company.com', params: { database: 'hr', api_token: 'x' } },
        null,
        2,
      ),
    );
    await line('params.database').filter({ hasText: '[REDACTED]' }).waitFor();

    // A name the API refuses is marked, with its words.
    await page.getByLabel('A new secret name').fill('x'.repeat(101));
    await page.getByRole('button', { name: 'Add the name' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .locator('.redaction-rules')
      .getByRole('alert')
      .filter({ hasText: 'must be 1 to 100 characters' })
      .waitFor();
    const long = page.locator('.name-list input[aria-invalid="true"]');
    assert.equal(await long.inputValue(), 'x'.repeat(101));
    await page.getByRole('button', { name: `Remove the name ${'x'.repeat(101)}` }).click();

    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Saved. Events sent from now on are redacted with these rules.' })
      .waitFor();
    const after = await apiJson('/api/v1/settings/redaction');
    assert.deepEqual(after.names, [...before.names, 'database']);
    assert.deepEqual(after.patterns, [...before.patterns, 'email']);

    // What ingest stores follows the saved rules.
    const sent = await trail.api('/api/v1/events', {
      method: 'POST',
      body: {
        type: 'log',
        actor: { kind: 'user', id: 'carol@company.com' },
        params: { database: 'hr', who: 'carol@company.com' },
      },
    });
    assert.equal(sent.status, 201, sent.text);
    const event = await apiJson(`/api/v1/events/${sent.json.events[0].id}`);
    assert.deepEqual(event.params, { database: '[REDACTED]', who: '[REDACTED]' });
    await page.close();
    clean();
  },
);

test(
  'visibility: an owner keeps searches to owners and grants an auditor a search; an admin sees them read-only',
  { skip, timeout: 90_000 },
  async () => {
    const AUDITOR = 'judy@company.com';
    assert.equal((await apiJson('/api/v1/users')).find((p) => p.login === AUDITOR).role, 'auditor');
    const page = await settingsPage('visibility');
    await page.getByText('None: admins see every event.').waitFor();

    await page.getByLabel('A new owner-only search').fill('usr:owner');
    await page.getByRole('button', { name: 'Add the search' }).click();
    await page.getByRole('button', { name: 'Add a grant' }).click();
    const grant = page.locator(`tr[data-auditor="${AUDITOR}"]`);
    await grant.getByLabel(`Search granted to ${AUDITOR}`).fill('kind:database');
    await grant.getByLabel(/^Last day of/).fill('2099-12-31');
    await page.getByRole('button', { name: 'Save' }).click();
    // The API cannot read the search, and says where: the input is marked.
    await page.getByRole('alert').filter({ hasText: 'owner_only: "usr:owner"' }).waitFor();
    const search = page.getByLabel('Owner-only search 1');
    assert.equal(await search.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await apiJson('/api/v1/settings/visibility'), { owner_only: [], grants: {} }, 'nothing saved');

    const OWNERS = 'user:owner type:user-signed-in,user-sign-in-failed';
    await search.fill(OWNERS);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. Every read from now on follows these rules.' }).waitFor();
    const rules = await apiJson('/api/v1/settings/visibility');
    assert.deepEqual(rules.owner_only, [OWNERS]);
    assert.equal(rules.grants[AUDITOR].query, 'kind:database');
    // The end of 2099-12-31 in the viewer's time zone (Europe/Berlin, UTC+1 in winter).
    assert.equal(Date.parse(rules.grants[AUDITOR].until), Date.parse('2099-12-31T23:00:00Z'));
    await screenshot(page, 'settings-visibility');
    await page.close();

    // The auditor now reads database events only (through a read key of hers, made with the admin key).
    const key = await trail.api('/api/v1/keys', {
      method: 'POST',
      body: { name: 'judy reads', scope: 'read', user: AUDITOR },
    });
    assert.equal(key.status, 201, key.text);
    const seen = await trail.api('/api/v1/events?limit=50', { key: key.json.secret });
    assert.equal(seen.status, 200, seen.text);
    assert.ok(seen.json.events.length > 0);
    for (const e of seen.json.events) assert.equal(e.resource?.kind, 'database', JSON.stringify(e));

    // An admin sees the rules, read-only, and the API refuses her change anyway.
    const ALICE_PASSWORD = 'alice-settings-e2e-password';
    await trail.setPassword('alice@company.com', ALICE_PASSWORD);
    const context = await newContext(browser, problems);
    const hers = await context.newPage();
    await signIn(hers, trail, 'alice@company.com', ALICE_PASSWORD);
    await hers.goto(`${trail.url}/settings/visibility`);
    await hers.getByText('Only owners change these rules').waitFor();
    const field = hers.getByLabel('Owner-only search 1');
    assert.equal(await field.inputValue(), OWNERS);
    assert.equal(await field.getAttribute('readonly'), '');
    assert.equal(await hers.getByRole('button', { name: 'Save' }).count(), 0);
    assert.equal(await hers.getByRole('button', { name: 'Add a grant' }).count(), 0);
    const refused = await hers.evaluate(async () => {
      const csrf = document.cookie.match(/trail_csrf=([^;]+)/)?.[1] ?? '';
      const r = await fetch('/api/v1/settings/visibility', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ owner_only: [], grants: {} }),
      });
      return r.status;
    });
    assert.equal(refused, 403);
    assert.deepEqual((await apiJson('/api/v1/settings/visibility')).owner_only, [OWNERS]);
    await context.close();
    clean();
  },
);
