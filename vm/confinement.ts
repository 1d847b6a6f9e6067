import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessLimits } from './types';

const MB = 1024 * 1024;
/**
 * Address space V8 reserves without using it (measured on Node 20: about 1 GB for the process
 * and 0.5 GB for each isolate's code range): RLIMIT_AS counts it, so the cap is added to it.
 */
const BASE_RESERVE_MB = 1_280;
const ISOLATE_RESERVE_MB = 640;

const CGROUP_V2 = '/sys/fs/cgroup';
const CGROUP_V1_MEMORY = '/sys/fs/cgroup/memory';

/** How a sandbox process is held: its memory cap and its user, and how to undo them. */
export interface Confinement {
  /** The command to spawn in place of `node <args>`. */
  command(node: string, args: string[]): { file: string; args: string[] };
  /** Puts a started process under the cap (a cgroup); returns its cleanup. */
  attach(pid: number): () => void;
  uid?: number;
  gid?: number;
  /** What is in force, and what could not be, for the log. */
  summary: string;
  fallbacks: string[];
}

function userIds(name: string): { uid: number; gid: number } | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [user, , uid, gid] = line.split(':');
      if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // No passwd file: no such user.
  }
  return null;
}

let cgroupSeq = 0;

/** A memory cgroup of its own for each process, v2 where the memory controller is on, else v1. */
function cgroupCap(bytes: number): ((pid: number) => () => void) | null {
  const make = (root: string, limitFile: string) => {
    const probe = join(root, `waflow-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      writeFileSync(join(probe, limitFile), String(bytes));
      rmdirSync(probe);
    } catch {
      try {
        rmdirSync(probe);
      } catch {
        // Never made.
      }
      return null;
    }
    return (pid: number) => {
      const dir = join(root, `waflow-sandbox-${process.pid}-${++cgroupSeq}`);
      mkdirSync(dir);
      writeFileSync(join(dir, limitFile), String(bytes));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      const remove = () => {
        try {
          rmdirSync(dir);
          return true;
        } catch {
          return false;
        }
      };
      // Still in use for a moment after the exit: tried again a second later.
      return () => {
        if (!remove()) setTimeout(remove, 1_000).unref();
      };
    };
  };
  let v2 = '';
  try {
    v2 = readFileSync(join(CGROUP_V2, 'cgroup.subtree_control'), 'utf8');
  } catch {
    // Not a cgroup v2 root.
  }
  if (/\bmemory\b/.test(v2)) {
    const attach = make(CGROUP_V2, 'memory.max');
    if (attach) return attach;
  }
  return make(CGROUP_V1_MEMORY, 'memory.limit_in_bytes');
}

/** Whether the user can start this Node and load isolated-vm: tried once, not assumed. */
function canRunSandbox(ids: { uid: number; gid: number }): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(require.resolve('isolated-vm'))})`],
    { ...ids, env: {}, stdio: 'ignore', timeout: 10_000 },
  );
  return probe.status === 0;
}

/**
 * Measured here, not assumed: a memory cgroup where this process may make one (root, a
 * writable cgroup file system), otherwise RLIMIT_AS set by the shell's `ulimit -v` before it
 * becomes node; the user switched to where this process runs as root.
 */
export function confinement(limits: ProcessLimits, isolates: number): Confinement {
  const fallbacks: string[] = [];
  const parts: string[] = [];
  const capBytes = limits.memoryCapMb * MB;
  const cgroup = cgroupCap(capBytes);
  let command: Confinement['command'] = (node, args) => ({ file: node, args });
  if (cgroup) {
    parts.push(`memory capped at ${limits.memoryCapMb} MB by a cgroup`);
  } else {
    const kb = (limits.memoryCapMb + BASE_RESERVE_MB + ISOLATE_RESERVE_MB * (isolates + 1)) * 1024;
    command = (node, args) => ({
      file: '/bin/sh',
      args: ['-c', `ulimit -v ${kb} && exec "$0" "$@"`, node, ...args],
    });
    parts.push(`address space capped at ${Math.round(kb / 1024)} MB (RLIMIT_AS)`);
    fallbacks.push(
      'no writable memory cgroup: sandbox processes are held by RLIMIT_AS, which counts ' +
        "V8's reserved address space too, so the cap is looser",
    );
  }
  let ids: { uid: number; gid: number } | null = null;
  if (limits.user) {
    ids = userIds(limits.user);
    if (!ids) fallbacks.push(`no user '${limits.user}': sandbox processes run as this one`);
    else if (process.getuid?.() !== 0) {
      fallbacks.push(
        `not running as root, so sandbox processes cannot run as '${limits.user}': ` +
          'they run as this user',
      );
      ids = null;
    } else if (!canRunSandbox(ids)) {
      fallbacks.push(
        `'${limits.user}' cannot read ${process.execPath} or isolated-vm (a Node kept under ` +
          `a private home), so sandbox processes cannot run as '${limits.user}': they run as ` +
          'this user',
      );
      ids = null;
    }
  }
  parts.push(ids ? `running as ${limits.user} (uid ${ids.uid})` : 'running as this user');
  return {
    command,
    attach: cgroup ?? (() => () => undefined),
    ...(ids ?? {}),
    summary: `Sandbox processes: ${parts.join(', ')}`,
    fallbacks,
  };
}
