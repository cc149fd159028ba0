import { CONTRADICTION_STATUSES } from '../domain/payout-truth';
import { z } from 'zod';
import {
  AmountLimits,
  BANK_ACCOUNT_DIGITS,
  CHANNEL_REQUIRED,
  DEFAULT_PAYOUT_CHANNEL,
  E_WALLETS,
  MOBILE_NUMBER,
  PAYMENT_CHANNELS,
  PAYMENT_METHODS,
  PAYOUT_CHANNELS,
  PAYOUT_METHODS,
  VA_BANKS,
  overallMaxAmount,
  resolveChannel,
  resolvePayoutAccount,
} from '../domain/methods';
import { DISPUTE_DECISIONS, DISPUTE_STATUSES, PAYMENT_STATUSES, WITHDRAWAL_STATUSES } from '../domain/statuses';
import { TRANSACTION_ID_PATTERN } from '../domain/ids';
import { NOTIFICATION_STATUSES } from '../domain/notifications';
import { HttpError, fieldMessage, predicateOf } from './errors';
import { NAME, NAME_PATTERN, NO_CONTROL, TEXT_PATTERN, characters } from './patterns';

/**
 * Request schemas (zod), strict: unknown fields, wrong types, out-of-range
 * amounts and invalid method/channel pairs are rejected with one error shape
 * naming the field. The OpenAPI document is generated from these schemas: a
 * rule zod cannot turn into JSON Schema (a refinement) carries what it
 * enforces in `.meta()` (a pattern, per-method rules as if/then), written with
 * portable character ranges (api/patterns.ts). Issue messages are predicates
 * ("must be a uuid"): parse() puts the field's name in front, once.
 */
/** "is required" for a missing field, `message` for anything else. */
const req = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
// uuids are compared and stored in lower case: an upper-cased copy of an id is the same id
const uuid = () => z.uuid({ error: req('must be a uuid') }).transform((s) => s.toLowerCase());
/**
 * Printable text, stored trimmed and returned verbatim (queries are
 * parameterised): at most `max` characters as sent (code points, as JSON
 * Schema's maxLength counts them), and once trimmed not empty and without
 * control characters. `content`: a further rule for the trimmed text, with
 * the pattern that says it of the text as sent.
 */
const text = (max: number, content?: { rule: RegExp; error: string; pattern: string }) =>
  z
    .string({ error: req('must be a string') })
    .refine((s) => characters(s) <= max, { error: `must be at most ${max} characters`, abort: true })
    .trim()
    .min(1, { error: 'must not be empty' })
    .refine((s) => NO_CONTROL.test(s), { error: 'must not contain control characters' })
    .refine((s) => !content || s === '' || content.rule.test(s), { error: content?.error })
    .meta({ minLength: 1, maxLength: max, pattern: content?.pattern ?? TEXT_PATTERN });
// methods are case-insensitive, as channels are: "QRIS" is qris
const lowerCase = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const amount = (min: number, max: number) =>
  z
    .number({ error: req('must be a number') })
    .int({ error: 'must be a whole number of rupiah' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** JSON Schema `if` the object's `field` is `value` (the per-method rules below). */
const when = (field: string, value: string) => ({ properties: { [field]: { const: value } }, required: [field] });

/**
 * For the document: what each payment method accepts (domain/methods.ts), as
 * if/then rules: its channels (required where it has no default) and its
 * amount limit (`jumlah`'s own maximum is the largest of them).
 */
function paymentMethodRules(limits: AmountLimits) {
  return PAYMENT_METHODS.map((m) => ({
    if: when('metode_pembayaran', m),
    then: {
      ...(CHANNEL_REQUIRED.includes(m) ? { required: ['channel'] } : {}),
      properties: { channel: { enum: [...PAYMENT_CHANNELS[m]] }, jumlah: { maximum: limits.max[m] } },
    },
  }));
}

/**
 * For the document: a payout account's rules (domain/methods.ts) as if/then:
 * the channels of each method, an e-wallet's mobile number, each bank's
 * account length (no channel: the method's default bank).
 */
function payoutAccountRules() {
  const bank = (b: (typeof VA_BANKS)[number]) => {
    const [min, max] = BANK_ACCOUNT_DIGITS[b];
    const named = when('channel', b);
    return {
      if: b === DEFAULT_PAYOUT_CHANNEL.transfer_bank ? { anyOf: [{ not: { required: ['channel'] } }, named] } : named,
      then: { properties: { nomor_rekening: { pattern: min === max ? `^[0-9]{${min}}$` : `^[0-9]{${min},${max}}$` } } },
    };
  };
  return [
    {
      if: when('metode_pencairan', 'e_wallet'),
      then: { properties: { channel: { enum: [...E_WALLETS] }, nomor_rekening: { pattern: MOBILE_NUMBER.source } } },
    },
    {
      if: when('metode_pencairan', 'transfer_bank'),
      then: { properties: { channel: { enum: [...VA_BANKS] } }, allOf: VA_BANKS.map(bank) },
    },
  ];
}

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
      jumlah: amount(limits.min, overallMaxAmount(limits)).meta({
        description: `whole rupiah, the order's harga; at least ${limits.min}, at most the method's limit: ${PAYMENT_METHODS.map((m) => `${m} ${limits.max[m]}`).join(', ')} (\`maximum\` is the largest of them)`,
      }),
      metode_pembayaran: z
        .preprocess(lowerCase, z.enum(PAYMENT_METHODS, { error: req(`must be one of ${PAYMENT_METHODS.join(', ')}`) }))
        .meta({ description: 'case-insensitive (QRIS is qris)' }),
      channel: z
        .string({ error: 'must be a string' })
        .max(32, { error: 'must be at most 32 characters' })
        .optional()
        .meta({
          enum: [...new Set(PAYMENT_METHODS.flatMap((m) => PAYMENT_CHANNELS[m]))],
          description: `case-insensitive; per method: ${PAYMENT_METHODS.map((m) => `${m}: ${PAYMENT_CHANNELS[m].join(', ')}${CHANNEL_REQUIRED.includes(m) ? ' (required)' : ` (default ${PAYMENT_CHANNELS[m][0]})`}`).join('; ')}`,
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
    })
    .meta({ allOf: paymentMethodRules(limits) });

  const releaseEscrow = z.strictObject({
    escrow_id: uuid(),
    user_id: uuid(),
    reason: text(500).optional(),
  });

  const withdraw = payoutAccountFields
    .extend({ escrow_id: uuid(), freelancer_id: uuid() })
    .superRefine(checkAccount)
    .transform(resolveAccount)
    .meta({ allOf: payoutAccountRules() });

  // a dispute's decision, one shape per kind: X (jumlah_freelancer) for a partial one only (required there, refused
  // otherwise); its upper bound is the escrow's (checked against it)
  const decisions = DISPUTE_DECISIONS.join(', ');
  type Whole = Exclude<(typeof DISPUTE_DECISIONS)[number], 'partial'>;
  const others = DISPUTE_DECISIONS.filter((d): d is Whole => d !== 'partial') as [Whole, ...Whole[]];
  const resolveDispute = z
    .preprocess(
      (v) =>
        v && typeof v === 'object' && !Array.isArray(v) && 'keputusan' in v
          ? { ...v, keputusan: lowerCase((v as { keputusan: unknown }).keputusan) }
          : v,
      z.discriminatedUnion(
        'keputusan',
        [
          z.strictObject({
            escrow_id: uuid(),
            keputusan: z.literal('partial').meta({ description: 'case-insensitive' }),
            jumlah_freelancer: z
              .number({
                error: (i) => (i.input === undefined ? 'is required for a partial decision' : 'must be a number'),
              })
              .int({ error: 'must be a whole number of rupiah' })
              .min(1, { error: 'must be at least 1' })
              .max(overallMaxAmount(limits), { error: `must be at most ${overallMaxAmount(limits)}` })
              .meta({ description: 'what the freelancer receives, 1 ≤ X < jumlah_ditahan (required for partial)' }),
            alasan: text(1000),
          }),
          z.strictObject({
            escrow_id: uuid(),
            keputusan: z.enum(others).meta({ description: 'case-insensitive' }),
            jumlah_freelancer: z
              .never({ error: 'is only for a partial decision' })
              .optional()
              .meta({ description: 'partial only: not allowed for release or refund' }),
            alasan: text(1000),
          }),
        ],
        {
          error: (issue) => {
            if (issue.code !== 'invalid_union') return undefined;
            const given = (issue.input as { keputusan?: unknown } | undefined)?.keputusan;
            return given === undefined ? 'is required' : `must be one of ${decisions}`;
          },
        },
      ),
    )
    .meta({
      description: `One shape per \`keputusan\` (${decisions}): \`jumlah_freelancer\` is required for partial and not allowed otherwise.`,
    });

  return { createOrder, createPayment, releaseEscrow, withdraw, resolveDispute };
}

/**
 * A payout account (a withdrawal's, or a refund's): the method, the bank or
 * provider (defaults bca, gopay), the number checked for the bank's length or
 * as a mobile number, and the holder's name.
 */
const ACCOUNT_DIGITS = [
  Math.min(...Object.values(BANK_ACCOUNT_DIGITS).map(([min]) => min)),
  Math.max(...Object.values(BANK_ACCOUNT_DIGITS).map(([, max]) => max)),
];
const payoutAccountFields = z.strictObject({
  metode_pencairan: z
    .preprocess(lowerCase, z.enum(PAYOUT_METHODS, { error: req(`must be one of ${PAYOUT_METHODS.join(', ')}`) }))
    .meta({ description: 'case-insensitive' }),
  // the bank (transfer_bank) or provider (e_wallet), case-insensitive; defaults: bca, gopay
  channel: z
    .string({ error: 'must be a string' })
    .max(32, { error: 'must be at most 32 characters' })
    .optional()
    .meta({
      enum: [...new Set(PAYOUT_METHODS.flatMap((m) => PAYOUT_CHANNELS[m]))],
      description: `case-insensitive; ${PAYOUT_METHODS.map((m) => `${m}: ${PAYOUT_CHANNELS[m].join(', ')} (default ${DEFAULT_PAYOUT_CHANNEL[m]})`).join('; ')}`,
    }),
  nomor_rekening: z
    .string({ error: req('must be a string') })
    .min(1, { error: 'must not be empty' })
    .max(20, { error: 'must be at most 20 characters' })
    .meta({
      pattern: `^(?:[0-9]{${ACCOUNT_DIGITS[0]},${ACCOUNT_DIGITS[1]}}|${MOBILE_NUMBER.source.slice(1, -1)})$`,
      description:
        "bank accounts: digits of the bank's length (BCA, BNI 10; Mandiri 13; BRI 15; Permata 10–16); e-wallets: an Indonesian mobile number (08…, +628… or 628…)",
    }),
  // Bank account holder names: letters, spaces and . , ' -
  nama_pemilik: text(100, {
    rule: NAME,
    error: "must contain only letters, spaces and . , ' -",
    pattern: NAME_PATTERN,
  }),
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
export const refundAccount = payoutAccountFields
  .superRefine(checkAccount)
  .transform(resolveAccount)
  .meta({ allOf: payoutAccountRules() });

/** Opening a dispute: the escrow, the caller (its client or freelancer), and why. */
export const openDispute = z.strictObject({ escrow_id: uuid(), user_id: uuid(), alasan: text(1000) });

/** Cancelling an order: why. */
export const cancelOrder = z.strictObject({ alasan: text(1000) });

/** A page cursor: the previous page's next_cursor, opaque (base64url, as db/pages.ts encodes it). */
function pageCursor() {
  return z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'is not one this API returned' })
    .optional()
    .meta({ description: "the previous page's next_cursor (opaque)" });
}

/** Disputes, newest first, open or resolved. */
export const disputesQuery = z.strictObject({
  status: z.enum(DISPUTE_STATUSES, { error: `must be one of ${DISPUTE_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(100, { error: 'must be at most 100' })
    .default(20),
  cursor: pageCursor(),
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
const cursor = pageCursor();
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
// a date (UTC midnight) or a date-time with its offset: never the server's local time; every part in its range
const ISO_TIME =
  /^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,3})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$/;
/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;
const isoTime = (examples: string[]) =>
  z
    .string({ error: 'must be a string' })
    .max(40, { error: 'must be at most 40 characters' })
    .superRefine((v, ctx) => {
      const m = ISO_TIME.exec(v);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be an ISO date (UTC) or a date-time with its offset, such as 2026-11-01 or 2026-11-01T00:00:00+07:00',
        });
        return;
      }
      // Date.parse rolls 2026-02-30 over into March: a day the month does not have is refused
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (day > daysIn(year, month))
        ctx.addIssue({
          code: 'custom',
          message: `is not a real date: ${m[1]}-${m[2]} has ${daysIn(year, month)} days`,
        });
      else if (Number.isNaN(Date.parse(v)))
        ctx.addIssue({ code: 'custom', message: 'is not a time this server can read' });
    })
    .meta({
      pattern: ISO_TIME.source,
      description:
        'an ISO date (UTC midnight) or a date-time with its offset; a real calendar day (2026-02-30 is refused)',
      examples,
    });
export const analyticsQuery = z
  .strictObject({
    from: isoTime(['2026-11-01', '2026-11-01T00:00:00+07:00']).optional().meta({
      description:
        'the start (included): an ISO date (UTC midnight) or a date-time with its offset, a real calendar day (2026-02-30 is refused); default: 30 days before `to`',
    }),
    to: isoTime(['2026-12-01', '2026-12-01T00:00:00+07:00']).optional().meta({
      description:
        'the end (excluded), after `from` and at most 366 days after it: an ISO date (UTC midnight) or a date-time with its offset, a real calendar day; default: now',
    }),
  })
  .transform((q) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    return { from: from.toISOString(), to: to.toISOString() };
  })
  .refine((q) => q.from < q.to, { error: 'must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    error: 'must be at most 366 days after from',
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
/** A payment id (UUID_PATTERN, written without its `i` flag) or a transaction id (TRANSACTION_ID_PATTERN). */
export const PAYMENT_ID_PATTERN = new RegExp(
  `^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|${TRANSACTION_ID_PATTERN.source.slice(1, -1)})$`,
);
export const paymentIdParam = z
  .string()
  .regex(PAYMENT_ID_PATTERN, {
    error: 'must be a payment id (a uuid) or a transaction id (PAY-<epoch ms>-<6 characters>)',
  })
  .transform((s) => (TRANSACTION_ID_PATTERN.test(s) ? s : s.toLowerCase()))
  .meta({
    description: 'a payment id (uuid) or a transaction id (PAY-<epoch ms>-<6 characters>)',
    examples: ['PAY-1764316800000-ABC123'],
  });

/**
 * Parses or throws a 400 naming the first offending field: the message is
 * `<field> <what is wrong>` (the field said once), `details.field` the field,
 * `details.issues` every `{ field, message }` (messages without the field).
 * `where` names the value itself (body, query, a path parameter): a problem
 * with the whole of it reads `<where>: <what is wrong>`.
 */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return (issue as { keys: string[] }).keys.map((key) => ({
        field: [...issue.path, key].join('.'),
        message: 'is not a known field',
      }));
    const field = issue.path.length ? issue.path.join('.') : where;
    return [{ field, message: predicateOf(field, issue.message) }];
  });
  const first = issues[0];
  throw new HttpError(400, 'VALIDATION_ERROR', fieldMessage(first.field, first.message, first.field === where), {
    field: first.field,
    issues,
  });
}

/** A notifications cursor: the `seq` of the last event seen (next_cursor of the previous answer), 0 for the beginning. */
const seqCursor = z
  .string({ error: 'must be a string' })
  .regex(/^[0-9]{1,15}$/, { error: 'must be a next_cursor this API returned (a whole number; 0 for the beginning)' })
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

/**
 * The mock gateway's trigger body (POST /api/payments/mock/trigger-success and
 * -failure), checked by the API before the mock's own router sees it: the
 * same rules as gateway/router.ts, and `reason` follows the control-character
 * rule of every other text.
 */
export const mockTriggerRequest = z.strictObject({
  transaction_id: z
    .string({ error: req('must be a string') })
    .regex(TRANSACTION_ID_PATTERN, { error: 'must look like PAY-<epoch ms>-<6 characters>' })
    .meta({ examples: ['PAY-1764316800000-ABC123'] }),
  reason: z
    .string({ error: 'must be a string' })
    .max(200, { error: 'must be at most 200 characters' })
    .regex(NO_CONTROL, { error: 'must not contain control characters' })
    .optional()
    .meta({ description: 'trigger-failure: shown as the decline reason' }),
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
