// `npm start`: configuration from the environment, then the server until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { dashboardAssets } from './http/dashboard-assets.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const logger = createLogger(config.LOG_LEVEL);
const server = await startServer({ config, logger });
// Load the dashboard now rather than on its first request (from dist/dashboard/, or bundled when run from the sources).
dashboardAssets().then(
  () => logger.info({ url: server.url.replace(/graphql$/, '') }, 'dashboard ready'),
  (error: unknown) => logger.error({ err: error }, 'dashboard build failed'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
