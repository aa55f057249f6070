// The queue in storage: written at most once a second, bounded in bytes, taken
// over by a later page only when its owner is gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, TrailClient } from '../dist/index.js';
import { FakeClock, FakeStorage, fakeTrail, queueKeys, stored, testOptions, until } from './helpers.mjs';

const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

const refused = () => new TypeError('fetch failed');

function client(trail, extra = {}) {
  const { options, warnings } = testOptions(trail, extra);
  const c = new TrailClient(options);
  return { c, logger: new Logger(null, { client: c }), warnings };
}

const storedEvents = (storage, key) => JSON.parse(storage.getItem(key)).events;

test('a queue stored by one page is sent by the next with the same ids and content', async () => {
  const storage = new FakeStorage();
  const down = fakeTrail({ onEvents: () => refused() });
  const { c: a, logger: la } = client(down, { storage, retryBaseMs: 10_000, retryMaxMs: 10_000 });
  for (let i = 0; i < 3; i++) la.log(`e${i}`, { i });
  await until(() => down.eventRequests().length >= 1);
  a.onPageHide(); // the page goes away: stored at once, then a keepalive try
  const keys = queueKeys(storage);
  assert.equal(keys.length, 1);
  assert.equal(JSON.parse(storage.getItem(keys[0])).url, 'http://trail.test');
  const persisted = storedEvents(storage, keys[0]);
  assert.equal(persisted.length, 3);
  assert.ok(down.requests.some((r) => r.keepalive), 'a keepalive request was made');
  assert.deepEqual(down.eventRequests()[0].events, persisted, 'stored as it was sent');
  a.detach();

  const up = fakeTrail();
  const { c: b } = client(up, { storage });
  assert.equal(b.stats().queued, 3);
  assert.equal(await b.flush(3000), true);
  assert.deepEqual(up.received, persisted, 'sent exactly as stored');
  await until(() => queueKeys(storage).length === 0, 3000, 'the stored queue to be cleared');
  await b.shutdown();
});

test('an event written while its session was starting is sent exactly as written, after the session is known too', async () => {
  const storage = new FakeStorage();
  let release;
  const gate = new Promise((r) => (release = r));
  const trail = fakeTrail({
    onSession: async () => {
      await gate;
      return { status: 201, body: { id: '01a20973-9c0c-7453-80cf-00000000abcd' } };
    },
    onEvents: (batch, req) => (req.keepalive ? refused() : stored(batch)), // the page's keepalive request is lost
  });
  const { c, logger } = client(trail, { storage, user: 'alice', flushIntervalMs: 60_000 });
  logger.log('early');
  c.onPageHide(); // written (and sent with keepalive) while the session starts
  const written = storedEvents(storage, queueKeys(storage)[0]);
  assert.equal(written[0].session_id, undefined);
  release();
  await until(() => c.session !== undefined);
  logger.log('later');
  assert.equal(await c.flush(3000), true);
  const [keepalive, normal] = trail.eventRequests();
  assert.ok(keepalive.keepalive);
  assert.deepEqual(keepalive.events, written);
  assert.deepEqual(normal.events[0], written[0], 'unchanged: no 409 for its id');
  assert.equal(normal.events[1].session_id, '01a20973-9c0c-7453-80cf-00000000abcd', 'later events carry the session');
  await c.shutdown();
});

test('two live clients sharing one storage: neither takes the other\'s queue; a gone owner\'s is taken', async () => {
  const storage = new FakeStorage();
  const clock = new FakeClock();
  const down = fakeTrail({ onEvents: () => refused(), clock });
  const { c: a, logger: la } = client(down, { storage, clock, retryBaseMs: 600_000, retryMaxMs: 600_000 });
  for (let i = 0; i < 3; i++) la.log(`a${i}`);
  await clock.advance(1000); // written
  assert.equal(queueKeys(storage).length, 1);

  // A second tab of the origin, a minute later: the first still beats.
  await clock.advance(60_000);
  const up = fakeTrail({ clock });
  const { c: b, logger: lb } = client(up, { storage, clock });
  assert.equal(b.stats().queued, 0, 'a live tab\'s queue is left to it');
  lb.log('b0');
  assert.equal(await clock.until(b.flush()), true);
  assert.deepEqual(up.received.map((e) => e.message), ['b0']);
  assert.equal(storedEvents(storage, queueKeys(storage)[0]).length, 3, 'still stored for its owner');
  assert.equal(a.stats().queued, 3);

  // The first tab crashes: its timers stop, so its heartbeat goes stale; a tab started 16 s later takes its queue.
  const later = new FakeClock(clock.now() + 16_000);
  const heir = fakeTrail({ clock: later });
  const { c: cc } = client(heir, { storage, clock: later });
  assert.equal(cc.stats().queued, 3, 'a stale heartbeat: the owner is gone');
  assert.equal(await later.until(cc.flush()), true);
  assert.deepEqual(heir.received.map((e) => e.message), ['a0', 'a1', 'a2']);
  for (const x of [a, b, cc]) x.detach();
});

test("a hidden tab's heartbeat is trusted longer (browsers run its timers rarely)", async () => {
  const storage = new FakeStorage();
  storage.setItem('trail-logger:queue:aaaa', JSON.stringify({ url: 'http://trail.test', events: [{ id: '01a20973-9c0c-7453-80cf-000000000001', type: 'log', source: 'client', level: 'info', occurred_at: new Date().toISOString() }] }));
  storage.setItem('trail-logger:beat:aaaa', `${Date.now() - 60_000}h`);
  const { c } = client(fakeTrail(), { storage });
  assert.equal(c.stats().queued, 0, 'hidden a minute ago: alive');
  c.detach();
  storage.setItem('trail-logger:beat:aaaa', `${Date.now() - 100_000}h`);
  const { c: d } = client(fakeTrail(), { storage });
  assert.equal(d.stats().queued, 1, 'silent for 100 s: gone');
  d.detach();
});

test('the queue is written at most once a second, and an empty queue is not rewritten', async () => {
  const storage = new FakeStorage();
  const clock = new FakeClock();
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()), clock });
  const { c, logger } = client(trail, { storage, clock, retryBaseMs: 100, retryMaxMs: 200 });
  for (let i = 0; i < 300; i++) {
    logger.log(`e${i}`);
    await clock.advance(10); // 300 events over 3 s, with retries in between
  }
  const key = queueKeys(storage)[0];
  const writes = storage.writesOf.get(key);
  assert.ok(writes >= 2 && writes <= 3, `${writes} writes in 3 s`);
  up = true;
  await clock.until(c.flush());
  await clock.advance(1000);
  assert.equal(storage.getItem(key), null, 'removed once sent');
  const before = storage.writesOf.get(key);
  for (let i = 0; i < 5; i++) {
    logger.log(`quick${i}`); // sent within the second: nothing to write
    await clock.advance(300);
  }
  await clock.advance(2000);
  assert.equal(storage.writesOf.get(key), before, 'no writes while the server keeps up');
  c.detach();
});

test('the stored queue is capped (maxStoredBytes): the oldest go first, counted, with one warning', async () => {
  const storage = new FakeStorage();
  let up = false;
  const trail = fakeTrail({ onEvents: (batch) => (up ? stored(batch) : refused()) });
  const { c, logger, warnings } = client(trail, { storage, maxStoredBytes: 8 * 1024, retryBaseMs: 20, retryMaxMs: 50 });
  for (let i = 0; i < 100; i++) logger.log(`e${i}`, { pad: 'x'.repeat(300) });
  c.onPageHide();
  const raw = storage.getItem(queueKeys(storage)[0]);
  assert.ok(Buffer.byteLength(raw) <= 8 * 1024 + 100, `${Buffer.byteLength(raw)} bytes stored`);
  const kept = c.stats().queued;
  assert.ok(kept > 10 && kept < 30, `${kept} kept`);
  assert.equal(c.stats().dropped.queueFull, 100 - kept);
  assert.equal(JSON.parse(raw).events.length, kept, 'what is stored is what is queued');
  assert.equal(warnings.filter((w) => /queue is full \(8192 bytes/.test(w)).length, 1);
  up = true;
  assert.equal(await c.flush(3000), true);
  assert.deepEqual(trail.received.map((e) => e.message).filter((m) => m.startsWith('e')).slice(-3), ['e97', 'e98', 'e99']);
  assert.ok(!trail.received.some((e) => e.message === 'e0'), 'the oldest were dropped');
  await c.shutdown();
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
  assert.equal(storedEvents(storage, queueKeys(storage)[0]).length, 400);
  c.onPageHide(); // pagehide after visibilitychange: the same events are not sent twice while in flight
  assert.equal(trail.requests.filter((r) => r.keepalive).length, 1);
  await c.shutdown(0);
});

test("another server's stored queue is left alone; a storage without key() keeps one queue", async () => {
  const storage = new FakeStorage();
  const other = { url: 'http://other.test', events: [{ id: '01a20973-9c0c-7453-80cf-000000000001', type: 'log', source: 'client', level: 'info', occurred_at: new Date().toISOString() }] };
  storage.setItem('trail-logger:queue:aaaa', JSON.stringify(other));
  const up = fakeTrail();
  const { c } = client(up, { storage });
  assert.equal(c.stats().queued, 0);
  assert.equal(storage.getItem('trail-logger:queue:aaaa'), JSON.stringify(other));
  c.detach();

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
  await until(() => map.size === 0, 3000, 'the stored queue to be cleared');
  await b.shutdown();
});
