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

/** Constant-time comparison of a hex signature; false for anything that is not a well-formed one. */
function sameSignature(expectedHex: string, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(expectedHex, 'hex');
  const given = Buffer.from(signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function verifyWebhookSignature(fields: SignedFields, signature: unknown, secret: string): boolean {
  return sameSignature(signWebhook(fields, secret), signature);
}

/**
 * Payout notifications (`POST /api/payouts/webhook`): the same scheme, hex
 * HMAC-SHA256 with the gateway secret, over
 * `payout|external_id|reference|status|amount|failure_reason|timestamp`
 * (`failure_reason` empty when there is none). The leading `payout` keeps a
 * payment notification's signature from ever verifying as a payout's.
 */
export interface PayoutSignedFields {
  external_id: string;
  reference: string;
  status: string;
  amount: string;
  failure_reason: string;
  timestamp: string | number;
}

export function payoutSignaturePayload(f: PayoutSignedFields): string {
  return ['payout', f.external_id, f.reference, f.status, f.amount, f.failure_reason, f.timestamp].join('|');
}

export function signPayoutWebhook(fields: PayoutSignedFields, secret: string): string {
  return createHmac('sha256', secret).update(payoutSignaturePayload(fields)).digest('hex');
}

export function verifyPayoutSignature(fields: PayoutSignedFields, signature: unknown, secret: string): boolean {
  return sameSignature(signPayoutWebhook(fields, secret), signature);
}

/**
 * Notifications to the other modules (NOTIFICATION_WEBHOOK_URL): the same
 * scheme, hex HMAC-SHA256 keyed with NOTIFICATION_SECRET, over
 * `notification|<timestamp>|<raw JSON body>`, sent as the headers
 * `X-SkillConnect-Signature` and `X-SkillConnect-Timestamp` (unix seconds). A
 * receiver recomputes it over the body bytes it received and refuses a
 * timestamp far from its clock.
 */
export function signNotification(body: string, timestamp: string | number, secret: string): string {
  return createHmac('sha256', secret).update(`notification|${timestamp}|${body}`).digest('hex');
}

export function verifyNotificationSignature(
  body: string,
  timestamp: string | number,
  signature: unknown,
  secret: string,
): boolean {
  return sameSignature(signNotification(body, timestamp, secret), signature);
}
