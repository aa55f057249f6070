// What the browser tests share: a real `trail serve` on a temporary data
// directory, the system Chromium driven by playwright-core, signing in, and
// screenshots. The approach is sdk/js/test/browser.test.mjs's.
//
// Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium; installed with
// apt-get when missing and possible) and the `trail` binary (TRAIL_BIN, default
// <target>/debug/trail; built with `cargo build -p trail-cli` when missing).
// Screenshots go to TRAIL_WEB_SCREENSHOTS when set (`npm run screenshots`
// writes docs/screenshots/), else to $TMPDIR/trail-web-screenshots.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const web = resolve(here, '..');
const repo = resolve(web, '..');
export const ADMIN_KEY = 'trail_web_e2e_admin_key_0123456789abcdef';
export const OWNER_PASSWORD = 'web-e2e-owner-password-0123';
/** The viewer's time zone in every browser context: times must show in it. */
export const TIME_ZONE = 'Europe/Berlin';
export const VIEWPORT = { width: 1280, height: 800 };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const READY_SECONDS = 300;

// ------------------------------------------------------------------ prerequisites

function findChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((c) => c && existsSync(c));
}

/** `{path}` of a Chromium, installing Debian's when missing and possible; else `{why}`. */
export function ensureChromium() {
  let path = findChromium();
  if (path) return { path };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    return {
      why: 'Chromium is not installed (set CHROMIUM_PATH, or install the Debian package chromium) and cannot be installed here (needs root and apt-get)',
    };
  }
  process.stderr.write('# web tests: installing Chromium with apt-get…\n');
  let r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', timeout: 600_000 });
    r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', timeout: 600_000 });
  }
  path = findChromium();
  return path
    ? { path }
    : { why: `Chromium could not be installed (apt-get install -y chromium exited with ${r.status})` };
}

export function ensureTrail() {
  const target = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, 'target');
  const bin = process.env.TRAIL_BIN ? resolve(process.env.TRAIL_BIN) : join(target, 'debug/trail');
  if (existsSync(bin)) return bin;
  process.stderr.write(`# web tests: ${bin} is missing; cargo build -p trail-cli…\n`);
  const r = spawnSync('cargo', ['build', '-p', 'trail-cli'], { cwd: repo, stdio: 'inherit', timeout: 3_600_000 });
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(`could not build the trail binary (cargo exited with ${r.status})`);
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

// ------------------------------------------------------------------ Trail server

/** A `trail serve` of its own, on a free port and a fresh data directory. */
export class TrailServer {
  static async start(bin, args = []) {
    const server = new TrailServer(bin, mkdtempSync(join(tmpdir(), 'trail-web-e2e-')), await freePort(), args);
    await server.#run();
    return server;
  }

  constructor(bin, dataDir, port, args) {
    this.bin = bin;
    this.dataDir = dataDir;
    this.port = port;
    this.args = args;
    this.url = `http://127.0.0.1:${port}`;
    this.logPath = join(dataDir, 'server.log');
  }

  async #run() {
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.proc = spawn(
      this.bin,
      ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...this.args],
      {
        env: {
          ...process.env,
          TRAIL_BOOTSTRAP_API_KEY: ADMIN_KEY,
          TRAIL_BOOTSTRAP_PASSWORD: OWNER_PASSWORD,
          RUST_LOG: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.proc.stdout.pipe(log, { end: false });
    this.proc.stderr.pipe(log, { end: false });
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    // The demo data takes about a minute to load in a debug build, more on a
    // machine busy with other work.
    const deadline = Date.now() + READY_SECONDS * 1000;
    while (Date.now() < deadline) {
      const done = await Promise.race([this.exited, sleep(0).then(() => undefined)]);
      if (done) throw new Error(`trail serve exited (${JSON.stringify(done)}); see ${this.logPath}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // Not listening yet (the demo data is loading).
      }
      await sleep(100);
    }
    // Not left running behind a failed start.
    this.proc.kill('SIGTERM');
    throw new Error(`trail serve did not become ready in ${READY_SECONDS} s; see ${this.logPath}`);
  }

  async stop({ keep = false } = {}) {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await this.exited;
    }
    if (keep) process.stderr.write(`# web tests: server data and log kept in ${this.dataDir}\n`);
    else rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** A call with the admin key; `{status, json, text, headers}`. */
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

  /** Lets a person of the demo data sign in with this password. */
  async setPassword(login, password) {
    const r = await this.api(`/api/v1/users/${encodeURIComponent(login)}`, { method: 'PATCH', body: { password } });
    assert.equal(r.status, 200, r.text);
  }

  /** One page of a search, as the app asks for it (the viewer's time zone). */
  async page(q, limit = 50) {
    const qs = new URLSearchParams({ q, limit: String(limit), tz: TIME_ZONE });
    const r = await this.api(`/api/v1/events?${qs}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  }

  /** Every event matching a search, following the cursor. */
  async all(q) {
    const out = [];
    let cursor;
    for (;;) {
      const qs = new URLSearchParams({ q, limit: '500', tz: TIME_ZONE });
      if (cursor) qs.set('cursor', cursor);
      const r = await this.api(`/api/v1/events?${qs}`);
      assert.equal(r.status, 200, r.text);
      out.push(...r.json.events);
      cursor = r.json.next_cursor;
      if (!cursor) return out;
    }
  }
}

// ------------------------------------------------------------------ a test file's setup

/**
 * What a test file of the app shares: a `trail serve` (with the demo data by
 * default), the browser, an owner signed in (`owner`, a context), and what
 * must never happen (`problems`; `clean()` asserts there were none). Set up
 * before the file's first test and torn down after its last; `skip` says why
 * there is no browser.
 */
export function browserSuite({ args = ['--demo'] } = {}) {
  const chromium = ensureChromium();
  const skip = chromium.path ? false : `skipped: ${chromium.why}`;
  if (skip) process.stderr.write(`# web tests ${skip}\n`);
  // Under CI (scripts/test-all.sh) a missing browser fails the suite instead of skipping it.
  if (skip && process.env.CI) throw new Error(`CI needs the web tests: ${chromium.why}`);
  const suite = {
    skip,
    problems: [],
    trail: undefined,
    browser: undefined,
    owner: undefined,
    /** Each test ends with no page error and no Content-Security-Policy violation. */
    clean: () => assert.deepEqual(suite.problems.splice(0), [], 'page errors or CSP violations'),
  };
  let ready;
  /** Settles once the setup is done (node:test may start a file's other hooks before it ends). */
  suite.ready = new Promise((resolve, reject) => (ready = { resolve, reject }));
  suite.ready.catch(() => {});
  before(async () => {
    try {
      if (!skip) await setUp();
      ready.resolve(suite);
    } catch (e) {
      ready.reject(e);
      throw e;
    }
  });
  async function setUp() {
    suite.trail = await TrailServer.start(ensureTrail(), args);
    const { chromium: pw } = await import('playwright-core');
    suite.browser = await pw.launch({
      executablePath: chromium.path,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    suite.owner = await newContext(suite.browser, suite.problems);
    const page = await suite.owner.newPage();
    await signIn(page, suite.trail, 'owner', OWNER_PASSWORD);
    await page.close();
  }
  after(async () => {
    await suite.browser?.close();
    await suite.trail?.stop({ keep: !!process.exitCode });
  });
  return suite;
}

// ------------------------------------------------------------------ browser

/**
 * A browser context as a viewer on a laptop would have it, collecting what
 * must never happen: page errors and Content-Security-Policy violations.
 */
export async function newContext(browser, problems) {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    timezoneId: TIME_ZONE,
    locale: 'en-US',
    acceptDownloads: true,
  });
  context.on('page', (page) => watch(page, problems));
  return context;
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
}

export async function signIn(page, server, login, password) {
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

/** The ids of the rows the table shows, top to bottom. */
export async function rowIds(page) {
  await page.locator('tbody tr').first().waitFor();
  return page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
}

/** Waits until the table shows `want` (ids, in order) and returns what it shows. */
export async function waitForRows(page, want, ms = 10_000) {
  const deadline = Date.now() + ms;
  let got = [];
  while (Date.now() < deadline) {
    got = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    if (JSON.stringify(got) === JSON.stringify(want)) return got;
    await sleep(100);
  }
  return got;
}

// One folder, overwritten by each run: a look at the last run's screens without piling up.
const shotsDir = process.env.TRAIL_WEB_SCREENSHOTS
  ? resolve(web, process.env.TRAIL_WEB_SCREENSHOTS)
  : join(tmpdir(), 'trail-web-screenshots');
mkdirSync(shotsDir, { recursive: true });

/** A screenshot of the viewport (1280×800), as docs/screenshots/NAME.png. */
export async function screenshot(page, name) {
  // Let transitions and the chart's animation finish, and hide the caret.
  await sleep(350);
  await page.screenshot({ path: join(shotsDir, `${name}.png`), caret: 'hide', animations: 'disabled' });
}

/** `2024-06-12 14:30:22` of an RFC 3339 time in the viewer's time zone, as the table shows it. */
export function viewerTime(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The records of a CSV text (RFC 4180: quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text) {
  const records = [];
  let record = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += c;
  }
  if (cell || record.length) {
    record.push(cell);
    records.push(record);
  }
  return records;
}
