import ivm from 'isolated-vm';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const nodeScript = readFileSync(join(root, 'scripts', 'node.sh'), 'utf8');
const pinned = (name: string): string => {
  const value = new RegExp(`^${name}=(\\S+)$`, 'm').exec(nodeScript)?.[1];
  if (!value) throw new Error(`scripts/node.sh sets no ${name}`);
  return value;
};
const MAJOR = Number(pinned('WAFLOW_NODE_MAJOR'));
const VERSION = pinned('WAFLOW_NODE_VERSION');

describe('the runtime', () => {
  it('is Node 24 or newer', () => {
    expect(MAJOR).toBeGreaterThanOrEqual(24);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(MAJOR);
  });

  it('loads isolated-vm 7 and runs code in an isolate', async () => {
    const pkg = readFileSync(require.resolve('isolated-vm/package.json'), 'utf8');
    expect((JSON.parse(pkg) as { version: string }).version).toMatch(/^7\./);
    const isolate = new ivm.Isolate({ memoryLimit: 8 });
    try {
      const context = await isolate.createContext();
      expect(await context.eval('6 * 7')).toBe(42);
    } finally {
      isolate.dispose();
    }
  });

  it('is the one that the engines field, the node.sh pin and the Docker image name', () => {
    expect(VERSION.split('.')[0]).toBe(String(MAJOR));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe(`>=${MAJOR}`);
    expect(pkg.devDependencies['@types/node']?.split('.')[0]).toBe(String(MAJOR));
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${MAJOR}-`, 'm'));
  });
});

describe('scripts/node.sh', () => {
  let dir: string;
  let machine: string;
  let cache: string;
  const stub = (path: string, version: string) => {
    writeFileSync(path, `#!/bin/sh\necho v${version}\n`);
    chmodSync(path, 0o755);
  };
  const chosen = async () => {
    const { stdout } = await run('bash', [join(root, 'scripts', 'node.sh')], {
      env: { PATH: `${machine}:${process.env.PATH ?? ''}`, WAFLOW_CACHE_DIR: cache },
    });
    return stdout.trim();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waflow-node-'));
    machine = join(dir, 'machine');
    cache = join(dir, 'cache');
    mkdirSync(machine);
    // The cached runtime already in place: the script must neither fetch it nor pass it by.
    mkdirSync(join(cache, `node-v${VERSION}`, 'bin'), { recursive: true });
    stub(join(cache, `node-v${VERSION}`, 'bin', 'node'), VERSION);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts the cached Node 24 first when the machine has Node 20', async () => {
    stub(join(machine, 'node'), '20.19.0');
    expect(await chosen()).toBe(join(cache, `node-v${VERSION}`, 'bin', 'node'));
  });

  it("keeps the machine's own Node when it is 24 or newer", async () => {
    stub(join(machine, 'node'), `${MAJOR}.0.0`);
    expect(await chosen()).toBe(join(machine, 'node'));
  });
});
