import type { Signals } from '../signals';
import type { WooDeliveryRepository, WooOrderRepository, WooStoreRepository } from './woocommerce';
import type { AccountRepository, TemplateRepository } from './accounts';
import type {
  AutomationInputRepository,
  AutomationRepository,
  AutomationRunRepository,
} from './automations';
import type { ActionRepository } from './actions';
import type { CampaignRepository } from './campaigns';
import type { ContactRepository, TransferRepository } from './contacts';
import type { CounterRepository } from './counters';
import type { EventRepository, OutboxRelay } from './events';
import type { InboundWebhookRepository, MetaEventRepository } from './inbound-webhooks';
import type { LoginFailureRepository } from './login-failures';
import type { MediaRepository } from './media';
import type { MediaUploadRepository } from './media-uploads';
import type { MessageRepository } from './messages';
import type {
  ApiKeyRepository,
  OrganizationRepository,
  SessionRepository,
  UserRepository,
} from './organizations';
import type {
  GatewaySettingsRepository,
  PaymentEventRepository,
  PaymentLinkRepository,
} from './payments';
import type { RateWindowRepository } from './rate-windows';
import type { SendLaneRepository, SendQueueRepository } from './send-queue';
import type { SequenceRepository, SubscriptionRepository } from './sequences';
import type {
  WebhookBacklogRepository,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
} from './webhooks';

/**
 * The store: the only way the rest of Waflow reaches its data. PostgreSQL (store/postgres) and
 * MongoDB (store/mongo) implement it, and test/store runs one suite against both. Every method
 * scoped by organization takes `orgId` first; the few unscoped ones say why.
 */
export interface Store {
  organizations: OrganizationRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  sessions: SessionRepository;
  accounts: AccountRepository;
  templates: TemplateRepository;
  contacts: ContactRepository;
  transfers: TransferRepository;
  messages: MessageRepository;
  events: EventRepository;
  outbox: OutboxRelay;
  inboundWebhooks: InboundWebhookRepository;
  metaEvents: MetaEventRepository;
  webhookEndpoints: WebhookEndpointRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  webhookBacklog: WebhookBacklogRepository;
  sendQueue: SendQueueRepository;
  sendLanes: SendLaneRepository;
  counters: CounterRepository;
  rateWindows: RateWindowRepository;
  loginFailures: LoginFailureRepository;
  campaigns: CampaignRepository;
  wooStores: WooStoreRepository;
  wooDeliveries: WooDeliveryRepository;
  wooOrders: WooOrderRepository;
  actions: ActionRepository;
  gatewaySettings: GatewaySettingsRepository;
  paymentLinks: PaymentLinkRepository;
  paymentEvents: PaymentEventRepository;
  sequences: SequenceRepository;
  sequenceSubscriptions: SubscriptionRepository;
  automations: AutomationRepository;
  automationRuns: AutomationRunRepository;
  automationInputs: AutomationInputRepository;
  media: MediaRepository;
  mediaUploads: MediaUploadRepository;
}

/** An open store with its connection: what processes hold and close. */
export interface StoreHandle {
  kind: 'postgres' | 'mongo';
  store: Store;
  signals: Signals;
  /** Answers when the database does (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
