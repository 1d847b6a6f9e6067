import * as workflows from '../../workflows';
import type { CAMPAIGN_WORKFLOW } from '../../workflows/contracts/campaign';
import { campaignWorkflowId, type CampaignWorkflow } from '../../workflows/contracts/campaign';
import type { CLEANUP_WORKFLOW, RECOVERY_WORKFLOW } from '../../workflows/contracts/maintenance';
import { type CleanupWorkflow, type RecoveryWorkflow } from '../../workflows/contracts/maintenance';
import type { MESSAGE_RETRY_WORKFLOW } from '../../workflows/contracts/message-retry';
import {
  messageRetryWorkflowId,
  type MessageRetryWorkflow,
} from '../../workflows/contracts/message-retry';
import type { PAYMENT_LINK_WORKFLOW } from '../../workflows/contracts/payment-link';
import {
  paymentLinkWorkflowId,
  type PaymentLinkWorkflow,
} from '../../workflows/contracts/payment-link';
import type { SEQUENCE_WORKFLOW } from '../../workflows/contracts/sequence';
import { sequenceWorkflowId, type SequenceWorkflow } from '../../workflows/contracts/sequence';
import type { TEMPLATE_SYNC_WORKFLOW } from '../../workflows/contracts/template-sync';
import {
  templateSyncIds,
  type TemplateSyncWorkflow,
} from '../../workflows/contracts/template-sync';
import type { WEBHOOK_CIRCUIT_WORKFLOW } from '../../workflows/contracts/webhook-circuit';
import {
  webhookCircuitWorkflowId,
  type WebhookCircuitWorkflow,
} from '../../workflows/contracts/webhook-circuit';
import type { WEBHOOK_DELIVERY_WORKFLOW } from '../../workflows/contracts/webhook-delivery';
import {
  webhookDeliveryWorkflowId,
  type WebhookDeliveryWorkflow,
} from '../../workflows/contracts/webhook-delivery';
import type { WOO_ORDER_WORKFLOW } from '../../workflows/contracts/woo-order';
import { wooOrderWorkflowId, type WooOrderWorkflow } from '../../workflows/contracts/woo-order';

/**
 * The API and the domain start workflows by the name and signature their contract declares;
 * the worker registers what workflows/index.ts exports. The type checker holds the signatures
 * together (this assignment), the test the names.
 */
const registered: {
  [CLEANUP_WORKFLOW]: CleanupWorkflow;
  [RECOVERY_WORKFLOW]: RecoveryWorkflow;
  [TEMPLATE_SYNC_WORKFLOW]: TemplateSyncWorkflow;
  [CAMPAIGN_WORKFLOW]: CampaignWorkflow;
  [SEQUENCE_WORKFLOW]: SequenceWorkflow;
  [MESSAGE_RETRY_WORKFLOW]: MessageRetryWorkflow;
  [WEBHOOK_DELIVERY_WORKFLOW]: WebhookDeliveryWorkflow;
  [WEBHOOK_CIRCUIT_WORKFLOW]: WebhookCircuitWorkflow;
  [WOO_ORDER_WORKFLOW]: WooOrderWorkflow;
  [PAYMENT_LINK_WORKFLOW]: PaymentLinkWorkflow;
} = workflows;

describe('workflow contracts', () => {
  it('every registered workflow has a contract, under the same name', () => {
    expect(Object.keys(workflows).sort()).toEqual(Object.keys(registered).sort());
    for (const [name, fn] of Object.entries(registered)) expect(fn.name).toBe(name);
  });

  it('ids are the documented business ids', () => {
    expect(campaignWorkflowId('c1')).toBe('campaign:c1');
    expect(sequenceWorkflowId('s1', 'k1')).toBe('sequence:s1:k1');
    expect(paymentLinkWorkflowId('p1')).toBe('payment:p1');
    expect(wooOrderWorkflowId('st', '42')).toBe('woo:st:42');
    expect(webhookDeliveryWorkflowId('e1', 'ev1')).toBe('webhook:e1:ev1');
    expect(webhookCircuitWorkflowId('e1')).toBe('webhook-circuit:e1');
    expect(messageRetryWorkflowId('m1')).toBe('message:m1');
    expect(templateSyncIds.account('a1')).toBe('templates-sync:a1');
    expect(templateSyncIds.org('o1')).toBe('templates-sync:org:o1');
    expect(templateSyncIds.all()).toBe('templates-sync:all');
  });
});
