// scratch: idle RSS of each server variant
import { createSimulator } from '../src/simulator/server.js';
import { Child } from './child.js';
import type { FromServer, ToServer } from './common.js';
const sim = await createSimulator({ ticksPerSecond: 0, spacingMs: 20, tokenSpacingMs: 0, recordLimit: 1000 });
for (const v of (process.argv[2] ?? 'raw,ours').split(',')) {
  const server = new Child<ToServer, FromServer>('./server-process.ts', [v], { ...process.env, ALLTICK_TOKEN: 'bench', ALLTICK_WS_URL: sim.wsUrl, ALLTICK_API_URL: sim.httpUrl, ALLTICK_PLAN: 'basic', NODE_ENV: 'production' }, (process.env.PROBE_FLAGS ?? '').split(' ').filter(Boolean));
  await server.next('ready', 30000);
  await new Promise((r) => setTimeout(r, 1500));
  const s = await server.ask({ type: 'stats', gc: true });
  console.log(v, 'rss MiB', (s.rss / 2 ** 20).toFixed(1), 'heapUsed MiB', (s.heapUsed / 2 ** 20).toFixed(1), 'statm', (server.rss() / 2 ** 20).toFixed(1));
  if (process.env.PROBE_WAIT) await new Promise((r) => setTimeout(r, Number(process.env.PROBE_WAIT)));
  await server.stop({ type: 'exit' });
}
await sim.close();
