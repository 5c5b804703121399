/** A tiny element builder: text goes in as text (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string; data?: Record<string, string> } = {},
  children: (Node | null)[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
  for (const child of children) if (child) el.append(child);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
}

/** Briefly tints an element green (up) or red (down). */
export function flash(el: HTMLElement, dir: -1 | 0 | 1): void {
  if (dir === 0) return;
  el.animate([{ backgroundColor: dir > 0 ? 'rgba(38, 166, 154, 0.28)' : 'rgba(239, 83, 80, 0.28)' }, { backgroundColor: 'transparent' }], {
    duration: 500,
    easing: 'ease-out',
  });
}
