import * as workflows from '../../workflows';
import {
  CAMPAIGN_WORKFLOW,
  campaignWorkflowId,
  type CampaignWorkflow,
} from '../../workflows/contracts/campaign';
import {
  CLEANUP_WORKFLOW,
  RECOVERY_WORKFLOW,
  type CleanupWorkflow,
  type RecoveryWorkflow,
} from '../../workflows/contracts/maintenance';
import {
  MESSAGE_RETRY_WORKFLOW,
  messageRetryWorkflowId,
  type MessageRetryWorkflow,
} from '../../workflows/contracts/message-retry';
import {
  PAYMENT_LINK_WORKFLOW,
  paymentLinkWorkflowId,
  type PaymentLinkWorkflow,
} from '../../workflows/contracts/payment-link';
import {
  SEQUENCE_WORKFLOW,
  sequenceWorkflowId,
  type SequenceWorkflow,
} from '../../workflows/contracts/sequence';
import {
  TEMPLATE_SYNC_WORKFLOW,
  templateSyncIds,
  type TemplateSyncWorkflow,
} from '../../workflows/contracts/template-sync';
import {
  WEBHOOK_CIRCUIT_WORKFLOW,
  webhookCircuitWorkflowId,
  type WebhookCircuitWorkflow,
} from '../../workflows/contracts/webhook-circuit';
import {
  WEBHOOK_DELIVERY_WORKFLOW,
  webhookDeliveryWorkflowId,
  type WebhookDeliveryWorkflow,
} from '../../workflows/contracts/webhook-delivery';
import {
  WOO_ORDER_WORKFLOW,
  wooOrderWorkflowId,
  type WooOrderWorkflow,
} from '../../workflows/contracts/woo-order';

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
