/**
 * Exact decimal strings for the simulator. Prices are kept as integer counts of 10^-decimals
 * ("units"), so a formatted price is always a plain decimal such as "380.200", never float noise.
 */

/** "380.2" at 3 decimals → 380200. Throws on anything but a plain non-negative decimal. */
export function toUnits(decimal: string, decimals: number): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!m) throw new Error(`not a plain decimal: ${decimal}`);
  const frac = (m[2] ?? '').padEnd(decimals, '0');
  if (frac.length > decimals) throw new Error(`${decimal} has more than ${decimals} decimals`);
  return Number(`${m[1]}${frac}`);
}

/** 380200 at 3 decimals → "380.200"; 5 at 0 decimals → "5". Accepts number or bigint units. */
export function formatUnits(units: number | bigint, decimals: number): string {
  const n = typeof units === 'bigint' ? units : BigInt(Math.round(units));
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const out = decimals === 0 ? int : `${int}.${digits.slice(digits.length - decimals)}`;
  return negative ? `-${out}` : out;
}

/** Exact product of two unit amounts: price × volume, with decimals added. */
export function multiplyUnits(a: number, aDecimals: number, b: number, bDecimals: number): string {
  return formatUnits(BigInt(Math.round(a)) * BigInt(Math.round(b)), aDecimals + bDecimals);
}
