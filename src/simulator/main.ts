/**
 * `npm run simulator`: the AllTick simulator alone, for other programs to connect to.
 * Environment: SIMULATOR_PORT (7070), SIMULATOR_HOST (127.0.0.1), SIMULATOR_TOKENS (comma-separated;
 * unset = any non-empty token), SIMULATOR_PLAN (basic), SIMULATOR_SEED, SIMULATOR_TICKS_PER_SECOND (2),
 * LOG_LEVEL (info).
 */
import { pino } from 'pino';
import { ENDPOINT_PATHS } from '../feed/alltick/symbols.js';
import { parseSimulatorEnv } from './env.js';
import { createSimulator, type Simulator } from './server.js';

const parsed = parseSimulatorEnv(process.env);
if (!parsed.ok) {
  process.stderr.write(`alltick simulator: ${parsed.error}\n`);
  process.exit(1);
}
const { options, logLevel } = parsed.env;
const logger = pino({ level: logLevel, name: 'alltick-simulator' });

function banner(sim: Simulator): string {
  // a wildcard listen address is reachable on loopback
  const base = ['0.0.0.0', '::'].includes(sim.host) ? `127.0.0.1:${sim.port}` : new URL(sim.httpUrl).host;
  const http = `http://${base}`;
  const ws = `ws://${base}`;
  // configured tokens are not echoed: they may be shared with real deployments
  const token = options.tokens ? '<one of SIMULATOR_TOKENS>' : 'demo';
  return [
    `AllTick simulator on ${http} (plan ${sim.options.plan}, seed ${sim.seed}, tokens: ${options.tokens ? `${options.tokens.length} configured` : 'any non-empty'})`,
    `  WebSocket  ${ws}${ENDPOINT_PATHS.stock.ws}?token=<token>`,
    `             ${ws}${ENDPOINT_PATHS.quote.ws}?token=<token>`,
    `  REST       ${http}${ENDPOINT_PATHS.stock.rest}/{trade-tick,depth-tick,kline,static_info,batch-kline}?token=<token>&query=…`,
    `             ${http}${ENDPOINT_PATHS.quote.rest}/{trade-tick,depth-tick,kline,batch-kline}?token=<token>&query=…`,
    `Point the server at it:`,
    `  ALLTICK_WS_URL=${ws} ALLTICK_API_URL=${http} ALLTICK_TOKEN=${token} npm start`,
    '',
  ].join('\n');
}

let sim: Simulator;
try {
  sim = await createSimulator({ ...options, logger });
} catch (err) {
  logger.fatal({ err }, 'simulator failed to start');
  process.exit(1);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void sim.close().then(() => process.exit(0));
  });
}
process.stdout.write(banner(sim));
