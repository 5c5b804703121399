/**
 * Ingest cost with the trade log and the live candles of every interval: trades per second the
 * feed takes in (no subscribers), over 100 symbols. Run: npx tsx bench/ingest.ts
 */
import { MemoryBus } from '../src/bus/memory.js';
import type { Trade } from '../src/feed/alltick/protocol.js';
import { LastValueCache } from '../src/feed/cache.js';
import { MarketFeed } from '../src/feed/feed.js';
import { FeedManager } from '../src/feed/manager.js';

const SYMBOLS = Array.from({ length: 100 }, (_, i) => `S${i}USDT`);
const N = 300_000;
const t0 = Date.now();
const trades: Trade[] = Array.from({ length: N }, (_, i) => ({
  kind: 'trade',
  symbol: SYMBOLS[i % SYMBOLS.length]!,
  seq: String(1_000_000 + i),
  time: t0 + i * 10, // 100 trades/s of upstream time: bars roll over during the run
  price: (60_000 + (i % 997) / 100).toFixed(2),
  volume: '0.015',
  turnover: null,
  side: 'BUY',
}));

function rate(label: string, run: (t: Trade) => void): void {
  const start = process.hrtime.bigint();
  for (const t of trades) run(t);
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(44)} ${Math.round(N / s).toLocaleString('en')} trades/s`);
}

const manager = new FeedManager({ sink: { setDesired: () => {} }, lingerMs: 0, capacity: { stock: 1000, quote: 1000 } });
const cacheOnly = new LastValueCache();
rate('last-value cache only', (t) => cacheOnly.apply(t));
const feed = new MarketFeed(manager, new MemoryBus());
rate('feed.ingest (cache + trade log + 10 intervals)', (t) => feed.ingest(t));
