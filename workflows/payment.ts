import { condition, setHandler } from '@temporalio/workflow';
import { LOCAL_DB_WRITE, localActs } from './activity-options';
import type { OrderContext, PaymentPhaseResult } from './context';
import { PaymentOutcome, PaymentView, paymentCreatedSignal, paymentOutcomeSignal } from './messages';

/**
 * The payment phase: the database decides, the workflow follows.
 *
 * The API records the payment and opens the charge before it
 * signals-with-start this workflow (`paymentCreated`, and the payment in the
 * input); a gateway notification is decided in the database and then
 * signalled (`paymentOutcome`). The workflow's own decision is the expiry:
 * when the timer fires it asks the database to expire the payment, and the
 * database answers with the payment's final word — expired, or settled or
 * failed by a notification that got there first. Whichever way, the workflow
 * adopts what the database holds.
 */
export async function paymentPhase(ctx: OrderContext): Promise<PaymentPhaseResult> {
  const { input, state, record } = ctx;
  let decided: PaymentPhaseResult | undefined;
  const adoptPayment = (p: PaymentView) => {
    if (state.payment) return; // a repeated signal (a retried request, the sweep) changes nothing
    state.payment = { ...p };
    record(`payment ${p.transaction_id} created: Rp ${p.total_bayar} by ${p.metode_pembayaran}, expires ${p.expires_at}`, 'payment');
  };
  // Adopted in the handler itself, so an update in the same workflow task (a release) already sees the escrow.
  const adoptDecision = (o: PaymentOutcome) => {
    if (decided !== undefined || o.payment_id !== state.payment?.payment_id) return;
    if (o.status === 'berhasil' && !o.escrow) return; // malformed: the expiry will ask the database, which has the escrow
    decided = adoptOutcome(ctx, o);
  };
  if (input.payment) adoptPayment(input.payment);
  setHandler(paymentCreatedSignal, adoptPayment);
  setHandler(paymentOutcomeSignal, adoptDecision);

  await condition(() => state.payment !== null);
  const payment = state.payment!;
  const expiresInMs = Math.max(1, Date.parse(payment.expires_at) - Date.now());
  await condition(() => decided !== undefined, expiresInMs, { summary: `payment expiry (${input.payment_expiry}) at ${payment.expires_at}` });
  if (decided === undefined) {
    adoptDecision(
      await localActs.expirePayment.executeWithOptions(
        { ...LOCAL_DB_WRITE, summary: `expire payment ${payment.transaction_id} unless the database already decided it` },
        [{ payment_id: payment.payment_id }],
      ),
    );
  }
  return decided!;
}

function adoptOutcome({ input, state, record }: OrderContext, o: PaymentOutcome): PaymentPhaseResult {
  const payment = state.payment!;
  payment.status = o.status;
  payment.gateway_status = o.gateway_status;
  payment.dibayar_pada = o.dibayar_pada;
  if (o.status === 'berhasil') {
    const escrow = o.escrow!;
    state.escrow = { ...escrow };
    state.order_status = 'dibayar';
    record(`payment settled (${o.gateway_status}); Rp ${escrow.jumlah_ditahan} held in escrow until ${escrow.akan_dirilis_pada}`, 'escrow');
    return 'settled';
  }
  state.order_status = 'dibatalkan';
  record(o.status === 'kadaluarsa' ? `payment expired after ${input.payment_expiry}; order cancelled` : `payment failed (${o.gateway_status}); order cancelled`, 'payment');
  return 'closed';
}
