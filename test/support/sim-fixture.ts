/**
 * Shared fixture of the simulator tests: simulators and raw clients made through it are closed
 * after each test.
 */
import { afterEach } from 'vitest';
import { ENDPOINT_PATHS, type Endpoint } from '../../src/feed/alltick/symbols.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.js';
import { connectRaw, type Frame, type RawClient } from './raw-client.js';

const sims: Simulator[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/** A simulator that only pushes when told, answers at once, with a fixed seed. */
export async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator({ ticksPerSecond: 0, spacingMs: 0, seed: 42, ...options });
  sims.push(sim);
  return sim;
}

/** The WebSocket URL of an endpoint; no `?token=` when `token` is undefined. */
export function urlOf(sim: Simulator, endpoint: Endpoint, token?: string): string {
  return `${sim.wsUrl}${ENDPOINT_PATHS[endpoint].ws}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
}

export async function connect(sim: Simulator, endpoint: Endpoint = 'stock', token = 'tok'): Promise<RawClient> {
  const c = await connectRaw(urlOf(sim, endpoint, token));
  clients.push(c);
  return c;
}

/** Matches the ack of a request by its echoed seq_id and trace. */
export const ackOf = (r: { seq_id: number; trace: string }) => (f: Frame) => f.seq_id === r.seq_id && f.trace === r.trace;
/** A subscribe payload for these codes. */
export const codes = (...list: string[]) => ({ symbol_list: list.map((code) => ({ code })) });
