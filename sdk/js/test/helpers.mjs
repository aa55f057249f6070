// Fakes for the unit tests: a fetch that answers like Trail (or as told), and a storage.

export const URL_ = 'http://trail.test';
export const KEY = 'trail_ingest_test_key';

function response({ status = 201, body = '', headers = {} } = {}) {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => (h.has(name.toLowerCase()) ? h.get(name.toLowerCase()) : null) },
    text: async () => text,
  };
}

/** The answer Trail gives to a stored batch. */
export function stored(events, duplicate = false) {
  return {
    status: duplicate ? 200 : 201,
    body: {
      accepted: duplicate ? 0 : events.length,
      duplicates: duplicate ? events.length : 0,
      events: events.map((e, i) => ({ id: e.id, seq: i + 1, duplicate })),
    },
  };
}

/**
 * A fake Trail. `onEvents(batch, request)` answers POST /api/v1/events (default:
 * stored); `onSettings`, `onSession` the other calls. Every request is recorded.
 */
export function fakeTrail({ onEvents, onSettings, onSession, clock } = {}) {
  const requests = [];
  const received = []; // events of acknowledged requests
  let sessions = 0;
  const fetch = async (url, init = {}) => {
    const req = {
      url,
      path: url.slice(URL_.length).split('?')[0],
      query: url.includes('?') ? url.slice(url.indexOf('?') + 1) : '',
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: init.body,
      keepalive: !!init.keepalive,
      at: (clock ?? Date).now(),
    };
    requests.push(req);
    if (req.path === '/api/v1/events') req.events = JSON.parse(req.body);
    await Promise.resolve();
    if (req.path === '/api/v1/events') {
      const batch = req.events;
      const answer = onEvents ? await onEvents(batch, req, requests) : stored(batch);
      if (answer instanceof Error) throw answer;
      req.answered = answer.status;
      if (answer.status === 200 || answer.status === 201) received.push(...batch);
      return response(answer);
    }
    if (req.path === '/api/v1/sessions') {
      if (onSession) {
        const a = await onSession(req);
        if (a instanceof Error) throw a;
        return response(a);
      }
      sessions++;
      return response({ status: 201, body: { id: `01a20973-9c0c-7453-80cf-${String(sessions).padStart(12, '0')}`, user: JSON.parse(req.body).user.id } });
    }
    if (req.path === '/api/v1/logging-settings/effective') {
      if (onSettings) {
        const a = await onSettings(req);
        if (a instanceof Error) throw a;
        return response(a);
      }
      return response({ status: 200, body: { user: 'x', disabled_types: [], debug: true, refresh_seconds: 60 } });
    }
    return response({ status: 404, body: { error: { code: 'not_found', message: 'no such endpoint' } } });
  };
  return {
    fetch,
    requests,
    received,
    eventRequests: () => requests.filter((r) => r.path === '/api/v1/events'),
  };
}

/** A Map-backed Web Storage, with key()/length like localStorage. */
export class FakeStorage {
  constructor() {
    this.map = new Map();
    this.writes = 0;
    this.writesOf = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.writes++;
    this.writesOf.set(k, (this.writesOf.get(k) ?? 0) + 1);
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
  key(i) {
    return [...this.map.keys()][i] ?? null;
  }
  get length() {
    return this.map.size;
  }
}

/** The keys of a storage holding queues. */
export const queueKeys = (storage) => [...storage.map.keys()].filter((k) => k.startsWith('trail-logger:queue'));

/**
 * A virtual clock for the client's `clock` option: time stands still until the
 * test advances it; the timers due on the way run in order, and the promises
 * they start settle before the next one runs.
 */
export class FakeClock {
  constructor(start = Date.now()) {
    this.t = start;
    this.timers = new Map();
    this.nextId = 1;
  }
  now() {
    return this.t;
  }
  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(id) {
    this.timers.delete(id);
  }
  /** Lets pending promises (fake requests, the client's reactions) run. */
  async settle() {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  }
  async advance(ms) {
    const end = this.t + ms;
    await this.settle();
    for (;;) {
      let next;
      for (const t of this.timers.values()) if (t.at <= end && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
  /** Waits (virtually) for a promise, advancing in steps of `step` ms up to `max`. */
  async until(promise, max = 600_000, step = 10) {
    let done = false;
    let value;
    promise.then((v) => {
      done = true;
      value = v;
    });
    for (let spent = 0; !done && spent <= max; spent += step) await this.advance(step);
    if (!done) throw new Error(`not settled within ${max} virtual ms`);
    return value;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds (polling), failing after `ms`. */
export async function until(cond, ms = 3000, what = 'condition') {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Options for a client in a test: fast timers, warnings collected, no error capture. */
export function testOptions(trail, extra = {}) {
  const warnings = [];
  return {
    warnings,
    options: {
      url: URL_,
      key: KEY,
      fetch: trail.fetch,
      warn: (m) => warnings.push(m),
      captureErrors: false,
      flushIntervalMs: 20,
      retryBaseMs: 10,
      retryMaxMs: 50,
      ...extra,
    },
  };
}
