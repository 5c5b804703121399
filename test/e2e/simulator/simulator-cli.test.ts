/**
 * `npm run simulator` (src/simulator/main.ts): environment validation and a real start/stop.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSimulatorEnv } from '../../../src/simulator/env.js';

function runMain(env: Record<string, string>, until: (out: string) => boolean = () => false) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalled = false;
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (!signalled && until(out)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
}

describe('simulator environment', () => {
  it('parses defaults and values', () => {
    expect(parseSimulatorEnv({})).toEqual({ ok: true, env: { options: { host: '127.0.0.1', port: 7070, plan: 'basic' }, logLevel: 'info' } });
    const r = parseSimulatorEnv({
      SIMULATOR_PORT: '0',
      SIMULATOR_HOST: '0.0.0.0',
      SIMULATOR_TOKENS: 'a, b',
      SIMULATOR_PLAN: 'free',
      SIMULATOR_SEED: '5',
      SIMULATOR_TICKS_PER_SECOND: '0.5',
    });
    expect(r).toEqual({
      ok: true,
      env: { options: { host: '0.0.0.0', port: 0, plan: 'free', tokens: ['a', 'b'], seed: 5, ticksPerSecond: 0.5 }, logLevel: 'info' },
    });
  });

  it('names the bad variable', () => {
    for (const [name, value] of [
      ['SIMULATOR_PORT', '70000'],
      ['SIMULATOR_PORT', 'x'],
      ['SIMULATOR_TOKENS', 'a,,b'],
      ['SIMULATOR_PLAN', 'gold'],
      ['LOG_LEVEL', 'loud'],
    ]) {
      const r = parseSimulatorEnv({ [name!]: value! });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(name);
    }
  });

  it('exits 1 with a message on a bad value, and starts, prints the URLs and stops cleanly otherwise', async () => {
    const [bad, good] = await Promise.all([
      runMain({ SIMULATOR_PORT: 'nope' }),
      runMain({ SIMULATOR_PORT: '0', SIMULATOR_TOKENS: 'secret' }, (out) => out.includes('npm start')),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/SIMULATOR_PORT/);
    expect([good.code, good.signal, good.err]).toEqual([0, null, '']);
    expect(good.out).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/quote-stock-b-ws-api\?token=/);
    expect(good.out).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/quote-b-ws-api\?token=/);
    expect(good.out).toMatch(/http:\/\/127\.0\.0\.1:\d+\/quote-stock-b-api\//);
    expect(good.out).toMatch(/ALLTICK_WS_URL=ws:\/\/127\.0\.0\.1:\d+ ALLTICK_API_URL=http:\/\/127\.0\.0\.1:\d+ ALLTICK_TOKEN=<one of SIMULATOR_TOKENS>/);
    expect(good.out).not.toContain('secret');
  });
});
