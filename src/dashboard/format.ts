/**
 * Number and time formatting for the dashboard. Prices stay decimal strings end to end (never
 * rounded through a float): trailing zeros are trimmed down to the symbol's tick size, and the
 * integer part gets thousands separators.
 */

/** Decimals of a tick size: "0.01" → 2, "1" → 0. */
export function decimalsOf(tickSize: string | undefined): number {
  if (!tickSize) return 0;
  const dot = tickSize.indexOf('.');
  return dot < 0 ? 0 : tickSize.length - dot - 1;
}

/** "67432.100000" with 2 decimals → "67,432.10"; never drops a significant digit. */
export function formatDecimal(value: string | null | undefined, minDecimals = 0): string {
  if (value === null || value === undefined || value === '') return '—';
  const negative = value.startsWith('-');
  const [intPart = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  let frac = fraction.replace(/0+$/, '');
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, '0');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** Local wall-clock time, with milliseconds unless `millis` is false: "14:03:07.215". */
export function formatTime(iso: string | null | undefined, millis = true): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return millis ? `${clock}.${pad(d.getMilliseconds(), 3)}` : clock;
}

/** -1, 0 or 1: how `next` compares with `prev` (both decimal strings); 0 when either is missing. */
export function direction(prev: string | null | undefined, next: string | null | undefined): -1 | 0 | 1 {
  if (!prev || !next) return 0;
  const a = Number(prev);
  const b = Number(next);
  return b > a ? 1 : b < a ? -1 : 0;
}
