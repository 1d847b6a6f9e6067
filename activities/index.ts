import type { Config } from '../lib/config';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { Sandbox } from '../vm/types';
import type { WebhookEngine } from '../webhooks/engine';
import { actionActivities } from './actions';
import { campaignActivities } from './campaigns';
import { maintenanceActivities } from './maintenance';
import { messageActivities } from './messages';
import type { MetaClient } from './meta/client';
import { paymentActivities } from './payments';
import { sequenceActivities } from './sequences';
import { templateActivities } from './templates';
import { webhookActivities } from './webhooks';
import { wooActivities } from './woocommerce';

export interface ActivityDeps {
  config: Config;
  store: Store;
  signals: Signals;
  meta: MetaClient;
  webhooks: Pick<WebhookEngine, 'deliverer' | 'dispatcher'>;
  /** Custom actions' sandbox; the process's shared one (vm/from-config.ts) when not given. */
  sandbox?: Sandbox;
}

/** Every activity, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...maintenanceActivities(deps),
    ...templateActivities(deps),
    ...messageActivities(deps),
    ...campaignActivities(deps),
    ...wooActivities(deps),
    ...actionActivities(deps),
    ...paymentActivities(deps),
    ...sequenceActivities(deps),
    ...webhookActivities({ store: deps.store, ...deps.webhooks }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
