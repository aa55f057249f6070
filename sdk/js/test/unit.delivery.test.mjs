// Delivery against a fake Trail: batching and its timing, retries and backoff,
// the server's answers, flush(). Timing is checked on a virtual clock, so a
// busy machine cannot make these tests flaky.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, TrailClient, parseRetryAfter } from '../dist/index.js';
import { FakeClock, fakeTrail, sleep, stored, testOptions, until } from './helpers.mjs';

const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

const refused = () => new TypeError('fetch failed');

function client(trail, extra = {}) {
  const { options, warnings } = testOptions(trail, extra);
  const c = new TrailClient(options);
  return { c, logger: new Logger(null, { client: c }), warnings };
}

/** A client on a virtual clock (the fake Trail records its requests' virtual times). */
function virtual(answers = {}, extra = {}) {
  const clock = new FakeClock();
  const trail = fakeTrail({ ...answers, clock });
  return { clock, trail, ...client(trail, { clock, ...extra }) };
}

const gaps = (requests) => requests.slice(1).map((r, i) => r.at - requests[i].at);

test('batching by size: a full batch goes at once, the rest waits for the timer', async () => {
  const trail = fakeTrail();
  const { c, logger } = client(trail, { batchSize: 10, flushIntervalMs: 60_000 });
  for (let i = 0; i < 25; i++) logger.log(`m${i}`);
  await until(() => trail.received.length === 20, 1000, 'two full batches');
  await sleep(50);
  assert.deepEqual(trail.eventRequests().map((r) => r.events.length), [10, 10]);
  assert.equal(c.stats().queued, 5);
  assert.equal(await c.flush(1000), true);
  assert.deepEqual(trail.eventRequests().map((r) => r.events.length), [10, 10, 5]);
  assert.deepEqual(trail.received.map((e) => e.message), Array.from({ length: 25 }, (_, i) => `m${i}`));
  await c.shutdown();
});

test('batching by time (defaults): sent 250 ms after the oldest event, the timer not moved by sends', async () => {
  // Each request takes 100 ms.
  let clock;
  const slow = async (batch) => {
    await new Promise((r) => clock.setTimeout(r, 100));
    return stored(batch);
  };
  const v = virtual({ onEvents: slow }, { flushIntervalMs: undefined });
  clock = v.clock;
  const t0 = clock.now();
  v.logger.log('a');
  v.logger.log('b');
  await clock.advance(249);
  assert.equal(v.trail.eventRequests().length, 0, 'nothing sent before the interval');
  await clock.advance(1);
  assert.equal(v.trail.eventRequests()[0].at - t0, 250);
  assert.equal(v.trail.eventRequests()[0].events.length, 2);
  await clock.advance(50); // t0 + 300: the first request is still out
  v.logger.log('c');
  await clock.advance(249);
  assert.equal(v.trail.eventRequests().length, 1);
  await clock.advance(1);
  assert.equal(v.trail.eventRequests()[1].at - t0, 550, '250 ms after c, not after the previous send ended');
  const r = v.trail.eventRequests()[0];
  assert.equal(r.method, 'POST');
  assert.equal(r.url, 'http://trail.test/api/v1/events');
  assert.equal(r.headers['Content-Type'], 'application/json');
  assert.equal(r.headers.Authorization, 'Bearer trail_ingest_test_key');
  v.c.detach();
});

test('429 and 503 with Retry-After: each retry waits exactly that long, with the same ids and body', async () => {
  const answers = [
    { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'too_many_requests', message: 'slow down' } } },
    { status: 503, headers: { 'Retry-After': '2' }, body: { error: { code: 'unavailable', message: 'db down' } } },
  ];
  let calls = 0;
  const v = virtual({ onEvents: (batch) => answers[calls++] ?? stored(batch) }, { retryBaseMs: 10, retryMaxMs: 20 });
  v.logger.log('one');
  v.logger.log('two');
  assert.equal(await v.clock.until(v.c.flush()), true);
  const requests = v.trail.eventRequests();
  assert.deepEqual(gaps(requests), [1000, 2000]);
  assert.equal(new Set(requests.map((r) => r.body)).size, 1, 'a retry sends the same events');
  assert.equal(v.c.stats().retries, 2);
  v.c.detach();
});

test('5xx and network errors: exponential backoff with full jitter, capped', async () => {
  const answers = [
    () => ({ status: 503, body: { error: { code: 'unavailable', message: 'db down' } } }),
    () => refused(),
    () => ({ status: 500, body: 'oops' }),
    () => refused(),
  ];
  let calls = 0;
  // random() = 0.999 puts the delay just under the cap of each try: 40, 80, 160, 320 ms.
  const v = virtual({ onEvents: (batch) => answers[calls++]?.() ?? stored(batch) }, { retryBaseMs: 40, retryMaxMs: 10_000, random: () => 0.999 });
  v.logger.log('x');
  assert.equal(await v.clock.until(v.c.flush(), 10_000, 1), true);
  const g = gaps(v.trail.eventRequests());
  [40, 80, 160, 320].forEach((cap, i) => assert.ok(Math.abs(g[i] - cap * 0.999) <= 1, `gap ${i}: ${g[i]} ms, expected ${cap * 0.999}`));
  assert.equal(new Set(v.trail.eventRequests().map((r) => r.body)).size, 1, 'every try sent the same body');
  assert.equal(v.c.stats().retries, 4);
  v.c.detach();

  // The cap: 1000, 2000, then never more than retryMaxMs (3000).
  const capped = virtual({ onEvents: () => ({ status: 502, body: '' }) }, { retryBaseMs: 1000, retryMaxMs: 3000, random: () => 0.999 });
  capped.logger.log('y');
  await capped.clock.advance(20 + 999 + 1998 + 2997 + 2997);
  assert.deepEqual(gaps(capped.trail.eventRequests()).map(Math.round), [999, 1998, 2997, 2997]);
  capped.c.detach();

  // Full jitter: the delay is random() times the cap, so random() = 0 retries at once.
  let failures = 0;
  const eager = virtual({ onEvents: (batch) => (++failures <= 2 ? { status: 502, body: '' } : stored(batch)) }, { retryBaseMs: 1000, retryMaxMs: 3000, random: () => 0 });
  eager.logger.log('z');
  await eager.clock.advance(20);
  assert.deepEqual(gaps(eager.trail.eventRequests()), [0, 0], 'retried without waiting');
  eager.c.detach();
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
  await c.shutdown();
});

test('400 invalid_events: the listed events are dropped (one warning), the others resent unchanged', async () => {
  let calls = 0;
  const trail = fakeTrail({
    onEvents: (batch) => {
      if (++calls > 1) return stored(batch);
      const details = [{ index: 1, field: 'params.x', message: 'bad' }, { index: 3, field: 'occurred_at', message: 'bad' }];
      return { status: 400, body: { error: { code: 'invalid_events', message: '2 of 4 events are invalid; nothing was stored', details } } };
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
  await c.shutdown();
});

test('a 400 naming no event of the batch, or not from Trail (a proxy page): kept, backed off, warned once', async () => {
  const answers = {
    'names nothing': { status: 400, body: { error: { code: 'invalid_events', message: '1 of 1', details: [{ index: 7, field: 'type', message: 'bad' }] } } },
    "a proxy's page": { status: 400, headers: { 'content-type': 'text/html' }, body: '<html><body>400 Bad Request</body></html>' },
    'a 409 naming nothing': { status: 409, body: { error: { code: 'conflict', message: 'x', ids: ['01a20973-9c0c-7453-80cf-000000000000'] } } },
  };
  for (const [what, answer] of Object.entries(answers)) {
    let up = false;
    const v = virtual({ onEvents: (batch) => (up ? stored(batch) : answer) }, { retryBaseMs: 100, retryMaxMs: 1000, random: () => 0.999 });
    for (let i = 0; i < 3; i++) v.logger.log(`e${i}`);
    await v.clock.advance(10_000);
    const tries = v.trail.eventRequests().length;
    // About 100, 200, 400, 800, then 1000 ms apart: 13 tries in 10 s, not a hot loop.
    assert.ok(tries >= 12 && tries <= 14, `${what}: ${tries} tries in 10 s`);
    assert.equal(v.c.stats().queued, 3, `${what}: nothing dropped`);
    assert.deepEqual(v.c.stats().dropped, { queueFull: 0, invalid: 0, conflict: 0, disabled: 0, tooLarge: 0 });
    assert.equal(v.warnings.filter((w) => /unexpected answer (400|409)/.test(w)).length, 1, `${what}: one warning`);
    up = true;
    assert.equal(await v.clock.until(v.c.flush()), true);
    assert.deepEqual(v.trail.received.map((e) => e.message), ['e0', 'e1', 'e2']);
    v.c.detach();
  }
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
  await c.shutdown();
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
  await c.shutdown();
});

test('401/403: sending stops with the events kept; tried again after 5 minutes, when they are sent', async () => {
  for (const status of [401, 403]) {
    let fixed = false;
    const v = virtual({ onEvents: (batch) => (fixed ? stored(batch) : { status, body: { error: { code: 'unauthorized', message: 'no' } } }) });
    v.logger.log('a');
    v.logger.log('b');
    const flushed = v.c.flush(60_000);
    await v.clock.advance(100);
    assert.equal(await flushed, false, 'flush says the key is refused');
    await v.clock.advance(60_000);
    assert.equal(v.trail.eventRequests().length, 1, 'no retry storm');
    assert.equal(v.c.stats().queued, 2, 'the events are kept');
    assert.equal(v.c.stats().retries, 0);
    assert.ok(v.warnings.some((w) => new RegExp(`refused the key \\(${status}`).test(w)));
    fixed = true; // the key is allowed again on the server
    await v.clock.advance(5 * 60_000);
    assert.equal(v.trail.eventRequests().length, 2, 'tried again after 5 minutes');
    assert.deepEqual(v.trail.received.map((e) => e.message), ['a', 'b']);
    assert.equal(v.c.stats().queued, 0);
    v.c.detach();
  }
});

test('the queue is bounded: the oldest are dropped and counted, with one warning', async () => {
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()) });
  const { c, logger, warnings } = client(trail, { maxQueue: 5, retryBaseMs: 5, retryMaxMs: 20 });
  for (let i = 0; i < 8; i++) logger.log(`e${i}`);
  assert.equal(c.stats().queued, 5);
  assert.equal(c.stats().dropped.queueFull, 3);
  await sleep(50);
  for (let i = 8; i < 10; i++) logger.log(`e${i}`);
  assert.equal(c.stats().dropped.queueFull, 5);
  assert.equal(warnings.filter((w) => /queue is full/.test(w)).length, 1);
  up = true;
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['e5', 'e6', 'e7', 'e8', 'e9']);
  assert.ok(warnings.some((w) => /5 events were dropped while the queue was full/.test(w)));
  await c.shutdown();
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

test('an internal error while sending is reported once and the send is tried again', async () => {
  let calls = 0;
  let throws = true;
  const trail = fakeTrail({ onEvents: (batch) => (++calls === 1 ? refused() : stored(batch)) });
  // The backoff's random() fails once (a bug stand-in).
  const random = () => {
    if (throws) {
      throws = false;
      throw new Error('bug');
    }
    return 0.5;
  };
  const { c, logger, warnings } = client(trail, { random, retryBaseMs: 10, retryMaxMs: 20 });
  logger.log('still sent');
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message), ['still sent']);
  assert.equal(warnings.filter((w) => /internal error while sending: Error: bug/.test(w)).length, 1);
  await c.shutdown();
});

test('a keepalive send overlapping a normal one carries the same content: no 409, each event stored once', async () => {
  // A server that stores an id once and answers 409 to other content under it, as Trail does.
  const store = new Map();
  let release;
  const gate = new Promise((r) => (release = r));
  const trail = fakeTrail({
    onSession: async () => {
      await gate; // the session is known only after the page was hidden
      return { status: 201, body: { id: '01a20973-9c0c-7453-80cf-00000000abcd' } };
    },
    onEvents: async (batch, req) => {
      if (!req.keepalive) await sleep(30); // the normal request is slow: the keepalive one overtakes it
      const conflicts = batch.filter((e) => store.has(e.id) && store.get(e.id) !== JSON.stringify(e)).map((e) => e.id);
      if (conflicts.length) return { status: 409, body: { error: { code: 'conflict', message: 'conflict', ids: conflicts } } };
      const dup = batch.every((e) => store.has(e.id));
      for (const e of batch) store.set(e.id, JSON.stringify(e));
      return stored(batch, dup);
    },
  });
  const { c, logger } = client(trail, { user: 'alice', flushIntervalMs: 5 });
  for (let i = 0; i < 3; i++) logger.log(`e${i}`);
  await until(() => trail.eventRequests().length === 1, 2000, 'the normal send (without waiting long for the session)');
  c.onPageHide(); // the tab is hidden meanwhile: a keepalive request with the same events
  release();
  await sleep(10);
  logger.log('after the session is known');
  assert.equal(await c.flush(3000), true);
  await sleep(50);
  const requests = trail.eventRequests();
  assert.ok(requests.some((r) => r.keepalive), 'a keepalive request was made');
  assert.equal(requests.filter((r) => r.answered === 409).length, 0);
  assert.equal(c.stats().dropped.conflict, 0, 'no 409');
  assert.equal(store.size, 4);
  assert.equal(c.stats().acknowledged, 4, 'each counted once');
  const sent = requests.flatMap((r) => r.events).filter((e) => e.message.startsWith('e'));
  for (const e of sent) assert.equal(e.session_id, undefined, 'sent before the session was known: without it, every time');
  const later = trail.received.find((e) => e.message === 'after the session is known');
  assert.equal(JSON.parse(store.get(later.id)).session_id, '01a20973-9c0c-7453-80cf-00000000abcd');
  await c.shutdown();
});

test('the first send does not wait for the logging settings', async () => {
  const v = virtual({ onSettings: () => new Promise(() => {}) }, { user: 'alice', flushIntervalMs: undefined });
  const t0 = v.clock.now();
  v.logger.log('first');
  await v.clock.advance(600);
  const [first] = v.trail.eventRequests();
  assert.ok(first, 'sent while the settings are unknown');
  assert.ok(first.at - t0 <= 500, `sent after ${first.at - t0} ms`);
  v.c.detach();
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
  const c = new TrailClient({ url: 'http://x/api/v1/', key: 'k', captureErrors: false, fetch: async () => ({ status: 201, headers: { get: () => null }, text: async () => '' }) });
  assert.equal(c.url, 'http://x');
  c.detach();
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
