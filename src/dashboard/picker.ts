/**
 * The symbol picker: a search box (code or name) and a market filter, answered by the `symbols`
 * query as the user types; Enter or a click adds the symbol to the watchlist and selects it.
 */
import type { Api, SymbolInfo } from './api.js';
import { h } from './dom.js';

const RESULTS = 12;

export class SymbolPicker {
  private results: SymbolInfo[] = [];
  private active = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  constructor(
    private readonly api: Api,
    private readonly input: HTMLInputElement,
    private readonly market: HTMLSelectElement,
    private readonly list: HTMLUListElement,
    private readonly onPick: (info: SymbolInfo) => void,
  ) {
    input.addEventListener('input', () => this.search());
    input.addEventListener('focus', () => this.search());
    market.addEventListener('change', () => this.search(0));
    input.addEventListener('keydown', (e) => this.onKey(e));
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    list.addEventListener('mousedown', (e) => {
      const index = Number((e.target as HTMLElement).closest('li')?.dataset.index);
      const info = this.results[index];
      if (!info) return;
      e.preventDefault(); // keep focus in the box
      this.pick(info);
    });
  }

  private search(delayMs = 120): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const generation = ++this.generation;
      this.api.symbols(this.input.value.trim(), this.market.value || null, RESULTS).then(
        (results) => generation === this.generation && this.show(results),
        () => generation === this.generation && this.show([]),
      );
    }, delayMs);
  }

  private show(results: SymbolInfo[]): void {
    this.results = results;
    this.active = 0;
    this.list.replaceChildren(
      ...(results.length === 0
        ? [h('li', { class: 'none', text: 'No matching symbol' })]
        : results.map((r, i) =>
            h('li', { data: { index: String(i), symbol: r.symbol }, class: i === 0 ? 'active' : '' }, [
              h('span', { class: 'code', text: r.symbol }),
              h('span', { class: 'name', text: r.name }),
              h('span', { class: 'tag', text: r.market }),
            ]),
          )),
    );
    this.list.hidden = document.activeElement !== this.input;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (this.results.length === 0) return;
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : -1) + this.results.length) % this.results.length;
      this.list.querySelectorAll('li').forEach((li, i) => li.classList.toggle('active', i === this.active));
    } else if (e.key === 'Enter') {
      const info = this.results[this.active];
      if (info) this.pick(info);
    } else if (e.key === 'Escape') {
      this.close();
      this.input.blur();
    }
  }

  private pick(info: SymbolInfo): void {
    this.onPick(info);
    this.input.value = '';
    this.close();
  }

  private close(): void {
    this.list.hidden = true;
  }
}
