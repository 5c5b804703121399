import { pino, type Logger } from 'pino';

/** JSON lines in production; readable lines in a terminal. */
export function createLogger(level: string, name = 'alltick-graphql'): Logger {
  const pretty = process.env.NODE_ENV !== 'production' && process.stdout.isTTY;
  return pino({
    name,
    level,
    // belt and braces: the token must never reach a log line, even inside a URL
    redact: { paths: ['token', '*.token'], censor: '***' },
    ...(pretty && { transport: { target: 'pino-pretty', options: { colorize: true } } }),
  });
}

export type { Logger };
