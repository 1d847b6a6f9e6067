import type { AutomationEngine } from '../automations/engine';
import type { Config } from '../lib/config';
import type { Store } from '../store';
import type { Signals } from '../store/signals';
import type { Sandbox } from '../vm/types';
import type { WebhookEngine } from '../webhooks/engine';
import type { MetaClient } from '../meta/client';

export interface ActivityDeps {
  config: Config;
  store: Store;
  signals: Signals;
  meta: MetaClient;
  webhooks: Pick<WebhookEngine, 'deliverer' | 'dispatcher'>;
  /** Custom actions' sandbox, built and closed by the worker. */
  sandbox: Sandbox;
  /** This process's automation engine (automations/runtime.ts), built by the worker. */
  automations: AutomationEngine;
}
