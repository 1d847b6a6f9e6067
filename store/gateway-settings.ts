import { decryptSecret, encryptSecret } from '../lib/crypto';
import type { GatewaySettingsDoc, PaymentGateway } from './documents';

export const gatewaySettingsId = (orgId: string, gateway: PaymentGateway) => `${orgId}:${gateway}`;

export function sealKeys(keys: Record<string, string>, key: Buffer): string {
  return encryptSecret(JSON.stringify(keys), key);
}

export function openKeys(doc: GatewaySettingsDoc, key: Buffer): Record<string, string> {
  return JSON.parse(decryptSecret(doc.keys_enc, key)) as Record<string, string>;
}
