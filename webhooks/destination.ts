import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may be sent. `allowedNetworks` is compiled once per array (see
 * `compiledPolicy`), so treat policies as immutable.
 */
export interface DestinationPolicy {
  /** Permits plain `http:` URLs (tests, local development); otherwise only `https:`. */
  allowHttp: boolean;
  /** CIDRs (`127.0.0.1/32`, `::1/128`, `10.0.0.0/8`) permitted even though not public. */
  allowedNetworks: string[];
}

/** `dns.lookup` in its `all: true` form; `dns.lookup` itself fits, tests inject fakes. */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A webhook URL or the address it resolves to may not be used; the message says why. */
export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

const MAX_URL_LENGTH = 2048;

type Rule = [cidr: string, kind: string];

// First match wins, so narrower rules come before the ranges that contain them.
const IPV4_RULES: Rule[] = [
  ['169.254.169.254/32', 'the cloud metadata address'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['0.0.0.0/8', 'an unspecified address'],
  ['10.0.0.0/8', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.0.0.0/24', 'an IETF protocol assignment address'],
  ['192.0.2.0/24', 'a documentation address'],
  ['192.88.99.0/24', 'a deprecated 6to4 relay address'],
  ['192.168.0.0/16', 'a private address'],
  ['198.18.0.0/15', 'a benchmarking address'],
  ['198.51.100.0/24', 'a documentation address'],
  ['203.0.113.0/24', 'a documentation address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved address'],
];

// Ranges that embed an IPv4 address (::ffff:0:0/96, ::/96, 64:ff9b::/96, 2002::/16) are
// handled by `embeddedIpv4Refusal` before these rules.
const IPV6_RULES: Rule[] = [
  ['::/128', 'an unspecified address'],
  ['::1/128', 'a loopback address'],
  ['64:ff9b:1::/48', 'a local-use NAT64 address'],
  ['100::/64', 'a discard-only address'],
  ['2001::/23', 'an IETF protocol assignment address (Teredo, benchmarking, ORCHID)'],
  ['2001:db8::/32', 'a documentation address'],
  ['3fff::/20', 'a documentation address'],
  ['5f00::/16', 'an SRv6 segment identifier'],
  ['fc00::/7', 'a unique local (private) address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a deprecated site-local address'],
  ['ff00::/8', 'a multicast address'],
];

interface CompiledRule {
  list: BlockList;
  kind: string;
}

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.trim().split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new Error(`invalid network ${JSON.stringify(cidr)}: expected a CIDR like 10.0.0.0/8`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { address, prefix, family } = parseCidr(cidr);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

function compile(rules: Rule[]): { any: BlockList; rules: CompiledRule[] } {
  return {
    any: blockList(rules.map(([cidr]) => cidr)),
    rules: rules.map(([cidr, kind]) => ({ list: blockList([cidr]), kind })),
  };
}

const IPV4 = compile(IPV4_RULES);
const IPV6 = compile(IPV6_RULES);
const GLOBAL_UNICAST_V6 = blockList(['2000::/3']);

interface CompiledPolicy {
  allowed: BlockList;
  /** Refusal kinds by address (null: allowed). */
  kinds: Map<string, string | null>;
}

const compiledPolicies = new WeakMap<string[], CompiledPolicy>();

function compiledPolicy(policy: DestinationPolicy): CompiledPolicy {
  let compiled = compiledPolicies.get(policy.allowedNetworks);
  if (!compiled) {
    compiled = { allowed: blockList(policy.allowedNetworks), kinds: new Map() };
    compiledPolicies.set(policy.allowedNetworks, compiled);
  }
  return compiled;
}

function matchingKind(ip: string, family: 'ipv4' | 'ipv6'): string | null {
  const table = family === 'ipv4' ? IPV4 : IPV6;
  if (!table.any.check(ip, family)) return null;
  return table.rules.find((rule) => rule.list.check(ip, family))?.kind ?? null;
}

type Words = [number, number, number, number, number, number, number, number];

/** The eight 16-bit words of a valid IPv6 address (as accepted by `isIP`, zone removed). */
function ipv6Words(ip: string): Words {
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${hex(a, b)}:${hex(c, d)}`;
  }
  const [head = '', rest] = text.split('::');
  const headWords = head === '' ? [] : head.split(':');
  const restWords = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - headWords.length - restWords.length);
  return [...headWords, ...zeros.fill('0'), ...restWords].map((w) => parseInt(w, 16)) as Words;
}

function ipv4FromWords(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

interface Embedded {
  form: string;
  v4: string;
  /** Refused whatever it embeds. */
  deprecated?: boolean;
}

function embeddedIpv4(w: Words): Embedded | null {
  const upperZero = w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0;
  const low = ipv4FromWords(w[6], w[7]);
  if (upperZero && w[5] === 0xffff) return { form: 'an IPv4-mapped form', v4: low };
  if (upperZero && w[5] === 0 && (w[6] !== 0 || w[7] > 1)) {
    return { form: 'a deprecated IPv4-compatible form', v4: low, deprecated: true };
  }
  const nat64 = w[0] === 0x64 && w[1] === 0xff9b && w[2] === 0 && w[3] === 0;
  if (nat64 && w[4] === 0 && w[5] === 0) return { form: 'a NAT64 form', v4: low };
  if (w[0] === 0x2002) return { form: 'a 6to4 form', v4: ipv4FromWords(w[1], w[2]) };
  return null;
}

/**
 * IPv6 forms that carry an IPv4 address. Mapped, NAT64 and 6to4 are judged by the IPv4 address
 * they reach: a public one is fine (DNS64 networks hand out 64:ff9b:: addresses for ordinary
 * hosts), a refused one is refused. IPv4-compatible addresses are deprecated and never
 * legitimate, so they are refused whatever they embed.
 * Returns undefined when the address embeds nothing, so the plain IPv6 rules apply.
 */
function embeddedIpv4Refusal(ip: string, policy: DestinationPolicy): string | null | undefined {
  const embedded = embeddedIpv4(ipv6Words(ip));
  if (!embedded) return undefined;
  const { form, v4, deprecated } = embedded;
  if (deprecated) return `${form} of ${v4}`;
  const kind = refusalKind(v4, policy);
  return kind === null ? null : `${form} of ${v4}, ${kind}`;
}

function ipv6Kind(ip: string, policy: DestinationPolicy): string | null {
  const embedded = embeddedIpv4Refusal(ip, policy);
  if (embedded !== undefined) return embedded;
  const kind = matchingKind(ip, 'ipv6');
  if (kind) return kind;
  return GLOBAL_UNICAST_V6.check(ip, 'ipv6') ? null : 'a reserved address';
}

// BlockList.check allocates a SocketAddress per call, which shows in delivery profiles for
// literal-IP URLs; verdicts are pure, so a bounded number of them is remembered.
const MAX_REMEMBERED = 1024;

/** What kind of refused address `ip` is ("a private address"), or null when allowed. */
function refusalKind(ip: string, policy: DestinationPolicy): string | null {
  const { kinds } = compiledPolicy(policy);
  let kind = kinds.get(ip);
  if (kind === undefined) {
    kind = classify(ip, policy);
    if (kinds.size >= MAX_REMEMBERED) kinds.clear();
    kinds.set(ip, kind);
  }
  return kind;
}

function classify(ip: string, policy: DestinationPolicy): string | null {
  const address = ip.split('%')[0] ?? '';
  const version = isIP(address);
  if (version === 0) return 'not an IP address';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (compiledPolicy(policy).allowed.check(address, family)) return null;
  return family === 'ipv4' ? matchingKind(address, family) : ipv6Kind(address, policy);
}

/** Why a webhook may not be delivered to `ip` ("127.0.0.1 is a loopback address"), or null. */
export function addressRefusal(ip: string, policy: DestinationPolicy): string | null {
  const kind = refusalKind(ip, policy);
  return kind === null ? null : `${ip} is ${kind}`;
}

/** Strips the brackets the URL parser keeps around IPv6 hosts. */
function hostAddress(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function urlProblem(url: URL, policy: DestinationPolicy): string | null {
  const httpOk = policy.allowHttp && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !httpOk) {
    return policy.allowHttp ? 'url must use http or https' : 'url must use https';
  }
  if (url.username !== '' || url.password !== '') return 'url must not contain credentials';
  if (url.hostname === '') return 'url must have a host';
  const host = hostAddress(url);
  return isIP(host) === 0 ? null : addressRefusal(host, policy);
}

/**
 * Parses a webhook URL and refuses what can be refused without DNS: bad syntax, a scheme other
 * than https (or http when allowed), credentials, and literal IP hosts outside the policy.
 * Numeric host spellings (`2130706433`, `0x7f.1`, `[::ffff:7f00:1]`) are normalised by the
 * WHATWG parser to the form checked here, which is also the form connected to.
 */
export function parseWebhookUrl(raw: string, policy: DestinationPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new DestinationRefused(`url must be at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefused('url is not a valid absolute URL');
  }
  const problem = urlProblem(url, policy);
  if (problem) throw new DestinationRefused(problem);
  return url;
}

/**
 * Refuses a resolved host unless every address is allowed: with several addresses the client
 * may connect to any of them, so one refused address refuses the host.
 */
export function resolvedRefusal(
  hostname: string,
  addresses: readonly LookupAddress[],
  policy: DestinationPolicy,
): DestinationRefused | null {
  if (addresses.length === 0) return new DestinationRefused(`could not resolve host ${hostname}`);
  for (const { address } of addresses) {
    const kind = refusalKind(address, policy);
    if (kind !== null) {
      return new DestinationRefused(`webhook host ${hostname} resolves to ${address}, ${kind}`);
    }
  }
  return null;
}

function lookupAll(lookup: LookupAll, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });
}

/**
 * Checks, when an endpoint is created or updated, that its host resolves only to allowed
 * addresses. Deliveries check again at connect time (see webhooks/http.ts), since DNS answers
 * change.
 */
export async function checkDestination(
  url: URL,
  policy: DestinationPolicy,
  lookup: LookupAll = dns.lookup,
): Promise<void> {
  const host = hostAddress(url);
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy);
    if (refusal) throw new DestinationRefused(refusal);
    return;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(lookup, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DestinationRefused(`could not resolve host ${host}${code ? ` (${code})` : ''}`);
  }
  const refused = resolvedRefusal(host, addresses, policy);
  if (refused) throw refused;
}
