/**
 * Statuses of payments, escrows, withdrawals and orders (the seed's values),
 * the transitions each allows, and the one mapping from gateway webhook
 * statuses to payment statuses.
 */
export const PAYMENT_STATUSES = ['menunggu', 'berhasil', 'gagal', 'kadaluarsa'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const ESCROW_STATUSES = ['held', 'released', 'disputed', 'partial_released', 'refunded', 'completed'] as const;
export type EscrowStatus = (typeof ESCROW_STATUSES)[number];

/** `rejected`: an admin refused it; `failed`: the bank refused it or could not be reached. Both return the money. */
export const WITHDRAWAL_STATUSES = ['pending', 'processing', 'completed', 'failed', 'rejected'] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];

export const ORDER_STATUSES = [
  'menunggu_pembayaran',
  'dibayar',
  'dikerjakan',
  'menunggu_review',
  'selesai',
  'dispute',
  'dibatalkan',
  'refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A refund's life: waiting for the client's account (virtual account and bank transfer payments), being paid, paid, or refused by the bank (another account may be given). */
export const REFUND_STATUSES = ['menunggu_rekening', 'processing', 'completed', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
/** Refunds whose account the client may (still) give. */
export const ACCOUNT_AWAITING_REFUND_STATUSES: readonly RefundStatus[] = ['menunggu_rekening', 'failed'];
export const REFUND_KINDS = ['escrow_refund', 'late_payment'] as const;
export type RefundKind = (typeof REFUND_KINDS)[number];

export const DISPUTE_STATUSES = ['open', 'resolved'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
/** An admin's decision on a dispute: all to the freelancer, X to the freelancer and the rest back, or all back. */
export const DISPUTE_DECISIONS = ['release', 'partial', 'refund'] as const;
export type DisputeDecision = (typeof DISPUTE_DECISIONS)[number];
/** What each decision leaves the escrow and the order in. */
export const DISPUTE_OUTCOMES: Record<DisputeDecision, { escrow: EscrowStatus; order: OrderStatus }> = {
  release: { escrow: 'released', order: 'selesai' },
  partial: { escrow: 'partial_released', order: 'selesai' },
  refund: { escrow: 'refunded', order: 'refunded' },
};

/** Who asks to cancel an order. */
export type CancellingRole = 'client' | 'freelancer' | 'admin';

/**
 * The cancellation rules, by the order's status (null: allowed). Before the
 * payment settles the client or an admin; paid with the work not started
 * anyone of the three (a full refund); work started only the freelancer
 * (declining) or an admin, the client opens a dispute instead; afterwards never.
 */
export function cancellationRefusal(status: OrderStatus, role: CancellingRole): string | null {
  switch (status) {
    case 'menunggu_pembayaran':
      return role === 'freelancer' ? 'only the client or an admin may cancel an order before it is paid' : null;
    case 'dibayar':
      return null;
    case 'dikerjakan':
    case 'menunggu_review':
      return role === 'client'
        ? `order is ${status}: the work has started, so the client cannot cancel it; open a dispute instead (POST /api/payments/escrow/dispute)`
        : null;
    case 'dispute':
      return 'order is in dispute; an admin decides it (POST /api/admin/disputes/resolve)';
    default:
      return `order is ${status}; it can no longer be cancelled`;
  }
}

/** Orders the client may still release (and the auto-release may finish): paid, work started, work delivered. */
export const RELEASABLE_ORDER_STATUSES: readonly OrderStatus[] = ['dibayar', 'dikerjakan', 'menunggu_review'];

/**
 * Work progress, the order module's side, while the escrow is held: the
 * order's freelancer starts the work and delivers it. Each step moves the
 * order from one status to the next; the escrow stays held.
 */
export const WORK_STEPS = {
  start: { from: 'dibayar', to: 'dikerjakan', refusal: 'work can only start on a dibayar order' },
  deliver: { from: 'dikerjakan', to: 'menunggu_review', refusal: 'work can only be delivered on a dikerjakan order' },
} as const satisfies Record<string, { from: OrderStatus; to: OrderStatus; refusal: string }>;
export type WorkStep = keyof typeof WORK_STEPS;

/** Why a work step is refused on an order in `status` (null: it may be taken). */
export function workStepRefusal(step: WorkStep, status: OrderStatus): string | null {
  return status === WORK_STEPS[step].from ? null : `order is ${status}; ${WORK_STEPS[step].refusal}`;
}

const PAYMENT_TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  menunggu: ['berhasil', 'gagal', 'kadaluarsa'],
  berhasil: [],
  gagal: [],
  kadaluarsa: [],
};

const ESCROW_TRANSITIONS: Record<EscrowStatus, readonly EscrowStatus[]> = {
  held: ['released', 'disputed', 'refunded'],
  disputed: ['released', 'partial_released', 'refunded'],
  released: ['completed'],
  partial_released: ['completed'],
  refunded: [],
  completed: [],
};

const WITHDRAWAL_TRANSITIONS: Record<WithdrawalStatus, readonly WithdrawalStatus[]> = {
  pending: ['processing', 'rejected'],
  processing: ['completed', 'failed'],
  completed: [],
  failed: [],
  rejected: [],
};

/** Withdrawals that hold their escrow's money: at most one per escrow (a completed one closes it for good). */
export const LIVE_WITHDRAWAL_STATUSES: readonly WithdrawalStatus[] = ['pending', 'processing', 'completed'];
/** Withdrawals that ended without paying: the money is withdrawable again. */
export const RETURNED_WITHDRAWAL_STATUSES: readonly WithdrawalStatus[] = ['failed', 'rejected'];

export function canTransitionPayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return PAYMENT_TRANSITIONS[from].includes(to);
}
export function canTransitionEscrow(from: EscrowStatus, to: EscrowStatus): boolean {
  return ESCROW_TRANSITIONS[from].includes(to);
}
export function canTransitionWithdrawal(from: WithdrawalStatus, to: WithdrawalStatus): boolean {
  return WITHDRAWAL_TRANSITIONS[from].includes(to);
}

/** Escrow statuses from which the freelancer may withdraw. */
export const WITHDRAWABLE_ESCROW_STATUSES: readonly EscrowStatus[] = ['released', 'partial_released'];

/** Gateway (Midtrans-style) transaction statuses accepted on the webhook. */
export const GATEWAY_STATUSES = ['settlement', 'capture', 'deny', 'cancel', 'failure', 'expire', 'pending'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

const GATEWAY_TO_PAYMENT: Record<GatewayStatus, PaymentStatus | null> = {
  settlement: 'berhasil',
  capture: 'berhasil',
  deny: 'gagal',
  cancel: 'gagal',
  failure: 'gagal',
  expire: 'kadaluarsa',
  pending: null, // no change
};

/** The payment status a gateway status moves a payment to; null means "no change". */
export function paymentStatusForGateway(status: GatewayStatus): PaymentStatus | null {
  return GATEWAY_TO_PAYMENT[status];
}

/** The order status that follows a final payment status. */
export function orderStatusForPayment(status: PaymentStatus): OrderStatus {
  return status === 'berhasil' ? 'dibayar' : status === 'menunggu' ? 'menunggu_pembayaran' : 'dibatalkan';
}
