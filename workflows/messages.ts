import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentMethod, PayoutMethod } from '../domain/methods';
import type { EscrowView, PaymentOutcome, PaymentView, WithdrawalView } from '../domain/records';
import type {
  CancellingRole,
  DisputeDecision,
  DisputeStatus,
  EscrowStatus,
  GatewayStatus,
  OrderStatus,
  PaymentStatus,
  RefundStatus,
} from '../domain/statuses';
import type { PayoutState } from '../gateway/mock-bank';

export type { EscrowView, PaymentOutcome, PaymentView, PayoutState, WithdrawalView };

/**
 * The order workflow's messages, defined once and used by both the workflow
 * and the API. Updates are validated before anything is written: a rejected
 * update fails with an ApplicationFailure whose `type` is one of ERROR_TYPES.
 */
export const ERROR_TYPES = {
  invalidTransition: 'INVALID_TRANSITION',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  invalidInput: 'INVALID_INPUT',
} as const;

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';

/**
 * The patch that moved the payment path into the database (workflows/payment.ts).
 * Orders whose history lacks its marker run the old in-workflow payment phase
 * and finish as they started.
 */
export const PAYMENT_DECIDED_BY_DATABASE = 'payment-decided-by-database';

/**
 * The patch that made payouts asynchronous and fallible (workflows/payout.ts):
 * admin approval, rejection, payout notifications, failures that return the
 * money. Orders that withdrew before it keep the old payout (payout-legacy.ts).
 */
export const PAYOUTS_CAN_FAIL = 'payouts-can-fail';

/**
 * The patch that lets a failed or cancelled payment be followed by another
 * (workflows/payment.ts): the order has one payment window, PAYMENT_EXPIRY from
 * its first payment; a failure leaves it waiting for the next payment until the
 * window closes. Orders started before it keep the one-payment rule (a failure
 * cancels the order).
 */
export const PAYMENT_CAN_BE_RETRIED = 'payment-can-be-retried';

/**
 * The patch that records the failure of a payment whose outcome reached the
 * workflow after the order's next payment did (workflows/payment.ts): the
 * history then still says the earlier payment failed or was cancelled.
 * Histories from before it skipped that line.
 */
export const LATE_FAILURE_RECORDED = 'late-failure-recorded';

export interface OrderWorkflowInput {
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  harga: number;
  /** Duration strings (`24h`, `7d`, `5s`) fixed when the order starts. */
  payment_expiry: string;
  escrow_auto_release_after: string;
  /**
   * The order's payment, as the database recorded it when the API opened it
   * (the payment path that the database decides). Absent for orders started
   * before that change, which create their payment with `createPaymentUpdate`.
   */
  payment?: PaymentView;
  /**
   * A run started only to pay the escrow out again: the order's first run has
   * ended, and a payout contradiction that returned its money was resolved by
   * an admin (api/routes/withdrawals.ts). It skips the payment and the escrow's
   * hold and goes straight to the withdrawal.
   */
  resume_payout?: { payment: PaymentView; escrow: EscrowView; order_status: OrderStatus };
}

export interface CreatePaymentRequest {
  user_id: string;
  jumlah: number;
  metode_pembayaran: PaymentMethod;
  channel: string;
}

export interface PaymentNotification {
  transaction_id: string;
  transaction_status: GatewayStatus;
  gross_amount: number;
}

export interface NotificationResult {
  transaction_id: string;
  status: PaymentStatus;
  escrow_id: string | null;
  /** false when the notification was a duplicate, a `pending`, or lost a race to the expiry timer */
  changed: boolean;
}

export interface ReleaseEscrowRequest {
  user_id: string;
  reason: string | null;
}

/** Work progress (start, deliver): the order's freelancer, while the escrow is held. */
export interface WorkProgressRequest {
  user_id: string;
}

/** The order after a work step. */
export interface WorkProgressResult {
  pesanan_id: string;
  order_status: OrderStatus;
}

export interface WithdrawRequest {
  freelancer_id: string;
  metode_pencairan: PayoutMethod;
  nomor_rekening: string;
  nama_pemilik: string;
  /** MOCK_AUTO_WITHDRAWAL: pay out at once instead of waiting for approval. */
  auto_process: boolean;
  /** The bank or e-wallet provider (normalised by the API; absent in requests made before channels existed). */
  channel?: string;
  /** PAYOUT_MAX_ATTEMPTS and PAYOUT_STATUS_CHECK_AFTER, fixed when the withdrawal is requested. */
  payout_max_attempts?: number;
  payout_status_check_after?: string;
}

/** An admin's decision on a pending withdrawal. */
export interface WithdrawalDecision {
  withdrawal_id: string;
  decision: 'approve' | 'reject';
  admin_id: string;
  alasan: string | null;
  /** PAYOUT_MAX_ATTEMPTS and PAYOUT_STATUS_CHECK_AFTER when approved (for a withdrawal requested before they existed) */
  payout_max_attempts?: number;
  payout_status_check_after?: string;
}

/** What a history entry is about: readers see only the topics they may read. */
export type HistoryTopic = 'order' | 'payment' | 'escrow' | 'withdrawal' | 'dispute' | 'refund';

/** A client or freelancer disputes the held escrow. */
export interface OpenDisputeRequest {
  user_id: string;
  role: 'client' | 'freelancer';
  alasan: string;
}

/** An admin decides the dispute. */
export interface ResolveDisputeRequest {
  admin_id: string;
  keputusan: DisputeDecision;
  /** X, for a partial decision */
  jumlah_freelancer: number | null;
  alasan: string;
}

/** The order's dispute as its workflow knows it. */
export interface DisputeView {
  dispute_id: string;
  status: DisputeStatus;
  dibuka_oleh: string;
  peran_pembuka: 'client' | 'freelancer';
  alasan: string;
  dibuka_pada: string;
  keputusan: DisputeDecision | null;
  jumlah_freelancer: number | null;
  diputuskan_oleh: string | null;
  alasan_keputusan: string | null;
  diputuskan_pada: string | null;
}

/** Someone cancels the order after its payment settled (the API cancels one that is not paid yet). */
export interface CancelOrderRequest {
  user_id: string;
  role: CancellingRole;
  alasan: string;
}

export interface CancelOrderResult {
  pesanan_id: string;
  order_status: OrderStatus;
  escrow_status: EscrowStatus | null;
  refund_id: string | null;
}

/** A refund as the workflows know it (the record is in the database: GET /api/payments/refunds/:id). */
export interface RefundView {
  refund_id: string;
  pesanan_id: string;
  client_id: string;
  jumlah: number;
  status: RefundStatus;
  /** to the payment's source, or to an account the client gives */
  to_source: boolean;
}

/** The refund workflow's input: the refund and the payment it returns money of. */
export interface RefundWorkflowInput extends RefundView {
  transaction_id: string;
  /** the account already given (a refund whose workflow the sweep starts after the client gave one), and which it is (1st, 2nd, …) */
  account?: RefundAccountRequest;
  account_attempt?: number;
}

/** The client gives the account a virtual account or bank transfer payment's refund is paid to. */
export interface RefundAccountRequest {
  user_id: string;
  metode_pencairan: 'transfer_bank' | 'e_wallet';
  channel: string;
  nomor_rekening: string;
  nama_pemilik: string;
}

export interface OrderState {
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  harga: number;
  order_status: OrderStatus;
  payment: PaymentView | null;
  escrow: EscrowView | null;
  withdrawal: WithdrawalView | null;
  /** the escrow's dispute, once opened (absent in workflows started before disputes existed) */
  dispute?: DisputeView | null;
  /** the refund the order decided (a cancellation or a dispute's decision) */
  refund?: RefundView | null;
  /** Human-readable lifecycle, newest last. */
  history: { at: string; topic: HistoryTopic; event: string }[];
}

/**
 * The payment path (orders whose payment the database decides). The API opens
 * the payment and signals-with-start the workflow; a gateway notification is
 * decided in the database and signalled. Both are idempotent: the workflow
 * takes the first payment and the first outcome for it, and ignores repeats.
 */
export const paymentCreatedSignal = defineSignal<[PaymentView]>('paymentCreated');
export const paymentOutcomeSignal = defineSignal<[PaymentOutcome]>('paymentOutcome');

/** Orders started before the payment path moved to the database still use these two. */
export const createPaymentUpdate = defineUpdate<PaymentView, [CreatePaymentRequest]>('createPayment');
export const paymentNotificationUpdate = defineUpdate<NotificationResult, [PaymentNotification]>('paymentNotification');
export const releaseEscrowUpdate = defineUpdate<EscrowView, [ReleaseEscrowRequest]>('releaseEscrow');
/** The freelancer starts the work (dibayar → dikerjakan) and delivers it (dikerjakan → menunggu_review); the escrow stays held. */
export const startWorkUpdate = defineUpdate<WorkProgressResult, [WorkProgressRequest]>('startWork');
export const deliverWorkUpdate = defineUpdate<WorkProgressResult, [WorkProgressRequest]>('deliverWork');
/** The order's client or freelancer disputes the held escrow; an admin decides it. */
export const openDisputeUpdate = defineUpdate<DisputeView, [OpenDisputeRequest]>('openDispute');
export const resolveDisputeUpdate = defineUpdate<OrderState, [ResolveDisputeRequest]>('resolveDispute');
/** A cancellation after the payment settled: the escrow is refunded in full. */
export const cancelOrderUpdate = defineUpdate<CancelOrderResult, [CancelOrderRequest]>('cancelOrder');
/** The refund workflow: the client gives an account (refunds that cannot go back to their source), and its state. */
export const refundAccountUpdate = defineUpdate<RefundView, [RefundAccountRequest]>('giveRefundAccount');
export const refundStatusQuery = defineQuery<RefundView & { history: { at: string; event: string }[] }>('refundStatus');
export const REFUND_WORKFLOW_TYPE = 'refundWorkflow';
export const withdrawUpdate = defineUpdate<WithdrawalView, [WithdrawRequest]>('withdraw');
export const decideWithdrawalUpdate = defineUpdate<WithdrawalView, [WithdrawalDecision]>('decideWithdrawal');
/** The gateway's payout notification, verified by the API (the payout's state at the gateway). Repeats are ignored. */
export const payoutResultSignal = defineSignal<[PayoutState]>('payoutResult');
export const statusQuery = defineQuery<OrderState>('status');
