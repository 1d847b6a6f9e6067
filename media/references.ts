import { ValidationError } from '../lib/errors';
import { MEDIA_KINDS, whatsappMediaType, type MediaKind } from '../lib/whatsapp-media';
import type { Store } from '../store';

/** A media object of an outbound message naming a Waflow media file by `id`. */
export interface MediaRef {
  id: string;
  kind: MediaKind;
  /** Where, in the request's terms: `image.id`, `template.components[0].parameters[0].image.id`. */
  path: string;
  /** The media object itself, whose `id` a send replaces with Meta's. */
  object: Record<string, unknown>;
}

const TEMPLATE_MEDIA = new Set<string>(['image', 'video', 'document']);
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The media objects naming a file by id in a message's content (Meta's object for its type):
 * a media message's own, a template's header parameters, an interactive message's header.
 * Outbound content names Waflow's files only: Meta's ids are put in as the message goes out.
 */
export function mediaRefsOf(type: string, content: Obj, prefix = type): MediaRef[] {
  const refs: MediaRef[] = [];
  const add = (object: unknown, kind: MediaKind, path: string) => {
    if (isObj(object) && typeof object.id === 'string') {
      refs.push({ id: object.id, kind, path: `${path}.id`, object });
    }
  };
  if ((MEDIA_KINDS as readonly string[]).includes(type)) add(content, type as MediaKind, prefix);
  if (type === 'template' && Array.isArray(content.components)) {
    content.components.forEach((c, i) => {
      if (!isObj(c) || !Array.isArray(c.parameters)) return;
      c.parameters.forEach((p, j) => {
        if (!isObj(p) || typeof p.type !== 'string' || !TEMPLATE_MEDIA.has(p.type)) return;
        const path = `${prefix}.components[${i}].parameters[${j}].${p.type}`;
        add(p[p.type], p.type as MediaKind, path);
      });
    });
  }
  if (type === 'interactive' && isObj(content.header)) {
    const kind = content.header.type;
    if (typeof kind === 'string' && TEMPLATE_MEDIA.has(kind)) {
      add(content.header[kind], kind as MediaKind, `${prefix}.header.${kind}`);
    }
  }
  return refs;
}

/**
 * Why a message's media ids cannot be sent, naming the field: an id that is no file of the
 * organization's, or a file of another kind (an image where a document is wanted). Null if
 * they all can.
 */
export async function mediaRefProblem(
  store: Store,
  orgId: string,
  refs: MediaRef[],
): Promise<string | null> {
  for (const ref of refs) {
    const media = await store.media.get(orgId, ref.id);
    if (!media || media.direction !== 'outbound' || media.status !== 'stored') {
      return `${ref.path}: no uploaded media '${ref.id}' (upload it with POST /api/media)`;
    }
    const kind = whatsappMediaType(media.mime_type)?.kind;
    if (kind !== ref.kind) {
      return `${ref.path}: media '${ref.id}' is ${media.mime_type}, not ${article(ref.kind)}`;
    }
  }
  return null;
}

const article = (kind: string) => (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);

/** Refuses a message whose media ids cannot be sent: a 400 naming the field. */
export async function checkMediaRefs(
  store: Store,
  orgId: string,
  type: string,
  content: Obj,
  prefix = type,
): Promise<void> {
  const problem = await mediaRefProblem(store, orgId, mediaRefsOf(type, content, prefix));
  if (problem) throw new ValidationError(problem, 'invalid_media');
}
