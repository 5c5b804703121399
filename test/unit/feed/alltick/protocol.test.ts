import { describe, expect, it } from 'vitest';
import { Cmd, decodeServerFrame, normalizeTickTime, plainDecimal } from '../../../../src/feed/alltick/protocol.js';
import { endpointOf, marketOf, maxDepthOf } from '../../../../src/feed/alltick/symbols.js';

describe('decodeServerFrame', () => {
  it('normalizes a trade push with string seq/tick_time and keeps decimals exact', () => {
    const frame = decodeServerFrame(
      JSON.stringify({
        cmd_id: Cmd.TradePush,
        data: {
          code: '1288.HK',
          seq: '1605509068000001',
          tick_time: '1605509068000',
          price: '651.120000',
          volume: '300',
          turnover: '12345.6',
          trade_direction: 1,
        },
      }),
    );
    expect(frame).toEqual({
      type: 'push',
      event: {
        kind: 'trade',
        symbol: '1288.HK',
        seq: '1605509068000001',
        time: 1605509068000,
        price: '651.120000',
        volume: '300',
        turnover: '12345.6',
        side: 'BUY',
      },
    });
  });

  it('accepts integer seq/tick_time and 10-digit seconds', () => {
    const frame = decodeServerFrame(
      JSON.stringify({ cmd_id: Cmd.TradePush, data: { code: 'GOLD', seq: 27755950, tick_time: 1751068801, price: '2301.5', volume: '1', trade_direction: 0 } }),
    );
    expect(frame.type === 'push' && frame.event).toMatchObject({ seq: '27755950', time: 1751068801000, side: 'NEUTRAL', turnover: null });
  });

  it('normalizes a depth push and drops zero levels that mark an empty side', () => {
    const frame = decodeServerFrame(
      JSON.stringify({
        cmd_id: Cmd.DepthPush,
        data: {
          code: '600519.SH',
          seq: '30686349',
          tick_time: '1677830357227',
          bids: [{ price: '37.700000', volume: '100' }],
          asks: [{ price: '0', volume: '0' }],
        },
      }),
    );
    expect(frame).toEqual({
      type: 'push',
      event: { kind: 'depth', symbol: '600519.SH', seq: '30686349', time: 1677830357227, bids: [{ price: '37.700000', volume: '100' }], asks: [] },
    });
  });

  it('parses acks, and rejects garbage without throwing', () => {
    expect(decodeServerFrame('{"ret":200,"msg":"ok","cmd_id":22001,"seq_id":7,"trace":"t","data":{}}')).toMatchObject({
      type: 'ack',
      ack: { ret: 200, cmd_id: 22001, seq_id: 7 },
    });
    for (const garbage of [
      '',
      'not json',
      '[]',
      'null',
      '42',
      '{"cmd_id":22998,"data":{"code":"X"}}',
      '{"cmd_id":22999,"data":{"code":"A","seq":"1","tick_time":"1","bids":"x"}}',
      '{"cmd_id":22998,"data":{"code":"A","seq":"1","tick_time":"1","price":"1e","volume":"1"}}',
    ]) {
      expect(decodeServerFrame(garbage).type).toBe('invalid');
    }
  });

  it('normalizes tick times', () => {
    expect(normalizeTickTime(1677829200)).toBe(1677829200000);
    expect(normalizeTickTime(1677829200123)).toBe(1677829200123);
  });
});

describe('symbols', () => {
  it.each([
    ['AAPL.US', 'US', 'stock', 1],
    ['BRK.B.US', 'US', 'stock', 1],
    ['700.HK', 'HK', 'stock', 10],
    ['600519.SH', 'SH', 'stock', 5],
    ['000001.SZ', 'SZ', 'stock', 5],
    ['EURUSD', 'FOREX', 'quote', 1],
    ['GOLD', 'METAL', 'quote', 1],
    ['Silver', 'METAL', 'quote', 1],
    ['USOIL', 'ENERGY', 'quote', 1],
    ['US500', 'INDEX', 'quote', 1],
    ['BTCUSDT', 'CRYPTO', 'quote', 5],
  ])('%s is %s on the %s endpoint with depth max %d', (code, market, endpoint, depth) => {
    expect(marketOf(code)).toBe(market);
    expect(endpointOf(code)).toBe(endpoint);
    expect(maxDepthOf(code)).toBe(depth);
  });

  it.each(['', 'aapl.us', '00700.HK', '700.hk', '60051.SH', 'A B', 'EUR/USD', '1INCH', 'X', 'AAPL.US;DROP', 'A'.repeat(30)])('rejects malformed %j', (code) =>
    expect(marketOf(code)).toBeNull(),
  );
});

describe('upstream numbers and times are bounded at the boundary (issue 12, findings 8 and 9)', () => {
  const trade = (data: Record<string, unknown>) =>
    decodeServerFrame(
      JSON.stringify({ cmd_id: Cmd.TradePush, data: { code: 'BTCUSDT', seq: '1', tick_time: '1751068801000', price: '1', volume: '1', ...data } }),
    );

  it('decimals: plain digits of bounded length; a short exponent form is expanded, a long one refused without expanding it', () => {
    expect(plainDecimal('651.120000')).toBe('651.120000');
    expect(plainDecimal('1.5e-3')).toBe('0.0015');
    expect(plainDecimal('-2.5E+2')).toBe('-250');
    expect(plainDecimal('12e0')).toBe('12');
    expect(plainDecimal('1e-5000000')).toBeNull();
    expect(plainDecimal('1e+5000000')).toBeNull();
    expect(plainDecimal('1'.repeat(41))).toBeNull();
    expect(plainDecimal('1e39')).toBe('1'.padEnd(40, '0'));
    expect(plainDecimal('1e40')).toBeNull(); // 41 digits once plain: too long
    expect(plainDecimal('0x10')).toBeNull();
    const started = performance.now();
    expect(trade({ price: '1e-5000000' })).toMatchObject({ type: 'invalid', reason: expect.stringContaining('data.price') });
    expect(performance.now() - started).toBeLessThan(50);
    expect(trade({ price: 1e-7 })).toMatchObject({ type: 'push', event: { price: '0.0000001' } }); // a JSON number in exponent form
    expect(trade({ volume: 1e300 })).toMatchObject({ type: 'invalid' });
  });

  it('seq: at most 20 digits; tick_time: seconds or milliseconds before 2100, and within the window of now when one is given', () => {
    expect(trade({ seq: '1'.repeat(20) }).type).toBe('push');
    expect(trade({ seq: '1'.repeat(24) })).toMatchObject({ type: 'invalid', reason: expect.stringContaining('data.seq') });
    expect(trade({ seq: 2 ** 60 }).type).toBe('invalid'); // not exact as a JSON number
    expect(trade({ tick_time: '1751068801000000' })).toMatchObject({ type: 'invalid', reason: expect.stringContaining('data.tick_time') }); // microseconds
    const now = 1751068801000;
    const window = { maxAgeMs: 60_000, maxAheadMs: 1_000 };
    const at = (t: number) =>
      decodeServerFrame(JSON.stringify({ cmd_id: Cmd.TradePush, data: { code: 'A', seq: '1', tick_time: t, price: '1' } }), window, now);
    expect(at(now).type).toBe('push');
    expect(at(now + 1_000).type).toBe('push');
    expect(at(now + 1_001)).toMatchObject({ type: 'invalid', reason: expect.stringContaining('ahead') });
    expect(at(now - 60_001)).toMatchObject({ type: 'invalid', reason: expect.stringContaining('old') });
  });
});
