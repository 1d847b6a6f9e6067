import type { LookupAddress } from 'node:dns';
import {
  DestinationRefused,
  addressRefusal,
  checkDestination,
  parseWebhookUrl,
  type DestinationPolicy,
  type LookupAll,
} from '../../webhooks/destination';

const strict: DestinationPolicy = { allowHttp: false, allowedNetworks: [] };
const local: DestinationPolicy = { allowHttp: true, allowedNetworks: ['127.0.0.1/32'] };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DestinationRefused);
    return (err as Error).message;
  }
  throw new Error('expected DestinationRefused');
}

/** A lookup answering from a table, recording the names asked for. */
function fakeLookup(table: Record<string, string[]>, asked: string[] = []): LookupAll {
  return (hostname, _options, callback) => {
    asked.push(hostname);
    const ips = table[hostname];
    if (!ips) {
      callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
        [],
      );
      return;
    }
    const addresses: LookupAddress[] = ips.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    callback(null, addresses);
  };
}

describe('addressRefusal', () => {
  it.each([
    ['0.0.0.0', 'an unspecified address'],
    ['0.1.2.3', 'an unspecified address'],
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['100.100.100.200', 'a carrier-grade NAT address'],
    ['169.254.169.254', 'the cloud metadata address'],
    ['169.254.1.1', 'a link-local address'],
    ['192.0.0.8', 'an IETF protocol assignment address'],
    ['192.0.2.1', 'a documentation address'],
    ['198.51.100.7', 'a documentation address'],
    ['203.0.113.9', 'a documentation address'],
    ['192.88.99.1', 'a deprecated 6to4 relay address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['198.19.255.255', 'a benchmarking address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['240.0.0.1', 'a reserved address'],
    ['255.255.255.255', 'the broadcast address'],
  ])('refuses IPv4 %s as %s', (ip, kind) => {
    expect(addressRefusal(ip, strict)).toBe(`${ip} is ${kind}`);
  });

  it.each([
    ['::', 'an unspecified address'],
    ['::1', 'a loopback address'],
    ['0:0:0:0:0:0:0:1', 'a loopback address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['fc00::1', 'a unique local (private) address'],
    ['fd00:ec2::254', 'a unique local (private) address'],
    ['ff02::1', 'a multicast address'],
    ['fec0::1', 'a deprecated site-local address'],
    ['100::1', 'a discard-only address'],
    ['2001:db8::1', 'a documentation address'],
    ['3fff::1', 'a documentation address'],
    ['2001::1', 'an IETF protocol assignment address (Teredo, benchmarking, ORCHID)'],
    ['2001:2::1', 'an IETF protocol assignment address (Teredo, benchmarking, ORCHID)'],
    ['5f00::1', 'an SRv6 segment identifier'],
    ['64:ff9b:1::a00:1', 'a local-use NAT64 address'],
    ['4000::1', 'a reserved address'],
    ['::ffff:0:7f00:1', 'a reserved address'],
  ])('refuses IPv6 %s as %s', (ip, kind) => {
    expect(addressRefusal(ip, strict)).toBe(`${ip} is ${kind}`);
  });

  it.each([
    ['::ffff:127.0.0.1', 'an IPv4-mapped form of 127.0.0.1, a loopback address'],
    ['::ffff:7f00:1', 'an IPv4-mapped form of 127.0.0.1, a loopback address'],
    ['::ffff:a9fe:a9fe', 'an IPv4-mapped form of 169.254.169.254, the cloud metadata address'],
    ['::ffff:10.0.0.1', 'an IPv4-mapped form of 10.0.0.1, a private address'],
    ['64:ff9b::10.0.0.1', 'a NAT64 form of 10.0.0.1, a private address'],
    ['64:ff9b::7f00:1', 'a NAT64 form of 127.0.0.1, a loopback address'],
    ['2002:c0a8:101::1', 'a 6to4 form of 192.168.1.1, a private address'],
    ['2002:7f00:1::', 'a 6to4 form of 127.0.0.1, a loopback address'],
    ['::127.0.0.1', 'a deprecated IPv4-compatible form of 127.0.0.1'],
    ['::8.8.8.8', 'a deprecated IPv4-compatible form of 8.8.8.8'],
  ])('judges %s by the IPv4 address it embeds', (ip, kind) => {
    expect(addressRefusal(ip, strict)).toBe(`${ip} is ${kind}`);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '11.0.0.1',
    '100.128.0.1',
    '172.32.0.1',
    '192.169.0.1',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('allows the public address %s', (ip) => {
    expect(addressRefusal(ip, strict)).toBeNull();
  });

  it('refuses what is not an IP address', () => {
    expect(addressRefusal('example.com', strict)).toBe('example.com is not an IP address');
  });

  it('permits exactly the allowed networks', () => {
    expect(addressRefusal('127.0.0.1', local)).toBeNull();
    expect(addressRefusal('::ffff:127.0.0.1', local)).toBeNull();
    expect(addressRefusal('127.0.0.2', local)).toBe('127.0.0.2 is a loopback address');
    expect(addressRefusal('::1', local)).toBe('::1 is a loopback address');

    const wide: DestinationPolicy = {
      allowHttp: false,
      allowedNetworks: ['10.0.0.0/8', '::1/128'],
    };
    expect(addressRefusal('10.9.9.9', wide)).toBeNull();
    expect(addressRefusal('::1', wide)).toBeNull();
    expect(addressRefusal('11.0.0.1', wide)).toBeNull();
    expect(addressRefusal('192.168.0.1', wide)).toBe('192.168.0.1 is a private address');
  });

  it('rejects a malformed allowed network', () => {
    const bad: DestinationPolicy = { allowHttp: false, allowedNetworks: ['10.0.0.0/33'] };
    expect(() => addressRefusal('10.0.0.1', bad)).toThrow(/invalid network "10.0.0.0\/33"/);
  });
});

describe('parseWebhookUrl', () => {
  it('accepts an https URL with any port', () => {
    const url = parseWebhookUrl('https://hooks.example.com:8443/in?x=1', strict);
    expect(url.hostname).toBe('hooks.example.com');
    expect(url.port).toBe('8443');
    expect(parseWebhookUrl('https://8.8.8.8/', strict).hostname).toBe('8.8.8.8');
    expect(parseWebhookUrl('https://[2606:4700:4700::1111]/', strict).hostname).toBe(
      '[2606:4700:4700::1111]',
    );
  });

  it('allows http only when the policy does', () => {
    expect(refusal(() => parseWebhookUrl('http://hooks.example.com/', strict))).toBe(
      'url must use https',
    );
    expect(parseWebhookUrl('http://hooks.example.com/', local).protocol).toBe('http:');
    expect(refusal(() => parseWebhookUrl('ftp://hooks.example.com/', local))).toBe(
      'url must use http or https',
    );
    expect(refusal(() => parseWebhookUrl('file:///etc/passwd', strict))).toBe('url must use https');
  });

  it('refuses credentials', () => {
    for (const raw of ['https://user:pw@example.com/', 'https://user@example.com/']) {
      expect(refusal(() => parseWebhookUrl(raw, strict))).toBe('url must not contain credentials');
    }
  });

  it('refuses what is not an absolute URL, or too long', () => {
    for (const raw of ['not a url', '/hooks/in', 'https://', 'https://exa mple.com/']) {
      expect(refusal(() => parseWebhookUrl(raw, strict))).toBe('url is not a valid absolute URL');
    }
    const long = `https://example.com/${'a'.repeat(2048)}`;
    expect(refusal(() => parseWebhookUrl(long, strict))).toBe(
      'url must be at most 2048 characters',
    );
  });

  it.each([
    ['https://127.0.0.1/', '127.0.0.1 is a loopback address'],
    ['https://2130706433/', '127.0.0.1 is a loopback address'],
    ['https://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['https://0x7f000001/', '127.0.0.1 is a loopback address'],
    ['https://017700000001/', '127.0.0.1 is a loopback address'],
    ['https://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['https://127.1/', '127.0.0.1 is a loopback address'],
    ['https://0/', '0.0.0.0 is an unspecified address'],
    ['https://0xa000001/', '10.0.0.1 is a private address'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is the cloud metadata address'],
    ['https://[::1]/', '::1 is a loopback address'],
    ['https://[0:0:0:0:0:0:0:1]:8080/', '::1 is a loopback address'],
    [
      'https://[::ffff:127.0.0.1]/',
      '::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1, a loopback address',
    ],
    [
      'https://[::ffff:7f00:1]/',
      '::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1, a loopback address',
    ],
    ['https://[fe80::1]/', 'fe80::1 is a link-local address'],
  ])('refuses the literal address in %s', (raw, message) => {
    expect(refusal(() => parseWebhookUrl(raw, strict))).toBe(message);
  });

  it('permits an allowed literal address in any spelling, and nothing next to it', () => {
    expect(parseWebhookUrl('http://127.0.0.1:8080/hook', local).host).toBe('127.0.0.1:8080');
    expect(parseWebhookUrl('http://2130706433:8080/hook', local).host).toBe('127.0.0.1:8080');
    expect(parseWebhookUrl('http://[::ffff:7f00:1]/hook', local).hostname).toBe('[::ffff:7f00:1]');
    expect(refusal(() => parseWebhookUrl('http://127.0.0.2/', local))).toBe(
      '127.0.0.2 is a loopback address',
    );
    expect(refusal(() => parseWebhookUrl('http://[::1]/', local))).toBe(
      '::1 is a loopback address',
    );
  });

  it('leaves host names to the resolution check', () => {
    expect(parseWebhookUrl('https://localhost/', strict).hostname).toBe('localhost');
    expect(parseWebhookUrl('https://exämple.com/', strict).hostname).toBe('xn--exmple-cua.com');
  });
});

describe('checkDestination', () => {
  const url = (raw: string) => parseWebhookUrl(raw, strict);

  it('accepts a host that resolves only to public addresses', async () => {
    const lookup = fakeLookup({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07::1'] });
    await expect(checkDestination(url('https://hooks.example.com/'), strict, lookup)).resolves.toBe(
      undefined,
    );
  });

  it('refuses a host when any address is refused', async () => {
    const lookup = fakeLookup({ 'hooks.example.com': ['93.184.215.14', '10.1.2.3'] });
    await expect(
      checkDestination(url('https://hooks.example.com/'), strict, lookup),
    ).rejects.toBeInstanceOf(DestinationRefused);
    await expect(
      checkDestination(url('https://hooks.example.com/'), strict, lookup),
    ).rejects.toThrow(
      new DestinationRefused(
        'webhook host hooks.example.com resolves to 10.1.2.3, a private address',
      ),
    );
    const v6 = fakeLookup({ 'six.example.com': ['::1'] });
    await expect(checkDestination(url('https://six.example.com/'), strict, v6)).rejects.toThrow(
      'webhook host six.example.com resolves to ::1, a loopback address',
    );
  });

  it('refuses a host that does not resolve', async () => {
    const lookup = fakeLookup({ 'empty.example.com': [] });
    await expect(checkDestination(url('https://nowhere.example/'), strict, lookup)).rejects.toThrow(
      new DestinationRefused('could not resolve host nowhere.example (ENOTFOUND)'),
    );
    await expect(
      checkDestination(url('https://empty.example.com/'), strict, lookup),
    ).rejects.toThrow('could not resolve host empty.example.com');
  });

  it('checks a literal address without a lookup', async () => {
    const asked: string[] = [];
    const lookup = fakeLookup({}, asked);
    await expect(checkDestination(url('https://8.8.8.8/'), strict, lookup)).resolves.toBe(
      undefined,
    );
    const ipv6 = new URL('https://[::1]/');
    await expect(checkDestination(ipv6, strict, lookup)).rejects.toThrow(
      '::1 is a loopback address',
    );
    expect(asked).toEqual([]);
  });

  it('uses the system resolver by default', async () => {
    await expect(checkDestination(url('https://localhost/'), strict)).rejects.toThrow(
      /^webhook host localhost resolves to (127\.0\.0\.1|::1), a loopback address$/,
    );
  });
});
