/**
 * The client's address behind reverse proxies (TRUST_PROXY). Without it the TCP peer is the
 * client. With a hop count N, the address N hops away in `X-Forwarded-For` is (the peer is hop 0;
 * each proxy appends the address it got the request from). With a list of proxy addresses or
 * CIDR ranges, the nearest address that is not one of them is. Entries a client wrote itself sit
 * further left and are never reached, so they cannot be used to pose as someone else.
 * It sits at the root of src/: config.ts parses TRUST_PROXY with it, src/http applies it.
 */
import { BlockList, isIP } from 'node:net';

export type TrustProxy = { hops: number } | { proxies: BlockList; shown: string };

/** Parses TRUST_PROXY: `1` (hops) or `10.0.0.5, 192.168.0.0/16, ::1`. Throws a readable Error. */
export function parseTrustProxy(text: string): TrustProxy {
  if (/^\d+$/.test(text.trim())) {
    const hops = Number(text);
    if (hops < 1 || hops > 20) throw new Error('a hop count must be 1 to 20');
    return { hops };
  }
  const proxies = new BlockList();
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (!family) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) proxies.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!/^\d+$/.test(prefix) || bits > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has a bad prefix length`);
      proxies.addSubnet(address, bits, type);
    }
  }
  return { proxies, shown: text };
}

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) → `10.0.0.1` */
const plain = (address: string) => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

function isProxy(proxies: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, trust: TrustProxy | null | undefined): string {
  const nearest = plain(peer);
  if (!trust || forwardedFor === undefined) return nearest;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  // nearest first: the peer, then X-Forwarded-For from right to left
  const chain = [
    nearest,
    ...header
      .split(',')
      .map((s) => plain(s.trim()))
      .reverse(),
  ];
  if ('hops' in trust) {
    const address = chain[Math.min(trust.hops, chain.length - 1)]!;
    return isIP(address) ? address : nearest;
  }
  let i = 0;
  while (i < chain.length - 1 && isProxy(trust.proxies, chain[i]!) && isIP(chain[i + 1]!)) i++;
  return chain[i]!;
}
