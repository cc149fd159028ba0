import { Principal, canSeeEscrow, canSeeOrder, canSeePayment, canSeeWithdrawal } from './access';

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
  'withdrawal.contradicted',
  'refund.contradicted',
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
  // the gateway's record of a payout contradicted the outcome recorded: the record now follows the gateway, and the money is frozen for an admin
  'withdrawal.payout_contradicted': { type: 'withdrawal.contradicted', to: ['freelancer'] },
  'refund.payout_contradicted': { type: 'refund.contradicted', to: ['client'] },
};

/** The records events are about (the audit trail's record types). */
export type EventRecordType = 'order' | 'payment' | 'escrow' | 'withdrawal' | 'dispute' | 'refund';

interface Parties {
  client_id: string;
  freelancer_id: string;
}

/** Whether a party may read the record an event is about, by the access rules of its own reads. */
function mayRead(p: Principal, record: EventRecordType, order: Parties): boolean {
  switch (record) {
    case 'payment':
    case 'refund': // the client's money
      return canSeePayment(p, order);
    case 'withdrawal': // the order's freelancer withdraws
      return canSeeWithdrawal(p, { freelancer_id: order.freelancer_id });
    case 'escrow':
    case 'dispute': // a dispute is read on its escrow
      return canSeeEscrow(p, order);
    case 'order':
      return canSeeOrder(p, order);
  }
}

/**
 * What a party that may not read the record still sees of it on its own reads
 * of the order, besides the status change: the freelancer a payment's id and
 * status (the order's payment list), the client a withdrawal's id (on the
 * order and the escrow) and status (the lifecycle), the freelancer a refund's
 * status only. (Every party an event goes to reads orders, escrows and disputes.)
 */
const SEEN_WITHOUT_ACCESS: Record<EventRecordType, string[]> = {
  payment: ['payment_id'],
  withdrawal: ['withdrawal_id', 'escrow_id'],
  refund: [],
  escrow: [],
  dispute: [],
  order: [],
};

/** One copy of an event: the recipients who may read the same, and that. */
export interface EventCopy {
  recipients: string[];
  data: Record<string, unknown>;
}

/**
 * Each recipient gets what its own reads would show: the record's fields for a
 * party the access rules let read it, its status change (and the ids its reads
 * of the order show) for one they do not — the freelancer never sees the
 * client's transaction id, total or method, the client never the freelancer's
 * payout. Recipients who may read the same share one copy, so an event most
 * parties read alike stays one event. Without an order, one copy to nobody.
 */
export function eventCopies(
  to: Party[],
  record: EventRecordType,
  data: Record<string, unknown>,
  order: Parties | undefined,
): EventCopy[] {
  if (!order) return [{ recipients: [], data }];
  const copies: EventCopy[] = [];
  const seen = new Set<string>();
  for (const party of to) {
    const id = order[`${party}_id`];
    if (typeof id !== 'string' || seen.has(id)) continue;
    seen.add(id);
    const shown = mayRead({ id, role: party }, record, order)
      ? data
      : pick(data, ['status_before', 'status_after', ...SEEN_WITHOUT_ACCESS[record]]);
    const same = copies.find((c) => JSON.stringify(c.data) === JSON.stringify(shown));
    if (same) same.recipients.push(id);
    else copies.push({ recipients: [id], data: shown });
  }
  return copies;
}

function pick(data: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, data[k]]));
}

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
