import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runMain, UsageError } from './support';

const USAGE = `Usage: node dist/bench/cpu-profile.js [--top <n>] <file.cpuprofile | folder>...

Prints each CPU profile's functions by self time (as written by node --cpu-prof, e.g. by
\`node dist/bench/send.js --profile <folder>\`), with their share of the profile's samples.`;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) by function and place, largest first. */
export function selfTimes(profile: CpuProfile): [string, number][] {
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  for (const [id, us] of byNode) {
    const f = frames.get(id)!;
    const place = f.url ? `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${place}`.trim();
    out.set(key, (out.get(key) ?? 0) + us);
  }
  return [...out].sort((a, b) => b[1] - a[1]);
}

const profilesIn = (path: string) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(path, f))
    : [path];

async function main(argv: string[]): Promise<number> {
  let top = 15;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else paths.push(argv[i]!);
  }
  if (!paths.length || !Number.isInteger(top) || top <= 0) throw new UsageError('no profile given');
  for (const file of paths.flatMap(profilesIn)) {
    const times = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    const total = times.reduce((a, [, us]) => a + us, 0);
    console.log(`\n${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled`);
    for (const [key, us] of times.slice(0, top)) {
      console.log(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
    }
  }
  return 0;
}

runMain(USAGE, main);
