import { actionActivities } from './actions';
import { automationActivities } from './automations';
import type { ActivityDeps } from './deps';
import { campaignActivities } from './campaigns';
import { maintenanceActivities } from './maintenance';
import { messageActivities } from './messages';
import { paymentActivities } from './payments';
import { sequenceActivities } from './sequences';
import { templateActivities } from './templates';
import { webhookActivities } from './webhooks';
import { wooActivities } from './woocommerce';

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
    ...automationActivities(deps),
    ...webhookActivities({ store: deps.store, ...deps.webhooks }),
  };
}

export type { ActivityDeps };
export type Activities = ReturnType<typeof createActivities>;
