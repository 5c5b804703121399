/**
 * Setup of the unit project (vitest.config.ts): a unit test that opens a socket or listens on a
 * port fails at once, naming what it did, instead of quietly becoming an end-to-end test. Tests
 * that need the network belong in test/e2e/ (or test/redis/, test/browser/).
 */
import net from 'node:net';

const refuse = (what: string) => () => {
  throw new Error(`unit tests use no network (${what}): move this test to test/e2e/`);
};
net.Socket.prototype.connect = refuse('a socket connects');
net.Server.prototype.listen = refuse('a server listens') as typeof net.Server.prototype.listen;
