/**
 * Business identifiers. Functions take their clock and randomness as
 * arguments so workflows (deterministic Math.random and clock) and tests
 * produce the same ids on replay.
 */
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomCode(length = 6, random: () => number = Math.random): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(random() * ALPHANUMERIC.length)];
  return out;
}

/** `[0-9]`, not `\d`: the OpenAPI document carries this pattern to tools whose `\d` is any Unicode digit. */
export const TRANSACTION_ID_PATTERN = /^PAY-[0-9]{13}-[A-Z0-9]{6}$/;
/** Invoice numbers: 10 characters since the payment path moved into the API (6 before; old ones stay valid). */
export const INVOICE_NUMBER_PATTERN = /^INV\/\d{4}\/\d{2}\/(?:[A-Z0-9]{10}|[A-Z0-9]{6})$/;
/** 36^10 ≈ 3.7e15 per month: at 50,000 payments a month the chance of any clash is about 3e-7 (and a clash is retried). */
export const INVOICE_CODE_LENGTH = 10;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** `PAY-<epoch ms>-<6 upper-case alphanumerics>` */
export function transactionId(now: Date, random: () => number = Math.random): string {
  return `PAY-${now.getTime()}-${randomCode(6, random)}`;
}

/** `INV/<yyyy>/<mm>/<10 upper-case alphanumerics>` (UTC year and month). */
export function invoiceNumber(now: Date, random: () => number = Math.random, length = INVOICE_CODE_LENGTH): string {
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `INV/${now.getUTCFullYear()}/${mm}/${randomCode(length, random)}`;
}

/** The workflow id of an order: the business id, so one order has one workflow. */
export function orderWorkflowId(pesananId: string): string {
  return `order-${pesananId}`;
}

/** The refund workflow of one refund (workflows/refund.ts). */
export function refundWorkflowId(refundId: string): string {
  return `refund-${refundId}`;
}

/** The gateway idempotency key of a refund's payout to an account: the refund id, then `<id>:<n>` for each account given after a refusal. */
export function refundPayoutKey(refundId: string, attempt: number): string {
  return attempt <= 1 ? refundId : `${refundId}:${attempt}`;
}

/** The refund id a refund payout key was made from. */
export function refundIdOfPayoutKey(key: string): string {
  return key.split(':')[0];
}
