import { invalidParameter, invalidValue } from './errors';

/**
 * Primitives for checking a request body and naming what is wrong the way Meta does: a
 * parameter missing, of the wrong kind or unknown is `(#100) Invalid parameter`; one whose
 * value is refused (too long, too many, out of range) is `(#131009) Parameter value is not valid`.
 */

export type Obj = Record<string, unknown>;
export type Path = (string | number)[];

export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Meta names parameters like `template['components'][0]['parameters']`. */
export const name = (path: Path) =>
  String(path[0]) +
  path
    .slice(1)
    .map((p) => (typeof p === 'number' ? `[${p}]` : `['${p}']`))
    .join('');

export const fail = (details: string): never => {
  throw invalidParameter(details);
};

export const failValue = (details: string): never => {
  throw invalidValue(details);
};

export function get(o: Obj, path: Path, key: string) {
  return { value: o[key], path: [...path, key] };
}

export function object(v: unknown, path: Path): Obj {
  if (v === undefined || v === null) return fail(`The parameter ${name(path)} is required.`);
  return isObj(v) ? v : fail(`The parameter ${name(path)} must be an object.`);
}

export function string(
  v: unknown,
  path: Path,
  opts: { max?: number; empty?: boolean } = {},
): string {
  if (v === undefined || v === null) return fail(`The parameter ${name(path)} is required.`);
  if (typeof v !== 'string') return fail(`The parameter ${name(path)} must be a string.`);
  if (!opts.empty && v.trim() === '') return fail(`The parameter ${name(path)} must not be empty.`);
  if (opts.max !== undefined && v.length > opts.max)
    return failValue(`The parameter ${name(path)} must be at most ${opts.max} characters long.`);
  return v;
}

export function optionalString(v: unknown, path: Path, max?: number): string | null {
  return v === undefined ? null : string(v, path, { max });
}

export function array(v: unknown, path: Path, min: number, max: number): unknown[] {
  if (v === undefined || v === null) return fail(`The parameter ${name(path)} is required.`);
  if (!Array.isArray(v)) return fail(`The parameter ${name(path)} must be an array.`);
  if (v.length < min || v.length > max)
    return failValue(`The parameter ${name(path)} must have between ${min} and ${max} items.`);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: Path, allowed: readonly T[]): T {
  const s = string(v, path);
  return (allowed as readonly string[]).includes(s)
    ? (s as T)
    : fail(`The parameter ${name(path)} must be one of: ${allowed.join(', ')}.`);
}

export function coordinate(v: unknown, path: Path, limit: number) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n))
    fail(`The parameter ${name(path)} must be a number.`);
  if (Math.abs(n as number) > limit)
    failValue(`The parameter ${name(path)} must be a number between -${limit} and ${limit}.`);
}

export function checkMedia(caption: boolean) {
  return (o: Obj, path: Path) => {
    if (o.id === undefined && o.link === undefined)
      fail(`The parameter ${name(path)} requires either 'id' or 'link'.`);
    if (o.id !== undefined) string(o.id, [...path, 'id']);
    if (o.link !== undefined) {
      const link = string(o.link, [...path, 'link']);
      if (!/^https?:\/\/\S+$/.test(link))
        failValue(`The parameter ${name([...path, 'link'])} must be an http(s) URL.`);
    }
    if (caption) optionalString(o.caption, [...path, 'caption'], 1024);
    else if (o.caption !== undefined)
      fail(`The parameter ${name([...path, 'caption'])} is not allowed for this media type.`);
  };
}

/** An http(s) URL, as Meta takes links. */
export function url(v: unknown, path: Path): string {
  const s = string(v, path);
  return /^https?:\/\/\S+$/.test(s)
    ? s
    : failValue(`The parameter ${name(path)} must be an http(s) URL.`);
}

/** Ids that must differ from each other (buttons, rows). */
export function unique(ids: string[], path: Path) {
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) failValue(`The parameter ${name(path)} has the id '${twice}' twice.`);
}
