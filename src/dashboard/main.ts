/**
 * The live dashboard (SPEC §7): a watchlist of quotes, a live chart and the order book of the
 * selected symbol, and the feed status badge — all through the public GraphQL API over graphql-ws:
 * - `symbols` (query) for names and the picker;
 * - `quotes(symbols: watchlist, depth: 1)` for the table and the chart;
 * - `quotes(symbols: [selected], depth: 10)` for the book (the server caps it at the market's depth);
 * - `feedStatus` (subscription) for the badge.
 * The watchlist and selection persist in localStorage. `?staleMs=` sets how long without updates
 * counts as stale (default 10 s).
 */
import { connectApi, type FeedStatus, type Quote, type SymbolInfo } from './api.js';
import { BookLadder } from './book.js';
import { PriceChart } from './chart.js';
import { byId, flash } from './dom.js';
import { decimalsOf, direction, formatDecimal, formatTime } from './format.js';
import { SymbolPicker } from './picker.js';
import { badgeOf, type BadgeState } from './status.js';
import { QuoteTable } from './table.js';

const DEFAULT_WATCHLIST = ['BTCUSDT', 'ETHUSDT', 'EURUSD', 'GOLD', 'AAPL.US', 'NVDA.US', '700.HK', 'US500'];
const MAX_WATCHLIST = 40;
const BOOK_DEPTH = 10;
const STORAGE_KEY = 'alltick-dashboard:v1';
const params = new URLSearchParams(location.search);
const STALE_MS = Math.min(600_000, Math.max(500, Number(params.get('staleMs')) || 10_000));

interface Saved {
  symbols: string[];
  selected: string | null;
}

function load(): Saved | null {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (!raw || typeof raw !== 'object') return null;
    const { symbols, selected } = raw as Record<string, unknown>;
    const isCode = (s: unknown): s is string => typeof s === 'string' && /^[A-Za-z0-9.]{1,32}$/.test(s);
    if (!Array.isArray(symbols) || !symbols.every(isCode)) return null;
    return { symbols: symbols.slice(0, MAX_WATCHLIST), selected: isCode(selected) ? selected : null };
  } catch {
    return null;
  }
}

declare global {
  interface Window {
    /** read by the browser tests */
    __dashboard?: { chartPoints(): number; bookLevels(): number; selected(): string | null; badge(): BadgeState };
  }
}

async function main(): Promise<void> {
  let socketOpen = false;
  let feed: FeedStatus | null = null;
  let lastActivityAt = Date.now();
  let badge: BadgeState = 'offline';
  let watchlist: string[] = [];

  const statusEl = byId('status');
  const renderBadge = () => {
    const b = badgeOf({ socketOpen, feed, watching: watchlist.length > 0, lastActivityAt, now: Date.now(), staleMs: STALE_MS });
    badge = b.state;
    statusEl.dataset.state = b.state;
    statusEl.textContent = b.label;
    statusEl.title = b.detail;
  };

  const noticeEl = byId('notice');
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const notice = (message: string) => {
    noticeEl.textContent = message;
    noticeEl.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (noticeEl.hidden = true), 8000);
  };

  const api = connectApi((open) => {
    socketOpen = open;
    renderBadge();
  });
  api.watchStatus((s) => {
    feed = s;
    renderBadge();
  });
  setInterval(renderBadge, 1000);

  const infos = new Map<string, SymbolInfo>();
  try {
    for (const info of await api.symbols('', null, 500)) infos.set(info.symbol, info);
  } catch (error) {
    notice(`Could not load the symbol catalogue: ${(error as Error).message}`);
  }

  const saved = load();
  watchlist = saved?.symbols ?? DEFAULT_WATCHLIST.filter((s) => infos.size === 0 || infos.has(s));
  let selected: string | null = saved?.selected && watchlist.includes(saved.selected) ? saved.selected : (watchlist[0] ?? null);
  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify({ symbols: watchlist, selected } satisfies Saved));

  const table = new QuoteTable(byId<HTMLTableSectionElement>('quotes'), { select: (s) => select(s), remove: (s) => remove(s) });
  const chart = new PriceChart(byId('chart'));
  const book = new BookLadder(byId('book'));
  new SymbolPicker(api, byId<HTMLInputElement>('search'), byId<HTMLSelectElement>('market'), byId<HTMLUListElement>('results'), (info) => {
    infos.set(info.symbol, info);
    add(info.symbol);
    select(info.symbol);
  });

  // --- the watchlist stream: table and chart ---------------------------------------------------
  let stopTable: (() => void) | null = null;
  const subscribeTable = () => {
    stopTable?.();
    stopTable = null;
    lastActivityAt = Date.now();
    if (watchlist.length === 0) return;
    stopTable = api.watchQuotes(
      watchlist,
      1,
      (q) => {
        lastActivityAt = Date.now();
        table.update(q);
        if (q.price && q.time) chart.add(q.symbol, q.price, Date.parse(q.time));
      },
      notice,
    );
  };

  // --- the selected symbol: header and book ----------------------------------------------------
  const head = {
    symbol: byId('sel-symbol'),
    name: byId('sel-name'),
    price: byId('sel-price'),
    bid: byId('sel-bid'),
    ask: byId('sel-ask'),
    time: byId('sel-time'),
  };
  let headQuote: Quote | null = null;
  const renderHead = (q: Quote | null, decimals: number) => {
    const prev = headQuote;
    headQuote = q;
    head.price.textContent = formatDecimal(q?.price, decimals);
    const dir = direction(prev?.price, q?.price);
    if (dir !== 0) {
      head.price.classList.toggle('up', dir > 0);
      head.price.classList.toggle('down', dir < 0);
      flash(head.price, dir);
    }
    head.bid.textContent = formatDecimal(q?.bids[0]?.price, decimals);
    head.ask.textContent = formatDecimal(q?.asks[0]?.price, decimals);
    head.time.textContent = formatTime(q?.time);
  };

  let stopBook: (() => void) | null = null;
  function select(symbol: string | null): void {
    selected = symbol;
    save();
    table.select(symbol);
    const info = symbol ? infos.get(symbol) : undefined;
    const decimals = decimalsOf(info?.tickSize);
    head.symbol.textContent = symbol ?? '—';
    head.name.textContent = info ? `${info.name} · ${info.market}` : '';
    head.price.classList.remove('up', 'down');
    headQuote = null;
    renderHead(null, decimals);
    chart.show(symbol, info?.tickSize);
    stopBook?.();
    stopBook = null;
    if (!symbol) return book.clear('Pick a symbol');
    book.clear('Waiting for the order book…');
    stopBook = api.watchQuotes(
      [symbol],
      BOOK_DEPTH,
      (q) => {
        book.render(q, decimals);
        renderHead(q, decimals);
      },
      notice,
    );
  }

  function add(symbol: string): void {
    if (watchlist.includes(symbol)) return;
    if (watchlist.length >= MAX_WATCHLIST) return notice(`At most ${MAX_WATCHLIST} symbols in the watchlist.`);
    watchlist = [...watchlist, symbol];
    table.setSymbols(watchlist, (s) => infos.get(s));
    save();
    subscribeTable();
  }

  function remove(symbol: string): void {
    watchlist = watchlist.filter((s) => s !== symbol);
    chart.forget(symbol);
    table.setSymbols(watchlist, (s) => infos.get(s));
    if (selected === symbol) select(watchlist[0] ?? null);
    save();
    subscribeTable();
  }

  table.setSymbols(watchlist, (s) => infos.get(s));
  select(selected);
  subscribeTable();
  renderBadge();

  window.__dashboard = {
    chartPoints: () => chart.pointCount,
    bookLevels: () => book.levelCount,
    selected: () => selected,
    badge: () => badge,
  };
}

void main();
