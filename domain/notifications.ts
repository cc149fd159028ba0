/**
 * Events the other modules are told of (the seed's integration list: the
 * freelancer after a payment succeeds, the client after a withdrawal, both on
 * an escrow's auto-release; the order module every order status change).
 *
 * Each event comes from a change the audit trail records: `EVENT_OF_ACTION`
 * maps the audit action to the event type and who receives it. The event is
 * written by the same call as the audit row, in the change's transaction.
 */
export const NOTIFICATION_TYPES = [
  'payment.succeeded',
  'payment.failed',
  'payment.expired',
  'payment.late_settled',
  'escrow.held',
  'escrow.released',
  'order.status_changed',
  'withdrawal.requested',
  'withdrawal.approved',
  'withdrawal.rejected',
  'withdrawal.completed',
  'withdrawal.failed',
  'dispute.opened',
  'dispute.resolved',
  'refund.created',
  'refund.completed',
  'refund.failed',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Who receives an event: the order's parties. */
export type Party = 'client' | 'freelancer';

export const EVENT_OF_ACTION: Record<string, { type: NotificationType; to: Party[] }> = {
  'payment.settled': { type: 'payment.succeeded', to: ['client', 'freelancer'] },
  'payment.failed': { type: 'payment.failed', to: ['client'] },
  'payment.expired': { type: 'payment.expired', to: ['client'] },
  'payment.late_settlement_recorded': { type: 'payment.late_settled', to: ['client'] },
  'escrow.held': { type: 'escrow.held', to: ['client', 'freelancer'] },
  'escrow.released': { type: 'escrow.released', to: ['client', 'freelancer'] },
  'escrow.auto_released': { type: 'escrow.released', to: ['client', 'freelancer'] },
  'order.created': { type: 'order.status_changed', to: ['client', 'freelancer'] },
  'order.status_changed': { type: 'order.status_changed', to: ['client', 'freelancer'] },
  'order.cancelled': { type: 'order.status_changed', to: ['client', 'freelancer'] },
  'withdrawal.requested': { type: 'withdrawal.requested', to: ['freelancer'] },
  'withdrawal.approved': { type: 'withdrawal.approved', to: ['freelancer'] },
  'withdrawal.rejected': { type: 'withdrawal.rejected', to: ['freelancer'] },
  'withdrawal.completed': { type: 'withdrawal.completed', to: ['freelancer', 'client'] },
  'withdrawal.failed': { type: 'withdrawal.failed', to: ['freelancer'] },
  'dispute.opened': { type: 'dispute.opened', to: ['client', 'freelancer'] },
  'dispute.resolved': { type: 'dispute.resolved', to: ['client', 'freelancer'] },
  // a refund is owed: its id, amount and status (`menunggu_rekening`: the client must give an account)
  'refund.created': { type: 'refund.created', to: ['client'] },
  'refund.completed': { type: 'refund.completed', to: ['client'] },
  // the bank refused the account the client gave: another may be given
  'refund.failed': { type: 'refund.failed', to: ['client'] },
};

/** The delivered body: the event id is stable across retries and redeliveries (receivers deduplicate on it). */
export interface NotificationBody {
  id: string;
  type: NotificationType;
  occurred_at: string;
  pesanan_id: string | null;
  recipients: string[];
  data: Record<string, unknown>;
}

/** Backoff before attempt n+1 after n failed attempts: 2 s, 4 s, 8 s, ... capped at 1 h. */
export function notificationBackoffMs(failedAttempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.max(1, Math.min(failedAttempts, 22)));
}
