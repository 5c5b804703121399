/**
 * Client input quoted back in an error message (and so in the log) is cut to ECHO_MAX characters,
 * so a 90 KB bad value costs a short message, not a copy of itself.
 */
export const ECHO_MAX = 64;

/** `text`, cut to `max` characters and marked with … when longer. */
export function clip(text: string, max = ECHO_MAX): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A value as JSON (strings quoted), cut to `max` characters. */
export function echo(value: unknown, max = ECHO_MAX): string {
  return clip(String(JSON.stringify(value)), max);
}
