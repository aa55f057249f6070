// Node.js behaviour that needs a process of its own: exit, uncaught errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')).href;

/** Runs a script whose fake fetch prints each POSTed batch as a `SENT <json>` line. */
function run(body, { fail = false } = {}) {
  const script = `
import { configure, Logger, flush } from ${JSON.stringify(dist)};
const fetch = async (url, init) => {
  if (${fail}) throw new TypeError('fetch failed');
  if (url.endsWith('/api/v1/events')) process.stdout.write('SENT ' + init.body + '\\n');
  const text = url.endsWith('/api/v1/sessions') ? JSON.stringify({ id: '01a20973-9c0c-7453-80cf-000000000001' })
    : url.includes('logging-settings') ? JSON.stringify({ disabled_types: [], debug: true, refresh_seconds: 60 })
    : JSON.stringify({ accepted: 1, duplicates: 0, events: [] });
  return { status: url.includes('logging-settings') ? 200 : 201, headers: { get: () => null }, text: async () => text };
};
${body}
`;
  const start = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  const sent = r.stdout.split('\n').filter((l) => l.startsWith('SENT ')).flatMap((l) => JSON.parse(l.slice(5)));
  return { ...r, sent, ms: Date.now() - start };
}

test('Node.js: what is queued when the script ends is sent before the process exits', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch, flushIntervalMs: 60000 });
const logger = new Logger();
for (let i = 0; i < 3; i++) logger.log('m' + i);
`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.sent.map((e) => e.message), ['m0', 'm1', 'm2']);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test('Node.js: with the server unreachable the process still ends (after at most ~5 s)', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch, warn: () => {} });
new Logger().log('lost');
`, { fail: true });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

test('Node.js: await flush() keeps the process alive through retries', () => {
  const r = run(`
let n = 0;
const flaky = async (url, init) => (url.endsWith('/events') && ++n < 3 ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init));
configure({ url: 'http://trail.test', key: 'k', fetch: flaky, retryBaseMs: 200, random: () => 0.99, warn: () => {} });
new Logger().log('after retries');
const ok = await flush();
process.stdout.write('FLUSHED ' + ok + '\\n');
`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /FLUSHED true/);
  assert.deepEqual(r.sent.map((e) => e.message), ['after retries']);
});

test('Node.js: an uncaught exception is logged by default with its stack, flushed, printed, and the process exits 1', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch, user: 'svc' });
setTimeout(() => { throw new Error('node boom'); }, 10);
`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Error: node boom\n\s+at /, 'printed as Node.js would');
  const e = r.sent.find((x) => x.message === 'node boom');
  assert.ok(e, r.stdout);
  assert.equal(e.type, 'error');
  assert.equal(e.level, 'error');
  assert.equal(e.params.kind, 'uncaughtException');
  assert.match(e.error.stack_trace, /Error: node boom\n\s+at /);
});

test('Node.js: an unhandled rejection too', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch });
Promise.reject(new RangeError('rejected'));
`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /RangeError: rejected/);
  const e = r.sent.find((x) => x.message === 'rejected');
  assert.ok(e, r.stdout);
  assert.equal(e.params.kind, 'unhandledRejection');
  assert.match(e.error.stack_trace, /RangeError: rejected/);
});

test('Node.js: the crash waits at most 2 s for an unreachable server', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch, warn: () => {} });
setTimeout(() => { throw new Error('offline boom'); }, 10);
`, { fail: true });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /offline boom/);
  assert.ok(r.ms < 6000, `took ${r.ms} ms`);
});

test('Node.js: with another uncaughtException handler, that handler decides (the process lives on)', () => {
  const r = run(`
process.on('uncaughtException', (e) => process.stdout.write('MINE ' + e.message + '\\n'));
configure({ url: 'http://trail.test', key: 'k', fetch });
setTimeout(() => { throw new Error('handled elsewhere'); }, 10);
setTimeout(() => process.stdout.write('STILL ALIVE\\n'), 300);
`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /MINE handled elsewhere/);
  assert.match(r.stdout, /STILL ALIVE/);
  assert.ok(r.sent.some((x) => x.message === 'handled elsewhere'), 'logged all the same');
});

test('Node.js: captureErrors: false installs nothing (Node handles the crash itself)', () => {
  const r = run(`
configure({ url: 'http://trail.test', key: 'k', fetch, captureErrors: false });
setTimeout(() => { throw new Error('not logged'); }, 10);
`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not logged/);
  assert.ok(!r.sent.some((x) => x.message === 'not logged'));
});

test('Node.js: one process listener per event however many clients; none left after shutdown', () => {
  const r = run(`
import { TrailClient } from ${JSON.stringify(dist)};
const events = ['uncaughtException', 'unhandledRejection', 'beforeExit', 'exit'];
const count = () => events.map((e) => process.listenerCount(e)).join(',');
const before = count();
const clients = Array.from({ length: 20 }, () => new TrailClient({ url: 'http://trail.test', key: 'k', fetch }));
const during = count();
for (const c of clients) await c.shutdown();
process.stdout.write('COUNTS ' + before + ' ' + during + ' ' + count() + '\\n');
`);
  assert.equal(r.status, 0, r.stderr);
  const [, before, during, afterShutdown] = /COUNTS (\S+) (\S+) (\S+)/.exec(r.stdout);
  assert.equal(during, before.split(',').map((n) => Number(n) + 1).join(','), 'one listener each');
  assert.equal(afterShutdown, before, 'removed with the last client');
});
