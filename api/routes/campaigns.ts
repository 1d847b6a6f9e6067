import { beforeOf, nextCursor } from '../time-cursor';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { messageActionValues } from '../../actions/message-values';
import { mapLimit } from '../../lib/concurrency';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../lib/errors';
import { missingPlaceholders, renderCampaignMessage } from '../../campaigns/message';
import { preflight } from '../../campaigns/preflight';
import { windowOpen } from '../../meta/window';
import type { CampaignDoc, CampaignStatus } from '../../store/documents';
import {
  type CampaignInput,
  campaignWorkflowId,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
} from '../../workflows/contracts/campaign';
import {
  CampaignBody,
  CampaignList,
  CampaignPreview,
  campaignView,
  CampaignView,
  ListCampaignsQuery,
  recipientItem,
  RecipientPage,
  RecipientsQuery,
} from '../schemas/campaigns';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import { orgOf } from '../types';

const FINISHED = new Set<CampaignStatus>(['completed', 'cancelled', 'failed']);
const PREVIEW_SAMPLES = 3;
/** Counts queries a list page runs at once: a page must not take the whole pool. */
const COUNTS_IN_FLIGHT = 4;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3_600_000;
/** How long pause, resume and cancel wait for the workflow to take the update. */
const UPDATE_DEADLINE_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;

const CONTROLS = {
  pause: { update: pauseCampaignUpdate, summary: 'Pause a running campaign' },
  resume: { update: resumeCampaignUpdate, summary: 'Resume a paused campaign' },
  cancel: { update: cancelCampaignUpdate, summary: 'Cancel a campaign; queued messages still go' },
} as const;

function checkSchedule(scheduledAt: string | undefined, now = Date.now()): Date | null {
  if (scheduledAt === undefined) return null;
  const at = new Date(scheduledAt);
  if (at.getTime() <= now) throw new ValidationError('scheduled_at: must be in the future');
  if (at.getTime() - now > MAX_SCHEDULE_AHEAD_MS) {
    throw new ValidationError('scheduled_at: must be within a year');
  }
  return at;
}

async function viewOf(app: FastifyInstance, doc: CampaignDoc) {
  return campaignView(doc, await app.store.campaigns.counts(doc._id));
}

/** Runs a control update; the workflow's refusals and absence are conflicts, not failures. */
async function control(
  app: FastifyInstance,
  campaign: CampaignDoc,
  action: keyof typeof CONTROLS,
): Promise<CampaignStatus> {
  const handle = app.temporal.workflow.getHandle(campaignWorkflowId(campaign._id));
  try {
    return await app.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      handle.executeUpdate(CONTROLS[action].update),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConflictError(err.cause?.message ?? `Campaign cannot be ${action}d`);
    }
    if (err instanceof WorkflowNotFoundError) {
      // It may have finished since the store was read.
      const now = await app.store.campaigns.get(campaign.org_id, campaign._id);
      const status = now?.status ?? campaign.status;
      throw new ConflictError(
        FINISHED.has(status) ? `Campaign is ${status}` : 'Campaign is not running',
      );
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new DomainError(
        `The campaign did not answer in time; the ${action} may still take effect. ` +
          `Check its status, or try again in ${RETRY_AFTER_SECONDS} seconds.`,
        503,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    throw err;
  }
}

export const campaignRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  const find = async (orgId: string, id: string) => {
    const doc = await store.campaigns.get(orgId, id);
    if (!doc) throw new NotFoundError(`Campaign '${id}' not found`);
    return doc;
  };

  app.post(
    '/api/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Create a broadcast campaign and start (or schedule) it',
        body: CampaignBody,
        response: {
          201: envelope(CampaignView),
          400: ErrorSchema,
          404: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const orgId = orgOf(request.principal);
      const body = request.body;
      const scheduledAt = checkSchedule(body.scheduled_at);
      const plan = await preflight(store, orgId, body);
      const campaign = await store.campaigns.create(orgId, {
        name: body.name,
        accountId: plan.account._id,
        audience: body.audience,
        message: plan.message,
        mode: plan.mode,
        scheduledAt,
        throughput: body.throughput ?? null,
      });
      try {
        await app.temporal.workflow.start('campaignWorkflow', {
          workflowId: campaignWorkflowId(campaign._id),
          taskQueue: app.config.temporal.taskQueue,
          args: [{ campaignId: campaign._id, orgId } satisfies CampaignInput],
        });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        await store.campaigns
          .update(campaign._id, {
            status: 'failed',
            error: `The campaign could not be started: ${reason}`,
            completed_at: new Date(),
          })
          .catch((e: unknown) => request.log.error({ err: e }, 'campaign not marked failed'));
        throw err;
      }
      return reply.code(201).send(ok(await viewOf(app, campaign)));
    },
  );

  app.post(
    '/api/campaigns/preview',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Audience size and three rendered messages, without creating anything',
        body: CampaignBody,
        response: {
          200: envelope(CampaignPreview),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const orgId = orgOf(request.principal);
      const plan = await preflight(store, orgId, request.body);
      const contacts = await store.campaigns.audienceSample(
        orgId,
        request.body.audience,
        PREVIEW_SAMPLES,
      );
      const now = new Date();
      const fromAction = await messageActionValues(
        { store, sandbox: app.sandbox },
        { org_id: orgId, message: plan.message, caller: { type: 'campaign', id: null } },
        contacts,
      );
      return ok({
        audience_size: plan.audienceSize,
        samples: contacts.map((contact) => {
          const action = fromAction?.get(contact._id);
          const values = action && 'values' in action ? action.values : undefined;
          return {
            contact_id: contact._id,
            phone_number: contact.phone_number,
            window_open: windowOpen(contact.last_inbound_at, now),
            ...renderCampaignMessage(plan.message, contact, values),
            missing: missingPlaceholders(plan.message, contact, values),
            ...(action ? { action: 'skip' in action ? { error: action.skip } : action } : {}),
          };
        }),
      });
    },
  );

  app.get(
    '/api/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'List campaigns, newest first, with their counts',
        querystring: ListCampaignsQuery,
        response: { 200: envelope(CampaignList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const docs = await store.campaigns.list(orgOf(request.principal), {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        campaigns: await mapLimit(docs, COUNTS_IN_FLIGHT, (d) => viewOf(app, d)),
        next_cursor: nextCursor(docs, q.limit),
      });
    },
  );

  app.get(
    '/api/campaigns/:id',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'A campaign: status, counts and progress',
        params: IdParams,
        response: {
          200: envelope(CampaignView),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await find(orgOf(request.principal), request.params.id);
      return ok(await viewOf(app, doc));
    },
  );

  app.get(
    '/api/campaigns/:id/recipients',
    {
      schema: {
        tags: ['campaigns'],
        summary: "A campaign's recipients in send order: state, wamid and error",
        params: IdParams,
        querystring: RecipientsQuery,
        response: {
          200: envelope(RecipientPage),
          400: ErrorSchema,
          404: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request) => {
      const doc = await find(orgOf(request.principal), request.params.id);
      const q = request.query;
      const rows = await store.campaigns.recipients(doc._id, {
        limit: q.limit,
        afterSeq: q.after_seq,
        state: q.state,
      });
      return ok({
        recipients: rows.map(recipientItem),
        next_after_seq: rows.length === q.limit ? rows[rows.length - 1]!.seq : null,
      });
    },
  );

  for (const action of Object.keys(CONTROLS) as (keyof typeof CONTROLS)[]) {
    app.post(
      `/api/campaigns/:id/${action}`,
      {
        schema: {
          tags: ['campaigns'],
          summary: CONTROLS[action].summary,
          params: IdParams,
          response: {
            200: envelope(CampaignView),
            400: ErrorSchema,
            404: ErrorSchema,
            409: ErrorSchema,
            503: ErrorSchema,
            ...protectedErrors,
          },
        },
      },
      async (request) => {
        const orgId = orgOf(request.principal);
        const campaign = await find(orgId, request.params.id);
        if (FINISHED.has(campaign.status)) {
          throw new ConflictError(`Campaign is ${campaign.status}`);
        }
        const status = await control(app, campaign, action);
        const now = (await store.campaigns.get(orgId, campaign._id)) ?? campaign;
        return ok(await viewOf(app, { ...now, status }));
      },
    );
  }
};
