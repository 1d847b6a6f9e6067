import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMetaClient } from '../../activities/meta/client';
import type { Config } from '../../lib/config';
import type { Store } from '../../store';
import { createWorker } from '../../worker/worker';

export interface TestWorker {
  client: Client;
  stop(): Promise<void>;
}

/** A real worker with every workflow and activity, on the config's own task queue. */
export async function startTestWorker(config: Config, store: Store): Promise<TestWorker> {
  const { address, namespace, taskQueue } = config.temporal;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const meta = createMetaClient({ apiVersion: config.meta.apiVersion, timeoutMs: 5_000 });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    activities: createActivities({ config, store, meta }),
  });
  const running = worker.run();
  return {
    client: new Client({ connection, namespace }),
    async stop() {
      worker.shutdown();
      await running;
      await meta.close();
      await nativeConnection.close();
      await connection.close();
    },
  };
}
