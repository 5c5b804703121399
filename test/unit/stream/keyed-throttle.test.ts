import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedThrottle } from '../../../src/stream/keyed-throttle.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function recorder() {
  const out: [string, boolean][] = [];
  return { out, emit: (value: string, conflated: boolean) => void out.push([value, conflated]) };
}

describe('KeyedThrottle', () => {
  it('with 0 passes every value through at once', () => {
    const { out, emit } = recorder();
    const t = new KeyedThrottle<string>(0, emit);
    ['a1', 'a2', 'a3'].forEach((v) => t.offer('a', v));
    expect(out).toEqual([
      ['a1', false],
      ['a2', false],
      ['a3', false],
    ]);
  });

  it('per key: the first value at once, then the latest one when the interval ends, marked when it replaced others', () => {
    const { out, emit } = recorder();
    const t = new KeyedThrottle<string>(100, emit);
    t.offer('a', 'a1');
    t.offer('b', 'b1');
    t.offer('a', 'a2');
    t.offer('a', 'a3');
    t.offer('b', 'b2');
    expect(out).toEqual([
      ['a1', false],
      ['b1', false],
    ]);
    vi.advanceTimersByTime(99);
    expect(out).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(out.slice(2)).toEqual([
      ['a3', true],
      ['b2', false],
    ]); // b2 replaced nothing: delayed, not conflated
    t.offer('a', 'a4'); // within the interval of a3: waits again
    expect(out).toHaveLength(4);
    vi.advanceTimersByTime(100);
    expect(out.at(-1)).toEqual(['a4', false]);
    vi.advanceTimersByTime(500);
    t.offer('a', 'a5'); // quiet for longer than the interval: at once
    expect(out.at(-1)).toEqual(['a5', false]);
  });

  it('emits nothing after close', () => {
    const { out, emit } = recorder();
    const t = new KeyedThrottle<string>(100, emit);
    t.offer('a', 'a1');
    t.offer('a', 'a2');
    t.close();
    vi.advanceTimersByTime(1000);
    t.offer('a', 'a3');
    expect(out).toEqual([['a1', false]]);
  });
});
