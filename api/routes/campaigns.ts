import { beforeOf, nextCursor } from '../time-cursor';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RecipientValues } from '../../actions/message-values';
import { controlCampaign, type CampaignControl } from '../../campaigns/control';
import { createCampaign } from '../../campaigns/create';
import { previewCampaign, type PreviewSample } from '../../campaigns/preview';
import {
  campaignRecipients,
  type CampaignWithCounts,
  getCampaign,
  listCampaigns,
} from '../../campaigns/queries';
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
import {
  envelope,
  ErrorSchema,
  IdempotencyKeyHeaders,
  IdParams,
  ok,
  protectedErrors,
} from '../schemas/common';
import { orgOf } from '../types';

const CONTROLS: Record<CampaignControl, { summary: string }> = {
  pause: { summary: 'Pause a running campaign' },
  resume: { summary: 'Resume a paused campaign' },
  cancel: { summary: 'Cancel a campaign; queued messages still go' },
};

const viewOf = ({ campaign, counts }: CampaignWithCounts) => campaignView(campaign, counts);

const actionView = (a: RecipientValues) => ('skip' in a ? { error: a.skip } : a);

const sampleView = (s: PreviewSample) => ({
  contact_id: s.contact._id,
  phone_number: s.contact.phone_number,
  window_open: s.windowOpen,
  type: s.type,
  content: s.content,
  missing: s.missing,
  ...(s.action ? { action: actionView(s.action) } : {}),
});

export const campaignRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;

  app.post(
    '/api/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Create a broadcast campaign and start (or schedule) it',
        description:
          'Repeating a request with the same Idempotency-Key returns the first campaign and ' +
          'never starts it twice.',
        headers: IdempotencyKeyHeaders,
        body: CampaignBody,
        response: {
          201: envelope(CampaignView),
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) => {
      const created = await createCampaign(
        { store, temporal: app.temporal, config: app.config, log: request.log },
        orgOf(request.principal),
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.code(201).send(ok(viewOf(created)));
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
      const preview = await previewCampaign(
        { store, sandbox: app.sandbox },
        orgOf(request.principal),
        request.body,
      );
      return ok({
        audience_size: preview.audienceSize,
        samples: preview.samples.map(sampleView),
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
      const page = await listCampaigns(store, orgOf(request.principal), {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        campaigns: page.map(viewOf),
        next_cursor: nextCursor(
          page.map((c) => c.campaign),
          q.limit,
        ),
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
    async (request) =>
      ok(viewOf(await getCampaign(store, orgOf(request.principal), request.params.id))),
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
      const q = request.query;
      const rows = await campaignRecipients(store, orgOf(request.principal), request.params.id, {
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

  for (const action of Object.keys(CONTROLS) as CampaignControl[]) {
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
        const campaign = await controlCampaign(
          { store, temporal: app.temporal },
          orgOf(request.principal),
          request.params.id,
          action,
        );
        return ok(viewOf(campaign));
      },
    );
  }
};
