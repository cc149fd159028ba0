import { z } from 'zod';
import { ROLES } from '../../domain/access';
import { PAYMENT_METHODS, PAYOUT_METHODS } from '../../domain/methods';
import { LATE_PAYMENT_MARKS } from '../../domain/records';
import {
  DISPUTE_DECISIONS,
  DISPUTE_STATUSES,
  ESCROW_STATUSES,
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  REFUND_KINDS,
  REFUND_STATUSES,
  WITHDRAWAL_STATUSES,
} from '../../domain/statuses';

/**
 * Response bodies in zod, as the routes build them (api/views.ts, the route
 * handlers, api/errors.ts). Only for the OpenAPI document and the recorded-
 * response check of the API tests: nothing parses responses with these.
 * Objects are strict (an undocumented field is a mismatch) unless noted.
 */
const id = () => z.uuid();
const time = () => z.string().meta({ format: 'date-time' });
const rupiah = (description?: string) =>
  z
    .number()
    .int()
    .meta(description ? { description } : {});
const nullable = <T extends z.ZodType>(s: T) => s.nullable();

export const ErrorResponse = z
  .strictObject({
    success: z.literal(false),
    error: z.strictObject({
      code: z.string().meta({ examples: ['VALIDATION_ERROR', 'UNAUTHORIZED', 'NOT_FOUND', 'INVALID_TRANSITION'] }),
      message: z.string(),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: 'e.g. `field` and `issues` for a 400, the current `status` for a 409' }),
    }),
  })
  .meta({ description: 'Every answer that is not a success.' });

/** `{ success: true, message, data }` */
export const envelope = <T extends z.ZodType>(data: T) =>
  z.strictObject({ success: z.literal(true), message: z.string(), data });
/** A page of a newest-first (or oldest-first) list. */
export const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    next_cursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
  });

export const Order = z.strictObject({
  id: id(),
  client_id: id(),
  freelancer_id: id(),
  judul: z.string(),
  harga: rupiah(),
  status: z.enum(ORDER_STATUSES),
  payment_id: nullable(id()),
  escrow_id: nullable(id()),
  withdrawal_id: nullable(id()).meta({ description: "the order's latest withdrawal" }),
  workflow_id: z.string().meta({ description: 'the Temporal workflow id, `order-<id>`' }),
  created_at: time(),
  updated_at: time(),
});

/** A payment as its order lists it; the order's freelancer sees only the statuses. */
export const OrderPayment = z.union([
  z.strictObject({
    id: id(),
    transaction_id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    metode_pembayaran: z.enum(PAYMENT_METHODS),
    channel: z.string(),
    total_bayar: rupiah(),
    created_at: time(),
    expires_at: time().meta({ description: "the order's payment window end: every payment of the order expires then" }),
  }),
  z.strictObject({ id: id(), status: z.enum(PAYMENT_STATUSES), created_at: time(), expires_at: time() }),
]);

/** `GET /api/orders/{id}`: the order with every payment it has had. */
export const OrderDetail = Order.extend({
  refund_id: nullable(id()).meta({
    description:
      "the order's refund (GET /api/payments/refunds/{id}); for the client and admins, null for the freelancer",
  }),
  payments: z.array(OrderPayment).meta({
    description:
      'every payment of the order, newest first (a failed or cancelled one may be followed by another while the payment window is open); `payment_id` is the current one',
  }),
});

export const PaymentInstructions = z
  .looseObject({ type: z.string(), title: z.string(), steps: z.array(z.string()) })
  .meta({
    description:
      'Per method: e.g. `qr_url`/`qr_string` (QRIS), `va_number` (virtual account), `deeplink` (e-wallet), destination account (transfer_bank).',
  });

export const Payment = z.strictObject({
  id: id(),
  transaction_id: z.string().meta({ examples: ['PAY-1732780800000-ABC123'] }),
  jumlah: rupiah("the order's price"),
  total_bayar: rupiah('what the client pays: jumlah + 5% platform fee + 1% gateway fee'),
  status: z.enum(PAYMENT_STATUSES),
  metode_pembayaran: z.enum(PAYMENT_METHODS),
  payment_gateway: z.string(),
  nomor_invoice: z.string(),
  dibayar_pada: nullable(time()),
  pesanan_id: id(),
  user_id: id(),
  channel: z.string(),
  biaya_platform: rupiah(),
  biaya_gateway: rupiah(),
  payment_url: nullable(z.string()),
  payment_instructions: nullable(PaymentInstructions),
  expires_at: time(),
  created_at: time(),
  escrow_id: nullable(id()),
  refund_status: nullable(z.enum(LATE_PAYMENT_MARKS)).meta({
    description:
      "`due` marks money that settled after the payment expired, failed or was cancelled (it stays `due`; its refund's progress is on `refund_id`)",
  }),
  late_settled_at: nullable(time()),
  refund_id: nullable(id()).meta({ description: "the payment's refund, if any (a late payment's, or its escrow's)" }),
});

export const CreatedPayment = z.strictObject({
  payment_id: id(),
  transaction_id: z.string(),
  payment_url: nullable(z.string()),
  total_bayar: rupiah(),
  status: z.enum(PAYMENT_STATUSES),
  expires_at: time(),
  payment_instructions: nullable(PaymentInstructions),
  pesanan_id: id(),
  nomor_invoice: z.string(),
  jumlah: rupiah(),
  biaya_platform: rupiah(),
  biaya_gateway: rupiah(),
  metode_pembayaran: z.enum(PAYMENT_METHODS),
  channel: z.string(),
  escrow_id: nullable(id()),
});

export const Dispute = z.strictObject({
  id: id(),
  escrow_id: id(),
  pesanan_id: id(),
  status: z.enum(DISPUTE_STATUSES),
  dibuka_oleh: id().meta({ description: 'who opened it' }),
  peran_pembuka: z.enum(['client', 'freelancer']),
  alasan: z.string(),
  dibuka_pada: time(),
  keputusan: nullable(z.enum(DISPUTE_DECISIONS)),
  jumlah_freelancer: nullable(rupiah('X, for a partial decision')),
  diputuskan_oleh: nullable(id()),
  alasan_keputusan: nullable(z.string()),
  diputuskan_pada: nullable(time()),
});

export const Escrow = z.strictObject({
  id: id(),
  pembayaran_id: id(),
  pesanan_id: id(),
  jumlah_ditahan: rupiah(),
  status: z.enum(ESCROW_STATUSES),
  ditahan_pada: time(),
  akan_dirilis_pada: time(),
  biaya_platform: rupiah(),
  jumlah_bersih: rupiah(),
  client_id: id(),
  freelancer_id: id(),
  dirilis_pada: nullable(time()),
  dirilis_oleh: nullable(z.enum(['client', 'auto', 'admin'])).meta({
    description: "`admin`: a dispute's decision released it",
  }),
  withdrawal_id: nullable(id()),
  jumlah_dirilis: nullable(
    rupiah(
      "a dispute's partial decision: X, what the freelancer received (biaya_platform and jumlah_bersih are then X's)",
    ),
  ),
  dispute: nullable(Dispute).optional().meta({ description: "the escrow's dispute (single read)" }),
  refund_id: nullable(id())
    .optional()
    .meta({ description: "the escrow's refund (single read; the client and admins)" }),
});

export const DisputeListItem = Dispute.extend({
  client_id: id(),
  freelancer_id: id(),
  jumlah_ditahan: rupiah(),
  age_seconds: z.number().int().meta({ description: 'since it was opened (until it was decided, for a resolved one)' }),
});

export const OpenedDispute = z.strictObject({
  escrow_id: id(),
  status: z.literal('disputed'),
  order_status: z.literal('dispute'),
  dispute: nullable(Dispute),
});

export const ResolvedDispute = z.strictObject({
  dispute: Dispute,
  escrow: Escrow,
  order_status: nullable(z.enum(ORDER_STATUSES)),
  refund: nullable(z.strictObject({ id: id(), jumlah: rupiah(), status: z.enum(REFUND_STATUSES) })),
});

export const Refund = z.strictObject({
  id: id(),
  pembayaran_id: id(),
  pesanan_id: id(),
  client_id: id(),
  jumlah: rupiah('what goes back to the client (see the refund policy in the README)'),
  jenis: z.enum(REFUND_KINDS),
  alasan: z.string(),
  status: z.enum(REFUND_STATUSES),
  metode: z
    .enum(['source', ...PAYOUT_METHODS])
    .meta({ description: "`source`: back to the payment's own method; otherwise the account the client gave" }),
  channel: nullable(z.string()),
  nomor_rekening: nullable(z.string()),
  nama_pemilik: nullable(z.string()),
  referensi_gateway: nullable(z.string()),
  failure_reason: nullable(z.string()).meta({
    description: 'why the bank refused the account (status `failed`: give another)',
  }),
  selesai_pada: nullable(time()),
  created_at: time(),
  updated_at: time(),
});

export const CancelledOrder = Order.extend({
  refund_id: nullable(id()).meta({
    description: "a paid order's refund, for the client and admins (null for the freelancer, as on the order's read)",
  }),
  refund_status: nullable(z.enum(REFUND_STATUSES)),
});

export const ReleasedEscrow = z.strictObject({
  escrow_id: id(),
  status: z.enum(ESCROW_STATUSES),
  jumlah_ditahan: rupiah(),
  biaya_platform: rupiah(),
  jumlah_bersih: rupiah(),
  dirilis_pada: nullable(time()),
});

export const Withdrawal = z.strictObject({
  id: id(),
  escrow_id: id(),
  freelancer_id: id(),
  jumlah: rupiah(),
  jumlah_bersih: rupiah(),
  status: z.enum(WITHDRAWAL_STATUSES),
  bukti_transfer: nullable(z.string()),
  biaya_platform: rupiah(),
  metode_pencairan: z.enum(PAYOUT_METHODS),
  channel: nullable(z.string()),
  nomor_rekening: z
    .string()
    .meta({ description: 'in full for its owner and admins (single read), otherwise masked to the last 4 digits' }),
  nama_pemilik: z.string(),
  dicairkan_pada: nullable(time()),
  alasan: nullable(z.string()).meta({ description: 'why it was rejected (the admin) or failed (the bank)' }),
  pesanan_id: id(),
  created_at: time(),
  updated_at: time(),
});

export const CreatedWithdrawal = z.strictObject({
  withdrawal_id: id(),
  status: z.enum(WITHDRAWAL_STATUSES),
  jumlah: rupiah(),
  biaya_platform: rupiah(),
  jumlah_bersih: rupiah(),
  metode_pencairan: z.enum(PAYOUT_METHODS),
  channel: nullable(z.string()).optional(),
  bukti_transfer: nullable(z.string()),
  dicairkan_pada: nullable(time()),
  alasan: nullable(z.string()),
  escrow_id: id(),
});

export const Balance = z.strictObject({
  freelancer_id: id(),
  currency: z.literal('IDR'),
  ditahan: rupiah('in held or disputed escrows'),
  dapat_dicairkan: rupiah('released, not withdrawn or in flight'),
  dalam_proses: rupiah('in pending or processing withdrawals'),
  sudah_dicairkan: rupiah('paid out'),
});

/** The order workflow's `status` query (workflows/messages.ts OrderState); nested records as the workflow keeps them. */
const statusOnly = z.strictObject({ status: z.string() });
export const Lifecycle = z.strictObject({
  pesanan_id: id(),
  client_id: id(),
  freelancer_id: id(),
  harga: rupiah(),
  order_status: z.enum(ORDER_STATUSES),
  payment: z
    .union([
      z.looseObject({
        payment_id: id(),
        transaction_id: z.string(),
        status: z.enum(PAYMENT_STATUSES),
        total_bayar: rupiah(),
      }),
      statusOnly,
    ])
    .nullable(),
  escrow: z.looseObject({ escrow_id: id(), status: z.enum(ESCROW_STATUSES), jumlah_ditahan: rupiah() }).nullable(),
  withdrawal: z
    .union([
      z.looseObject({ withdrawal_id: id(), status: z.enum(WITHDRAWAL_STATUSES), jumlah_bersih: rupiah() }),
      statusOnly,
    ])
    .nullable(),
  dispute: z
    .looseObject({ dispute_id: id(), status: z.enum(DISPUTE_STATUSES) })
    .nullable()
    .optional(),
  refund: z
    .union([z.looseObject({ refund_id: id(), status: z.enum(REFUND_STATUSES), jumlah: rupiah() }), statusOnly])
    .optional()
    .meta({ description: 'its details for the client and admins' }),
  history: z
    .array(
      z.strictObject({
        at: time(),
        topic: z.enum(['order', 'payment', 'escrow', 'withdrawal', 'dispute', 'refund']),
        event: z.string(),
      }),
    )
    .meta({ description: 'newest last; only the topics the caller may read' }),
});

export const LedgerAccounts = z.strictObject({
  sign: z.string(),
  currency: z.literal('IDR'),
  accounts: z.array(
    z.strictObject({
      account: z.string(),
      debit: rupiah(),
      credit: rupiah(),
      balance: z.number().int().meta({ description: 'debit − credit' }),
    }),
  ),
});

export const LedgerJournals = z.strictObject({
  record_id: id(),
  journals: z.array(
    z.strictObject({
      id: z.string(),
      kind: z.string(),
      record_type: z.string(),
      record_id: z.string(),
      pesanan_id: z.string(),
      description: z.string(),
      posted_at: time(),
      entries: z.array(
        z.strictObject({ account: z.string(), debit: rupiah(), credit: rupiah(), currency: z.string() }),
      ),
    }),
  ),
});

export const AuditTrail = z.strictObject({
  record_id: id(),
  entries: z.array(
    z.strictObject({
      id: z.number().int(),
      at: time(),
      actor_type: z.enum(['user', 'gateway', 'system']),
      actor_id: z.string().nullable(),
      actor_role: z.enum(ROLES).nullable(),
      request_id: z.string().nullable(),
      action: z.string(),
      record_type: z.enum(['order', 'payment', 'escrow', 'withdrawal']),
      record_id: z.string(),
      pesanan_id: z.string().nullable(),
      status_before: z.string().nullable(),
      status_after: z.string().nullable(),
    }),
  ),
});

const rate = z.number().nullable();
export const Analytics = z.strictObject({
  currency: z.literal('IDR'),
  from: time(),
  to: time(),
  payments: z.array(
    z.strictObject({
      status: z.string(),
      metode_pembayaran: z.string(),
      count: z.number().int(),
      total_bayar: rupiah(),
    }),
  ),
  platform_revenue: rupiah(),
  gateway_fees: z.strictObject({ paid: rupiah(), recovered: rupiah(), absorbed: rupiah() }),
  escrow_held_now: rupiah(),
  average_hold_to_release_seconds: z.number().nullable(),
  released_in_period: z.number().int(),
  dispute_rate: rate,
  refund_rate: rate,
});

export const Health = z.strictObject({
  success: z.boolean(),
  message: z.enum(['healthy', 'unhealthy']),
  data: z.strictObject({
    database: z.enum(['ok', 'unavailable']).meta({ description: 'the database answers a read' }),
    database_writes: z.enum(['ok', 'read_only', 'full', 'unavailable']).meta({
      description:
        'the database takes writes: `read_only` (a write probe was refused), `full` (a request failed for want of space or memory in the last 30 s), `unavailable` (it does not answer)',
    }),
    temporal: z.enum(['ok', 'unavailable']),
  }),
});

export const PaymentWebhookAnswer = z.strictObject({
  success: z.literal(true),
  transaction_id: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  message: z.string(),
  escrow_id: nullable(id()),
  refund_status: z
    .enum(LATE_PAYMENT_MARKS)
    .nullable()
    .optional()
    .meta({ description: 'present for a settlement that arrived after the payment expired or failed' }),
});

const payoutAnswerFields = {
  success: z.literal(true),
  status: z
    .enum(['completed', 'failed'])
    .meta({ description: "what the notification said, which the gateway's record agrees with" }),
  gateway_status: z
    .enum(['completed', 'failed'])
    .meta({ description: "the gateway's own record of the payout (what the service acted on)" }),
  contradiction_id: id().nullable().meta({
    description:
      "set when the gateway's record contradicts the outcome already recorded: the books follow the gateway and the money is frozen (GET /api/admin/payouts/contradictions)",
  }),
  message: z.string(),
};
export const PayoutWebhookAnswer = z.union([
  z.strictObject({ withdrawal_id: id(), ...payoutAnswerFields }),
  z.strictObject({
    refund_id: id().meta({
      description:
        "a refund paid out to the client's account (its payout key is the refund id, or `<refund id>:<n>` for the n-th account given)",
    }),
    ...payoutAnswerFields,
  }),
]);

export const MockTriggerAnswer = envelope(
  z.strictObject({
    transaction_id: z.string(),
    status: z.enum(PAYMENT_STATUSES).optional(),
    escrow_id: nullable(id()).optional().meta({ description: 'trigger-success' }),
    reason: z.string().optional().meta({ description: 'trigger-failure' }),
  }),
);
