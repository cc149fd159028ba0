import { condition, patched, setHandler } from '@temporalio/workflow';
import { LOCAL_DB_WRITE, localActs } from './activity-options';
import type { OrderContext, PaymentPhaseResult } from './context';
import {
  LATE_FAILURE_RECORDED,
  PAYMENT_CAN_BE_RETRIED,
  PaymentOutcome,
  PaymentView,
  paymentCreatedSignal,
  paymentOutcomeSignal,
} from './messages';

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
 *
 * Since `payment-can-be-retried` the order has one payment window, from its
 * first payment's creation to that payment's `expires_at` (every later payment
 * of the order expires then too): a payment that fails or that the client
 * cancels leaves the workflow waiting for the next one (`paymentCreated` again)
 * until the window closes; then it asks the database to close the window
 * (expire a live payment, cancel an order without a settled one) and adopts its
 * answer. Workflows started before keep the one-payment rule.
 */
export async function paymentPhase(ctx: OrderContext): Promise<PaymentPhaseResult> {
  const retries = patched(PAYMENT_CAN_BE_RETRIED);
  const { input, state, record } = ctx;
  let decided: PaymentPhaseResult | undefined;
  /** Every payment the workflow has adopted, by id (a repeated or older signal changes nothing); the current one is `state.payment`. */
  const known = new Map<string, PaymentView>();
  /** The order's payment window: it closes when the first payment the workflow adopted expires. */
  let windowEnd = '';
  const recordFailure = (transactionId: string, gatewayStatus: string | null, afterwards: string) =>
    record(
      `payment ${transactionId} ${gatewayStatus === 'cancel' ? 'cancelled by the client' : `failed (${gatewayStatus})`}; ${afterwards}`,
      'payment',
    );
  const adoptPayment = (p: PaymentView) => {
    if (state.payment) {
      // a repeated signal (a retried request, the sweep) changes nothing; so does another payment, on the one-payment rule
      if (!retries || decided !== undefined || known.has(p.payment_id)) return;
      // a newer payment: the database let it follow the current one, which has failed (its outcome may still be on the way)
      if (Date.parse(p.created_at) <= Date.parse(state.payment.created_at)) return;
    }
    state.payment = { ...p };
    known.set(p.payment_id, state.payment);
    windowEnd ||= p.expires_at;
    record(
      `payment ${p.transaction_id} created: Rp ${p.total_bayar} by ${p.metode_pembayaran}, expires ${p.expires_at}`,
      'payment',
    );
  };
  // Adopted in the handler itself, so an update in the same workflow task (a release) already sees the escrow.
  const adoptDecision = (o: PaymentOutcome) => {
    if (o.payment_id !== state.payment?.payment_id) {
      // An earlier payment's failure that reached the workflow after the order's next payment (each payment is
      // delivered on its own): the history still tells it, once, as late news; nothing else changes.
      const earlier = known.get(o.payment_id);
      if (
        retries &&
        earlier &&
        earlier.status !== 'gagal' &&
        o.status === 'gagal' &&
        !o.order_cancelled &&
        patched(LATE_FAILURE_RECORDED)
      ) {
        earlier.status = 'gagal';
        earlier.gateway_status = o.gateway_status;
        recordFailure(earlier.transaction_id, o.gateway_status, "told after the order's next payment was created");
      }
      return;
    }
    if (decided !== undefined) return;
    if (o.status === 'berhasil' && !o.escrow) return; // malformed: the expiry will ask the database, which has the escrow
    if (retries && o.status === 'gagal' && !o.order_cancelled) {
      // the order stays open: the client may pay again, with any method, until the window closes
      const payment = state.payment;
      if (payment.status === 'gagal') return; // a repeat
      payment.status = 'gagal';
      payment.gateway_status = o.gateway_status;
      recordFailure(payment.transaction_id, o.gateway_status, `waiting for another payment until ${windowEnd}`);
      return;
    }
    decided = adoptOutcome(ctx, o);
  };
  if (input.payment) adoptPayment(input.payment);
  setHandler(paymentCreatedSignal, adoptPayment);
  setHandler(paymentOutcomeSignal, adoptDecision);

  await condition(() => state.payment !== null);
  const first = state.payment!;
  const expiresInMs = Math.max(1, Date.parse(windowEnd) - Date.now());
  if (!retries) {
    await condition(() => decided !== undefined, expiresInMs, {
      summary: `payment expiry (${input.payment_expiry}) at ${first.expires_at}`,
    });
    if (decided === undefined) {
      adoptDecision(
        await localActs.expirePayment.executeWithOptions(
          {
            ...LOCAL_DB_WRITE,
            summary: `expire payment ${first.transaction_id} unless the database already decided it`,
          },
          [{ payment_id: first.payment_id }],
        ),
      );
    }
    return decided!;
  }
  await condition(() => decided !== undefined, expiresInMs, {
    summary: `payment window (${input.payment_expiry} from the first payment) closes at ${windowEnd}`,
  });
  if (decided === undefined) {
    const current = state.payment!;
    const answer = await localActs.expirePayment.executeWithOptions(
      {
        ...LOCAL_DB_WRITE,
        summary: `close the payment window: expire payment ${current.transaction_id} unless the database already decided it; cancel the order unless a payment settled`,
      },
      [{ payment_id: current.payment_id, pesanan_id: input.pesanan_id, close_window: true }],
    );
    if (decided === undefined) decided = adoptWindowClosed(ctx, answer, windowEnd, adoptPayment);
  }
  return decided;
}

/** The database's answer to closing the window: a payment settled (perhaps one not yet signalled), or the order is cancelled. */
function adoptWindowClosed(
  ctx: OrderContext,
  answer: PaymentOutcome,
  windowEnd: string,
  adoptPayment: (p: PaymentView) => void,
): PaymentPhaseResult {
  const { state, record } = ctx;
  if (answer.payment && answer.payment.payment_id !== state.payment!.payment_id)
    adoptPayment({ ...answer.payment, status: 'menunggu', gateway_status: null, dibayar_pada: null });
  if (answer.payment_id === state.payment!.payment_id && answer.status === 'berhasil' && answer.escrow)
    return adoptOutcome(ctx, answer);
  const payment = state.payment!;
  if (answer.payment_id === payment.payment_id) {
    payment.status = answer.status;
    payment.gateway_status = answer.gateway_status;
  }
  state.order_status = 'dibatalkan';
  record(
    `payment window closed at ${windowEnd} without a settled payment (payment ${payment.transaction_id} ${payment.status}); order cancelled`,
    'payment',
  );
  return 'closed';
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
    record(
      `payment settled (${o.gateway_status}); Rp ${escrow.jumlah_ditahan} held in escrow until ${escrow.akan_dirilis_pada}`,
      'escrow',
    );
    return 'settled';
  }
  state.order_status = 'dibatalkan';
  if (o.order_cancelled)
    record(
      `order cancelled while waiting for payment; payment ${payment.transaction_id} cancelled at the gateway`,
      'order',
    );
  else
    record(
      o.status === 'kadaluarsa'
        ? `payment expired after ${input.payment_expiry}; order cancelled`
        : `payment failed (${o.gateway_status}); order cancelled`,
      'payment',
    );
  return 'closed';
}
