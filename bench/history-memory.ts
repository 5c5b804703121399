/**
 * What the trade history costs (README "Resuming after a reconnect"): heap per kept trade in one
 * instance, and Redis memory per kept trade in a cluster's streams, at realistic trade shapes.
 * Run: `npm run bench:history` (needs Redis at REDIS_URL, default redis://127.0.0.1:6379, for the
 * second figure; uses its own random prefix and deletes what it wrote).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Trade } from '../src/feed/alltick/protocol.js';
import { MemoryTradeHistory } from '../src/feed/history/trade-history.js';

const SYMBOLS = 100;
const PER_SYMBOL = 2000;

function trade(symbol: string, i: number): Trade {
  return {
    kind: 'trade',
    symbol,
    seq: String(1_796_000_000_000_000 + i),
    time: 1_796_000_000_000 + i,
    price: (97_000 + (i % 1000) / 100).toFixed(2),
    volume: (0.0001 * (1 + (i % 5000))).toFixed(4),
    turnover: null,
    side: i % 2 ? 'BUY' : 'SELL',
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:history does)');
gc();
const before = process.memoryUsage().heapUsed;
const history = new MemoryTradeHistory({ maxTrades: PER_SYMBOL, maxAgeMs: 3600_000 });
for (let s = 0; s < SYMBOLS; s++) for (let i = 0; i < PER_SYMBOL; i++) history.append(trade(`SYM${s}USDT`, i));
gc();
const heap = process.memoryUsage().heapUsed - before;
if ((await history.recent('SYM0USDT', 1)).length !== 1) throw new Error('history lost'); // keeps it alive until measured
console.log(
  `memory history: ${SYMBOLS} symbols × ${PER_SYMBOL} trades = ${(heap / 1024 / 1024).toFixed(1)} MiB heap, ${Math.round(heap / (SYMBOLS * PER_SYMBOL))} B per trade`,
);

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const key = `bench-${randomBytes(4).toString('hex')}:trades:BTCUSDT`;
try {
  for (let i = 0; i < PER_SYMBOL; i++) {
    const payload = JSON.stringify({ fence: 1, event: trade('BTCUSDT', i) });
    await redis.xadd(key, 'MAXLEN', '~', PER_SYMBOL, '*', 'm', payload);
  }
  const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  console.log(
    `redis history: ${PER_SYMBOL} trades of one symbol = ${(bytes / 1024).toFixed(0)} KiB, ${Math.round(bytes / PER_SYMBOL)} B per trade; ${SYMBOLS} symbols ≈ ${((bytes * SYMBOLS) / 1024 / 1024).toFixed(1)} MiB`,
  );
} finally {
  await redis.del(key);
  redis.disconnect();
}
