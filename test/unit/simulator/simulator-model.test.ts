/**
 * The catalogue, exact decimals, the price model and k-line history, without sockets.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUE, catalogueEntry, decimalsOf } from '../../../src/feed/alltick/catalogue.js';
import { MAX_DEPTH, endpointOf, marketOf, type Market } from '../../../src/feed/alltick/symbols.js';
import { formatUnits, multiplyUnits, toUnits } from '../../../src/simulator/decimal.js';
import { instrumentOf, type Instrument } from '../../../src/simulator/instruments.js';
import { candleStart, klineHistory } from '../../../src/simulator/kline.js';
import { PriceModel } from '../../../src/simulator/price-model.js';
import { createRng } from '../../../src/simulator/random.js';

describe('catalogue', () => {
  it('has at least 60 unique symbols covering every market family', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CATALOGUE.map((e) => e.code)).size).toBe(CATALOGUE.length);
    const markets = new Set(CATALOGUE.map((e) => e.market));
    for (const m of ['US', 'HK', 'SH', 'SZ', 'FOREX', 'METAL', 'ENERGY', 'INDEX', 'CRYPTO'] as Market[]) expect(markets).toContain(m);
    for (const code of [
      'AAPL.US',
      '700.HK',
      '5.HK',
      '600519.SH',
      '300750.SZ',
      'EURUSD',
      'USDJPY',
      'GOLD',
      'Silver',
      'USOIL',
      'NGAS',
      'US500',
      'HK50',
      'BTCUSDT',
    ]) {
      expect(catalogueEntry(code)?.code).toBe(code);
    }
    expect(catalogueEntry('aapl.us')).toBeUndefined();
    expect(catalogueEntry('SILVER')).toBeUndefined();
  });

  it('agrees with symbols.ts on market, endpoint and depth for every entry', () => {
    for (const e of CATALOGUE) {
      expect([e.code, marketOf(e.code), endpointOf(e.code), MAX_DEPTH[e.market]]).toEqual([e.code, e.market, e.endpoint, e.maxDepth]);
    }
  });

  it('prices are plain decimals on the tick grid with the decimals of the asset', () => {
    const expected: Partial<Record<Market, number>> = { US: 2, HK: 3, SH: 2, SZ: 2, INDEX: 1 };
    for (const e of CATALOGUE) {
      expect(e.price).toMatch(/^\d+\.\d+$/);
      expect(decimalsOf(e.price)).toBe(e.decimals);
      expect(decimalsOf(e.tickSize)).toBeLessThanOrEqual(e.decimals);
      expect(toUnits(e.price, e.decimals) % toUnits(e.tickSize, e.decimals)).toBe(0);
      expect(e.lotSize).toBeGreaterThan(0);
      expect(e.currency).toMatch(/^[A-Z]{3,4}$/);
      const want = e.market === 'FOREX' ? (e.code.endsWith('JPY') ? 3 : 5) : expected[e.market];
      if (want !== undefined) expect([e.code, e.decimals]).toEqual([e.code, want]);
    }
  });
});

describe('decimals', () => {
  it('formats units exactly, never with float noise', () => {
    expect(formatUnits(380200, 3)).toBe('380.200');
    expect(formatUnits(5, 3)).toBe('0.005');
    expect(formatUnits(42, 0)).toBe('42');
    expect(formatUnits(108512n, 5)).toBe('1.08512');
    expect(toUnits('0.1', 2) + toUnits('0.2', 2)).toBe(30);
    expect(multiplyUnits(3, 1, 1, 1)).toBe('0.03'); // 0.3 × 0.1
    expect(multiplyUnits(9501250, 2, 12345, 4)).toBe('117292.931250');
    expect(() => toUnits('1.234', 2)).toThrow();
  });
});

describe('instruments', () => {
  it('synthesizes well-formed unknown codes and refuses malformed ones', () => {
    const us = instrumentOf('ZZZZ.US')!;
    expect(us).toMatchObject({ synthetic: true, decimals: 2, assetClass: 'stock', directional: true });
    expect(instrumentOf('CADJPY')).toMatchObject({ synthetic: true, decimals: 3, assetClass: 'fx', directional: false });
    expect(instrumentOf('99999.HK')!.entry).toMatchObject({ market: 'HK', endpoint: 'stock', maxDepth: 10 });
    expect(instrumentOf('ESP35')!.entry.endpoint).toBe('quote');
    expect(instrumentOf('AAPL.US')!.synthetic).toBe(false);
    for (const bad of ['aapl.us', '00700.HK', '', 'BTC-USDT']) expect(instrumentOf(bad)).toBeNull();
    expect(Number(us.entry.price)).toBeGreaterThan(0);
  });
});

describe('price model', () => {
  function check(code: string, steps: number) {
    const model = new PriceModel(createRng(11), 2);
    const inst = instrumentOf(code)!;
    const dp = new RegExp(`^\\d+\\.\\d{${inst.decimals}}$`);
    let lastSeq = 0n;
    const directions = new Set<number>();
    for (let i = 0; i < steps; i++) {
      model.step(code);
      const book = model.depth(code)!;
      const trade = model.trade(code)!;
      const bid = Number(book.bids[0]!.price);
      const ask = Number(book.asks[0]!.price);
      const price = Number(trade.price);
      expect(trade.price).toMatch(dp);
      expect(bid).toBeLessThan(ask);
      expect(toUnits(trade.price, inst.decimals) % inst.tickUnits).toBe(0);
      if (trade.trade_direction === 1) expect(price).toBe(ask);
      else if (trade.trade_direction === 2) expect(price).toBe(bid);
      else {
        expect(price).toBeGreaterThanOrEqual(bid);
        expect(price).toBeLessThanOrEqual(ask);
        if (inst.directional) expect(price > bid && price < ask).toBe(true);
      }
      directions.add(trade.trade_direction);
      for (const seq of [BigInt(book.seq), BigInt(trade.seq)]) {
        expect(seq > lastSeq).toBe(true);
        lastSeq = seq;
      }
      expect(book.bids.length).toBe(inst.entry.maxDepth);
      for (let l = 1; l < book.bids.length; l++) {
        expect(Number(book.bids[l]!.price)).toBeLessThan(Number(book.bids[l - 1]!.price));
        expect(Number(book.asks[l]!.price)).toBeGreaterThan(Number(book.asks[l - 1]!.price));
      }
      expect(trade.turnover).toBe(
        multiplyUnits(toUnits(trade.price, inst.decimals), inst.decimals, toUnits(trade.volume, inst.volumeDecimals), inst.volumeDecimals),
      );
    }
    return { directions, inst, last: Number(model.currentTrade(code)!.price) };
  }

  it('trades stocks at the ask (1), the bid (2) or strictly inside (0), on the tick grid', () => {
    const { directions, inst, last } = check('700.HK', 800);
    expect([...directions].sort()).toEqual([0, 1, 2]);
    const ref = Number(inst.entry.price);
    expect(last).toBeGreaterThan(ref * 0.6);
    expect(last).toBeLessThan(ref * 1.4);
  });

  it('gives FX, metals, energy and indices direction 0 and "0" book volumes', () => {
    for (const code of ['EURUSD', 'USDJPY', 'GOLD', 'USOIL', 'US500']) {
      const { directions } = check(code, 100);
      expect([code, [...directions]]).toEqual([code, [0]]);
      const book = new PriceModel(createRng(1), 2).depth(code)!;
      expect(book.bids.map((l) => l.volume)).toEqual(['0']);
    }
    check('BTCUSDT', 300);
  });

  it('is deterministic for a seed and a clock', () => {
    const run = () => {
      const model = new PriceModel(createRng(99), 2, () => 1_750_000_000_000);
      return Array.from({ length: 50 }, () => (model.step('AAPL.US'), model.trade('AAPL.US')));
    };
    expect(run()).toEqual(run());
  });

  it('catches an idle symbol up by elapsed time on REST reads, only when ticking', () => {
    let now = 1_750_000_000_000;
    const model = new PriceModel(createRng(5), 2, () => now);
    const first = model.currentTrade('NVDA.US')!;
    expect(model.currentTrade('NVDA.US')).toBe(first);
    now += 10_000;
    expect(model.currentTrade('NVDA.US')!.seq).not.toBe(first.seq);
    const still = new PriceModel(createRng(5), 0, () => now);
    const t = still.currentTrade('NVDA.US');
    now += 10_000;
    expect(still.currentTrade('NVDA.US')).toBe(t);
  });
});

describe('k-line history', () => {
  const inst: Instrument = instrumentOf('ETHUSDT')!;
  const now = Date.UTC(2025, 5, 18, 13, 37, 12);

  it('aligns candles to periods, weeks to Mondays and months to the 1st', () => {
    const t = now / 1000;
    expect(candleStart(1, t)).toBe(Date.UTC(2025, 5, 18, 13, 37) / 1000);
    expect(candleStart(7, t)).toBe(Date.UTC(2025, 5, 18, 12) / 1000);
    expect(candleStart(8, t)).toBe(Date.UTC(2025, 5, 18) / 1000);
    expect(candleStart(9, t)).toBe(Date.UTC(2025, 5, 16) / 1000); // a Monday
    expect(candleStart(10, t)).toBe(Date.UTC(2025, 5, 1) / 1000);
  });

  it('ends at the live mid and keeps finished candles fixed as time passes', () => {
    const mid = 331_245; // 3312.45
    const a = klineHistory(inst, mid, { klineType: 2, endSeconds: 0, count: 100 }, now);
    const b = klineHistory(inst, mid + 500, { klineType: 2, endSeconds: 0, count: 100 }, now + 60_000);
    expect(a.at(-1)!.close_price).toBe('3312.45');
    expect(b.at(-1)!.close_price).toBe('3317.45');
    expect(a.slice(0, -1)).toEqual(b.slice(0, -1));
    for (let i = 1; i < a.length; i++) expect(a[i]!.open_price).toBe(a[i - 1]!.close_price);
    const months = klineHistory(inst, mid, { klineType: 10, endSeconds: 0, count: 24 }, now);
    expect(months).toHaveLength(24);
    expect(months[0]!.timestamp).toBe(String(Date.UTC(2023, 6, 1) / 1000));
    for (const c of months) expect(Number(c.high_price) / Number(c.low_price)).toBeLessThan(3);
  });
});
