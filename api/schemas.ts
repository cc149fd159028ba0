import { z } from 'zod';
import { AmountLimits, PAYMENT_METHODS, PAYOUT_METHODS, overallMaxAmount, resolveChannel } from '../domain/methods';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import { HttpError } from './errors';

/**
 * Request schemas (zod), strict: unknown fields, wrong types, out-of-range
 * amounts and invalid method/channel pairs are rejected with one error shape
 * naming the field.
 */
/** "is required" for a missing field, `message` for anything else. */
const req = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
const uuid = () => z.uuid({ error: req('must be a uuid') });
// Printable text: no control characters; stored and returned verbatim (queries are parameterised).
const text = (max: number) =>
  z
    .string({ error: req('must be a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });
const amount = (min: number, max: number) =>
  z
    .number({ error: req('must be a number') })
    .int({ error: 'must be a whole number of rupiah' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

export function schemas(limits: AmountLimits) {
  const createOrder = z.strictObject({
    client_id: uuid(),
    freelancer_id: uuid(),
    judul: text(255),
    harga: amount(limits.min, overallMaxAmount(limits)),
  });

  const createPayment = z
    .strictObject({
      pesanan_id: uuid(),
      user_id: uuid(),
      jumlah: amount(limits.min, overallMaxAmount(limits)),
      metode_pembayaran: z.enum(PAYMENT_METHODS, { error: req(`must be one of ${PAYMENT_METHODS.join(', ')}`) }),
      channel: z.string({ error: 'must be a string' }).max(32, { error: 'must be at most 32 characters' }).optional(),
    })
    .superRefine((body, ctx) => {
      const resolved = resolveChannel(body.metode_pembayaran, body.channel);
      if ('error' in resolved) ctx.addIssue({ code: 'custom', path: ['channel'], message: resolved.error });
      const max = limits.max[body.metode_pembayaran];
      if (body.jumlah > max) ctx.addIssue({ code: 'custom', path: ['jumlah'], message: `must be at most ${max} for ${body.metode_pembayaran}` });
    })
    .transform((body) => {
      const resolved = resolveChannel(body.metode_pembayaran, body.channel) as { channel: string };
      return { ...body, channel: resolved.channel };
    });

  const releaseEscrow = z.strictObject({
    escrow_id: uuid(),
    user_id: uuid(),
    reason: text(500).optional(),
  });

  const withdraw = z.strictObject({
    escrow_id: uuid(),
    freelancer_id: uuid(),
    metode_pencairan: z.enum(PAYOUT_METHODS, { error: req(`must be one of ${PAYOUT_METHODS.join(', ')}`) }),
    nomor_rekening: z.string({ error: req('must be a string') }).regex(/^\d{6,34}$/, { error: 'must be 6 to 34 digits' }),
    // Bank account holder names: letters, spaces and . , ' -
    nama_pemilik: text(100).regex(/^[\p{L}][\p{L} .,'-]*$/u, { error: 'must contain only letters, spaces and . , \' -' }),
  });

  return { createOrder, createPayment, releaseEscrow, withdraw };
}

export const idParam = uuid();
/** Admin ledger reads: an account name prefix (`escrow:`, `freelancer_payable:<id>`), and a record (or order) id. */
export const ledgerAccountsQuery = z.strictObject({
  prefix: z.string({ error: 'must be a string' }).max(100, { error: 'must be at most 100 characters' }).regex(/^[a-z_:0-9-]*$/, { error: 'must be an account name prefix such as escrow: or platform_fee_revenue' }).optional(),
});
export const ledgerJournalsQuery = z.strictObject({ record_id: uuid() });
export const paymentIdParam = z.union([uuid(), z.string().regex(TRANSACTION_ID_PATTERN)]);

/** Parses or throws a 400 naming the first offending field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
    const field = keys.length ? keys[0] : issue.path.length ? issue.path.join('.') : where;
    const message = keys.length ? `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` : issue.message;
    return { field, message };
  });
  const first = issues[0];
  throw new HttpError(400, 'VALIDATION_ERROR', first.field === where ? `${where}: ${first.message}` : `${first.field} ${first.message}`, {
    field: first.field,
    issues,
  });
}
