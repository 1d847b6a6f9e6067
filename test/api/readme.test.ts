import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTING_NAMES } from '../../lib/config';
import { createTestApp, type TestApp } from '../support/app';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The README's text from a `## ` heading to the next one. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Splits a shell command line into words: quotes removed, stops at a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '#' && word === null) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Options of curl that take a value, which is then no URL. */
const VALUED = new Set(['-X', '--request', '-H', '--header', '-d', '--data', '--data-raw']);
const VALUED_TOO = new Set(['-b', '-c', '-o', '-u', '-F', '--data-binary', '--json']);

/** Every curl command of the README as the method and the paths it requests. */
function curlExamples(): { method: string; path: string }[] {
  const lines = README.replace(/\\\n/g, ' ').split('\n');
  const examples: { method: string; path: string }[] = [];
  for (const line of lines) {
    const at = line.search(/(^|[\s(])curl\s/);
    if (at < 0) continue;
    const words = shellWords(line.slice(at).trimStart()).slice(1);
    let method: string | null = null;
    let hasBody = false;
    const urls: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (VALUED.has(w) || VALUED_TOO.has(w)) {
        const value = words[++i] ?? '';
        if (w === '-X' || w === '--request') method = value.toUpperCase();
        if (w.startsWith('-d') || w.startsWith('--data') || w === '-F' || w === '--json')
          hasBody = true;
      } else if (!w.startsWith('-')) {
        urls.push(w);
      }
    }
    for (const url of urls) {
      const path = url
        .replace(/^[a-z]+:\/\//, '')
        .replace(/^[^/]*/, '')
        .replace(/[?#].*$/, '');
      examples.push({ method: method ?? (hasBody ? 'POST' : 'GET'), path });
    }
  }
  return examples;
}

/** `/api/contacts/{id}` matches `/api/contacts/<id>`, `/api/contacts/$ID`, ... */
const pathPattern = (openapiPath: string) =>
  new RegExp(
    `^${openapiPath
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );

describe('README.md', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('has a curl example of every operation in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
    expect(operations.length).toBeGreaterThan(50);
    const examples = curlExamples();
    const missing = operations
      .filter(
        (op) =>
          !examples.some((ex) => ex.method === op.method && pathPattern(op.path).test(ex.path)),
      )
      .map((op) => `${op.method} ${op.path}`);
    expect(missing).toEqual([]);
  });

  it('lists every setting once in its one configuration table, and no other', () => {
    expect(README.match(/^\| variable +\|/gm)).toHaveLength(1);
    const rows = section('Configuration')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const listed = rows.flatMap((row) =>
      [...row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!),
    );
    const count = (name: string) => listed.filter((n) => n === name).length;
    expect(SETTING_NAMES.filter((name) => count(name) !== 1)).toEqual([]);
    expect(listed.filter((name) => !SETTING_NAMES.includes(name))).toEqual([]);
  });

  it('names every top-level folder in its architecture section', () => {
    const ignored = new Set(['.git', 'node_modules', 'dist', '.data', 'coverage']);
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !ignored.has(e.name))
      .map((e) => e.name);
    const architecture = section('Architecture');
    expect(folders.filter((f) => !architecture.includes(`\`${f}/\``))).toEqual([]);
  });
});
