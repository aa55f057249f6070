/**
 * UUIDv7 (RFC 9562): 48-bit Unix time in milliseconds, version 7, a 12-bit
 * counter (rand_a, seeded at random each millisecond so that ids made in one
 * millisecond still sort in the order they were made), variant 10, and 62
 * random bits. Monotonic within one logger: when the clock stands still or
 * goes back, the last timestamp is reused and the counter advances; when the
 * counter runs out, the timestamp moves one millisecond ahead.
 */

type RandomFill = (bytes: Uint8Array) => Uint8Array;

function webCrypto(): RandomFill | undefined {
  const c = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => Uint8Array } }).crypto;
  if (c && typeof c.getRandomValues === 'function') {
    return (b) => c.getRandomValues!(b);
  }
  return undefined;
}

let fill: RandomFill | undefined = webCrypto();
if (!fill) {
  // Node.js 18 has Web Crypto only as `require('node:crypto').webcrypto`. The
  // specifier is a variable so that bundlers for browsers leave it alone.
  const specifier = 'node:crypto';
  try {
    const nodeCrypto = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as {
      webcrypto?: { getRandomValues(b: Uint8Array): Uint8Array };
      randomFillSync?: (b: Uint8Array) => Uint8Array;
    };
    if (nodeCrypto.webcrypto) {
      const wc = nodeCrypto.webcrypto;
      fill = (b) => wc.getRandomValues(b);
    } else if (nodeCrypto.randomFillSync) {
      const rf = nodeCrypto.randomFillSync;
      fill = (b) => rf(b);
    }
  } catch {
    // No crypto at all (a very old or unusual runtime): fall through.
  }
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  if (fill) return fill(b);
  for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
  return b;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** A generator of monotonic UUIDv7s; `now` is injectable for tests. */
export class UuidV7 {
  private lastMs = -1;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let ms = Math.floor(this.now());
    const rand = randomBytes(10);
    if (ms > this.lastMs) {
      this.lastMs = ms;
      // Seeded below 2048 so that the counter has room to grow in this millisecond.
      this.counter = ((rand[0]! << 8) | rand[1]!) & 0x7ff;
    } else {
      ms = this.lastMs;
      this.counter++;
      if (this.counter > 0xfff) {
        ms = ++this.lastMs;
        this.counter = ((rand[0]! << 8) | rand[1]!) & 0x7ff;
      }
    }
    const b = new Uint8Array(16);
    // 48-bit big-endian timestamp. Numbers are exact up to 2^53, so split it.
    const hi = Math.floor(ms / 0x100000000);
    const lo = ms >>> 0;
    b[0] = (hi >>> 8) & 0xff;
    b[1] = hi & 0xff;
    b[2] = (lo >>> 24) & 0xff;
    b[3] = (lo >>> 16) & 0xff;
    b[4] = (lo >>> 8) & 0xff;
    b[5] = lo & 0xff;
    b[6] = 0x70 | ((this.counter >>> 8) & 0x0f);
    b[7] = this.counter & 0xff;
    b[8] = 0x80 | (rand[2]! & 0x3f);
    for (let i = 9; i < 16; i++) b[i] = rand[i - 6]!;
    let s = '';
    for (let i = 0; i < 16; i++) {
      s += HEX[b[i]!];
      if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
    }
    return s;
  }
}

const shared = new UuidV7();

/** A new UUIDv7, later than every one this module made before. */
export function uuidv7(): string {
  return shared.next();
}

/** The millisecond timestamp of a UUIDv7. */
export function uuidv7Time(id: string): number {
  const hex = id.replace(/-/g, '').slice(0, 12);
  return parseInt(hex, 16);
}

export function randomHex(bytes: number): string {
  const b = randomBytes(bytes);
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}
