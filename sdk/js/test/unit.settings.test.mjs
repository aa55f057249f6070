// The user's logging settings (the server's rule, when they are read) and sessions.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, TrailClient } from '../dist/index.js';
import { FakeClock, FakeStorage, fakeTrail, stored, testOptions, until } from './helpers.mjs';

const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

function client(trail, extra = {}) {
  const { options, warnings } = testOptions(trail, extra);
  const c = new TrailClient(options);
  return { c, logger: new Logger(null, { client: c }), warnings };
}

const settingsCalls = (trail) => trail.requests.filter((r) => r.path === '/api/v1/logging-settings/effective');
const answer = (body) => ({ status: 200, body: { user: 'alice', refresh_seconds: 3, ...body } });

test("the server's rule: disabled types never go; debug messages only with debug or for debug_types; other levels of any type go", async () => {
  const trail = fakeTrail({
    onSettings: () => answer({ disabled_types: ['project-opened'], debug: false, debug_types: ['sync-traced'] }),
  });
  const { c, logger } = client(trail, { user: 'alice@company.com' });
  await until(() => c.effectiveSettings !== undefined);
  logger.log('kept');
  logger.log('disabled', {}, 'project-opened');
  logger.warning('disabled at any level', {}, 'project-opened');
  logger.debug('debug of a plain type');
  logger.debug('debug of a debug type', {}, 'sync-traced');
  logger.log('info of a type whose catalogue level is debug', {}, 'viewer-rendered');
  logger.debug('debug of that type', {}, 'viewer-rendered');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => `${e.type}/${e.level}`), ['log/info', 'sync-traced/debug', 'viewer-rendered/info']);
  assert.equal(c.stats().dropped.disabled, 4);
  const [s] = settingsCalls(trail);
  assert.equal(s.query, 'user=alice%40company.com');
  assert.equal(s.method, 'GET');
  assert.equal(s.headers.Authorization, 'Bearer trail_ingest_test_key');
  assert.deepEqual(c.effectiveSettings.debug_types, ['sync-traced']);
  await c.shutdown();

  // debug: true records debug messages of every type.
  const verbose = fakeTrail({ onSettings: () => answer({ disabled_types: [], debug: true, debug_types: [] }) });
  const v = client(verbose, { user: 'alice' });
  await until(() => v.c.effectiveSettings !== undefined);
  v.logger.debug('sent');
  assert.equal(await v.c.flush(3000), true);
  assert.equal(verbose.received.length, 1);
  await v.c.shutdown();
});

test('events queued before the settings arrived are dropped once they are known', async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const trail = fakeTrail({
    onSettings: async () => {
      await gate;
      return answer({ disabled_types: ['noisy'], debug: false, debug_types: [] });
    },
  });
  const { c, logger } = client(trail, { user: 'alice', flushIntervalMs: 60_000 });
  logger.log('early noisy', {}, 'noisy');
  logger.log('early kept');
  release();
  await until(() => c.effectiveSettings !== undefined);
  assert.equal(c.stats().queued, 1);
  assert.equal(c.stats().dropped.disabled, 1);
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['early kept']);
  await c.shutdown();
});

test('settings refused (401/403/404) or unreachable: everything is sent; asked again after settingsRetryMs, before a send', async () => {
  for (const status of [401, 403, 404, 'network']) {
    const clock = new FakeClock();
    let calls = 0;
    const trail = fakeTrail({
      clock,
      onSettings: () => (++calls > 1
        ? answer({ disabled_types: ['my_type'], debug: false, debug_types: [] })
        : status === 'network' ? new TypeError('fetch failed') : { status, body: { error: { code: 'forbidden', message: 'no' } } }),
    });
    const { c, logger, warnings } = client(trail, { user: 'alice', settingsRetryMs: 10_000, clock });
    logger.debug('debug sent');
    logger.log('custom sent', {}, 'my_type');
    assert.equal(await clock.until(c.flush()), true);
    assert.deepEqual(trail.received.map((e) => e.message), ['debug sent', 'custom sent']);
    if (status !== 'network') assert.ok(warnings.some((w) => w.includes(`not available to this key (${status})`)), warnings.join('\n'));
    await clock.advance(9_000);
    logger.log('sent before the retry is due');
    await clock.until(c.flush());
    assert.equal(calls, 1, 'not asked again before settingsRetryMs');
    await clock.advance(60_000);
    assert.equal(calls, 1, 'not asked again while nothing is sent');
    logger.log('still sent');
    await clock.until(c.flush());
    assert.equal(calls, 2, 'asked again before that send');
    logger.debug('now dropped');
    logger.log('now dropped', {}, 'my_type');
    logger.log('sent too');
    await clock.until(c.flush());
    assert.deepEqual(trail.received.map((e) => e.message).slice(3), ['still sent', 'sent too']);
    c.detach();
  }
});

test('settings are read again at most once a minute, only before a send, never while the page is hidden', async () => {
  const clock = new FakeClock();
  const trail = fakeTrail({ clock, onSettings: () => answer({ disabled_types: [], debug: true, debug_types: [] }) });
  const { c, logger } = client(trail, { user: 'alice', clock });
  await clock.advance(10);
  assert.equal(settingsCalls(trail).length, 1, 'read once the user is known');
  for (let i = 0; i < 59; i++) {
    logger.log(`m${i}`); // a send every second; refresh_seconds is 3
    await clock.advance(1000);
  }
  assert.equal(settingsCalls(trail).length, 1, 'not within the minute');
  await clock.advance(120_000);
  assert.equal(settingsCalls(trail).length, 1, 'not without a send');
  globalThis.document = { visibilityState: 'hidden' };
  try {
    logger.log('from a hidden page');
    await clock.advance(1000);
    assert.equal(trail.received.at(-1).message, 'from a hidden page');
    assert.equal(settingsCalls(trail).length, 1, 'not while hidden');
  } finally {
    delete globalThis.document;
  }
  logger.log('visible again');
  await clock.advance(1000);
  assert.equal(settingsCalls(trail).length, 2, 'read before this send');
  c.detach();
});

test('sessions: reused from session storage; a failed start still sends; an unknown session is replaced', async () => {
  // Reused.
  const sessionStorage = new FakeStorage();
  sessionStorage.setItem('trail-logger:session:http://trail.test:alice', '01a20973-9c0c-7453-80cf-aaaaaaaaaaaa');
  const t1 = fakeTrail();
  const { c: c1, logger: l1 } = client(t1, { user: 'alice', sessionStorage });
  l1.log('x');
  await c1.flush(3000);
  assert.equal(t1.received[0].session_id, '01a20973-9c0c-7453-80cf-aaaaaaaaaaaa');
  assert.equal(t1.requests.filter((r) => r.path === '/api/v1/sessions').length, 0);
  await c1.shutdown();

  // The session cannot be started: events go without one.
  const t2 = fakeTrail({ onSession: () => ({ status: 503, body: 'down' }) });
  const { c: c2, logger: l2, warnings } = client(t2, { user: 'bob' });
  l2.log('y');
  assert.equal(await c2.flush(3000), true);
  assert.equal(t2.received[0].session_id, undefined);
  assert.ok(warnings.some((w) => /could not start a session/.test(w)));
  await c2.shutdown();

  // The server does not know the stored session (a new database): sent without it, a new one started.
  let calls = 0;
  const store = new FakeStorage();
  store.setItem('trail-logger:session:http://trail.test:carol', '01a20973-9c0c-7453-80cf-bbbbbbbbbbbb');
  const t3 = fakeTrail({
    onEvents: (batch) => (++calls === 1
      ? { status: 400, body: { error: { code: 'invalid_events', message: '', details: batch.map((_, index) => ({ index, field: 'session_id', message: 'no session' })) } } }
      : stored(batch)),
  });
  const { c: c3, logger: l3 } = client(t3, { user: 'carol', sessionStorage: store });
  l3.log('z');
  assert.equal(await c3.flush(3000), true);
  assert.equal(t3.received.length, 1);
  assert.equal(t3.received[0].session_id, undefined);
  assert.equal(t3.eventRequests()[0].events[0].id, t3.received[0].id, 'the same event, without the session');
  assert.equal(c3.stats().dropped.invalid, 0);
  l3.log('after');
  await c3.flush(3000);
  assert.equal(t3.requests.filter((r) => r.path === '/api/v1/sessions').length, 1, 'a new session was started');
  assert.match(t3.received[1].session_id, /^01a20973-9c0c-7453-80cf-0000/);
  assert.equal(store.getItem('trail-logger:session:http://trail.test:carol'), t3.received[1].session_id);
  await c3.shutdown();
});

test('an event logged while the session starts waits for it only briefly', async () => {
  const clock = new FakeClock();
  const trail = fakeTrail({ clock, onSession: () => new Promise(() => {}) }); // never answers
  const { c, logger } = client(trail, { user: 'dan', clock, flushIntervalMs: undefined });
  const t0 = clock.now();
  logger.log('not held back');
  await clock.advance(1000);
  const [first] = trail.eventRequests();
  assert.equal(first.at - t0, 500, 'sent half a second after the session start began, without it');
  assert.equal(first.events[0].session_id, undefined);
  c.detach();
});
