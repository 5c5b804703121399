/**
 * The simulator refuses codes AllTick does not list (ret 600), as AllTick does, instead of
 * inventing prices for them: a typo fails offline too. End to end, the GraphQL client gets
 * UPSTREAM_REJECTED for the unknown symbol while the known ones in the same upstream list go on.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { Cmd, Ret } from '../../../src/feed/alltick/protocol.js';
import { CATALOGUE } from '../../../src/feed/alltick/catalogue.js';
import { dispose, startStack, wsClient, collect, QUOTES_SUBSCRIPTION } from '../../support/helpers.js';
import { ackOf, codes, connect, start } from '../../support/sim-fixture.js';
import { ErrorCode } from '../../../src/clients/error-codes.js';

afterEach(() => dispose());

it('a WebSocket subscribe holding an unknown well-formed code is refused with ret 600', async () => {
  const sim = await start();
  const client = await connect(sim, 'stock');
  const request = client.request(Cmd.SubscribeTrade, codes('AAPL.US', 'ZZZZ.US'));
  const ack = await client.waitFor(ackOf(request));
  expect(ack.ret).toBe(Ret.CodeInvalid);
  const known = client.request(Cmd.SubscribeTrade, codes('AAPL.US'));
  expect((await client.waitFor(ackOf(known))).ret).toBe(Ret.Ok);
  await sim.close();
});

it('REST answers ret 600 for a code outside the catalogue', async () => {
  const sim = await start();
  const query = (code: string) => encodeURIComponent(JSON.stringify({ trace: 't', data: { symbol_list: [{ code }] } }));
  const unknown = (await (await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=tok&query=${query('NOSUCHCOIN')}`)).json()) as { ret: number };
  expect(unknown.ret).toBe(Ret.CodeInvalid);
  const known = (await (await fetch(`${sim.httpUrl}/quote-b-api/trade-tick?token=tok&query=${query('BTCUSDT')}`)).json()) as { ret: number };
  expect(known.ret).toBe(Ret.Ok);
  expect(CATALOGUE.some((e) => e.code === 'BTCUSDT')).toBe(true);
  await sim.close();
});

it('end to end: the unknown symbol is UPSTREAM_REJECTED with ret 600, the known one keeps ticking', async () => {
  const stack = await startStack({ sim: { ticksPerSecond: 20 } });
  const bad = collect(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['ZZZZ.US'], depth: 0 } }));
  const good = collect(wsClient(stack).iterate({ query: QUOTES_SUBSCRIPTION, variables: { symbols: ['AAPL.US'], depth: 0 } }));
  await vi.waitFor(() => expect(bad.done).toBe(true), { timeout: 10_000 });
  expect(bad.errors[0] ?? bad.items[0]).toBeDefined();
  const errors = (bad.errors[0] ?? (bad.items.at(-1) as { errors?: unknown[] }).errors) as { extensions?: Record<string, unknown> }[];
  expect(errors[0]?.extensions).toMatchObject({ code: ErrorCode.UpstreamRejected, symbol: 'ZZZZ.US', ret: Ret.CodeInvalid });
  await vi.waitFor(() => expect(good.items.length).toBeGreaterThan(2), { timeout: 10_000 });
});

it("README's simulator catalogue table lists exactly the catalogue", async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('The simulator knows these codes'), readme.indexOf('\n## Development'));
  const listed = [...section.matchAll(/^\| [A-Z]+ \| (.*) \|$/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((c) => c[1]));
  expect(listed.sort()).toEqual(CATALOGUE.map((e) => e.code).sort());
});
