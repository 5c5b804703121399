import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * JSON lines (one object per line) in production and whenever stdout is not a terminal; readable
 * coloured lines in a terminal when NODE_ENV is not `production`. `destination` (tests) receives
 * the JSON lines instead of stdout.
 */
export function createLogger(level: string, name = 'alltick-graphql', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    // belt and braces: the token must never reach a log line, even inside a URL
    redact: { paths: ['token', '*.token'], censor: '***' },
  };
  if (destination) return pino(options, destination);
  const pretty = process.env.NODE_ENV !== 'production' && process.stdout.isTTY;
  return pino({ ...options, ...(pretty && { transport: { target: 'pino-pretty', options: { colorize: true } } }) });
}

export type { Logger };

/** The part of a logger the feed modules use: structured lines at three levels (pino fits). */
export interface LogSink {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
