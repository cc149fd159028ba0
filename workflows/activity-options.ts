import { ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';
import type { OrderActivities } from '../activities';

/** The order workflow's activities, and how each kind is retried. */
export const acts = proxyActivities<OrderActivities>({ startToCloseTimeout: '30s' });

/**
 * Short database writes decided inside a workflow task run as local
 * activities: no activity task round trip through the server. They run at
 * least once, so each is idempotent (guarded by the state it expects).
 */
export const LOCAL_DB_WRITE: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
};
export const localActs = proxyLocalActivities<OrderActivities>(LOCAL_DB_WRITE);

// Database writes are idempotent, so they retry until they succeed: the money is already decided.
export const DB_WRITE: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
// Opening the charge: a client waits on the answer, so give up after a few tries.
export const OPEN_CHARGE: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 4 },
};
// Paying out: idempotent by withdrawal id at the gateway, retried until it goes through.
export const PAYOUT: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
};

// Requesting a payout: idempotent by withdrawal id at the gateway. Temporary failures (the bank is
// unavailable) retry with backoff up to PAYOUT_MAX_ATTEMPTS (set per request); a refusal is an answer, not a failure.
export const PAYOUT_REQUEST: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 8 },
};

// Refunding (to the source, or paying out to the client's account): idempotent by the refund's key at the gateway,
// so retried with backoff without a limit until it goes through; a refusal for good (REFUND_REFUSED) is not retried.
export const REFUND_CALL: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    nonRetryableErrorTypes: ['REFUND_REFUSED'],
  },
};

/** Rejects an update in its validator: the API maps `type` to an HTTP status. */
export function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
