import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, TrailClient, configure, flush, shutdown, normalizeType, LIMITS } from '../dist/index.js';
import { fakeTrail, testOptions, until } from './helpers.mjs';

// The logger's timers do not hold a Node.js process open; the tests' own loop must.
const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

async function sent(run, extra = {}) {
  const trail = fakeTrail();
  const { options, warnings } = testOptions(trail, { user: { id: 'alice', name: 'Alice' }, ...extra });
  const client = new TrailClient(options);
  run(client);
  assert.equal(await client.flush(3000), true);
  await client.shutdown();
  return { events: trail.received, trail, warnings };
}

test('every method maps to its level and type, with the message, params, actor, session and source', async () => {
  const { events, trail } = await sent((client) => {
    const logger = new Logger(null, { client });
    logger.log('HELLO WORLD', { test: 'value', foo: 'bar' });
    logger.log('HELLO WORLD', { test: 'value', foo: 'bar' }, 'my_log');
    logger.info('info msg');
    logger.debug('debug msg');
    logger.warning('warning msg', { n: 1 });
    logger.audit('audit msg');
    logger.usage('usage msg', null, 'feature-used');
    logger.error('Error!', 'Error: x\n    at f (app.js:1:2)');
  });
  assert.equal(events.length, 8);
  const [log, myLog, info, debug, warning, audit, usage, error] = events;
  assert.deepEqual(
    events.map((e) => [e.type, e.level, e.message]),
    [
      ['log', 'info', 'HELLO WORLD'],
      ['my_log', 'info', 'HELLO WORLD'],
      ['log', 'info', 'info msg'],
      ['log', 'debug', 'debug msg'],
      ['log', 'warning', 'warning msg'],
      ['log', 'audit', 'audit msg'],
      ['feature-used', 'usage', 'usage msg'],
      ['error', 'error', 'Error!'],
    ],
  );
  assert.deepEqual(log.params, { test: 'value', foo: 'bar' });
  assert.deepEqual(myLog.params, { test: 'value', foo: 'bar' });
  assert.equal(info.params, undefined, 'no params: no params field');
  assert.deepEqual(warning.params, { n: 1 });
  assert.deepEqual(error.error, { message: 'Error!', stack_trace: 'Error: x\n    at f (app.js:1:2)' });
  for (const e of events) {
    assert.equal(e.source, 'client');
    assert.deepEqual(e.actor, { kind: 'user', id: 'alice', name: 'Alice' });
    assert.match(e.session_id, /^01a20973-/);
    assert.ok(!Number.isNaN(Date.parse(e.occurred_at)) && e.occurred_at.endsWith('Z'));
    // Only the fields the server knows (it refuses unknown ones).
    for (const k of Object.keys(e)) {
      assert.ok(
        ['id', 'type', 'occurred_at', 'source', 'level', 'message', 'params', 'session_id', 'actor', 'package', 'error'].includes(k),
        `unexpected field ${k}`,
      );
    }
  }
  assert.equal(debug.level, 'debug');
  assert.equal(audit.error, undefined);
  assert.equal(usage.params, undefined);
  // The session was started once, for the user, as a browser/node client.
  const s = trail.requests.filter((r) => r.path === '/api/v1/sessions');
  assert.equal(s.length, 1);
  assert.deepEqual(JSON.parse(s[0].body), { user: { id: 'alice', name: 'Alice' }, client: 'node' });
  assert.equal(s[0].headers.Authorization, 'Bearer trail_ingest_test_key');
});

test('error(): an Error gives its message and stack; params and an explicit stack trace also work', async () => {
  const err = new TypeError('bad thing');
  const { events } = await sent((client) => {
    const logger = new Logger(null, { client });
    logger.error(err);
    logger.error(err, { where: 'checkout' });
    logger.error('Failed', { code: 7 }, 'custom stack');
    logger.error({ message: 'error-like', stack: 'S' });
  });
  assert.equal(events[0].message, 'bad thing');
  assert.equal(events[0].error.message, 'bad thing');
  assert.match(events[0].error.stack_trace, /TypeError: bad thing\n\s+at /);
  assert.deepEqual(events[1].params, { where: 'checkout' });
  assert.equal(events[1].error.stack_trace, err.stack);
  assert.deepEqual(events[2].params, { code: 7 });
  assert.equal(events[2].error.stack_trace, 'custom stack');
  assert.equal(events[3].message, 'error-like');
  assert.equal(events[3].error.stack_trace, 'S');
  for (const e of events) assert.equal(e.type, 'error');
});

test('the callback sees every message with params always an object, and may change it', async () => {
  const seen = [];
  const { events } = await sent((client) => {
    const logger = new Logger((m) => {
      seen.push(structuredClone(m));
      m.params['persistent'] = 'value';
      if (m.message === 'retype') m.type = 'retyped';
      if (m.message === 'relevel') m.level = 'warning';
      if (m.message === 'rewrite') m.message = 'rewritten';
    }, { client });
    const mine = { test: 'value' };
    logger.log('HELLO WORLD', mine);
    assert.deepEqual(mine, { test: 'value' }, "the caller's params object is not changed");
    logger.log('no params');
    logger.log('retype');
    logger.info('relevel');
    logger.log('rewrite');
    logger.error('Error!', 'stack here');
  });
  assert.deepEqual(seen[0], { level: 'info', message: 'HELLO WORLD', params: { test: 'value' }, type: 'log' });
  assert.deepEqual(seen[1].params, {});
  assert.deepEqual(seen[5], { level: 'error', message: 'Error!', params: {}, type: 'error', stackTrace: 'stack here' });
  for (const e of events) assert.equal(e.params.persistent, 'value');
  assert.equal(events[2].type, 'retyped');
  assert.equal(events[3].level, 'warning');
  assert.equal(events[4].message, 'rewritten');
});

test('a callback that throws does not lose the message', async () => {
  const { events } = await sent((client) => {
    const original = console.warn;
    console.warn = () => {};
    try {
      new Logger(() => {
        throw new Error('oops');
      }, { client }).log('still sent');
    } finally {
      console.warn = original;
    }
  });
  assert.equal(events.length, 1);
  assert.equal(events[0].message, 'still sent');
});

test('values are made to fit the server: types, params, sizes, NUL', async () => {
  const circular = { a: 1 };
  circular.self = circular;
  const many = {};
  for (let i = 0; i < 150; i++) many[`p${i}`] = i;
  const { events, warnings } = await sent((client) => {
    const logger = new Logger(null, { client });
    logger.log('x', {
      s: 'str',
      n: 1.5,
      b: true,
      nul: null,
      obj: { deep: [1, 'two', { three: 3 }] },
      date: new Date(0),
      big: 10n,
      nan: NaN,
      undef: undefined,
      fn: () => 1,
      circ: circular,
      long: 'y'.repeat(20000),
      'k\u0000ey': 'v\u0000al',
    }, 'My Log!');
    logger.log('m'.repeat(40000));
    logger.log('many', many);
    logger.error('e', 'z'.repeat(100000));
  });
  const p = events[0].params;
  assert.equal(events[0].type, 'my_log');
  assert.equal(p.s, 'str');
  assert.equal(p.n, 1.5);
  assert.equal(p.b, true);
  assert.equal(p.nul, null);
  assert.deepEqual(p.obj, { deep: [1, 'two', { three: 3 }] });
  assert.equal(p.date, '1970-01-01T00:00:00.000Z');
  assert.equal(p.big, '10');
  assert.equal(p.nan, 'NaN');
  assert.ok(!('undef' in p) && !('fn' in p));
  assert.deepEqual(p.circ, { a: 1, self: '[Circular]' });
  assert.ok(Buffer.byteLength(JSON.stringify(p.long)) <= LIMITS.maxParamValueBytes);
  assert.ok(p.long.endsWith('…'));
  assert.equal(p.key, 'val');
  assert.ok(Buffer.byteLength(events[1].message) <= LIMITS.maxMessageBytes);
  assert.equal(Object.keys(events[2].params).length, 100);
  assert.ok(Buffer.byteLength(events[3].error.stack_trace) <= LIMITS.maxStackBytes);
  assert.ok(warnings.some((w) => /My Log!/.test(w)), 'the renamed type is reported');
  assert.ok(warnings.some((w) => /at most 100 parameters/.test(w)));
});

test('normalizeType keeps valid names and repairs others', () => {
  assert.equal(normalizeType('query-created', 'log'), 'query-created');
  assert.equal(normalizeType('app.v2-start', 'log'), 'app.v2-start');
  assert.equal(normalizeType('My Log', 'log'), 'my_log');
  assert.equal(normalizeType('1abc', 'log'), 'x1abc');
  assert.equal(normalizeType('', 'log'), 'log');
  assert.equal(normalizeType(undefined, 'error'), 'error');
  assert.equal(normalizeType('a'.repeat(80), 'log').length, 64);
});

test('package and a string user go on every event', async () => {
  const { events } = await sent((client) => new Logger(null, { client }).log('x'), { user: 'bob@company.com', package: 'PowerPack' });
  assert.equal(events[0].package, 'PowerPack');
  assert.deepEqual(events[0].actor, { kind: 'user', id: 'bob@company.com' });
});

test('without a user: no actor, no session, no settings call', async () => {
  const { events, trail } = await sent((client) => new Logger(null, { client }).log('anon'), { user: undefined });
  assert.equal(events[0].actor, undefined);
  assert.equal(events[0].session_id, undefined);
  assert.deepEqual(trail.requests.map((r) => r.path), ['/api/v1/events']);
});

test("the seed's API: new Logger() after one configure(); messages logged before configure() are kept", async () => {
  const trail = fakeTrail();
  const early = new Logger();
  early.log('before configure');
  const { options } = testOptions(trail, { user: 'carol' });
  configure(options);
  const logger = new Logger((m) => (m.params['persistent'] = 'value'));
  logger.log('HELLO WORLD', { test: 'value', foo: 'bar' });
  logger.log('HELLO WORLD', { test: 'value', foo: 'bar' }, 'my_log');
  logger.error('Error!', 'stack');
  assert.equal(await flush(3000), true);
  await shutdown();
  await until(() => trail.received.length === 4);
  assert.deepEqual(trail.received.map((e) => e.message), ['before configure', 'HELLO WORLD', 'HELLO WORLD', 'Error!']);
  assert.deepEqual(trail.received[1].params, { test: 'value', foo: 'bar', persistent: 'value' });
  assert.equal(trail.received[2].type, 'my_log');
  assert.equal(trail.received[3].type, 'error');
});

test('invalid type names: the first few are reported, each once; the rest counted in one note (memory stays bounded)', async () => {
  const { events, warnings } = await sent((client) => {
    const logger = new Logger(null, { client });
    for (let i = 0; i < 200; i++) logger.log('x', {}, `Bad Type ${i}`);
    logger.log('x', {}, 'Bad Type 0');
  });
  assert.equal(events.length, 201);
  assert.equal(events[199].type, 'bad_type_199');
  assert.equal(warnings.filter((w) => /event type "Bad Type/.test(w)).length, 16);
  assert.equal(warnings.filter((w) => /more warnings of this kind/.test(w)).length, 1);
});
