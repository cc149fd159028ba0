/**
 * Failure types that cross from activities to the workflows (an
 * ApplicationFailure's `type`), defined once for both sides.
 */
/** The bank refused a payout for good (the old payout path's activity): no retry can pay it. */
export const PAYOUT_REFUSED = 'PAYOUT_REFUSED';
