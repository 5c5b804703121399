/** The watchlist: one row per symbol, updated in place on every quote; prices flash up or down. */
import type { Quote, SymbolInfo } from './api.js';
import { decimalsOf, direction, formatDecimal, formatTime } from './format.js';
import { flash, h } from './dom.js';

interface Row {
  tr: HTMLTableRowElement;
  price: HTMLElement;
  bid: HTMLElement;
  ask: HTMLElement;
  time: HTMLElement;
  decimals: number;
  last: Quote | null;
}

export interface TableEvents {
  select(symbol: string): void;
  remove(symbol: string): void;
}

export class QuoteTable {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly events: TableEvents,
  ) {
    body.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const symbol = target.closest('tr')?.dataset.symbol;
      if (!symbol) return;
      if (target.closest('button.remove')) this.events.remove(symbol);
      else this.events.select(symbol);
    });
  }

  /** Makes the rows match `symbols` (in that order), keeping rows that stay. */
  setSymbols(symbols: string[], info: (symbol: string) => SymbolInfo | undefined): void {
    for (const [symbol, row] of this.rows) {
      if (symbols.includes(symbol)) continue;
      row.tr.remove();
      this.rows.delete(symbol);
    }
    for (const symbol of symbols) {
      let row = this.rows.get(symbol);
      if (!row) this.rows.set(symbol, (row = this.makeRow(symbol, info(symbol))));
      this.body.append(row.tr); // append moves existing rows into order
    }
    if (symbols.length === 0) this.body.replaceChildren(h('tr', { class: 'empty' }, [h('td', { text: 'Add a symbol with the search box above.' })]));
    else this.body.querySelector('tr.empty')?.remove();
  }

  select(symbol: string | null): void {
    for (const [s, row] of this.rows) row.tr.classList.toggle('selected', s === symbol);
  }

  update(quote: Quote): void {
    const row = this.rows.get(quote.symbol);
    if (!row) return;
    const prev = row.last;
    row.last = quote;
    if (quote.price !== prev?.price) {
      const dir = direction(prev?.price, quote.price);
      row.price.textContent = formatDecimal(quote.price, row.decimals);
      if (dir !== 0) {
        row.price.classList.toggle('up', dir > 0);
        row.price.classList.toggle('down', dir < 0);
        flash(row.price, dir);
      }
    }
    setLevel(row.bid, quote.bids[0]?.price, prev?.bids[0]?.price, row.decimals);
    setLevel(row.ask, quote.asks[0]?.price, prev?.asks[0]?.price, row.decimals);
    row.time.textContent = formatTime(quote.time, false);
  }

  private makeRow(symbol: string, info: SymbolInfo | undefined): Row {
    const cell = (cls: string) => h('td', { class: `num ${cls}`, text: '—' });
    const price = cell('price');
    const bid = cell('bid');
    const ask = cell('ask');
    const time = cell('time');
    const tr = h('tr', { data: { symbol } }, [
      h('td', { class: 'sym' }, [h('div', { class: 'code', text: symbol }), h('div', { class: 'name', text: info?.name ?? '' })]),
      price,
      bid,
      ask,
      time,
      h('td', { class: 'rm' }, [h('button', { class: 'remove', text: '×', title: `Remove ${symbol}` })]),
    ]);
    return { tr, price, bid, ask, time, decimals: decimalsOf(info?.tickSize), last: null };
  }
}

function setLevel(el: HTMLElement, next: string | undefined, prev: string | undefined, decimals: number): void {
  if (next !== prev) el.textContent = formatDecimal(next, decimals);
}
