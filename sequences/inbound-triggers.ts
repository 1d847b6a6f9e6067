import type { Client } from '@temporalio/client';
import { keywordForm as normalize, isKeyword } from '../lib/keywords';
import { TtlCache } from '../lib/ttl-cache';
import type { Store } from '../store';
import type { SequenceDoc } from '../store/contract/sequences';
import { ExitReason, exitRuns } from './exits';

/** An inbound message as sequences see it. */
export interface InboundFact {
  orgId: string;
  contactId: string;
  text: string | null;
}

export interface TriggerDeps {
  store: Store;
  /** Null where no Temporal client is at hand: exits then wait for the workflows' own check. */
  client: () => Client | null;
  /** Words (whole message, any case) that opt a contact out of everything. */
  optOutWords: string[];
  /** Starts the workflows of keyword subscriptions; none: the recovery sweep starts them. */
  starter: { kick(): void } | null;
}

/** Keyword sequences are read once in this long per organization, not per message. */
const KEYWORD_CACHE_MS = 5_000;

const byOrg = (facts: InboundFact[]) => {
  const orgs = new Map<string, Set<string>>();
  for (const f of facts) {
    const set = orgs.get(f.orgId) ?? new Set();
    set.add(f.contactId);
    orgs.set(f.orgId, set);
  }
  return orgs;
};

/**
 * What inbound messages do to sequences, a batch at a time: opt-out words opt the contact out
 * and end all its sequences; any message ends runs that exit on a reply; a keyword subscribes
 * the sender. A batch costs a query per organization for replies and, once in a while, one
 * for its keywords; opt-outs cost theirs only when they come.
 */
export function sequenceTriggers(deps: TriggerDeps) {
  const { store } = deps;
  const stopWords = new Set(deps.optOutWords.map((w) => normalize(w)).filter(Boolean));
  const keywords = new TtlCache<string, SequenceDoc[]>(KEYWORD_CACHE_MS);

  async function optOut(facts: InboundFact[]): Promise<void> {
    for (const [orgId, ids] of byOrg(facts)) {
      for (const id of ids) {
        await store.contacts.update(orgId, id, { opted_in: false });
        await store.outbox.flush('contacts', id);
      }
      await exitRuns(store, deps.client(), { orgId, contactIds: [...ids] }, ExitReason.optedOut);
    }
  }

  async function replies(facts: InboundFact[]): Promise<void> {
    for (const [orgId, ids] of byOrg(facts)) {
      await exitRuns(
        store,
        deps.client(),
        { orgId, contactIds: [...ids], onReply: true },
        ExitReason.replied,
      );
    }
  }

  async function subscribeByKeyword(facts: InboundFact[]): Promise<void> {
    let subscribed = false;
    for (const [orgId] of byOrg(facts)) {
      const sequences = await keywords.getOrLoad(orgId, () => store.sequences.withKeywords(orgId));
      if (!sequences.length) continue;
      for (const f of facts.filter((x) => x.orgId === orgId)) {
        for (const seq of sequences) {
          if (!isKeyword(f.text, seq.keywords)) continue;
          const [r] = await store.sequenceSubscriptions.subscribe(seq, [f.contactId], 'keyword');
          if (r?.run) subscribed = true;
        }
      }
    }
    if (subscribed) deps.starter?.kick();
  }

  return {
    async onMessages(facts: InboundFact[]): Promise<void> {
      if (!facts.length) return;
      const stops = facts.filter((f) => stopWords.has(normalize(f.text)));
      const stopped = new Set(stops.map((f) => `${f.orgId}:${f.contactId}`));
      const others = facts.filter((f) => !stopped.has(`${f.orgId}:${f.contactId}`));
      if (stops.length) await optOut(stops);
      await replies(others);
      await subscribeByKeyword(others);
    },
    /** An organization's keywords changed: the next batch reads them again. */
    forget(orgId: string): void {
      keywords.delete(orgId);
    },
  };
}

export type SequenceTriggers = ReturnType<typeof sequenceTriggers>;
