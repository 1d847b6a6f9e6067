import { readFileSync } from 'node:fs';
import { bindable, freePort } from '../../scripts/infra';

/** The first port the kernel gives outgoing connections (Linux; elsewhere IANA's 49152). */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    return 49_152;
  }
}

it('gives ports below the ephemeral range, where no outgoing connection takes them, free to listen on', async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) ports.add(await freePort());
  // Drawn at random: twenty calls seldom repeat one.
  expect(ports.size).toBeGreaterThan(15);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(Math.min(32_768, ephemeralStart()));
  }
  for (const port of ports) expect(await bindable(port)).toBe(true);
});
