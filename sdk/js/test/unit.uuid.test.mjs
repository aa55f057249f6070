import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7, uuidv7Time, UuidV7 } from '../dist/index.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuidv7: version 7, RFC 9562 variant, lowercase canonical form', () => {
  for (let i = 0; i < 1000; i++) {
    const id = uuidv7();
    assert.match(id, FORMAT);
  }
});

test('uuidv7: the first 48 bits are the Unix time in milliseconds', () => {
  const before = Date.now();
  const id = uuidv7();
  const after = Date.now();
  const t = uuidv7Time(id);
  assert.ok(t >= before && t <= after + 1, `${t} not within ${before}..${after}`);
  const fixed = new UuidV7(() => 0x0123456789ab);
  assert.ok(fixed.next().startsWith('01234567-89ab-7'));
});

test('uuidv7: ids made in a tight loop sort in the order they were made, all distinct', () => {
  const ids = [];
  for (let i = 0; i < 20000; i++) ids.push(uuidv7());
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids);
  assert.equal(new Set(ids).size, ids.length);
});

test('uuidv7: monotonic when the clock stands still or goes back, and past counter overflow', () => {
  let now = 1_700_000_000_000;
  const gen = new UuidV7(() => now);
  const ids = [];
  for (let i = 0; i < 10000; i++) ids.push(gen.next()); // > 4096: the counter overflows into the next ms
  now -= 5000; // the clock jumps back
  for (let i = 0; i < 100; i++) ids.push(gen.next());
  now += 100000;
  ids.push(gen.next());
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, FORMAT);
  assert.ok(uuidv7Time(ids[9999]) > 1_700_000_000_000, 'the timestamp moved on when the counter ran out');
  assert.equal(uuidv7Time(ids.at(-1)), now);
});
