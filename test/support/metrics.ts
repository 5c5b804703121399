/** Reading `/metrics` in tests: Prometheus text into samples, and one metric's sum off a running server. */
import type { Stack } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text into samples; `sum` adds the samples of a name whose labels include `labels`. */
export function parseMetrics(text: string) {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  const sum = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  const has = (name: string) => samples.some((s) => s.name === name);
  return { text, sum, has };
}

/** The sum of metric `name`'s samples whose labels include `labels`, scraped from the stack's `/metrics`. */
export async function metricSum(stack: Stack, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(stack.url.replace('/graphql', '/metrics'));
  return parseMetrics(await res.text()).sum(name, labels);
}
