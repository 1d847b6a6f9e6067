import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import { versionExpiresAt } from '../../sim/meta/versions';

const NOTICE_DAYS = 90;

describe('the default Graph API version', () => {
  it(`is v25.0 and stays served for at least ${NOTICE_DAYS} more days`, () => {
    const { apiVersion } = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'waflow-')) }).meta;
    expect(apiVersion).toBe('v25.0');
    const expires = versionExpiresAt(apiVersion);
    expect(expires).not.toBeNull();
    // Fails in time: a default that Meta stops serving within the notice must be moved on.
    const deadline = new Date(Date.now() + NOTICE_DAYS * 86_400_000);
    expect(expires!.getTime()).toBeGreaterThan(deadline.getTime());
  });
});
