// End to end in a real browser: a real Trail server, a page on another origin
// that uses the built SDK (dist/), and the events read back through the API.
//
// Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium; installed with
// apt-get when missing and possible) and the `trail` binary (TRAIL_BIN, default
// ../../target/debug/trail; built with `cargo build -p trail-cli` when missing).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '../..');
const ADMIN_KEY = 'trail_e2e_admin_key_0123456789abcdefghij';
// How long the server stays down in the stream test: a minute, the requirement ("nothing
// is lost while the server is down for a minute"); TRAIL_E2E_OUTAGE_MS overrides it.
const OUTAGE_MS = Number(process.env.TRAIL_E2E_OUTAGE_MS ?? 60_000);

// ------------------------------------------------------------------ prerequisites

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return undefined;
}

function ensureChromium() {
  let path = findChromium();
  if (path) return { path };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    return { why: 'Chromium is not installed (set CHROMIUM_PATH, or install the Debian package chromium) and cannot be installed here (needs root and apt-get)' };
  }
  process.stderr.write('# browser test: installing Chromium with apt-get…\n');
  let r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', timeout: 600_000 });
    r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 });
  }
  path = findChromium();
  return path ? { path } : { why: `Chromium could not be installed (apt-get install -y chromium exited with ${r.status})` };
}

function ensureTrail() {
  const bin = process.env.TRAIL_BIN ? resolve(process.env.TRAIL_BIN) : join(repo, 'target/debug/trail');
  if (existsSync(bin)) return bin;
  process.stderr.write(`# browser test: ${bin} is missing; cargo build -p trail-cli…\n`);
  const r = spawnSync('cargo', ['build', '-p', 'trail-cli'], { cwd: repo, stdio: 'inherit', timeout: 3_600_000 });
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not build the trail binary (cargo exited with ${r.status})`);
  return bin;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ Trail server

class TrailServer {
  constructor(bin, dataDir, port, args = []) {
    this.args = args;
    this.bin = bin;
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.log = createWriteStream(join(dataDir, 'server.log'), { flags: 'a' });
  }

  async start() {
    this.proc = spawn(this.bin, ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...this.args], {
      env: { ...process.env, TRAIL_BOOTSTRAP_API_KEY: ADMIN_KEY, TRAIL_BOOTSTRAP_PASSWORD: 'e2e-owner-password-0123', RUST_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.pipe(this.log, { end: false });
    this.proc.stderr.pipe(this.log, { end: false });
    const exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    this.exited = exited;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const done = await Promise.race([exited, sleep(0).then(() => undefined)]);
      if (done) throw new Error(`trail serve exited (${JSON.stringify(done)}); see ${join(this.dataDir, 'server.log')}`);
      try {
        const r = await fetch(`${this.url}/readyz`);
        if (r.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(50);
    }
    throw new Error('trail serve did not become ready in 30 s');
  }

  async kill(signal = 'SIGKILL') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    await this.exited;
  }

  async api(path, { method = 'GET', body, key = ADMIN_KEY } = {}) {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json, text, headers: r.headers };
  }

  /** Every event matching a search, following the cursor. */
  async search(q) {
    const out = [];
    let cursor;
    for (;;) {
      const qs = new URLSearchParams({ q, limit: '500' });
      if (cursor) qs.set('cursor', cursor);
      const r = await this.api(`/api/v1/events?${qs}`);
      assert.equal(r.status, 200, r.text);
      out.push(...r.json.events);
      cursor = r.json.next_cursor;
      if (!cursor) return out;
    }
  }

  async waitFor(q, count, ms, what) {
    const deadline = Date.now() + ms;
    let events = [];
    while (Date.now() < deadline) {
      events = await this.search(q);
      if (events.length >= count) return events;
      await sleep(250);
    }
    assert.fail(`${what}: ${events.length} of ${count} events arrived within ${ms} ms`);
  }
}

// ------------------------------------------------------------------ the page's origin

const APPS = {
  // The seed's three lines, an explicit error, and an uncaught one.
  'seed.js': `
import { configure, Logger } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: { id: 'alice@company.com', name: 'Alice' } });
const logger = new Logger((m) => m.params['persistent'] = 'value');
logger.log('HELLO WORLD', {test: 'value', 'foo': 'bar'});
logger.log('HELLO WORLD', {test: 'value', 'foo': 'bar'}, 'my_log');
logger.error('Error!', new Error('explicit').stack);
setTimeout(() => { throw new Error('boom'); }, 50);
`,
  // 200 events, one every 15 ms. Retries at most 3 s apart, so that the test ends soon after the restart.
  'stream.js': `
import { configure, Logger, flush, stats } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'bob@company.com', batchSize: 20, retryMaxMs: 3000 });
const logger = new Logger();
window.__logged = 0;
for (let i = 0; i < 200; i++) {
  logger.log('tick ' + i, { i }, 'stream-tick');
  window.__logged = i + 1;
  await new Promise((r) => setTimeout(r, 15));
}
window.__flushed = await flush();
window.__stats = stats();
`,
  // Logs and leaves before the batch timer fires: only the page-hide path can send.
  'leave.js': `
import { configure, Logger } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'carol@company.com', flushIntervalMs: 600000, batchSize: 1000 });
const logger = new Logger();
await new Promise((r) => setTimeout(r, 300)); // the session has started
for (let i = 0; i < 5; i++) logger.log('leaving ' + i, { i }, 'page-leave');
window.__logged = true;
`,
  // Logs while the server is down; the page is then reloaded (idle=1) and the
  // reloaded page sends what the first one stored.
  'reload.js': `
import { configure, Logger, stats } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'dave@company.com', flushIntervalMs: 100, retryMaxMs: 1000 });
if (!p.get('idle')) {
  const logger = new Logger();
  for (let i = 0; i < 10; i++) logger.log('offline ' + i, { i }, 'offline-log');
}
window.__stats = () => stats();
window.__logged = true;
`,
};

APPS['burst.js'] = `
import { configure, Logger, flush, stats } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'erin@company.com', batchSize: 2, flushIntervalMs: 10 });
const logger = new Logger();
for (let i = 0; i < 20; i++) logger.log('burst ' + i, { i }, 'burst');
window.__flushed = await flush();
window.__stats = stats();
`;

// Waits for the user's logging settings, then logs what they keep out and what they do not.
APPS['settings.js'] = `
import { configure, Logger, flush, stats, getClient } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'frank@company.com' });
for (let i = 0; i < 100 && !getClient().effectiveSettings; i++) await new Promise((r) => setTimeout(r, 50));
window.__settings = getClient().effectiveSettings;
const logger = new Logger();
logger.log('kept', {}, 'settings-kept');
logger.log('opened', {}, 'project-opened');               // disabled for frank: never sent
logger.log('rendered', {}, 'viewer-rendered');            // info: recorded (debug is the type's catalogue level, not this message's)
logger.debug('dbg-message');                              // debug is off
logger.debug('dbg-rendered', {}, 'viewer-rendered');      // debug, of a type not in debug_types
logger.debug('dbg-enabled', {}, 'dbg-kept');              // debug, of a type in debug_types (frank's custom enable)
window.__flushed = await flush();
window.__stats = stats();
`;

// The defaults, one event: when it was logged, by the page's clock.
APPS['first.js'] = `
import { configure, Logger } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'gina@company.com' });
const logger = new Logger();
window.__loggedAt = Date.now();
logger.log('first', {}, 'first-event');
`;

// A tab that holds its events (hold=1: a 10-minute batch timer), or one that logs nothing.
APPS['tabs.js'] = `
import { configure, Logger, flush, stats } from '/dist/index.js';
const p = new URLSearchParams(location.search);
configure({ url: p.get('trail'), key: p.get('key'), user: 'hank@company.com', ...(p.get('hold') ? { flushIntervalMs: 600000, batchSize: 1000 } : {}) });
if (p.get('hold')) for (let i = 0; i < 5; i++) new Logger().log('held ' + i, { i }, 'tab-held');
window.__stats = () => stats();
window.__flush = () => flush(5000);
window.__ready = true;
`;

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };

function startPageServer(port) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const name = url.pathname.slice(1);
    if (url.pathname.startsWith('/dist/')) {
      const file = normalize(join(pkg, url.pathname));
      if (!file.startsWith(join(pkg, 'dist')) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    }
    if (APPS[name]) {
      res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-store' });
      res.end(APPS[name]);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const app = url.searchParams.get('app') ?? 'seed.js';
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>trail-logger e2e</title>
<script type="module" src="/${app}"></script></head><body><h1>trail-logger e2e</h1></body></html>`);
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r(server)));
}

// ------------------------------------------------------------------ setup

const chromium = ensureChromium();
const skip = chromium.path ? false : `skipped: ${chromium.why}`;
if (skip) process.stderr.write(`# browser test ${skip}\n`);
// Under CI (scripts/test-all.sh) a missing browser fails the suite instead of skipping it.
if (skip && process.env.CI) throw new Error(`CI needs the browser tests: ${chromium.why}`);

let trail;
let pages;
let pageOrigin;
let browser;
let ingestKey;
let dataDir;
const diagnostics = [];

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(pkg, 'dist/index.js')), 'dist/ is built (npm test runs tsc first)');
  const bin = ensureTrail();
  dataDir = mkdtempSync(join(tmpdir(), 'trail-logger-e2e-'));
  trail = new TrailServer(bin, dataDir, await freePort());
  await trail.start();
  const created = await trail.api('/api/v1/keys', { method: 'POST', body: { name: 'browser e2e', scope: 'ingest' } });
  assert.equal(created.status, 201, created.text);
  ingestKey = created.json.secret;
  assert.match(ingestKey, /^trail_/);
  const pagePort = await freePort();
  pages = await startPageServer(pagePort);
  pageOrigin = `http://127.0.0.1:${pagePort}`;
  assert.notEqual(new URL(pageOrigin).origin, new URL(trail.url).origin, 'the page is on another origin than Trail');
  const { chromium: pw } = await import('playwright-core');
  browser = await pw.launch({ executablePath: chromium.path, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});

after(async () => {
  if (process.env.TRAIL_E2E_VERBOSE) process.stderr.write(`# browser diagnostics:\n#   ${diagnostics.join('\n#   ')}\n`);
  await browser?.close();
  await new Promise((r) => (pages ? pages.close(r) : r()));
  await trail?.kill('SIGTERM');
  if (dataDir && !process.exitCode) rmSync(dataDir, { recursive: true, force: true });
  else if (dataDir) process.stderr.write(`# browser test: server data and log kept in ${dataDir}\n`);
});

async function openPage(app, extra = '', server = trail, key = ingestKey) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => diagnostics.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => diagnostics.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => diagnostics.push(`[requestfailed] ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && diagnostics.push(`[response] ${r.status()} ${r.request().method()} ${r.url()}`));
  const qs = new URLSearchParams({ app, trail: server.url, key });
  await page.goto(`${pageOrigin}/?${qs}${extra}`);
  return { context, page, url: `${pageOrigin}/?${qs}` };
}

/** The lengths of the queues a page's origin holds in localStorage. */
function storedQueues(page) {
  return page.evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith('trail-logger:queue:')).map((k) => JSON.parse(localStorage.getItem(k)).events.length),
  );
}

function explain(e) {
  if (diagnostics.length) e.message += `\nbrowser diagnostics:\n  ${diagnostics.slice(-40).join('\n  ')}`;
  return e;
}

// ------------------------------------------------------------------ tests

test("the seed's example in a browser: events, params, session, the uncaught error", { skip, timeout: 120_000 }, async () => {
  const { context } = await openPage('seed.js');
  try {
    const events = await trail.waitFor('user:alice@company.com', 4, 20_000, 'seed events');
    const byMessage = Object.fromEntries(events.map((e) => [`${e.type}:${e.message}`, e]));
    const log = byMessage['log:HELLO WORLD'];
    const myLog = byMessage['my_log:HELLO WORLD'];
    const explicit = byMessage['error:Error!'];
    const boom = byMessage['error:boom'];
    assert.ok(log && myLog && explicit && boom, `got ${Object.keys(byMessage)}`);
    assert.equal(events.length, 4);

    assert.deepEqual(log.params, { test: 'value', foo: 'bar', persistent: 'value' });
    assert.deepEqual(myLog.params, { test: 'value', foo: 'bar', persistent: 'value' });
    assert.equal(log.level, 'info');
    for (const e of events) {
      assert.equal(e.source, 'client');
      assert.equal(e.actor.kind, 'user');
      assert.equal(e.actor.id, 'alice@company.com');
      assert.equal(e.ip, '127.0.0.1', 'the server took the address');
      assert.match(e.user_agent ?? '', /Chrome/, 'the server took the user agent');
    }
    // The Logger's callback saw its own messages (the uncaught error is the SDK's, not this Logger's).
    for (const e of [log, myLog, explicit]) assert.equal(e.params.persistent, 'value');
    assert.equal(explicit.level, 'error');
    assert.equal(explicit.status, 'failed');
    assert.match(explicit.error.stack_trace, /Error: explicit\n\s+at .*seed\.js/);

    // The uncaught error, with its stack trace naming the file.
    assert.equal(boom.level, 'error');
    assert.equal(boom.params.kind, 'uncaught');
    assert.match(boom.error.stack_trace, /Error: boom/);
    assert.match(boom.error.stack_trace, /seed\.js:\d+:\d+/);
    assert.match(boom.params.filename, /seed\.js$/);

    // One session, a real one of the user, started by the browser.
    const sessions = new Set(events.map((e) => e.session_id));
    assert.equal(sessions.size, 1);
    const [sid] = sessions;
    assert.ok(sid);
    const s = await trail.api(`/api/v1/sessions/${sid}`);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.user, 'alice@company.com');
    assert.equal(s.json.client, 'browser');
    assert.match(s.json.user_agent ?? '', /Chrome/);
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});

test('the server is killed mid-stream and restarted: all 200 events arrive exactly once', { skip, timeout: 180_000 + OUTAGE_MS }, async () => {
  const { context, page } = await openPage('stream.js');
  try {
    await page.waitForFunction(() => window.__logged >= 60, null, { timeout: 20_000 });
    await trail.kill('SIGKILL');
    const loggedAtKill = await page.evaluate(() => window.__logged);
    await sleep(OUTAGE_MS);
    const loggedAtRestart = await page.evaluate(() => window.__logged);
    assert.ok(loggedAtRestart > loggedAtKill, 'the page kept logging while the server was down');
    await trail.start(); // same port, same database
    await page.waitForFunction(() => window.__logged === 200, null, { timeout: 30_000 });
    const events = await trail.waitFor('user:bob@company.com type:stream-tick', 200, 60_000, 'streamed events');
    // Nothing more arrives afterwards (no late duplicates).
    await page.waitForFunction(() => window.__flushed === true, null, { timeout: 60_000 });
    await sleep(500);
    const final = await trail.search('user:bob@company.com type:stream-tick');
    assert.equal(final.length, 200, 'no duplicates in the listing');
    const ids = new Set(final.map((e) => e.id));
    assert.equal(ids.size, 200, 'distinct ids');
    const seen = final.map((e) => e.params.i).sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i));
    assert.equal(new Set(final.map((e) => e.session_id)).size, 1, 'one session throughout');
    const stats = await page.evaluate(() => window.__stats);
    assert.ok(stats.retries > 0, 'the page had to retry');
    assert.equal(stats.queued, 0);
    assert.equal(events.length, 200);
    process.stderr.write(`# stream: killed after ${loggedAtKill} events, down ${OUTAGE_MS} ms, restarted after ${loggedAtRestart}; ${stats.retries} retries\n`);
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});

test('leaving the page sends the queue with a keepalive request', { skip, timeout: 60_000 }, async () => {
  const { context, page } = await openPage('leave.js');
  try {
    await page.waitForFunction(() => window.__logged === true, null, { timeout: 10_000 });
    await page.goto('about:blank'); // pagehide: the batch timer (10 minutes) never fires
    const events = await trail.waitFor('user:carol@company.com type:page-leave', 5, 15_000, 'events sent on page hide');
    assert.equal(events.length, 5);
    assert.equal(new Set(events.map((e) => e.session_id)).size, 1);
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});

test('events logged while the server is down survive a page reload', { skip, timeout: 90_000 }, async () => {
  await trail.kill('SIGKILL');
  let context;
  try {
    let page;
    ({ context, page } = await openPage('reload.js'));
    await page.waitForFunction(() => window.__logged === true, null, { timeout: 10_000 });
    // Some failed tries; the queue is written within a second.
    await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('trail-logger:queue:')), null, { timeout: 5000 });
    assert.deepEqual(await storedQueues(page), [10], 'the queue is in localStorage');
    await page.goto(`${page.url()}&idle=1`); // a reload that logs nothing itself
    await page.waitForFunction(() => window.__logged === true, null, { timeout: 10_000 });
    diagnostics.push(`[reload] after the reload: queued ${(await page.evaluate(() => window.__stats())).queued}, stored ${JSON.stringify(await storedQueues(page))}, keys ${JSON.stringify(await page.evaluate(() => Object.keys(localStorage)))}`);
    await trail.start();
    const events = await trail.waitFor('user:dave@company.com type:offline-log', 10, 30_000, 'events of the previous page');
    await sleep(1500);
    const final = await trail.search('user:dave@company.com type:offline-log');
    assert.equal(final.length, 10);
    assert.equal(new Set(final.map((e) => e.id)).size, 10);
    assert.deepEqual(final.map((e) => e.params.i).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
    assert.equal(events.length, 10);
    await page.waitForFunction(
      () => Object.keys(localStorage).filter((k) => k.startsWith('trail-logger:queue')).length === 0,
      null,
      { timeout: 5000 },
    );
  } catch (e) {
    throw explain(e);
  } finally {
    await context?.close();
    if (!trail.proc || trail.proc.exitCode !== null || trail.proc.signalCode !== null) await trail.start().catch(() => {});
  }
});

test('a rate-limited key (429): the page waits and retries, every event arrives once', { skip, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trail-logger-e2e-429-'));
  const limited = new TrailServer(trail.bin, dir, await freePort(), ['--ingest-requests-per-second', '2']);
  let context;
  try {
    await limited.start();
    const created = await limited.api('/api/v1/keys', { method: 'POST', body: { name: 'limited', scope: 'ingest' } });
    assert.equal(created.status, 201, created.text);
    let page;
    ({ context, page } = await openPage('burst.js', '', limited, created.json.secret));
    await page.waitForFunction(() => window.__flushed !== undefined, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__flushed), true);
    const stats = await page.evaluate(() => window.__stats);
    assert.ok(stats.retries > 0, 'the server answered 429 at least once');
    const events = await limited.search('user:erin@company.com type:burst');
    assert.equal(events.length, 20);
    assert.equal(new Set(events.map((e) => e.id)).size, 20);
    process.stderr.write(`# 429: ${stats.retries} retries for 20 events in batches of 2 at 2 requests/s\n`);
  } catch (e) {
    throw explain(e);
  } finally {
    await context?.close();
    await limited.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the user's logging settings, by the server's rule: what it would not record is never sent; the rest is sent and stored", { skip, timeout: 60_000 }, async () => {
  const probe = await trail.api('/api/v1/logging-settings/effective?user=frank%40company.com', { key: ingestKey });
  assert.equal(probe.status, 200, `an ingest key reads a person's settings for SDKs: ${probe.text}`);
  const put = await trail.api('/api/v1/settings/logging', {
    method: 'PUT',
    body: { default: null, users: { 'frank@company.com': { level: 'custom', disable: ['project-opened'], enable: ['dbg-kept'] } }, groups: {} },
  });
  assert.ok(put.status === 200 || put.status === 204, put.text);
  const bodies = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('request', (r) => {
    if (r.url().endsWith('/api/v1/events')) bodies.push(r.postData() ?? '');
  });
  try {
    const qs = new URLSearchParams({ app: 'settings.js', trail: trail.url, key: ingestKey });
    await page.goto(`${pageOrigin}/?${qs}`);
    await page.waitForFunction(() => window.__flushed !== undefined, null, { timeout: 30_000 });
    const settings = await page.evaluate(() => window.__settings);
    assert.ok(settings, 'the page read the settings');
    assert.deepEqual(settings.disabled_types, ['project-opened']);
    assert.equal(settings.debug, false);
    assert.deepEqual(settings.debug_types, ['dbg-kept']);
    assert.equal(settings.policy, undefined, "an ingest key does not see the person's setting");
    const sent = bodies.flatMap((b) => JSON.parse(b)).map((e) => e.message).sort();
    assert.deepEqual(sent, ['dbg-enabled', 'kept', 'rendered'], 'sent: exactly what the server records');
    const stats = await page.evaluate(() => window.__stats);
    assert.equal(stats.dropped.disabled, 3, 'dropped in the page (none by the server)');
    assert.equal(stats.acknowledged, 3);
    const events = await trail.search('user:frank@company.com');
    assert.deepEqual(events.map((e) => `${e.type}/${e.level}`).sort(), ['dbg-kept/debug', 'settings-kept/info', 'viewer-rendered/info']);
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});

test('with the defaults, an event can be read through the API within a second of being logged', { skip, timeout: 60_000 }, async () => {
  const q = 'user:gina@company.com type:first-event';
  let foundAt;
  const polling = (async () => {
    const deadline = Date.now() + 20_000;
    while (!foundAt && Date.now() < deadline) {
      if ((await trail.search(q)).length > 0) foundAt = Date.now();
      else await sleep(10);
    }
  })();
  const { context, page } = await openPage('first.js');
  try {
    await polling;
    assert.ok(foundAt, 'the event arrived');
    const loggedAt = await page.evaluate(() => window.__loggedAt);
    const ms = foundAt - loggedAt;
    process.stderr.write(`# first event readable ${ms} ms after the page logged it\n`);
    assert.ok(ms < 1000, `readable ${ms} ms after it was logged`);
    const [event] = await trail.search(q);
    assert.ok(event.session_id, 'with its session');
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});

test("two live tabs of one origin: neither takes the other's stored queue", { skip, timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  try {
    const qs = new URLSearchParams({ app: 'tabs.js', trail: trail.url, key: ingestKey });
    const a = await context.newPage();
    await a.goto(`${pageOrigin}/?${qs}&hold=1`);
    await a.waitForFunction(() => window.__ready === true, null, { timeout: 10_000 });
    await a.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('trail-logger:queue:')), null, { timeout: 5000 });
    assert.deepEqual(await storedQueues(a), [5]);

    const b = await context.newPage();
    const fromB = [];
    b.on('request', (r) => r.url().endsWith('/api/v1/events') && fromB.push(r.postData() ?? ''));
    await b.goto(`${pageOrigin}/?${qs}`);
    await b.waitForFunction(() => window.__ready === true, null, { timeout: 10_000 });
    await sleep(1500);
    assert.equal((await b.evaluate(() => window.__stats())).queued, 0, 'the second tab took nothing');
    assert.ok(!fromB.join('').includes('tab-held'), 'and sent nothing of the first');
    assert.deepEqual(await storedQueues(b), [5], "the first tab's queue is still stored");

    assert.equal(await a.evaluate(() => window.__flush()), true);
    const events = await trail.search('user:hank@company.com type:tab-held');
    assert.equal(events.length, 5);
    assert.equal(new Set(events.map((e) => e.id)).size, 5);
  } catch (e) {
    throw explain(e);
  } finally {
    await context.close();
  }
});
