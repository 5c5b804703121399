import { pino, type DestinationStream, type Logger } from 'pino';

/** JSON lines in production; readable lines in a terminal; to `destination` when given (tests). */
export function createLogger(level: string, name = 'alltick-graphql', destination?: DestinationStream): Logger {
  const pretty = !destination && process.env.NODE_ENV !== 'production' && process.stdout.isTTY;
  const options = {
    name,
    level,
    // belt and braces: the token must never reach a log line, even inside a URL
    redact: { paths: ['token', '*.token'], censor: '***' },
    ...(pretty && { transport: { target: 'pino-pretty', options: { colorize: true } } }),
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
