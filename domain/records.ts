import type { PaymentMethod, PayoutMethod } from './methods';
import { payoutAmounts } from './money';
import type {
  DisputeDecision,
  DisputeStatus,
  EscrowStatus,
  OrderStatus,
  PaymentStatus,
  RefundKind,
  RefundStatus,
  WithdrawalStatus,
} from './statuses';

/**
 * The records of the service, declared once: the database rows (db/), the
 * workflow's views (workflows/messages.ts) and the activity inputs derive from
 * these with Pick / Omit. Field names follow the seed contract. Times are
 * ISO-8601 strings, money whole rupiah.
 */
export interface OrderRecord {
  id: string;
  client_id: string;
  freelancer_id: string;
  judul: string;
  harga: number;
  status: OrderStatus;
  pembayaran_id: string | null;
  escrow_id: string | null;
  pencairan_id: string | null;
  /**
   * 1: the workflow decides the payment itself (orders paid before the payment path moved); 2: the database
   * decides, one payment per order (a failure cancels it); 3: the database decides, and a failed or cancelled
   * payment may be followed by another while the order's payment window is open.
   */
  workflow_version: number | null;
  created_at: string;
  updated_at: string;
}

/** Marks on money that arrived after its payment had expired or failed. */
export const LATE_PAYMENT_MARKS = ['due'] as const;
export type LatePaymentMark = (typeof LATE_PAYMENT_MARKS)[number];

export interface PaymentRecord {
  id: string;
  pesanan_id: string;
  user_id: string;
  transaction_id: string;
  nomor_invoice: string;
  jumlah: number;
  biaya_platform: number;
  biaya_gateway: number;
  total_bayar: number;
  metode_pembayaran: string;
  channel: string;
  payment_gateway: string;
  gateway_reference: string | null;
  payment_url: string | null;
  payment_instructions: Record<string, unknown> | null;
  status: PaymentStatus;
  gateway_status: string | null;
  expires_at: string;
  dibayar_pada: string | null;
  /** The status the order's workflow was last told; null: never started for this payment. */
  workflow_synced_status: PaymentStatus | null;
  /** The workflow has not been told the current status yet (the payments outbox). */
  workflow_pending: boolean;
  /** `due` when a settlement arrived after the payment expired or failed. */
  refund_status: LatePaymentMark | null;
  late_settled_at: string | null;
  late_gateway_status: string | null;
  created_at: string;
  updated_at: string;
}

export interface EscrowRecord {
  id: string;
  pembayaran_id: string;
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  jumlah_ditahan: number;
  biaya_platform: number;
  jumlah_bersih: number;
  status: EscrowStatus;
  ditahan_pada: string;
  akan_dirilis_pada: string;
  dirilis_pada: string | null;
  /** `admin` when a dispute's decision released it */
  dirilis_oleh: 'client' | 'auto' | 'admin' | null;
  alasan: string | null;
  /** X, what a partial release gave the freelancer (then biaya_platform and jumlah_bersih are X's); null otherwise */
  jumlah_dirilis: number | null;
  created_at: string;
  updated_at: string;
}

/** A dispute over a held escrow: opened by the order's client or freelancer, decided by an admin. One per escrow. */
export interface DisputeRecord {
  id: string;
  escrow_id: string;
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  dibuka_oleh: string;
  peran_pembuka: 'client' | 'freelancer';
  alasan: string;
  status: DisputeStatus;
  keputusan: DisputeDecision | null;
  jumlah_freelancer: number | null;
  diputuskan_oleh: string | null;
  alasan_keputusan: string | null;
  dibuka_pada: string;
  diputuskan_pada: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Money owed back to a client, one per payment: an escrow refund (a
 * cancellation or a dispute's decision) or a late payment. Paid to the
 * payment's source (`metode` source), or to the account the client gave.
 */
export interface RefundRecord {
  id: string;
  pembayaran_id: string;
  pesanan_id: string;
  client_id: string;
  jumlah: number;
  jenis: RefundKind;
  alasan: string;
  metode: 'source' | 'transfer_bank' | 'e_wallet';
  channel: string | null;
  nomor_rekening: string | null;
  nama_pemilik: string | null;
  status: RefundStatus;
  /** accounts the client has given (the n-th is paid out under the key `<id>:n`, the first under `<id>`) */
  rekening_ke: number;
  referensi_gateway: string | null;
  failure_reason: string | null;
  workflow_started: boolean;
  selesai_pada: string | null;
  created_at: string;
  updated_at: string;
}

export interface WithdrawalRecord {
  id: string;
  escrow_id: string;
  pesanan_id: string;
  freelancer_id: string;
  jumlah: number;
  biaya_platform: number;
  jumlah_bersih: number;
  metode_pencairan: string;
  /** the bank (transfer_bank) or provider (e_wallet); null only for withdrawals made before channels existed */
  channel: string | null;
  nomor_rekening: string;
  nama_pemilik: string;
  status: WithdrawalStatus;
  /** why it was rejected (the admin) or failed (the bank) */
  alasan: string | null;
  /** the escrow's id while the withdrawal is live or completed; null once it failed or was rejected */
  live_escrow_id: string | null;
  bukti_transfer: string | null;
  referensi_payout: string | null;
  dicairkan_pada: string | null;
  created_at: string;
  updated_at: string;
}

/** A new payment as the API opens it (status menunggu). */
export type NewPayment = Pick<
  PaymentRecord,
  | 'id'
  | 'pesanan_id'
  | 'user_id'
  | 'transaction_id'
  | 'nomor_invoice'
  | 'jumlah'
  | 'biaya_platform'
  | 'biaya_gateway'
  | 'total_bayar'
  | 'metode_pembayaran'
  | 'channel'
  | 'payment_gateway'
  | 'expires_at'
  | 'created_at'
>;

/** What the gateway answered when the charge was opened. */
export type ChargeDetails = Pick<PaymentRecord, 'gateway_reference' | 'payment_url' | 'payment_instructions'>;

export type NewEscrow = Pick<
  EscrowRecord,
  | 'id'
  | 'pembayaran_id'
  | 'pesanan_id'
  | 'client_id'
  | 'freelancer_id'
  | 'jumlah_ditahan'
  | 'biaya_platform'
  | 'jumlah_bersih'
  | 'ditahan_pada'
  | 'akan_dirilis_pada'
>;

// ---- the order workflow's views of these records -----------------------------

export type PaymentView = Pick<
  PaymentRecord,
  | 'pesanan_id'
  | 'transaction_id'
  | 'nomor_invoice'
  | 'jumlah'
  | 'biaya_platform'
  | 'biaya_gateway'
  | 'total_bayar'
  | 'channel'
  | 'status'
  | 'payment_url'
  | 'payment_instructions'
  | 'created_at'
  | 'expires_at'
  | 'dibayar_pada'
  | 'gateway_status'
> & { payment_id: string; metode_pembayaran: PaymentMethod };

export type EscrowView = Pick<
  EscrowRecord,
  | 'pembayaran_id'
  | 'pesanan_id'
  | 'jumlah_ditahan'
  | 'biaya_platform'
  | 'jumlah_bersih'
  | 'status'
  | 'ditahan_pada'
  | 'akan_dirilis_pada'
  | 'dirilis_pada'
  | 'dirilis_oleh'
  | 'alasan'
> & { escrow_id: string; jumlah_dirilis?: number | null };

export type WithdrawalView = Pick<
  WithdrawalRecord,
  | 'escrow_id'
  | 'freelancer_id'
  | 'jumlah'
  | 'biaya_platform'
  | 'jumlah_bersih'
  | 'status'
  | 'bukti_transfer'
  | 'dicairkan_pada'
  | 'created_at'
> & { withdrawal_id: string; metode_pencairan: PayoutMethod; channel?: string | null; alasan?: string | null };

/** How a payment was decided, as the database recorded it: what the order's workflow is told. */
export interface PaymentOutcome {
  payment_id: string;
  status: Exclude<PaymentStatus, 'menunggu'>;
  gateway_status: string | null;
  dibayar_pada: string | null;
  /** the held escrow, for a settled payment */
  escrow: EscrowView | null;
  /** the order is cancelled with this payment's failure (POST /api/orders/:id/cancel): no other payment follows */
  order_cancelled?: boolean;
  /**
   * The payment itself, when the workflow may not know it: the answer to closing
   * the order's payment window names whichever payment has the order's last word.
   */
  payment?: PaymentView;
}

export function paymentViewOf(p: PaymentRecord): PaymentView {
  return {
    payment_id: p.id,
    pesanan_id: p.pesanan_id,
    transaction_id: p.transaction_id,
    nomor_invoice: p.nomor_invoice,
    jumlah: p.jumlah,
    biaya_platform: p.biaya_platform,
    biaya_gateway: p.biaya_gateway,
    total_bayar: p.total_bayar,
    metode_pembayaran: p.metode_pembayaran as PaymentMethod,
    channel: p.channel,
    status: p.status,
    payment_url: p.payment_url,
    payment_instructions: p.payment_instructions,
    created_at: p.created_at,
    expires_at: p.expires_at,
    dibayar_pada: p.dibayar_pada,
    gateway_status: p.gateway_status,
  };
}

export function escrowViewOf(e: EscrowRecord): EscrowView {
  return {
    escrow_id: e.id,
    pembayaran_id: e.pembayaran_id,
    pesanan_id: e.pesanan_id,
    jumlah_ditahan: e.jumlah_ditahan,
    biaya_platform: e.biaya_platform,
    jumlah_bersih: e.jumlah_bersih,
    status: e.status,
    ditahan_pada: e.ditahan_pada,
    akan_dirilis_pada: e.akan_dirilis_pada,
    dirilis_pada: e.dirilis_pada,
    dirilis_oleh: e.dirilis_oleh,
    alasan: e.alasan,
    ...(e.jumlah_dirilis != null ? { jumlah_dirilis: e.jumlah_dirilis } : {}),
  };
}

/** Whether a refund goes back to its payment's source (QRIS, e-wallet, card), rather than to an account the client gives. */
export function refundsToItsSource(r: Pick<RefundRecord, 'metode' | 'status'>): boolean {
  return r.metode === 'source' && r.status !== 'menunggu_rekening';
}

/** A refund as the workflows know it (workflows/messages.ts RefundView). */
export function refundViewOf(r: RefundRecord) {
  return {
    refund_id: r.id,
    pesanan_id: r.pesanan_id,
    client_id: r.client_id,
    jumlah: r.jumlah,
    status: r.status,
    to_source: refundsToItsSource(r),
  };
}

/** The outcome of a decided payment (status other than menunggu). */
export function paymentOutcomeOf(
  p: PaymentRecord,
  escrow: EscrowRecord | null,
  orderStatus?: OrderStatus,
): PaymentOutcome {
  if (p.status === 'menunggu') throw new Error(`payment ${p.id} is not decided yet`);
  const outcome: PaymentOutcome = {
    payment_id: p.id,
    status: p.status,
    gateway_status: p.gateway_status,
    dibayar_pada: p.dibayar_pada,
    escrow: escrow && escrowViewOf(escrow),
  };
  // a failed payment of an order that is cancelled: the workflow stops waiting for another payment
  if (p.status === 'gagal' && orderStatus === 'dibatalkan') outcome.order_cancelled = true;
  return outcome;
}

/** The escrow a settled payment holds: the order's price, released after `autoReleaseMs` unless someone acts. */
export function heldEscrow(
  id: string,
  p: Pick<PaymentRecord, 'id' | 'pesanan_id' | 'jumlah'>,
  order: Pick<OrderRecord, 'client_id' | 'freelancer_id'>,
  heldAt: Date,
  autoReleaseMs: number,
): NewEscrow {
  const amounts = payoutAmounts(p.jumlah);
  return {
    id,
    pembayaran_id: p.id,
    pesanan_id: p.pesanan_id,
    client_id: order.client_id,
    freelancer_id: order.freelancer_id,
    jumlah_ditahan: amounts.jumlah,
    biaya_platform: amounts.biaya_platform,
    jumlah_bersih: amounts.jumlah_bersih,
    ditahan_pada: heldAt.toISOString(),
    akan_dirilis_pada: new Date(heldAt.getTime() + autoReleaseMs).toISOString(),
  };
}
