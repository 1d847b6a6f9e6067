import { flushOutbox } from '../../contacts/outbox';
import {
  changedFields,
  normalizePatch,
  type ContactPatch,
  type CustomFieldValue,
} from '../../store/contact-fields';
import type { ContactDoc } from '../../store/documents';
import { StepFailure, type EffectStep, type StepResult, type StepScope } from '../effects';
import { renderText, type RunScope } from '../render';
import type { EffectDeps } from './deps';
import { refusalsFail, runScope } from './scope';

type TagsStep = Extract<EffectStep, { type: 'set_tags' }>;
type FieldsStep = Extract<EffectStep, { type: 'set_fields' }>;
type ContactStep = TagsStep | FieldsStep;

const OWN_FIELDS = new Set(['name', 'email', 'stage']);

/** The contact's tags with the step's added and its removed taken away. */
function tagsPatch(contact: ContactDoc, step: TagsStep): ContactPatch {
  const removed = new Set(step.remove.map((t) => t.trim()));
  return { tags: [...contact.tags, ...step.add].filter((t) => !removed.has(t.trim())) };
}

/**
 * The step's values, placeholders filled: `name`, `email` and `stage` are the contact's own
 * fields (empty clears them), any other key a custom field; `remove` deletes custom fields.
 */
function fieldsPatch(contact: ContactDoc, step: FieldsStep, scope: RunScope): ContactPatch {
  const patch: ContactPatch = {};
  const custom = { ...contact.custom_fields } as Record<string, CustomFieldValue>;
  for (const [key, text] of Object.entries(step.set)) {
    const value = renderText(text, scope);
    if (OWN_FIELDS.has(key)) patch[key as 'name' | 'email' | 'stage'] = value || null;
    else custom[key] = value;
  }
  for (const key of step.remove) delete custom[key];
  return { ...patch, custom_fields: custom };
}

function patchFor(contact: ContactDoc, step: ContactStep, scope: RunScope): ContactPatch {
  return step.type === 'set_tags' ? tagsPatch(contact, step) : fieldsPatch(contact, step, scope);
}

const outcomeOf = (step: ContactStep) => (step.type === 'set_tags' ? 'tagged' : 'updated');

/** Changes the stored contact (as it is now, not as the run last read it); returns it. */
export async function changeContact(
  { store, log }: EffectDeps,
  scope: StepScope,
  step: ContactStep,
): Promise<StepResult> {
  const { org_id: orgId } = scope.run;
  const id = scope.contact._id;
  const gone = () => new StepFailure('The contact was deleted');
  const current = await store.contacts.get(orgId, id);
  if (!current) throw gone();
  const patch = patchFor(current, step, runScope(scope));
  const res = await refusalsFail(() => store.contacts.update(orgId, id, patch));
  if (!res) throw gone();
  if (res.changes.length) await flushOutbox(store, log, 'contacts', id);
  return {
    outcome: outcomeOf(step),
    detail: { changed: res.changes },
    contact: res.contact,
  };
}

/** The contact as the step would leave it, stored nowhere. */
export async function previewContact(scope: StepScope, step: ContactStep): Promise<StepResult> {
  const { contact } = scope;
  const patch = await refusalsFail(() => normalizePatch(patchFor(contact, step, runScope(scope))));
  const changes = changedFields(contact, patch);
  return {
    outcome: outcomeOf(step),
    detail: { changed: Object.keys(changes) },
    contact: { ...contact, ...changes },
  };
}
