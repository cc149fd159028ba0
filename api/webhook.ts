import { GATEWAY_STATUSES, GatewayStatus } from '../domain/statuses';
import { verifyPayoutSignature, verifyWebhookSignature } from '../domain/signature';
import { HttpError, badRequest, invalidJson } from './errors';

/**
 * Reads and verifies a gateway webhook from the raw request body. The body
 * must be a JSON object with exactly the signed fields as the gateway sent
 * them (strings; the timestamp may be an integer), a valid HMAC signature,
 * and a timestamp within the tolerance of this server's clock. Every failed
 * check answers the same 401, so the answer never says which check failed.
 */
export class WebhookRejection extends Error {
  constructor(readonly http: HttpError) {
    super(http.message);
  }
}

const FIELDS = ['transaction_id', 'transaction_status', 'gross_amount', 'timestamp', 'signature'] as const;

const unverified = () => new WebhookRejection(new HttpError(401, 'WEBHOOK_REJECTED', 'webhook verification failed'));

export interface VerifiedWebhook {
  transaction_id: string;
  transaction_status: GatewayStatus;
  gross_amount: number;
}

/**
 * The body as a JSON object with exactly `fields`, its integer timestamp (if
 * any) as a string; anything else is unverified (401), non-JSON 400.
 */
function signedBody(raw: Buffer, fields: readonly string[]): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookRejection(invalidJson());
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw unverified();
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b);
  if (keys.length !== fields.length || !fields.every((f) => keys.includes(f))) throw unverified();
  return {
    ...b,
    timestamp: typeof b.timestamp === 'number' && Number.isSafeInteger(b.timestamp) ? String(b.timestamp) : b.timestamp,
  };
}

/** The timestamp is unix seconds within the tolerance of this server's clock. */
function fresh(timestamp: string, toleranceSeconds: number, nowMs: number): boolean {
  return /^\d{1,12}$/.test(timestamp) && Math.abs(nowMs / 1000 - Number(timestamp)) <= toleranceSeconds;
}

export function readWebhook(
  raw: Buffer,
  secret: string,
  toleranceSeconds: number,
  nowMs = Date.now(),
): VerifiedWebhook {
  const { transaction_id, transaction_status, gross_amount, signature, timestamp } = signedBody(raw, FIELDS);
  if (
    ![transaction_id, transaction_status, gross_amount, timestamp, signature].every(
      (v) => typeof v === 'string' && v.length > 0 && v.length <= 128,
    )
  ) {
    throw unverified();
  }
  const fields = { transaction_id, transaction_status, gross_amount, timestamp } as Record<
    'transaction_id' | 'transaction_status' | 'gross_amount' | 'timestamp',
    string
  >;
  if (!verifyWebhookSignature(fields, signature, secret)) throw unverified();
  if (!fresh(fields.timestamp, toleranceSeconds, nowMs)) throw unverified();

  // Authenticated from here on: the gateway may be told what is wrong.
  if (!(GATEWAY_STATUSES as readonly string[]).includes(fields.transaction_status)) {
    throw new WebhookRejection(
      badRequest(`transaction_status must be one of ${GATEWAY_STATUSES.join(', ')}`, 'transaction_status'),
    );
  }
  const amount = /^(\d{1,15})(?:\.0{1,2})?$/.exec(fields.gross_amount);
  if (!amount) throw new WebhookRejection(badRequest('gross_amount must be a whole rupiah amount', 'gross_amount'));
  return {
    transaction_id: fields.transaction_id,
    transaction_status: fields.transaction_status as GatewayStatus,
    gross_amount: Number(amount[1]),
  };
}

const PAYOUT_FIELDS = [
  'external_id',
  'reference',
  'status',
  'amount',
  'failure_reason',
  'timestamp',
  'signature',
] as const;

export interface VerifiedPayoutNotification {
  /** the withdrawal id (the payout's idempotency key) */
  external_id: string;
  reference: string;
  status: 'completed' | 'failed';
  amount: number;
  failure_reason: string | null;
}

/**
 * Reads and verifies a payout notification the same way: exactly the signed
 * fields, all strings (`failure_reason` may be empty; the timestamp may be an
 * integer), a valid signature over the payout payload and a fresh timestamp.
 */
export function readPayoutNotification(
  raw: Buffer,
  secret: string,
  toleranceSeconds: number,
  nowMs = Date.now(),
): VerifiedPayoutNotification {
  const values = signedBody(raw, PAYOUT_FIELDS);
  for (const f of PAYOUT_FIELDS) {
    const v = values[f];
    if (typeof v !== 'string' || v.length > 256 || (v.length === 0 && f !== 'failure_reason')) throw unverified();
  }
  const f = values as Record<(typeof PAYOUT_FIELDS)[number], string>;
  if (!verifyPayoutSignature(f, f.signature, secret)) throw unverified();
  if (!fresh(f.timestamp, toleranceSeconds, nowMs)) throw unverified();

  if (f.status !== 'completed' && f.status !== 'failed')
    throw new WebhookRejection(badRequest('status must be one of completed, failed', 'status'));
  const amount = /^(\d{1,15})(?:\.0{1,2})?$/.exec(f.amount);
  if (!amount) throw new WebhookRejection(badRequest('amount must be a whole rupiah amount', 'amount'));
  return {
    external_id: f.external_id,
    reference: f.reference,
    status: f.status,
    amount: Number(amount[1]),
    failure_reason: f.failure_reason || null,
  };
}

/** What an unverified body claims (for the audit trail only; never trusted). */
export function claimedFields(raw: Buffer): Record<string, unknown> {
  try {
    const body = JSON.parse(raw.toString('utf8'));
    return body && typeof body === 'object' && !Array.isArray(body) ? body : {};
  } catch {
    return {};
  }
}
