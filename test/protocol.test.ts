import { describe, expect, it } from 'vitest';
import { Cmd, decodeServerFrame, normalizeTickTime } from '../src/feed/alltick/protocol.js';
import { endpointOf, marketOf, maxDepthOf } from '../src/feed/alltick/symbols.js';

describe('decodeServerFrame', () => {
  it('normalizes a trade push with string seq/tick_time and keeps decimals exact', () => {
    const frame = decodeServerFrame(
      JSON.stringify({
        cmd_id: Cmd.TradePush,
        data: { code: '1288.HK', seq: '1605509068000001', tick_time: '1605509068000', price: '651.120000', volume: '300', turnover: '12345.6', trade_direction: 1 },
      }),
    );
    expect(frame).toEqual({
      type: 'push',
      event: { kind: 'trade', symbol: '1288.HK', seq: '1605509068000001', time: 1605509068000, price: '651.120000', volume: '300', turnover: '12345.6', side: 'BUY' },
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
        data: { code: '600519.SH', seq: '30686349', tick_time: '1677830357227', bids: [{ price: '37.700000', volume: '100' }], asks: [{ price: '0', volume: '0' }] },
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
    for (const garbage of ['', 'not json', '[]', 'null', '42', '{"cmd_id":22998,"data":{"code":"X"}}', '{"cmd_id":22999,"data":{"code":"A","seq":"1","tick_time":"1","bids":"x"}}', '{"cmd_id":22998,"data":{"code":"A","seq":"1","tick_time":"1","price":"1e","volume":"1"}}']) {
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

  it.each(['', 'aapl.us', '00700.HK', '700.hk', '60051.SH', 'A B', 'EUR/USD', '1INCH', 'X', 'AAPL.US;DROP', 'A'.repeat(30)])(
    'rejects malformed %j',
    (code) => expect(marketOf(code)).toBeNull(),
  );
});
