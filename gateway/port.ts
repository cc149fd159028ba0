import type { ChargeRequest } from './instructions';
import type { Charge, RefundRequest, RefundState } from './mock-gateway';
import type { PayoutRequest, PayoutState } from './mock-bank';

/**
 * What the service needs from a payment gateway. Every call is idempotent by
 * the key the service sends (the transaction id for a charge, the withdrawal
 * id for a payout), so a retried call never charges or pays twice. The mock
 * gateway is one implementation; a real gateway's adapter will be another.
 */
export interface PaymentGateway {
  /** Opens a charge, or returns the one already open under this transaction id. */
  createCharge(req: ChargeRequest): Promise<Charge>;
  /**
   * Cancels (voids) an open charge so it can no longer be paid; answers what became of it: `voided`, or
   * `settled` when its money had already arrived (the service then waits for the settlement's notification).
   */
  cancelCharge(req: {
    transaction_id: string;
    reason: string;
  }): Promise<{ transaction_id: string; status: 'voided' | 'settled' }>;
  /** Requests a payout (queued, or failed when the bank refuses the account), or returns the one already requested under this idempotency key. */
  payout(req: PayoutRequest): Promise<PayoutState>;
  /** Cancels a payout request the bank has not taken (so a request still in flight never pays); answers the payout's final state either way. */
  cancelPayout(req: { idempotency_key: string; amount: number; reason: string }): Promise<PayoutState>;
  /** Refunds a settled charge to its source (QRIS, e-wallet, card), or returns the refund already made under this idempotency key. */
  refund(req: RefundRequest): Promise<RefundState>;
  /** A payout's current status, by idempotency key. */
  getPayout(idempotencyKey: string): Promise<PayoutState | undefined>;
}
