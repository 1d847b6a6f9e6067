import { readFileSync } from 'node:fs';
import { createSandbox } from '../../vm';
import type { ProcessEngine } from '../../vm/process-engine';
import type { ActionContext, RunOutcome } from '../../vm/types';

/** The sandbox processes: a process per organization, memory held by the OS, no environment. */
jest.setTimeout(60_000);

const TIMEOUT_MS = 1_000;
const context: ActionContext = {
  contact: { name: 'Asha' },
  message: null,
  agent: null,
  organization: { id: 'org', name: 'Acme' },
  input: null,
};
const errorType = (o: RunOutcome) => (o.ok ? null : o.error.type);
const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');
const BIGINT = 'let x = 3n; for (;;) x = x * x;';
const INTL = 'const a = []; for (;;) a.push(new Intl.DateTimeFormat("en", { timeZone: "UTC" }))';

function sandbox(processes: Record<string, unknown> = {}, log: string[] = []) {
  const sb = createSandbox({
    limits: { timeoutMs: TIMEOUT_MS, poolSize: 2 },
    processes,
    log: (m) => log.push(m),
  });
  const engine = sb.engine as ProcessEngine;
  const run = (code: string, key: string) => sb.run({ code, context, key });
  return { sb, engine, run };
}

describe('sandbox processes', () => {
  it("never lose one organization's runs to another's crash", async () => {
    const { sb, run } = sandbox();
    try {
      const quiet = 'let x = 0; for (let i = 0; i < 1e6; i++) x += i; return x';
      const [abort, hang, ...others] = await Promise.all([
        run('return new Array(2 ** 28).fill(0).length', 'crasher'),
        run(BIGINT, 'crasher'),
        ...Array.from({ length: 6 }, () => run(quiet, 'victim')),
      ]);
      expect(errorType(abort)).toBe('crashed');
      expect(errorType(hang)).toBe('crashed');
      for (const o of others) expect(o.ok).toBe(true);
    } finally {
      await sb.close();
    }
  });

  it('kill a run that ignores the time limit at its deadline and run its neighbour again', async () => {
    const { sb, run } = sandbox();
    try {
      for (const code of [BIGINT, 'const a = []; a[2 ** 32 - 2] = 1; a.indexOf(7); return 1']) {
        const [stuck, neighbour] = await Promise.all([
          run(code, 'org'),
          run(
            'await new Promise((r) => r()); let x = 0; for (let i = 0; i < 3e7; i++) x++; return x',
            'org',
          ),
        ]);
        if (!stuck.ok) expect(['crashed', 'timeout']).toContain(errorType(stuck));
        expect(neighbour).toMatchObject({ ok: true, result: 3e7 });
      }
    } finally {
      await sb.close();
    }
  });

  it('hold a sandbox process under an operating-system memory cap and replace it above its threshold', async () => {
    const { sb, engine, run } = sandbox({ memoryCapMb: 256, recycleRssMb: 160 });
    try {
      expect(await run('return 1', 'org')).toMatchObject({ ok: true });
      const pid = engine.pidOf('org')!;
      const cgroup = /memory:(\/waflow-sandbox-[^\n]+)/.exec(
        readFileSync(`/proc/${pid}/cgroup`, 'utf8'),
      );
      const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
      const capped = cgroup
        ? Number(readFileSync(`/sys/fs/cgroup/memory${cgroup[1]}/memory.limit_in_bytes`, 'utf8'))
        : Number(/Max address space\s+(\d+)/.exec(limits)?.[1] ?? Infinity);
      expect(capped).toBeLessThan(Infinity);
      if (cgroup) expect(capped).toBe(256 * 1024 * 1024);

      const bomb = await run(INTL, 'org');
      expect(['timeout', 'crashed', 'memory']).toContain(errorType(bomb));
      // Killed at its cap, or above 160 MB after the run and replaced: a new process runs next.
      expect(await run('return 2', 'org')).toMatchObject({ ok: true, result: 2 });
      expect(engine.pidOf('org')).not.toBe(pid);
    } finally {
      await sb.close();
    }
  });

  it('start with an empty environment and as another user where this process is root', async () => {
    process.env.WAFLOW_PARENT_SECRET = 'hidden';
    const log: string[] = [];
    const { sb, engine, run } = sandbox({ user: 'nobody' }, log);
    try {
      expect(await run('return 1', 'org')).toMatchObject({ ok: true });
      const pid = engine.pidOf('org')!;
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(environ.map((v) => v.split('=')[0]).sort()).toEqual([
        'NODE_CHANNEL_FD',
        'NODE_CHANNEL_SERIALIZATION_MODE',
      ]);
      const uid = /Uid:\s+(\d+)/.exec(status(pid))![1];
      // Root switches to nobody unless nobody cannot reach this Node (one under /root): then
      // the log says why, and the process runs as this user.
      const refused = /cannot run as 'nobody'/.test(log.join('\n'));
      if (process.getuid?.() !== 0) expect(refused).toBe(true);
      expect(uid).toBe(refused ? String(process.getuid?.()) : '65534');
    } finally {
      delete process.env.WAFLOW_PARENT_SECRET;
      await sb.close();
    }
  });

  it('say in the log when no user switch is possible', async () => {
    const log: string[] = [];
    const { sb, run } = sandbox({ user: 'no-such-user-here' }, log);
    try {
      expect(await run('return 1', 'org')).toMatchObject({ ok: true });
      expect(log.join('\n')).toMatch(/no user 'no-such-user-here'/);
    } finally {
      await sb.close();
    }
  });
});

describe('the fairness gate', () => {
  it('is taken per run: a batch does not hold a slot while another organization waits', async () => {
    const sb = createSandbox({ limits: { timeoutMs: TIMEOUT_MS, poolSize: 1 } });
    try {
      const slow = 'let x = 0; for (let i = 0; i < 5e6; i++) x += i; return 1';
      const order: string[] = [];
      const batch = sb.runMany(slow, Array(10).fill(context), 'big').then(() => order.push('big'));
      await sb.run({ code: 'return 1', context, key: 'warm' });
      const quiet = sb
        .run({ code: 'return 1', context, key: 'quiet' })
        .then(() => order.push('quiet'));
      await Promise.all([batch, quiet]);
      expect(order).toEqual(['quiet', 'big']);
    } finally {
      await sb.close();
    }
  });

  it('stops a batch at its first timeout or memory error: the rest are not run', async () => {
    const sb = createSandbox({ limits: { timeoutMs: TIMEOUT_MS } });
    try {
      for (const [code, first] of [
        ['while (true) {}', 'timeout'],
        ['const a = []; while (true) a.push(new Array(100000).fill(1.5));', 'memory'],
      ]) {
        const outcomes = await sb.runMany(code!, Array(4).fill(context), 'org');
        expect(outcomes.map(errorType)).toEqual([first, 'skipped', 'skipped', 'skipped']);
        expect(outcomes[1]!.ok ? '' : outcomes[1]!.error.message).toMatch(/^Not run/);
      }
    } finally {
      await sb.close();
    }
  });
});
