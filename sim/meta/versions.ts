import { MetaError } from './errors';

/**
 * The Graph API versions Meta serves, with the last day each is available. v21.0, v25.0 and
 * v26.0 (the newest) are as Meta's changelog states them; the others follow Meta's rule that a
 * version lives about two years after its successor ships.
 */
export const GRAPH_VERSIONS: Readonly<Record<string, string>> = {
  'v19.0': '2026-05-21',
  'v20.0': '2026-09-24',
  'v21.0': '2027-01-21',
  'v22.0': '2027-05-20',
  'v23.0': '2027-06-09',
  'v24.0': '2027-10-08',
  'v25.0': '2028-07-29',
  'v26.0': '2028-10-28',
};

export const NEWEST_GRAPH_VERSION = 'v26.0';

/** The first instant a version is no longer served, or null for a version Meta never had. */
export function versionExpiresAt(version: string): Date | null {
  const last = GRAPH_VERSIONS[version];
  return last === undefined ? null : new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000);
}

/**
 * Meta's answer for a call through a version that has expired (2635) or that does not exist
 * (the version is read as a path component it does not know), or null when it is served.
 */
export function versionError(version: string, path: string, today: number): MetaError | null {
  const expires = versionExpiresAt(version);
  if (expires === null) return new MetaError(400, 2500, `Unknown path components: ${path}`);
  if (today < expires.getTime()) return null;
  return new MetaError(
    400,
    2635,
    `(#2635) You are calling a deprecated version of the Graph API. Please update to the latest version: ${NEWEST_GRAPH_VERSION}.`,
  );
}
