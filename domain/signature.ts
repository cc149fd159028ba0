import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: hex HMAC-SHA256, keyed with the gateway secret, over
 * `transaction_id|transaction_status|gross_amount|timestamp` (unix seconds).
 */
export interface SignedFields {
  transaction_id: string;
  transaction_status: string;
  gross_amount: string;
  timestamp: string | number;
}

export function signaturePayload(f: SignedFields): string {
  return `${f.transaction_id}|${f.transaction_status}|${f.gross_amount}|${f.timestamp}`;
}

export function signWebhook(fields: SignedFields, secret: string): string {
  return createHmac('sha256', secret).update(signaturePayload(fields)).digest('hex');
}

/** Constant-time comparison; false for anything that is not a well-formed signature. */
export function verifyWebhookSignature(fields: SignedFields, signature: unknown, secret: string): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(signWebhook(fields, secret), 'hex');
  const given = Buffer.from(signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
