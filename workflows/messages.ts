import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PaymentMethod, PayoutMethod } from '../domain/methods';
import type { EscrowStatus, GatewayStatus, OrderStatus, PaymentStatus, WithdrawalStatus } from '../domain/statuses';

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

export interface OrderWorkflowInput {
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  harga: number;
  /** Duration strings (`24h`, `7d`, `5s`) fixed when the order starts. */
  payment_expiry: string;
  escrow_auto_release_after: string;
}

export interface CreatePaymentRequest {
  user_id: string;
  jumlah: number;
  metode_pembayaran: PaymentMethod;
  channel: string;
}

export interface PaymentView {
  payment_id: string;
  pesanan_id: string;
  transaction_id: string;
  nomor_invoice: string;
  jumlah: number;
  biaya_platform: number;
  biaya_gateway: number;
  total_bayar: number;
  metode_pembayaran: PaymentMethod;
  channel: string;
  status: PaymentStatus;
  payment_url: string | null;
  payment_instructions: Record<string, unknown> | null;
  created_at: string;
  expires_at: string;
  dibayar_pada: string | null;
  gateway_status: string | null;
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

export interface EscrowView {
  escrow_id: string;
  pembayaran_id: string;
  pesanan_id: string;
  jumlah_ditahan: number;
  biaya_platform: number;
  jumlah_bersih: number;
  status: EscrowStatus;
  ditahan_pada: string;
  akan_dirilis_pada: string;
  dirilis_pada: string | null;
  dirilis_oleh: 'client' | 'auto' | null;
  alasan: string | null;
}

export interface ReleaseEscrowRequest {
  user_id: string;
  reason: string | null;
}

export interface WithdrawRequest {
  freelancer_id: string;
  metode_pencairan: PayoutMethod;
  nomor_rekening: string;
  nama_pemilik: string;
  /** MOCK_AUTO_WITHDRAWAL: pay out at once instead of waiting for approval. */
  auto_process: boolean;
}

export interface WithdrawalView {
  withdrawal_id: string;
  escrow_id: string;
  freelancer_id: string;
  jumlah: number;
  biaya_platform: number;
  jumlah_bersih: number;
  metode_pencairan: PayoutMethod;
  status: WithdrawalStatus;
  bukti_transfer: string | null;
  dicairkan_pada: string | null;
  created_at: string;
}

/** What a history entry is about: readers see only the topics they may read. */
export type HistoryTopic = 'order' | 'payment' | 'escrow' | 'withdrawal';

export interface OrderState {
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  harga: number;
  order_status: OrderStatus;
  payment: PaymentView | null;
  escrow: EscrowView | null;
  withdrawal: WithdrawalView | null;
  /** Human-readable lifecycle, newest last. */
  history: { at: string; topic: HistoryTopic; event: string }[];
}

export const createPaymentUpdate = defineUpdate<PaymentView, [CreatePaymentRequest]>('createPayment');
export const paymentNotificationUpdate = defineUpdate<NotificationResult, [PaymentNotification]>('paymentNotification');
export const releaseEscrowUpdate = defineUpdate<EscrowView, [ReleaseEscrowRequest]>('releaseEscrow');
export const withdrawUpdate = defineUpdate<WithdrawalView, [WithdrawRequest]>('withdraw');
export const statusQuery = defineQuery<OrderState>('status');
