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

export const TRANSACTION_ID_PATTERN = /^PAY-\d{13}-[A-Z0-9]{6}$/;
export const INVOICE_NUMBER_PATTERN = /^INV\/\d{4}\/\d{2}\/[A-Z0-9]{6}$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** `PAY-<epoch ms>-<6 upper-case alphanumerics>` */
export function transactionId(now: Date, random: () => number = Math.random): string {
  return `PAY-${now.getTime()}-${randomCode(6, random)}`;
}

/** `INV/<yyyy>/<mm>/<6 upper-case alphanumerics>` (UTC year and month). */
export function invoiceNumber(now: Date, random: () => number = Math.random): string {
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `INV/${now.getUTCFullYear()}/${mm}/${randomCode(6, random)}`;
}

/** The workflow id of an order: the business id, so one order has one workflow. */
export function orderWorkflowId(pesananId: string): string {
  return `order-${pesananId}`;
}
