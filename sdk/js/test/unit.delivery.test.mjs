import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, TrailClient, parseRetryAfter } from '../dist/index.js';
import { FakeStorage, fakeTrail, sleep, stored, testOptions, until } from './helpers.mjs';

const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

const refused = () => new TypeError('fetch failed');

function client(trail, extra = {}) {
  const { options, warnings } = testOptions(trail, extra);
  const c = new TrailClient(options);
  return { c, logger: new Logger(null, { client: c }), warnings };
}

test('batching by size: a full batch goes at once, the rest waits for the timer', async () => {
  const trail = fakeTrail();
  const { c, logger } = client(trail, { batchSize: 10, flushIntervalMs: 60_000 });
  for (let i = 0; i < 25; i++) logger.log(`m${i}`);
  await until(() => trail.received.length === 20, 1000, 'two full batches');
  await sleep(100);
  assert.deepEqual(trail.eventRequests().map((r) => r.events.length), [10, 10]);
  assert.equal(c.stats().queued, 5);
  assert.equal(await c.flush(1000), true);
  assert.deepEqual(trail.eventRequests().map((r) => r.events.length), [10, 10, 5]);
  assert.deepEqual(trail.received.map((e) => e.message), Array.from({ length: 25 }, (_, i) => `m${i}`));
  await c.shutdown();
});

test('batching by time: a partial batch goes after flushIntervalMs', async () => {
  const trail = fakeTrail();
  const { c, logger } = client(trail, { batchSize: 50, flushIntervalMs: 150 });
  const start = Date.now();
  logger.log('a');
  logger.log('b');
  logger.log('c');
  await sleep(60);
  assert.equal(trail.eventRequests().length, 0, 'nothing sent before the interval');
  await until(() => trail.eventRequests().length === 1, 1000, 'the timed batch');
  const elapsed = trail.eventRequests()[0].at - start;
  assert.ok(elapsed >= 140 && elapsed < 600, `sent after ${elapsed} ms`);
  assert.equal(trail.eventRequests()[0].events.length, 3);
  const r = trail.eventRequests()[0];
  assert.equal(r.method, 'POST');
  assert.equal(r.url, 'http://trail.test/api/v1/events');
  assert.equal(r.headers['Content-Type'], 'application/json');
  assert.equal(r.headers.Authorization, 'Bearer trail_ingest_test_key');
  assert.ok(Array.isArray(JSON.parse(r.body)));
  await c.shutdown();
});

test('429 with Retry-After: the retry waits at least that long, with the same ids and body', async () => {
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => (++calls === 1
      ? { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'too_many_requests', message: 'slow down' } } }
      : stored(batch)),
  });
  const { c, logger } = client(trail, { retryBaseMs: 10, retryMaxMs: 20 });
  logger.log('one');
  logger.log('two');
  assert.equal(await c.flush(5000), true);
  const [first, second] = trail.eventRequests();
  const gap = second.at - first.at;
  assert.ok(gap >= 1000, `retried after ${gap} ms, before Retry-After`);
  assert.ok(gap < 2000, `retried after ${gap} ms`);
  assert.equal(second.body, first.body, 'a retry sends the same events');
  assert.equal(c.stats().retries, 1);
  await c.shutdown();
});

test("429 without a readable Retry-After (a browser, cross-origin): the body's \"retry in N s\" is honoured", async () => {
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => (++calls === 1
      ? { status: 429, body: { error: { code: 'too_many_requests', message: 'too many requests with this ingest key from this address: at most 200 per 1 s; retry in 1 s' } } }
      : stored(batch)),
  });
  const { c, logger } = client(trail, { retryBaseMs: 10, retryMaxMs: 20 });
  logger.log('one');
  assert.equal(await c.flush(5000), true);
  const [first, second] = trail.eventRequests();
  assert.ok(second.at - first.at >= 1000, `retried after ${second.at - first.at} ms`);
  await c.shutdown();
});

test('5xx and network errors are retried with exponential backoff and full jitter', async () => {
  const answers = [
    () => ({ status: 503, body: { error: { code: 'unavailable', message: 'db down' } } }),
    () => refused(),
    () => ({ status: 500, body: 'oops' }),
    () => refused(),
  ];
  let calls = 0;
  const trail = fakeTrail({ onEvents: (batch) => (answers[calls++]?.() ?? stored(batch)) });
  // random() = 1 makes the jitter its upper bound: 40, 80, 160, 320 ms.
  const { c, logger } = client(trail, { retryBaseMs: 40, retryMaxMs: 10_000, random: () => 0.999 });
  logger.log('x');
  assert.equal(await c.flush(5000), true);
  const at = trail.eventRequests().map((r) => r.at);
  assert.equal(at.length, 5);
  const gaps = at.slice(1).map((t, i) => t - at[i]);
  const expected = [40, 80, 160, 320];
  gaps.forEach((g, i) => assert.ok(g >= expected[i] * 0.9 && g < expected[i] + 150, `gap ${i}: ${g} ms, expected about ${expected[i]}`));
  assert.equal(new Set(trail.eventRequests().map((r) => r.body)).size, 1, 'every try sent the same body');
  assert.equal(c.stats().retries, 4);

  // Full jitter: random() = 0 retries at once; the cap bounds the delay.
  const t2 = fakeTrail({ onEvents: () => ({ status: 502, body: '' }) });
  const { c: c2, logger: l2 } = client(t2, { retryBaseMs: 1000, retryMaxMs: 3000, random: () => 0.999 });
  l2.log('y');
  await c2.flush(0);
  await until(() => t2.eventRequests().length === 1);
  await sleep(20);
  assert.ok(c2.nextRetryInMs > 900 && c2.nextRetryInMs <= 1000, `first delay ${c2.nextRetryInMs}`);
  await c2.shutdown(0);
});

test('an answer lost after the server stored the events: the retry is a duplicate, nothing is doubled', async () => {
  const store = new Map();
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => {
      const dup = batch.every((e) => store.has(e.id));
      for (const e of batch) store.set(e.id, JSON.stringify(e));
      if (++calls === 1) return refused(); // stored, but the connection died before the answer
      return stored(batch, dup);
    },
  });
  const { c, logger } = client(trail);
  for (let i = 0; i < 5; i++) logger.log(`e${i}`);
  assert.equal(await c.flush(3000), true);
  assert.equal(store.size, 5);
  assert.equal(trail.eventRequests().length, 2);
  assert.equal(c.stats().acknowledged, 5);
});

test('400 invalid_events: the listed events are dropped (one warning), the others resent', async () => {
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => {
      if (++calls === 1) {
        return {
          status: 400,
          body: {
            error: {
              code: 'invalid_events',
              message: '2 of 4 events are invalid; nothing was stored',
              details: [
                { index: 1, field: 'params.x', message: 'bad' },
                { index: 3, field: 'occurred_at', message: 'bad' },
              ],
            },
          },
        };
      }
      return stored(batch);
    },
  });
  const { c, logger, warnings } = client(trail);
  for (let i = 0; i < 4; i++) logger.log(`e${i}`);
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['e0', 'e2']);
  assert.equal(c.stats().dropped.invalid, 2);
  assert.equal(warnings.filter((w) => /invalid/.test(w)).length, 1);
  const [first, second] = trail.eventRequests();
  assert.deepEqual(second.events, [first.events[0], first.events[2]], 'the others unchanged');
});

test('413: the batch is split until it fits; an event too large alone is dropped', async () => {
  const trail = fakeTrail({
    onEvents: (batch) => (batch.length > 4 || batch.some((e) => e.message === 'huge')
      ? { status: 413, body: { error: { code: 'payload_too_large', message: 'too large' } } }
      : stored(batch)),
  });
  const { c, logger, warnings } = client(trail, { batchSize: 10, flushIntervalMs: 60_000 });
  for (let i = 0; i < 9; i++) logger.log(`e${i}`);
  logger.log('huge');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), Array.from({ length: 9 }, (_, i) => `e${i}`));
  assert.equal(new Set(trail.received.map((e) => e.id)).size, 9);
  assert.equal(trail.eventRequests()[0].events.length, 10);
  assert.ok(trail.eventRequests().filter((r) => r.events.length <= 4).length >= 3);
  assert.equal(c.stats().dropped.tooLarge, 1);
  assert.ok(warnings.some((w) => /too large/.test(w)));
});

test('409 conflict: the listed ids are already stored; the rest is resent', async () => {
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => (++calls === 1
      ? { status: 409, body: { error: { code: 'conflict', message: '1 event id(s) ...', ids: [batch[0].id] } } }
      : stored(batch)),
  });
  const { c, logger } = client(trail);
  logger.log('a');
  logger.log('b');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['b']);
  assert.equal(c.stats().dropped.conflict, 1);
});

test('401/403: sending stops, the queue is kept, flush says so', async () => {
  const trail = fakeTrail({ onEvents: () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'no' } } }) });
  const { c, logger, warnings } = client(trail);
  logger.log('a');
  logger.log('b');
  assert.equal(await c.flush(3000), false);
  await sleep(100);
  assert.equal(trail.eventRequests().length, 1, 'no retry storm');
  assert.equal(c.stats().queued, 2);
  assert.ok(warnings.some((w) => /refused the key \(401/.test(w)));
  await c.shutdown(0);
});

test('the queue is bounded: the oldest are dropped and counted, with one warning', async () => {
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()) });
  const { c, logger, warnings } = client(trail, { maxQueue: 5, retryBaseMs: 5, retryMaxMs: 20 });
  for (let i = 0; i < 8; i++) logger.log(`e${i}`);
  assert.equal(c.stats().queued, 5);
  assert.equal(c.stats().dropped.queueFull, 3);
  await sleep(100);
  for (let i = 8; i < 10; i++) logger.log(`e${i}`);
  assert.equal(c.stats().dropped.queueFull, 5);
  assert.equal(warnings.filter((w) => /queue is full/.test(w)).length, 1);
  up = true;
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['e5', 'e6', 'e7', 'e8', 'e9']);
  assert.ok(warnings.some((w) => /5 events were dropped while the queue was full/.test(w)));
});

test('persistence: a queue stored by one page is sent by the next with the same ids', async () => {
  const storage = new FakeStorage();
  const down = fakeTrail({ onEvents: () => refused() });
  const { c: a, logger: la } = client(down, { storage, retryBaseMs: 10_000, retryMaxMs: 10_000 });
  for (let i = 0; i < 3; i++) la.log(`e${i}`, { i });
  await until(() => down.eventRequests().length >= 1);
  a.onPageHide(); // the page goes away: stored at once, then a keepalive try
  const keys = [...storage.map.keys()].filter((k) => k.startsWith('trail-logger:queue:'));
  assert.equal(keys.length, 1);
  const stored = JSON.parse(storage.getItem(keys[0]));
  assert.equal(stored.url, 'http://trail.test');
  const persisted = stored.events;
  assert.equal(persisted.length, 3);
  assert.ok(down.requests.some((r) => r.keepalive), 'a keepalive request was made');
  a.detach();

  const up = fakeTrail();
  const { c: b } = client(up, { storage });
  assert.equal(b.stats().queued, 3);
  assert.equal(await b.flush(3000), true);
  assert.deepEqual(up.received.map((e) => e.id), persisted.map((e) => e.id));
  assert.deepEqual(up.received, persisted, 'sent exactly as stored');
  await until(() => [...storage.map.keys()].every((k) => !k.startsWith('trail-logger:queue')), 1000, 'the stored queue to be cleared');
  await b.shutdown();
});

test('page hide: the keepalive body stays under 64 KiB; what does not fit stays stored', async () => {
  const storage = new FakeStorage();
  const trail = fakeTrail({ onEvents: () => refused() });
  const { c, logger } = client(trail, { storage, retryBaseMs: 60_000, retryMaxMs: 60_000, maxQueue: 10_000 });
  for (let i = 0; i < 400; i++) logger.log(`e${i}`, { pad: 'x'.repeat(400) });
  await until(() => trail.eventRequests().length >= 1);
  c.onPageHide();
  const ka = trail.requests.filter((r) => r.keepalive);
  assert.equal(ka.length, 1);
  assert.ok(Buffer.byteLength(ka[0].body) < 64 * 1024, `${Buffer.byteLength(ka[0].body)} bytes`);
  assert.ok(ka[0].events.length > 50);
  const key = [...storage.map.keys()].find((k) => k.startsWith('trail-logger:queue:'));
  assert.equal(JSON.parse(storage.getItem(key)).events.length, 400);
  c.onPageHide(); // pagehide after visibilitychange: the same events are not sent twice while in flight
  await c.shutdown(0);
});

test('logging settings: disabled types and debug are dropped before sending; the call names the user', async () => {
  const trail = fakeTrail({
    onSettings: () => ({ status: 200, body: { user: 'alice', disabled_types: ['viewer-rendered'], debug: false, refresh_seconds: 60 } }),
  });
  const { c, logger } = client(trail, { user: 'alice@company.com' });
  logger.log('kept');
  logger.log('dropped', {}, 'viewer-rendered');
  logger.debug('dropped debug');
  logger.info('kept info');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['kept', 'kept info']);
  assert.equal(c.stats().dropped.disabled, 2);
  const s = trail.requests.find((r) => r.path === '/api/v1/logging-settings/effective');
  assert.equal(s.query, 'user=alice%40company.com');
  assert.equal(s.method, 'GET');
  assert.equal(s.headers.Authorization, 'Bearer trail_ingest_test_key');
  await c.shutdown();
});

test('logging settings refused (401/403/404) or failing: everything is sent, asked again later', async () => {
  for (const status of [401, 403, 404]) {
    let calls = 0;
    const trail = fakeTrail({
      onSettings: () => (++calls === 1
        ? { status, body: { error: { code: 'forbidden', message: 'no' } } }
        : { status: 200, body: { disabled_types: ['my_type'], debug: false, refresh_seconds: 60 } }),
    });
    const { c, logger, warnings } = client(trail, { user: 'alice', settingsRetryMs: 200 });
    logger.debug('debug sent');
    logger.log('custom sent', {}, 'my_type');
    assert.equal(await c.flush(3000), true);
    assert.deepEqual(trail.received.map((e) => e.message), ['debug sent', 'custom sent']);
    assert.ok(warnings.some((w) => new RegExp(`not available to this key \\(${status}\\)`).test(w)));
    await until(() => calls === 2, 2000, 'the settings to be asked again');
    await until(() => c.effectiveSettings !== undefined);
    logger.debug('now dropped');
    logger.log('now dropped', {}, 'my_type');
    logger.log('still sent');
    assert.equal(await c.flush(3000), true);
    assert.deepEqual(trail.received.map((e) => e.message).slice(2), ['still sent']);
    await c.shutdown();
  }
  // Unreachable settings endpoint: still nothing breaks.
  const t = fakeTrail({ onSettings: () => refused() });
  const { c, logger } = client(t, { user: 'alice' });
  logger.debug('sent');
  assert.equal(await c.flush(5000), true);
  assert.equal(t.received.length, 1);
  await c.shutdown();
});

test('settings are refreshed every refresh_seconds', async () => {
  let calls = 0;
  const trail = fakeTrail({
    onSettings: () => ({ status: 200, body: { disabled_types: calls++ === 0 ? [] : ['log'], debug: true, refresh_seconds: 0.2 } }),
  });
  const { c, logger } = client(trail, { user: 'alice' });
  logger.log('sent');
  assert.equal(await c.flush(3000), true);
  await until(() => calls >= 2, 2000, 'a refresh');
  await sleep(20);
  logger.log('dropped');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['sent']);
  await c.shutdown();
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

  // The server does not know the stored session (a new database): sent without, a new one started.
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
  l3.log('after');
  await c3.flush(3000);
  assert.equal(t3.requests.filter((r) => r.path === '/api/v1/sessions').length, 1, 'a new session was started');
  assert.match(t3.received[1].session_id, /^01a20973-9c0c-7453-80cf-0000/);
  await c3.shutdown();
});

test('flush(timeout) resolves false while the server is down, and nothing is lost', async () => {
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()) });
  const { c, logger } = client(trail, { retryBaseMs: 20, retryMaxMs: 100 });
  for (let i = 0; i < 30; i++) logger.log(`e${i}`);
  assert.equal(await c.flush(300), false);
  assert.equal(c.stats().queued, 30);
  up = true;
  assert.equal(await c.flush(3000), true);
  assert.equal(trail.received.length, 30);
  assert.equal(new Set(trail.received.map((e) => e.id)).size, 30);
  await c.shutdown();
});

test('parseRetryAfter: seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(' 0 '), 0);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now), 5000);
});

test('configuration errors are reported at once', () => {
  assert.throws(() => new TrailClient({ url: '', key: 'k' }), /url/);
  assert.throws(() => new TrailClient({ url: 'http://x', key: '' }), /key/);
  const c = new TrailClient({ url: 'http://x/api/v1/', key: 'k', fetch: async () => ({ status: 201, headers: { get: () => null }, text: async () => '' }) });
  assert.equal(c.url, 'http://x');
  c.detach();
});

test("persistence: another server's stored queue is left alone; storage without key() works", async () => {
  const storage = new FakeStorage();
  const other = { url: 'http://other.test', events: [{ id: '01a20973-9c0c-7453-80cf-000000000001', type: 'log', source: 'client', level: 'info', occurred_at: new Date().toISOString() }] };
  storage.setItem('trail-logger:queue:aaaa', JSON.stringify(other));
  const up = fakeTrail();
  const { c } = client(up, { storage });
  assert.equal(c.stats().queued, 0);
  assert.equal(storage.getItem('trail-logger:queue:aaaa'), JSON.stringify(other));
  c.detach();

  // A storage that cannot list its keys keeps the queue under one key.
  const map = new Map();
  const plain = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, v), removeItem: (k) => map.delete(k) };
  const down = fakeTrail({ onEvents: () => refused() });
  const { c: a, logger } = client(down, { storage: plain, retryBaseMs: 60_000, retryMaxMs: 60_000 });
  logger.log('kept');
  a.detach();
  assert.deepEqual([...map.keys()], ['trail-logger:queue']);
  const { c: b } = client(up, { storage: plain });
  assert.equal(await b.flush(3000), true);
  assert.deepEqual(up.received.map((e) => e.message), ['kept']);
  await until(() => map.size === 0, 1000, 'the stored queue to be cleared');
  await b.shutdown();
});

test('configure() again for the same server carries the queue over', async () => {
  const { configure, shutdown, flush } = await import('../dist/index.js');
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()) });
  const { options } = testOptions(trail, { retryBaseMs: 60_000, retryMaxMs: 60_000 });
  configure(options);
  new Logger().log('before');
  await until(() => trail.eventRequests().length === 1);
  up = true;
  configure({ ...options, retryBaseMs: 10, user: 'later' });
  new Logger().log('after');
  assert.equal(await flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['before', 'after']);
  assert.equal(trail.received[0].actor, undefined, 'queued events are sent as they were');
  assert.equal(trail.received[1].actor.id, 'later');
  await shutdown();
});
