/** The dashboard's pure logic: decimal formatting without floats, exact spreads, the status badge. */
import { describe, expect, it } from 'vitest';
import type { FeedStatus } from '../../../src/dashboard/api.js';
import { spreadOf } from '../../../src/dashboard/book.js';
import { decimalsOf, direction, formatDecimal } from '../../../src/dashboard/format.js';
import { badgeOf, type BadgeInput } from '../../../src/dashboard/status.js';

describe('formatting', () => {
  it('trims to the tick size, groups thousands and keeps every significant digit', () => {
    expect(decimalsOf('0.01')).toBe(2);
    expect(decimalsOf('1')).toBe(0);
    expect(decimalsOf('0.00001')).toBe(5);
    expect(formatDecimal('67432.100000', 2)).toBe('67,432.10');
    expect(formatDecimal('1.074820', 5)).toBe('1.07482');
    expect(formatDecimal('0.000012345', 2)).toBe('0.000012345');
    expect(formatDecimal('12345678901234567890.5', 1)).toBe('12,345,678,901,234,567,890.5');
    expect(formatDecimal('349', 3)).toBe('349.000');
    expect(formatDecimal('-1200.50')).toBe('-1,200.5');
    expect(formatDecimal(null)).toBe('—');
  });

  it('compares prices for the flash direction', () => {
    expect(direction('1.10', '1.11')).toBe(1);
    expect(direction('1.10', '1.09')).toBe(-1);
    expect(direction('1.10', '1.100')).toBe(0);
    expect(direction(null, '1')).toBe(0);
  });

  it('computes spreads exactly on decimal strings', () => {
    expect(spreadOf('0.1', '0.3')).toBe('0.2'); // 0.3 - 0.1 in floats is 0.19999999999999998
    expect(spreadOf('77.100', '77.15')).toBe('0.050');
    expect(spreadOf('84964.12', '84964.5')).toBe('0.38');
    expect(spreadOf('349', '349.2')).toBe('0.2');
    expect(spreadOf('10', '9')).toBe('-1');
  });
});

describe('status badge', () => {
  const feed = (connected: boolean): FeedStatus => ({
    connected,
    connections: [
      { endpoint: 'STOCK', index: 0, state: 'CONNECTED', reason: null, lastMessageAt: null },
      { endpoint: 'QUOTE', index: 0, state: connected ? 'CONNECTED' : 'DISCONNECTED', reason: connected ? null : 'close 1006', lastMessageAt: null },
    ],
  });
  const base: BadgeInput = { socketOpen: true, feed: feed(true), watching: true, lastActivityAt: 10_000, now: 12_000, staleMs: 5000 };

  it('is connected while data flows', () => {
    expect(badgeOf(base).state).toBe('connected');
  });
  it('is offline when the page lost the server, whatever the feed said last', () => {
    expect(badgeOf({ ...base, socketOpen: false }).state).toBe('offline');
  });
  it('is reconnecting while an upstream connection is down, and says which', () => {
    const badge = badgeOf({ ...base, feed: feed(false) });
    expect(badge.state).toBe('reconnecting');
    expect(badge.detail).toContain('quote#0 disconnected: close 1006');
    expect(badgeOf({ ...base, feed: null }).state).toBe('reconnecting');
  });
  it('is stale when connected but quiet for longer than staleMs, only while something is watched', () => {
    expect(badgeOf({ ...base, now: 15_001 }).state).toBe('stale');
    expect(badgeOf({ ...base, now: 15_000 }).state).toBe('connected');
    expect(badgeOf({ ...base, now: 60_000, watching: false }).state).toBe('connected');
  });
});
