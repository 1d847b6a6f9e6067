import type { Config } from '../lib/config';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { WebhookEngine } from '../webhooks/engine';
import { campaignActivities } from './campaigns';
import { maintenanceActivities } from './maintenance';
import { messageActivities } from './messages';
import type { MetaClient } from './meta/client';
import { sequenceActivities } from './sequences';
import { templateActivities } from './templates';
import { webhookActivities } from './webhooks';

export interface ActivityDeps {
  config: Config;
  store: Store;
  signals: Signals;
  meta: MetaClient;
  webhooks: Pick<WebhookEngine, 'deliverer' | 'dispatcher'>;
}

/** Every activity, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...maintenanceActivities(deps),
    ...templateActivities(deps),
    ...messageActivities(deps),
    ...campaignActivities(deps),
    ...sequenceActivities(deps),
    ...webhookActivities({ store: deps.store, ...deps.webhooks }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
