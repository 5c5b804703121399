/**
 * One server under test, in a process of its own so that its CPU and memory are its own.
 * `node --import tsx bench/server-process.ts <raw|naive|ours>` with the AllTick settings in the
 * environment; reports `ready` with its port over IPC and answers `stats` requests.
 */
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { fanoutCounters } from '../src/http/fanout/outbox.js';
import type { FromServer, ToServer, Variant } from './common.js';
import { startNaiveServer } from './servers/naive.js';
import { startRawServer } from './servers/raw.js';
import type { BenchServer } from './servers/types.js';

/** Quick upstream timings: the bench measures fan-out, not AllTick's request spacing. */
const TIMINGS = { requestSpacingMs: 50, subscribeSpacingMs: 0, heartbeatIntervalMs: 5000, reconnectGapMs: 200, ackTimeoutMs: 5000 };

const send = (message: FromServer) => {
  if (process.connected) process.send?.(message);
};

async function start(variant: Variant): Promise<BenchServer> {
  // all load comes from one address at a rate no real client has: the per-client limits are off
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    OPERATIONS_PER_SECOND: '0',
  });
  const logger = createLogger('silent');
  if (variant === 'raw' || variant === 'floor') return startRawServer(config, logger, TIMINGS, variant === 'floor');
  if (variant === 'naive') return startNaiveServer(config, logger, TIMINGS);
  const server = await startServer({ config, logger, timings: TIMINGS });
  let connections = 0;
  // one shared listener, not a closure and a once-wrapper per socket: the harness must not add to C's figure
  const closed = () => void connections--;
  server.httpServer.on('upgrade', (_req, socket) => {
    connections++;
    socket.on('close', closed);
  });
  return { port: server.port, connections: () => connections, stop: () => server.stop() };
}

const variant = process.argv[2] as Variant;
const server = await start(variant).catch((error: unknown) => {
  send({ type: 'error', message: String(error) });
  process.exit(1);
});
send({ type: 'ready', port: server.port });

process.on('message', async (message: ToServer) => {
  if (message.type === 'stats') {
    if (message.gc && globalThis.gc) {
      for (let i = 0; i < 3; i++) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    send({
      type: 'stats',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      cpuMs: (cpu.user + cpu.system) / 1000,
      connections: server.connections(),
      droppedUpdates: fanoutCounters.droppedUpdates,
    });
  } else if (message.type === 'heap-snapshot') {
    send({ type: 'heap-snapshot', file: writeHeapSnapshot(join(message.dir, `${variant}-${process.pid}-${Date.now()}.heapsnapshot`)) });
  } else if (message.type === 'exit') {
    await Promise.race([server.stop(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
