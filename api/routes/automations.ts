import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancelRun } from '../../automations/cancel-run';
import { deleteAutomation } from '../../automations/delete';
import {
  getAutomation,
  listAutomations,
  listContactRuns,
  listRuns,
  type AutomationWithCounts,
} from '../../automations/read';
import { createAutomation, updateAutomation } from '../../automations/save';
import { testAutomation } from '../../automations/test-run';
import { temporalTimers } from '../../automations/timers';
import { envelope, ErrorSchema, IdParams, ok, protectedErrors } from '../schemas/common';
import {
  AutomationBody,
  AutomationList,
  AutomationTestBody,
  automationTestView,
  AutomationTestView,
  automationView,
  AutomationView,
  ListAutomationsQuery,
  RunList,
  RunParams,
  RunsQuery,
  runView,
  RunView,
} from '../schemas/automations';
import { beforeOf, nextCursor } from '../time-cursor';
import { orgOf } from '../types';

const viewOf = (a: AutomationWithCounts) => automationView(a.doc, a.counts);

const TAGS = ['automations'];

export const automationRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store } = app;
  const engine = app.automations;
  const timers = temporalTimers(() => app.temporal, app.config.temporal.taskQueue);

  const errors = { 400: ErrorSchema, 404: ErrorSchema, ...protectedErrors };

  app.post(
    '/api/automations',
    {
      schema: {
        tags: TAGS,
        summary: 'Create an automation: a trigger, conditions and steps',
        description:
          'A 400 names what is wrong by its path, a step by index and id ' +
          '(steps[2] (ask_email): ...): ids, targets, unreachable steps and loops, templates, ' +
          'placeholders, patterns that cannot run in linear time, what steps name.',
        body: AutomationBody,
        response: { 201: envelope(AutomationView), ...errors },
      },
    },
    async (request, reply) => {
      const created = await createAutomation(
        { store, engine },
        orgOf(request.principal),
        request.body,
      );
      return reply.code(201).send(ok(viewOf(created)));
    },
  );

  app.get(
    '/api/automations',
    {
      schema: {
        tags: TAGS,
        summary: 'List automations, newest first, with their run counts',
        querystring: ListAutomationsQuery,
        response: { 200: envelope(AutomationList), 400: ErrorSchema, ...protectedErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const found = await listAutomations({ store }, orgOf(request.principal), {
        limit: q.limit,
        before: beforeOf(q),
      });
      return ok({
        automations: found.map(viewOf),
        next_cursor: nextCursor(
          found.map((a) => a.doc),
          q.limit,
        ),
      });
    },
  );

  app.get(
    '/api/automations/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'An automation with its run counts',
        params: IdParams,
        response: { 200: envelope(AutomationView), ...errors },
      },
    },
    async (request) =>
      ok(viewOf(await getAutomation({ store }, orgOf(request.principal), request.params.id))),
  );

  app.put(
    '/api/automations/:id',
    {
      schema: {
        tags: TAGS,
        summary:
          'Replace an automation (a new version); running runs finish the version they started',
        params: IdParams,
        body: AutomationBody,
        response: { 200: envelope(AutomationView), ...errors },
      },
    },
    async (request) =>
      ok(
        viewOf(
          await updateAutomation(
            { store, engine },
            orgOf(request.principal),
            request.params.id,
            request.body,
          ),
        ),
      ),
  );

  app.delete(
    '/api/automations/:id',
    {
      schema: {
        tags: TAGS,
        summary: "Delete an automation; its active runs end as cancelled ('automation deleted')",
        params: IdParams,
        response: {
          200: envelope(z.object({ id: z.string(), deleted: z.literal(true), ended: z.number() })),
          ...errors,
        },
      },
    },
    async (request) => {
      const { id, ended } = await deleteAutomation(
        { store, engine, timers },
        orgOf(request.principal),
        request.params.id,
      );
      return ok({ id, deleted: true as const, ended });
    },
  );

  app.get(
    '/api/automations/:id/runs',
    {
      schema: {
        tags: TAGS,
        summary: "An automation's runs, newest first: state, path through the steps, end reason",
        params: IdParams,
        querystring: RunsQuery,
        response: { 200: envelope(RunList), ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const runs = await listRuns({ store }, orgOf(request.principal), request.params.id, {
        limit: q.limit,
        state: q.state,
        before: beforeOf(q),
      });
      return ok({ runs: runs.map(runView), next_cursor: nextCursor(runs, q.limit) });
    },
  );

  app.get(
    '/api/contacts/:id/automation-runs',
    {
      schema: {
        tags: TAGS,
        summary: "A contact's automation runs, newest first",
        params: IdParams,
        querystring: RunsQuery,
        response: { 200: envelope(RunList), ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const runs = await listContactRuns({ store }, orgOf(request.principal), request.params.id, {
        limit: q.limit,
        state: q.state,
        before: beforeOf(q),
      });
      return ok({ runs: runs.map(runView), next_cursor: nextCursor(runs, q.limit) });
    },
  );

  app.post(
    '/api/automations/:id/runs/:runId/cancel',
    {
      schema: {
        tags: TAGS,
        summary: 'Cancel a running or waiting run (409 once it has ended)',
        params: RunParams,
        response: { 200: envelope(RunView), 409: ErrorSchema, ...errors },
      },
    },
    async (request) => {
      const run = await cancelRun(
        { store, engine },
        orgOf(request.principal),
        request.params.id,
        request.params.runId,
      );
      return ok(runView(run));
    },
  );

  app.post(
    '/api/automations/:id/test',
    {
      schema: {
        tags: TAGS,
        summary: 'What a run would do for a contact and a message: its path and messages',
        description:
          'Nothing is sent or stored. Each reply given answers the next wait for a reply, in ' +
          'order; delays pass at once. Custom actions run, so their results steer branches.',
        params: IdParams,
        body: AutomationTestBody,
        response: { 200: envelope(AutomationTestView), ...errors },
      },
    },
    async (request) =>
      ok(
        automationTestView(
          await testAutomation(
            { store, sandbox: app.sandbox },
            orgOf(request.principal),
            request.params.id,
            request.body,
          ),
        ),
      ),
  );
};
