/**
 * A resumed `trades` stream (SPEC §4): live delivery starts first and is held back while the
 * history is read; then every kept trade after each symbol's cursor is replayed, the held-back live
 * trades follow, and from then on live trades pass straight through. Ids order the trades of a
 * symbol, so whatever the replay and the live side both carry is sent once: nothing is repeated,
 * nothing falls between the two. When the history no longer reaches a cursor (or the cursor is
 * from another history), the first trade sent for that symbol carries `gap: true`.
 */
import type { Trade } from '../feed/alltick/protocol.js';
import { compareIds } from '../feed/history/cursor.js';
import type { TradeHistory } from '../feed/history/trade-history.js';

export interface ResumedTrade extends Trade {
  /** trades between the client's cursor and this one may be missing */
  gap?: boolean;
}

type Offer = (trade: ResumedTrade) => void;

export class TradeResume {
  /** live trades held back while the replay is read; null once live trades pass straight through */
  private held: Trade[] | null = [];
  /** the id of the last trade sent, per resumed symbol */
  private readonly last = new Map<string, string>();
  private readonly gapPending = new Set<string>();

  /**
   * @param after per symbol, the id of the client's last trade in this history's epoch, or null
   *   when the cursor cannot be placed in it (another epoch: a restart, another deployment)
   */
  constructor(
    private readonly history: TradeHistory,
    private readonly after: ReadonlyMap<string, string | null>,
  ) {
    for (const [symbol, id] of after) if (id !== null) this.last.set(symbol, id);
  }

  /** A live trade (called from the moment the stream listens). */
  live(trade: Trade, offer: Offer): void {
    if (this.held) this.held.push(trade);
    else this.send(trade, offer);
  }

  /** Reads and sends the replay, then releases the held-back live trades; returns the cancel. */
  start(offer: Offer): () => void {
    let cancelled = false;
    const symbols = [...this.after.keys()];
    Promise.all(symbols.map((s) => this.history.since(s, this.after.get(s) ?? null))).then(
      (replays) => {
        if (cancelled) return;
        replays.forEach(({ trades, complete }, i) => {
          if (!complete) this.gapPending.add(symbols[i] as string);
          for (const trade of trades) this.send(trade, offer);
        });
        this.release(offer);
      },
      () => {
        if (cancelled) return;
        // the history cannot be read (Redis away): what was missed cannot be told, so say so
        for (const symbol of symbols) this.gapPending.add(symbol);
        this.release(offer);
      },
    );
    return () => {
      cancelled = true;
    };
  }

  private release(offer: Offer): void {
    const held = this.held ?? [];
    this.held = null;
    for (const trade of held) this.send(trade, offer);
  }

  private send(trade: Trade, offer: Offer): void {
    if (trade.id !== undefined && this.after.has(trade.symbol)) {
      const last = this.last.get(trade.symbol);
      if (last !== undefined && compareIds(trade.id, last) <= 0) return; // already sent (replay and live overlap)
      this.last.set(trade.symbol, trade.id);
    }
    if (this.gapPending.delete(trade.symbol)) offer({ ...trade, gap: true });
    else offer(trade);
  }
}
