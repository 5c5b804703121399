/** Test clean-up in the shared Redis: every key under one test's random prefix. */
import type { Redis } from 'ioredis';

export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length) await redis.del(...keys);
}
