import { CONTRADICTION_STATUSES } from '../domain/payout-truth';
import { z } from 'zod';
import {
  AmountLimits,
  PAYMENT_METHODS,
  PAYOUT_METHODS,
  overallMaxAmount,
  resolveChannel,
  resolvePayoutAccount,
} from '../domain/methods';
import { DISPUTE_DECISIONS, DISPUTE_STATUSES, PAYMENT_STATUSES, WITHDRAWAL_STATUSES } from '../domain/statuses';
import { TRANSACTION_ID_PATTERN, UUID_PATTERN } from '../domain/ids';
import { NOTIFICATION_STATUSES } from '../domain/notifications';
import { HttpError } from './errors';

/**
 * Request schemas (zod), strict: unknown fields, wrong types, out-of-range
 * amounts and invalid method/channel pairs are rejected with one error shape
 * naming the field.
 */
/** "is required" for a missing field, `message` for anything else. */
const req = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
// uuids are compared and stored in lower case: an upper-cased copy of an id is the same id
const uuid = () => z.uuid({ error: req('must be a uuid') }).transform((s) => s.toLowerCase());
// Printable text: no control characters; stored and returned verbatim (queries are parameterised).
const text = (max: number) =>
  z
    .string({ error: req('must be a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });
// methods are case-insensitive, as channels are: "QRIS" is qris
const lowerCase = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);
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
      metode_pembayaran: z
        .preprocess(lowerCase, z.enum(PAYMENT_METHODS, { error: req(`must be one of ${PAYMENT_METHODS.join(', ')}`) }))
        .meta({ description: 'case-insensitive (QRIS is qris)' }),
      channel: z
        .string({ error: 'must be a string' })
        .max(32, { error: 'must be at most 32 characters' })
        .optional()
        .meta({
          description:
            'case-insensitive; virtual_account: bca, bni, mandiri, bri, permata; e_wallet: gopay, ovo, dana, linkaja (each method has a default)',
        }),
    })
    .superRefine((body, ctx) => {
      const resolved = resolveChannel(body.metode_pembayaran, body.channel);
      if ('error' in resolved) ctx.addIssue({ code: 'custom', path: ['channel'], message: resolved.error });
      const max = limits.max[body.metode_pembayaran];
      if (body.jumlah > max)
        ctx.addIssue({
          code: 'custom',
          path: ['jumlah'],
          message: `must be at most ${max} for ${body.metode_pembayaran}`,
        });
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

  const withdraw = payoutAccountFields
    .extend({ escrow_id: uuid(), freelancer_id: uuid() })
    .superRefine(checkAccount)
    .transform(resolveAccount);

  // a dispute's decision: X (jumlah_freelancer) for a partial one only; its upper bound is the escrow's (checked against it)
  const resolveDispute = z
    .strictObject({
      escrow_id: uuid(),
      keputusan: z.preprocess(
        lowerCase,
        z.enum(DISPUTE_DECISIONS, { error: req(`must be one of ${DISPUTE_DECISIONS.join(', ')}`) }),
      ),
      jumlah_freelancer: amount(1, overallMaxAmount(limits))
        .optional()
        .meta({ description: 'partial only: what the freelancer receives, 1 ≤ X < jumlah_ditahan' }),
      alasan: text(1000),
    })
    .superRefine((body, ctx) => {
      if (body.keputusan === 'partial' && body.jumlah_freelancer === undefined)
        ctx.addIssue({ code: 'custom', path: ['jumlah_freelancer'], message: 'is required for a partial decision' });
      if (body.keputusan !== 'partial' && body.jumlah_freelancer !== undefined)
        ctx.addIssue({ code: 'custom', path: ['jumlah_freelancer'], message: 'is only for a partial decision' });
    });

  return { createOrder, createPayment, releaseEscrow, withdraw, resolveDispute };
}

/**
 * A payout account (a withdrawal's, or a refund's): the method, the bank or
 * provider (defaults bca, gopay), the number checked for the bank's length or
 * as a mobile number, and the holder's name.
 */
const payoutAccountFields = z.strictObject({
  metode_pencairan: z
    .preprocess(lowerCase, z.enum(PAYOUT_METHODS, { error: req(`must be one of ${PAYOUT_METHODS.join(', ')}`) }))
    .meta({ description: 'case-insensitive' }),
  // the bank (transfer_bank) or provider (e_wallet), case-insensitive; defaults: bca, gopay
  channel: z.string({ error: 'must be a string' }).max(32, { error: 'must be at most 32 characters' }).optional().meta({
    description:
      'case-insensitive; transfer_bank: bca (default), bni, mandiri, bri, permata; e_wallet: gopay (default), ovo, dana, linkaja',
  }),
  nomor_rekening: z
    .string({ error: req('must be a string') })
    .max(20, { error: 'must be at most 20 characters' })
    .meta({
      description:
        "bank accounts: digits of the bank's length (BCA, BNI 10; Mandiri 13; BRI 15; Permata 10–16); e-wallets: an Indonesian mobile number (08…, +628… or 628…)",
    }),
  // Bank account holder names: letters, spaces and . , ' -
  nama_pemilik: text(100).regex(/^[\p{L}][\p{L} .,'-]*$/u, { error: "must contain only letters, spaces and . , ' -" }),
});
type AccountFields = z.output<typeof payoutAccountFields>;
const checkAccount = (body: AccountFields, ctx: z.RefinementCtx) => {
  const resolved = resolvePayoutAccount(body.metode_pencairan, body.channel, body.nomor_rekening);
  if ('error' in resolved) ctx.addIssue({ code: 'custom', path: [resolved.field], message: resolved.error });
};
const resolveAccount = <T extends AccountFields>(body: T) => ({
  ...body,
  ...(resolvePayoutAccount(body.metode_pencairan, body.channel, body.nomor_rekening) as {
    channel: string;
    nomor_rekening: string;
  }),
});

/** The account a refund that cannot go back to its source is paid to. */
export const refundAccount = payoutAccountFields.superRefine(checkAccount).transform(resolveAccount);

/** Opening a dispute: the escrow, the caller (its client or freelancer), and why. */
export const openDispute = z.strictObject({ escrow_id: uuid(), user_id: uuid(), alasan: text(1000) });

/** Cancelling an order: why. */
export const cancelOrder = z.strictObject({ alasan: text(1000) });

/** Disputes, newest first, open or resolved. */
export const disputesQuery = z.strictObject({
  status: z.enum(DISPUTE_STATUSES, { error: `must be one of ${DISPUTE_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100, { error: 'must be at most 100' })
    .default(20),
  cursor: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .optional(),
});

export const idParam = uuid();

/** Work progress (start, deliver): no body, or an empty JSON object; any field is unknown. */
export const workProgressBody = z.strictObject({});

/** Cancelling a payment takes no body (or an empty object). */
export const cancelPaymentBody = z.strictObject({});

/** An admin's reason for rejecting a withdrawal. */
export const rejectWithdrawal = z.strictObject({ alasan: text(1000) });

const limit = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(100, { error: 'must be at most 100' })
  .default(20);
const cursor = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' })
  .optional();
/** History reads: newest first, `limit` 1–100 (20), `cursor` from the previous page's next_cursor. Admins may filter by user. */
export const withdrawalsQuery = z.strictObject({
  status: z.enum(WITHDRAWAL_STATUSES, { error: `must be one of ${WITHDRAWAL_STATUSES.join(', ')}` }).optional(),
  freelancer_id: uuid().optional(),
  limit,
  cursor,
});
export const paymentsQuery = z.strictObject({
  status: z.enum(PAYMENT_STATUSES, { error: `must be one of ${PAYMENT_STATUSES.join(', ')}` }).optional(),
  user_id: uuid().optional(),
  limit,
  cursor,
});
/** Admin analytics for [from, to): ISO times or dates; `to` after `from`, at most 366 days apart (default: the last 30 days). */
// a date (UTC midnight) or a date-time with its offset: never the server's local time
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const isoTime = z
  .string({ error: 'must be a string' })
  .max(40, { error: 'must be at most 40 characters' })
  .refine((v) => ISO_TIME.test(v) && !Number.isNaN(Date.parse(v)), {
    error: 'must be an ISO date (UTC) or a date-time with its offset, such as 2026-11-01 or 2026-11-01T00:00:00+07:00',
  })
  .meta({
    pattern: ISO_TIME.source,
    description: 'an ISO date (UTC midnight) or a date-time with its offset',
    examples: ['2026-11-01', '2026-11-01T00:00:00+07:00'],
  });
export const analyticsQuery = z
  .strictObject({ from: isoTime.optional(), to: isoTime.optional() })
  .transform((q) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    return { from: from.toISOString(), to: to.toISOString() };
  })
  .refine((q) => q.from < q.to, { error: 'to must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    error: 'the period must be at most 366 days',
    path: ['to'],
  });

/** The approval queue: oldest first. */
export const approvalQueueQuery = z.strictObject({
  status: z.enum(WITHDRAWAL_STATUSES, { error: `must be one of ${WITHDRAWAL_STATUSES.join(', ')}` }).default('pending'),
  limit,
  cursor,
});
/** Admin ledger reads: an account name prefix (`escrow:`, `freelancer_payable:<id>`), and a record (or order) id. */
export const ledgerAccountsQuery = z.strictObject({
  prefix: z
    .string({ error: 'must be a string' })
    .max(100, { error: 'must be at most 100 characters' })
    .regex(/^[a-z_:0-9-]*$/, { error: 'must be an account name prefix such as escrow: or platform_fee_revenue' })
    .optional(),
});
export const ledgerJournalsQuery = z.strictObject({ record_id: uuid() });
export const paymentIdParam = z
  .string()
  .refine((s) => UUID_PATTERN.test(s) || TRANSACTION_ID_PATTERN.test(s), {
    error: 'must be a payment id (a uuid) or a transaction id (PAY-<epoch ms>-<6 characters>)',
  })
  .transform((s) => (TRANSACTION_ID_PATTERN.test(s) ? s : s.toLowerCase()))
  .meta({
    description: 'a payment id (uuid) or a transaction id (PAY-<epoch ms>-<6 characters>)',
    examples: ['PAY-1764316800000-ABC123'],
  });

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
  throw new HttpError(
    400,
    'VALIDATION_ERROR',
    first.field === where ? `${where}: ${first.message}` : `${first.field} ${first.message}`,
    {
      field: first.field,
      issues,
    },
  );
}

/** A notifications cursor: the `seq` of the last event seen (next_cursor of the previous answer), 0 for the beginning. */
const seqCursor = z
  .string({ error: 'must be a string' })
  .regex(/^\d{1,15}$/, { error: 'must be a next_cursor this API returned (a whole number; 0 for the beginning)' })
  .transform(Number);
/** GET /api/notifications: the caller's events after `since`, oldest first. */
export const notificationsQuery = z.strictObject({ since: seqCursor.default(0), limit });
/** GET /api/admin/notifications: events by delivery status, newest first. */
export const adminNotificationsQuery = z.strictObject({
  status: z.enum(NOTIFICATION_STATUSES, { error: `must be one of ${NOTIFICATION_STATUSES.join(', ')}` }).optional(),
  pesanan_id: uuid().optional(),
  limit,
  cursor: seqCursor.optional(),
});

/** Payout contradictions, newest first, open or resolved. */
export const contradictionsQuery = z.strictObject({
  status: z.enum(CONTRADICTION_STATUSES, { error: `must be one of ${CONTRADICTION_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100, { error: 'must be at most 100' })
    .default(50),
});

/** An admin's account of how a payout contradiction was resolved. */
export const resolveContradiction = z.strictObject({ alasan: text(1000) });
