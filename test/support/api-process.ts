import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { configEnv, type Config, type Env } from '../../lib/config';
import { freePort } from '../../scripts/infra';

const API_ENTRY = join(__dirname, '..', '..', 'dist', 'api', 'server.js');
const READY_WITHIN_MS = 30_000;

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The API as a real process (`dist/api/server.js`: build first) on `config`'s servers. */
export async function startApiProcess(config: Config, env: Env = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--no-node-snapshot', API_ENTRY], {
    env: {
      ...configEnv(config),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited (${child.exitCode})`);
    const up = await fetch(`${url}/api/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) return { url, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the API process did not answer within ${READY_WITHIN_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
