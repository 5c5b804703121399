import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { apiKeysFileSchema } from '../../src/http/api-keys.js';

describe('loadConfig', () => {
  it('applies the SPEC defaults', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 4000,
      HOST: '0.0.0.0',
      ALLTICK_WS_URL: 'wss://quote.alltick.co',
      ALLTICK_API_URL: 'https://quote.alltick.co',
      ALLTICK_PLAN: 'basic',
      LINGER_MS: 5000,
      ALLTICK_SUBSCRIBE_GAP_MS: 3000,
      REDIS_PREFIX: 'alltick-graphql:',
      LOG_LEVEL: 'info',
      SIMULATOR_PORT: 7070,
    });
    expect(loadConfig({}).ALLTICK_TOKEN).toBeUndefined();
  });

  it('parses values and token lists', () => {
    expect(loadConfig({ ALLTICK_SUBSCRIBE_GAP_MS: '2000' }).ALLTICK_SUBSCRIBE_GAP_MS).toBe(2000);
    const config = loadConfig({ PORT: '5000', ALLTICK_PLAN: 'free', SIMULATOR_TOKENS: 'a, b,,c', ALLTICK_TOKEN: 'tok' });
    expect(config).toMatchObject({ PORT: 5000, ALLTICK_PLAN: 'free', SIMULATOR_TOKENS: ['a', 'b', 'c'], ALLTICK_TOKEN: 'tok' });
  });

  it('takes a fractional operation rate (one every few seconds), not a fractional burst', () => {
    expect(loadConfig({ OPERATIONS_PER_SECOND: '0.2' }).OPERATIONS_PER_SECOND).toBe(0.2);
    expect(() => loadConfig({ OPERATIONS_BURST: '1.5' })).toThrow(/OPERATIONS_BURST=/);
    const keyWith = (limits: object) => ({ keys: [{ name: 'slow-bi', key: 'k'.repeat(16), limits }] });
    expect(apiKeysFileSchema.safeParse(keyWith({ operationsPerSecond: 0.2 })).success).toBe(true);
    expect(apiKeysFileSchema.safeParse(keyWith({ operationsBurst: 1.5 })).success).toBe(false);
    expect(apiKeysFileSchema.safeParse(keyWith({ operationsPerSecond: 0.0001 })).success).toBe(false);
  });

  it.each([
    ['PORT', 'abc'],
    ['OPERATIONS_PER_SECOND', '-0.5'],
    ['OPERATIONS_PER_SECOND', 'often'],
    ['OPERATIONS_PER_SECOND', '1e-22'], // Retry-After would be 1e+22 s
    ['PORT', '70000'],
    ['ALLTICK_PLAN', 'gold'],
    ['ALLTICK_WS_URL', 'https://quote.alltick.co'],
    ['LINGER_MS', '-1'],
    ['ALLTICK_SUBSCRIBE_GAP_MS', '-5'],
    ['ALLTICK_SUBSCRIBE_GAP_MS', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'localhost:6379'],
    ['ALLTICK_TIMINGS', '{not json'],
    ['ALLTICK_TIMINGS', '{"requestSpacingMs":-1}'],
    ['ALLTICK_TIMINGS', '{"requestSpacing":50}'],
    ['CLUSTER_TIMINGS', '{"leaseTtl":50}'],
    ['CLUSTER_TIMINGS', 'nope'],
  ])('a bad %s stops start-up with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}=`));
  });

  it('parses upstream timing overrides (tests and benchmarks run servers as processes)', () => {
    expect(loadConfig({ ALLTICK_TIMINGS: '{"requestSpacingMs":50,"reconnectGapMs":200}' }).ALLTICK_TIMINGS).toEqual({
      requestSpacingMs: 50,
      reconnectGapMs: 200,
    });
    expect(loadConfig({}).ALLTICK_TIMINGS).toBeUndefined();
  });

  it('never prints the token in a configuration error', () => {
    expect(() => loadConfig({ ALLTICK_TOKEN: 'secret-token', PORT: 'x' })).not.toThrow(/secret-token/);
  });
});
