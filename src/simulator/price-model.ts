/**
 * The live price model: per symbol a seeded random walk of the best bid on the tick grid, a
 * spread of a few ticks, a ladder of levels around it, trades at the bid, the ask or in between.
 * State is created lazily for whichever code is asked about; the ticker only steps symbols that
 * someone subscribed, and REST reads catch an idle symbol up by the time that passed.
 */
import { formatUnits, multiplyUnits } from './decimal.js';
import { instrumentOf, type Instrument } from './instruments.js';
import { onTick, pathPrice } from './price-path.js';
import type { Rng } from './random.js';

export interface PriceLevel {
  price: string;
  volume: string;
}

/** 22998 push data / one /trade-tick item (seq and tick_time as strings; see wire.ts for numeric mode) */
export interface TradeData {
  code: string;
  seq: string;
  tick_time: string;
  price: string;
  volume: string;
  turnover: string;
  trade_direction: number;
}

/** 22999 push data / one /depth-tick item */
export interface DepthData {
  code: string;
  seq: string;
  tick_time: string;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

interface SymbolState {
  inst: Instrument;
  /** best bid, in units of 10^-decimals, always a multiple of the tick */
  bid: number;
  spreadTicks: number;
  seq: number;
  lastTime: number;
  lastStepAt: number;
  lastTrade?: TradeData;
  lastDepth?: DepthData;
  /** the book moved since the last trade / depth was made */
  tradeStale: boolean;
  depthStale: boolean;
}

const SPREAD_TICKS: Record<Instrument['assetClass'], readonly [number, number]> = {
  stock: [1, 3],
  crypto: [1, 3],
  fx: [5, 15],
  metal: [10, 40],
  energy: [10, 30],
  index: [3, 10],
  other: [1, 5],
};

/** Share of the distance to the price path closed by one step (keeps the walk within ~0.5 % of it). */
const PULL_PER_STEP = 0.002;
/** Idle symbols catch up at most this many steps per read. */
const MAX_CATCH_UP_STEPS = 50;

export class PriceModel {
  private readonly states = new Map<string, SymbolState>();

  constructor(
    private readonly rng: Rng,
    private readonly ticksPerSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** State of a well-formed code (created on first use), or null for a malformed one. */
  private state(code: string): SymbolState | null {
    let s = this.states.get(code);
    if (s) return s;
    const inst = instrumentOf(code);
    if (!inst) return null;
    const now = this.clock();
    const spreadTicks = this.randomSpread(inst);
    const mid = onTick(inst, pathPrice(inst, now / 1000));
    const bid = Math.max(inst.tickUnits, mid - Math.floor(spreadTicks / 2) * inst.tickUnits);
    // 16-digit seq like the docs' "1605509068000001": epoch ms × 1000, then +1 per update,
    // so it keeps increasing across simulator restarts and stays below 2^53.
    s = { inst, bid, spreadTicks, seq: now * 1000, lastTime: now, lastStepAt: now, tradeStale: true, depthStale: true };
    this.states.set(code, s);
    return s;
  }

  instrument(code: string): Instrument | null {
    return this.state(code)?.inst ?? null;
  }

  private randomSpread(inst: Instrument): number {
    const [min, max] = SPREAD_TICKS[inst.assetClass];
    return this.rng.chance(0.7) ? min : this.rng.int(min, max);
  }

  /** One random-walk step: move the bid by a normal number of ticks, pulled gently towards the price path. */
  step(code: string): void {
    const s = this.state(code);
    if (!s) return;
    const { inst } = s;
    const sigmaTicks = (s.bid * inst.stepVolatility) / inst.tickUnits;
    const pull = ((pathPrice(inst, this.clock() / 1000) - s.bid) / inst.tickUnits) * PULL_PER_STEP;
    const moveTicks = Math.round(this.rng.normal() * sigmaTicks + pull);
    s.bid = Math.max(inst.tickUnits, s.bid + moveTicks * inst.tickUnits);
    s.spreadTicks = this.randomSpread(inst);
    s.lastStepAt = this.clock();
    s.tradeStale = s.depthStale = true;
  }

  /** Steps an idle symbol by the time since its last step (at the configured tick rate). */
  catchUp(code: string): void {
    const s = this.state(code);
    if (!s || this.ticksPerSecond <= 0) return;
    const due = Math.floor(((this.clock() - s.lastStepAt) / 1000) * this.ticksPerSecond);
    for (let i = 0; i < Math.min(due, MAX_CATCH_UP_STEPS); i++) this.step(code);
  }

  private stamp(s: SymbolState): { seq: string; tick_time: string } {
    s.seq += 1;
    s.lastTime = Math.max(s.lastTime, this.clock());
    return { seq: String(s.seq), tick_time: String(s.lastTime) };
  }

  /** A new trade at the current book; it becomes the symbol's last trade. */
  trade(code: string): TradeData | null {
    const s = this.state(code);
    if (!s) return null;
    const { inst } = s;
    const rng = this.rng;
    const ask = s.bid + s.spreadTicks * inst.tickUnits;
    let price: number;
    let direction: number;
    const inside = () => s.bid + rng.int(1, s.spreadTicks - 1) * inst.tickUnits;
    if (inst.directional) {
      const r = rng.next();
      if (r < 0.1 && s.spreadTicks >= 2) [price, direction] = [inside(), 0];
      else if (r < 0.55) [price, direction] = [ask, 1];
      else [price, direction] = [s.bid, 2];
    } else {
      price = s.bid + rng.int(0, s.spreadTicks) * inst.tickUnits;
      direction = 0;
    }
    const volume = this.tradeVolume(inst);
    const trade: TradeData = {
      code,
      ...this.stamp(s),
      price: formatUnits(price, inst.decimals),
      volume: formatUnits(volume, inst.volumeDecimals),
      turnover: multiplyUnits(price, inst.decimals, volume, inst.volumeDecimals),
      trade_direction: direction,
    };
    s.lastTrade = trade;
    s.tradeStale = false;
    return trade;
  }

  private tradeVolume(inst: Instrument): number {
    if (inst.assetClass === 'stock') return inst.entry.lotSize === 1 ? this.rng.int(1, 500) : this.rng.int(1, 20) * inst.entry.lotSize;
    if (inst.assetClass === 'crypto') return this.rng.int(1, 50_000);
    return this.rng.int(1, 500);
  }

  private bookVolume(inst: Instrument): string {
    if (!inst.bookVolume) return '0';
    if (inst.assetClass === 'crypto') return formatUnits(this.rng.int(1, 200_000), 4);
    const lot = inst.entry.lotSize === 1 ? 100 : inst.entry.lotSize;
    return String(this.rng.int(1, 50) * lot);
  }

  /** A new book snapshot with the market's maximum number of levels; it becomes the last depth. */
  depth(code: string): DepthData | null {
    const s = this.state(code);
    if (!s) return null;
    const { inst } = s;
    const ask = s.bid + s.spreadTicks * inst.tickUnits;
    const bids: PriceLevel[] = [];
    const asks: PriceLevel[] = [];
    for (let i = 0; i < inst.entry.maxDepth; i++) {
      const b = s.bid - i * inst.tickUnits;
      if (b > 0) bids.push({ price: formatUnits(b, inst.decimals), volume: this.bookVolume(inst) });
      asks.push({ price: formatUnits(ask + i * inst.tickUnits, inst.decimals), volume: this.bookVolume(inst) });
    }
    const depth: DepthData = { code, ...this.stamp(s), bids, asks };
    s.lastDepth = depth;
    s.depthStale = false;
    return depth;
  }

  /** Stores a trade made elsewhere (a forced push) as the symbol's last trade. */
  setLastTrade(code: string, trade: TradeData): void {
    const s = this.state(code);
    if (s) s.lastTrade = trade;
  }

  setLastDepth(code: string, depth: DepthData): void {
    const s = this.state(code);
    if (s) s.lastDepth = depth;
  }

  /** The symbol's last trade, renewed when an idle symbol's price moved since (REST /trade-tick). */
  currentTrade(code: string): TradeData | null {
    const s = this.state(code);
    if (!s) return null;
    this.catchUp(code);
    return s.tradeStale || !s.lastTrade ? this.trade(code) : s.lastTrade;
  }

  /** The symbol's last book, renewed when an idle symbol's price moved since (REST /depth-tick). */
  currentDepth(code: string): DepthData | null {
    const s = this.state(code);
    if (!s) return null;
    this.catchUp(code);
    return s.depthStale || !s.lastDepth ? this.depth(code) : s.lastDepth;
  }

  /** Current mid price in units (for k-line history that ends at the live price). */
  midUnits(code: string): number | null {
    const s = this.state(code);
    if (!s) return null;
    return s.bid + Math.floor(s.spreadTicks / 2) * s.inst.tickUnits;
  }
}
