import { createHash } from 'node:crypto';
import { sandboxDisplayNumber, sandboxWabaId } from '../lib/sandbox-ids';

/** What the sandbox account of every organization talks to: the Meta simulator. */
export interface SandboxSettings {
  graphUrl: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
}

export const SANDBOX_ACCOUNT_NAME = 'Sandbox';

/** A 15-digit id starting with `lead`, the same for the same organization every time. */
function derivedId(lead: string, label: string, orgId: string): string {
  const digest = createHash('sha256').update(`waflow-sandbox:${label}:${orgId}`).digest();
  const n = digest.readBigUInt64BE(0) % 10n ** 14n;
  return lead + n.toString().padStart(14, '0');
}

/**
 * The sandbox account's phone number id is derived from the organization id, so the account
 * can be ensured from anywhere, any number of times; its WABA id and display number are
 * derived from the phone number id the same way the simulator derives them.
 */
export function sandboxAccountIds(orgId: string): {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
} {
  const phoneNumberId = derivedId('1', 'phone-number-id', orgId);
  return {
    phoneNumberId,
    wabaId: sandboxWabaId(phoneNumberId),
    displayPhoneNumber: `+${sandboxDisplayNumber(phoneNumberId)}`,
  };
}
