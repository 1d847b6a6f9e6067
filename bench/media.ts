import { availableParallelism } from 'node:os';
import { provisionOrganization } from '../scripts/provision';
import { freePort } from '../scripts/infra';
import { openStore } from '../store';
import { accountSettings } from '../store/accounts';
import { benchEntry, type SimRequest } from './servers';
import { simControl } from './sim-control';
import {
  forkServer,
  launchWorkerAndApi,
  loopbackUrl,
  parseFlags,
  positiveInt,
  rssBytes,
  startInfrastructure,
  storeKind,
  tail,
  type Resources,
} from './support';

const USAGE = `Usage: node dist/bench/media.js [--rate <n>] [--duration <s>] [--size <bytes>] [--store postgres|mongo]

Inbound media: the Meta simulator posts --rate image messages a second (default 50) for
--duration seconds (default 20), each naming a --size byte file (default 204800, 200 KB) it
serves; the API takes the webhooks, the worker downloads each file (Graph GET /{media-id}, then
the URL with the account's token), checks its sha256 and stores it in the filesystem media
store. Every server runs in its own process. Prints the rate of files stored, p50/p99 from the
webhook to the file stored, and the API's and the worker's resident memory at start and end.`;

const SIM_CALL_TIMEOUT_MS = 10_000;
const RSS_SAMPLE_MS = 5_000;
/** How long the files still downloading at the end of the load may take. */
const DRAIN_MS = 120_000;

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
const mb = (bytes: number | null) =>
  bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(argv: string[], resources: Resources): Promise<number> {
  const flags = parseFlags(argv, { rate: '50', duration: '20', size: '204800', store: 'postgres' });
  const rate = positiveInt(flags.rate, '--rate');
  const duration = positiveInt(flags.duration, '--duration');
  const size = positiveInt(flags.size, '--size');
  const store = storeKind(flags.store);

  const simUrl = loopbackUrl(await freePort());
  const infra = await startInfrastructure(resources, {
    temporal: true,
    store,
    env: { SANDBOX_MODE: 'true', META_SIMULATOR_URL: simUrl, LOG_LEVEL: 'warn' },
  });
  const { env, config, tmp } = infra;
  const { accessToken, appSecret } = config.meta.simulator;
  await forkServer<{ port: number }>(
    resources,
    'Meta simulator',
    __filename,
    ['serve', 'simulator'],
    { port: Number(new URL(simUrl).port), accessToken, appSecret } satisfies SimRequest,
  );
  const database = await openStore(config, 'bench');
  resources.add(() => database.close());
  const p = await provisionOrganization(
    database.store,
    { name: 'bench' },
    accountSettings(config).sandbox,
  );
  const orgId = p.organization.id;
  const phoneNumberId = (await database.store.accounts.get(orgId, p.sandbox_account!.id))!
    .phone_number_id;
  const { worker, api } = await launchWorkerAndApi(resources, __filename, {
    config,
    env,
    dir: tmp,
    profile: null,
  });
  const sim = simControl(simUrl, SIM_CALL_TIMEOUT_MS);
  await sim.configure({ webhookUrl: `${loopbackUrl(api.port)}/api/webhooks/meta` });
  const rss = () => ({ api: rssBytes(api.pid), worker: rssBytes(worker.pid) });
  const atStart = rss();
  // Every few seconds while files come and go: flat once warm, or growing with their number.
  const samples: ReturnType<typeof rss>[] = [];
  const sampler = setInterval(() => samples.push(rss()), RSS_SAMPLE_MS);

  console.log(
    `${rate} images/s of ${size} bytes for ${duration} s, ${store}, filesystem media store, ` +
      `${availableParallelism()} cores\n`,
  );
  // Open loop: each message is sent at its time, whatever the others are doing.
  const sent: { messageId: string; at: number }[] = [];
  const failures: string[] = [];
  const start = Date.now();
  const total = rate * duration;
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    posts.push(
      (async () => {
        const file = await sim.addMedia({ mime_type: 'image/jpeg', size });
        const at = Date.now();
        const { wamid } = await sim.inbound({
          phone_number_id: phoneNumberId,
          from: `+9198${String(10_000_000 + i).slice(-8)}`,
          type: 'image',
          image: { id: file.id },
        });
        sent.push({ messageId: `in:${wamid}`, at });
      })().catch((err: unknown) => void failures.push(String(err))),
    );
  }
  await Promise.all(posts);
  const loadEnded = Date.now();

  // Each file's record, until none is pending (or the drain time is over).
  const latencies: number[] = [];
  const failed: string[] = [];
  let pending = sent;
  let lastStored = 0;
  const drainUntil = Date.now() + DRAIN_MS;
  while (pending.length && Date.now() < drainUntil) {
    const still: typeof sent = [];
    for (const s of pending) {
      const doc = await database.store.media.get(orgId, s.messageId);
      if (!doc || doc.status === 'pending') still.push(s);
      else if (doc.status === 'failed') failed.push(`${s.messageId}: ${doc.error}`);
      else {
        latencies.push(doc.stored_at!.getTime() - s.at);
        lastStored = Math.max(lastStored, doc.stored_at!.getTime());
      }
    }
    pending = still;
    if (pending.length) await new Promise((r) => setTimeout(r, 250));
  }
  clearInterval(sampler);
  const atEnd = rss();
  latencies.sort((a, b) => a - b);
  const stored = latencies.length;
  const seconds = (lastStored - start) / 1000;

  console.log(
    `sent        ${sent.length} of ${total} in ${((loadEnded - start) / 1000).toFixed(1)} s`,
  );
  console.log(
    `stored      ${stored} (${(stored / seconds).toFixed(1)} files/s, first message to last file stored)`,
  );
  console.log(
    `latency     webhook to stored: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1) ?? '-'} ms`,
  );
  console.log(
    `failed      ${failed.length}, still pending ${pending.length}, errors ${failures.length}`,
  );
  const series = (of: 'api' | 'worker') =>
    samples.map((s) => mb(s[of]).replace(' MB', '')).join(' ');
  console.log(`api RSS     ${mb(atStart.api)} at start, ${mb(atEnd.api)} at end`);
  console.log(`worker RSS  ${mb(atStart.worker)} at start, ${mb(atEnd.worker)} at end`);
  console.log(`RSS every ${RSS_SAMPLE_MS / 1000} s (MB): api ${series('api')}`);
  console.log(
    `${' '.repeat(`RSS every ${RSS_SAMPLE_MS / 1000} s (MB): `.length)}worker ${series('worker')}`,
  );
  for (const f of [...failures, ...failed].slice(0, 5)) console.log(`  ${f}`);
  const broken = failures.length + failed.length + pending.length > 0;
  if (broken) console.log(`\nWorker log (last lines):\n${tail(worker.log)}`);
  return broken ? 1 : 0;
}

benchEntry(USAGE, main);
