import { Principal, canSeePayment, canSeeWithdrawal, maskAccount } from '../domain/access';
import type { OrderState } from '../workflows/messages';
import type {
  DisputeRecord,
  EscrowRecord,
  OrderRecord,
  PaymentRecord,
  RefundRecord,
  WithdrawalRecord,
} from '../domain/records';

/**
 * Response bodies: the seed's field names first, then the additive fields.
 */
export function orderView(o: OrderRecord) {
  return {
    id: o.id,
    client_id: o.client_id,
    freelancer_id: o.freelancer_id,
    judul: o.judul,
    harga: o.harga,
    status: o.status,
    payment_id: o.pembayaran_id,
    escrow_id: o.escrow_id,
    withdrawal_id: o.pencairan_id,
    workflow_id: `order-${o.id}`,
    created_at: o.created_at,
    updated_at: o.updated_at,
  };
}

/** A payment as the order lists it (`payments`, newest first): enough to tell the tries apart. */
export function orderPaymentView(p: PaymentRecord) {
  return {
    id: p.id,
    transaction_id: p.transaction_id,
    status: p.status,
    metode_pembayaran: p.metode_pembayaran,
    channel: p.channel,
    total_bayar: p.total_bayar,
    created_at: p.created_at,
    expires_at: p.expires_at,
  };
}

export function paymentView(p: PaymentRecord, escrowId: string | null, refundId: string | null = null) {
  return {
    id: p.id,
    transaction_id: p.transaction_id,
    jumlah: p.jumlah,
    total_bayar: p.total_bayar,
    status: p.status,
    metode_pembayaran: p.metode_pembayaran,
    payment_gateway: p.payment_gateway,
    nomor_invoice: p.nomor_invoice,
    dibayar_pada: p.dibayar_pada,
    pesanan_id: p.pesanan_id,
    user_id: p.user_id,
    channel: p.channel,
    biaya_platform: p.biaya_platform,
    biaya_gateway: p.biaya_gateway,
    payment_url: p.payment_url,
    payment_instructions: p.payment_instructions,
    expires_at: p.expires_at,
    created_at: p.created_at,
    escrow_id: escrowId,
    // money that settled after the payment expired or failed: recorded, never applied, refund owed
    refund_status: p.refund_status,
    late_settled_at: p.late_settled_at,
    // the payment's refund (GET /api/payments/refunds/:id): a late payment's, or its escrow's refund
    refund_id: refundId,
  };
}

/** A dispute: who opened it, when and why, and the admin's decision. */
export function disputeView(d: DisputeRecord) {
  return {
    id: d.id,
    escrow_id: d.escrow_id,
    pesanan_id: d.pesanan_id,
    status: d.status,
    dibuka_oleh: d.dibuka_oleh,
    peran_pembuka: d.peran_pembuka,
    alasan: d.alasan,
    dibuka_pada: d.dibuka_pada,
    keputusan: d.keputusan,
    jumlah_freelancer: d.jumlah_freelancer,
    diputuskan_oleh: d.diputuskan_oleh,
    alasan_keputusan: d.alasan_keputusan,
    diputuskan_pada: d.diputuskan_pada,
  };
}

/** A dispute as the admins' list shows it: the parties, the amount held, and its age (until decided, for a resolved one). */
export function disputeListView(d: DisputeRecord & { jumlah_ditahan: number }, now = Date.now()) {
  const end = d.diputuskan_pada ? Date.parse(d.diputuskan_pada) : now;
  return {
    ...disputeView(d),
    client_id: d.client_id,
    freelancer_id: d.freelancer_id,
    jumlah_ditahan: d.jumlah_ditahan,
    age_seconds: Math.max(0, Math.floor((end - Date.parse(d.dibuka_pada)) / 1000)),
  };
}

/** A refund, for the order's client and admins (the account it is paid to is the client's own). */
export function refundView(r: RefundRecord) {
  return {
    id: r.id,
    pembayaran_id: r.pembayaran_id,
    pesanan_id: r.pesanan_id,
    client_id: r.client_id,
    jumlah: r.jumlah,
    jenis: r.jenis,
    alasan: r.alasan,
    status: r.status,
    metode: r.metode,
    channel: r.channel,
    nomor_rekening: r.nomor_rekening,
    nama_pemilik: r.nama_pemilik,
    referensi_gateway: r.referensi_gateway,
    failure_reason: r.failure_reason,
    selesai_pada: r.selesai_pada,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function escrowView(
  e: EscrowRecord,
  withdrawalId: string | null,
  extra: { dispute?: DisputeRecord | null; refund_id?: string | null } = {},
) {
  return {
    id: e.id,
    pembayaran_id: e.pembayaran_id,
    pesanan_id: e.pesanan_id,
    jumlah_ditahan: e.jumlah_ditahan,
    status: e.status,
    ditahan_pada: e.ditahan_pada,
    akan_dirilis_pada: e.akan_dirilis_pada,
    biaya_platform: e.biaya_platform,
    jumlah_bersih: e.jumlah_bersih,
    client_id: e.client_id,
    freelancer_id: e.freelancer_id,
    dirilis_pada: e.dirilis_pada,
    dirilis_oleh: e.dirilis_oleh,
    withdrawal_id: withdrawalId,
    // a dispute's partial decision: X, what the freelancer received (biaya_platform and jumlah_bersih are X's)
    jumlah_dirilis: e.jumlah_dirilis,
    ...('dispute' in extra ? { dispute: extra.dispute ? disputeView(extra.dispute) : null } : {}),
    ...('refund_id' in extra ? { refund_id: extra.refund_id ?? null } : {}),
  };
}

/** The account number in full only for its owner and admins; masked to the last 4 digits for anyone else. */
export function withdrawalView(w: WithdrawalRecord, showFullAccount: boolean) {
  return {
    id: w.id,
    escrow_id: w.escrow_id,
    freelancer_id: w.freelancer_id,
    jumlah: w.jumlah,
    jumlah_bersih: w.jumlah_bersih,
    status: w.status,
    bukti_transfer: w.bukti_transfer,
    biaya_platform: w.biaya_platform,
    metode_pencairan: w.metode_pencairan,
    channel: w.channel,
    nomor_rekening: showFullAccount ? w.nomor_rekening : maskAccount(w.nomor_rekening),
    nama_pemilik: w.nama_pemilik,
    dicairkan_pada: w.dicairkan_pada,
    // why it was rejected (the admin) or failed (the bank)
    alasan: w.alasan,
    pesanan_id: w.pesanan_id,
    created_at: w.created_at,
    updated_at: w.updated_at,
  };
}

/**
 * The workflow's state for someone who may see the order: the payment's and the
 * withdrawal's details only for those who may read them; others see their status.
 */
export function lifecycleView(state: OrderState, p: Principal) {
  const seesPayment = canSeePayment(p, state);
  const seesWithdrawal = state.withdrawal ? canSeeWithdrawal(p, state.withdrawal) : p.role !== 'client';
  return {
    ...state,
    payment: state.payment && (seesPayment ? state.payment : { status: state.payment.status }),
    withdrawal: state.withdrawal && (seesWithdrawal ? state.withdrawal : { status: state.withdrawal.status }),
    // the refund is the client's money: its details for the client and admins, its status for the freelancer
    ...(state.refund ? { refund: seesPayment ? state.refund : { status: state.refund.status } } : {}),
    history: state.history.filter((h) =>
      h.topic === 'payment' || h.topic === 'refund' ? seesPayment : h.topic === 'withdrawal' ? seesWithdrawal : true,
    ),
  };
}
