/**
 * Exact decimal arithmetic for derived fields (spread, mid, change, candle sums): decimal strings
 * in, decimal strings out, computed on scaled BigInts. Never a float on the way: "0.1" + "0.2"
 * is "0.3".
 */

/** A decimal as an integer number of units of 10^-scale (parse once, then add and compare cheaply). */
export interface Scaled {
  units: bigint;
  scale: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

export function parse(text: string): Scaled {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign, int, frac = '', exp = '0'] = m;
  let digits = `${int}${frac}`;
  let scale = frac.length - Number(exp);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits);
  return { units: sign === '-' ? -units : units, scale };
}

function rescale(d: Scaled, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function format({ units, scale }: Scaled): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${int}${frac}`;
}

function aligned(a: string, b: string): [bigint, bigint, number] {
  return alignedScaled(parse(a), parse(b));
}

function alignedScaled(x: Scaled, y: Scaled): [bigint, bigint, number] {
  if (x.scale === y.scale) return [x.units, y.units, x.scale];
  const scale = Math.max(x.scale, y.scale);
  return [rescale(x, scale), rescale(y, scale), scale];
}

export function add(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  return format({ units: x + y, scale });
}

export function subtract(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  return format({ units: x - y, scale });
}

/** -1, 0 or 1 as a is less than, equal to or greater than b ("1.50" equals "1.5"). */
export function compare(a: string, b: string): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function max(a: string, b: string): string {
  return compare(a, b) >= 0 ? a : b;
}

export function min(a: string, b: string): string {
  return compare(a, b) <= 0 ? a : b;
}

export function isZero(a: string): boolean {
  return parse(a).units === 0n;
}

/** (a + b) / 2, exact: one more decimal place when the sum is odd. */
export function midpoint(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  const sum = x + y;
  return sum % 2n === 0n ? format({ units: sum / 2n, scale }) : format({ units: sum * 5n, scale: scale + 1 });
}

/** a / b rounded half away from zero to `decimals` places; throws on division by zero. */
export function divide(a: string, b: string, decimals: number): string {
  const [x, y] = aligned(a, b);
  if (y === 0n) throw new RangeError('division by zero');
  const numerator = x * 10n ** BigInt(decimals) * 2n;
  let q = numerator / y; // twice the result, truncated
  q = q + (q < 0n ? -1n : 1n); // half away from zero…
  return format({ units: q / 2n, scale: decimals }); // …then halve (truncating)
}

/** (value - base) / base × 100, rounded to `decimals` places; null when base is zero. */
export function percentChange(value: string, base: string, decimals = 4): string | null {
  if (isZero(base)) return null;
  return divide(subtract(value, base), format({ units: parse(base).units, scale: parse(base).scale + 2 }), decimals);
}

/** a × b, exact. */
export function multiply(a: string, b: string): string {
  return format(multiplyScaled(parse(a), parse(b)));
}

export function addScaled(a: Scaled, b: Scaled): Scaled {
  const [x, y, scale] = alignedScaled(a, b);
  return { units: x + y, scale };
}

export function compareScaled(a: Scaled, b: Scaled): number {
  const [x, y] = alignedScaled(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function multiplyScaled(a: Scaled, b: Scaled): Scaled {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}
