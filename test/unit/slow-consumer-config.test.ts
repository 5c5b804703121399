import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('slow-consumer settings', () => {
  it('default to a 1 MiB budget and 10 s before eviction, and parse given values', () => {
    expect(loadConfig({})).toMatchObject({ SLOW_CONSUMER_BUFFER_BYTES: 1024 * 1024, SLOW_CONSUMER_EVICT_MS: 10_000 });
    expect(loadConfig({ SLOW_CONSUMER_BUFFER_BYTES: '65536', SLOW_CONSUMER_EVICT_MS: '2500' })).toMatchObject({
      SLOW_CONSUMER_BUFFER_BYTES: 65536,
      SLOW_CONSUMER_EVICT_MS: 2500,
    });
  });

  it.each([
    ['SLOW_CONSUMER_BUFFER_BYTES', '100'],
    ['SLOW_CONSUMER_BUFFER_BYTES', 'lots'],
    ['SLOW_CONSUMER_EVICT_MS', '0'],
    ['SLOW_CONSUMER_EVICT_MS', '1.5'],
  ])('a bad %s=%s stops start-up with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });
});
