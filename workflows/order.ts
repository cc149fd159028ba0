import {
  allHandlersFinished,
  condition,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { parseDuration } from '../domain/duration';
import type { OrderContext } from './context';
import { escrowMessages, holdEscrow } from './escrow';
import { HistoryTopic, PAYMENT_DECIDED_BY_DATABASE, OrderState, OrderWorkflowInput, statusQuery } from './messages';
import { payOut, withdrawalMessages } from './payout';
import { startRefund } from './refund';
import { legacyPaymentPhase } from './payment-legacy';
import { paymentPhase } from './payment';

export { PAYMENT_DECIDED_BY_DATABASE };
import {
  DisputeStatusKey,
  EscrowStatusKey,
  OrderIdKey,
  OrderStatusKey,
  PaymentStatusKey,
  RefundStatusKey,
  TransactionIdKey,
  WithdrawalStatusKey,
} from './search-attributes';

/**
 * One order's whole money lifecycle: payment (expires after PAYMENT_EXPIRY),
 * escrow (auto-released after ESCROW_AUTO_RELEASE_AFTER), withdrawal and payout.
 * The workflow orchestrates; the database decides each exactly-once rule;
 * activities write the database and call the gateway.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const paymentDecidedByDatabase = patched(PAYMENT_DECIDED_BY_DATABASE);
  const state: OrderState = {
    pesanan_id: input.pesanan_id,
    client_id: input.client_id,
    freelancer_id: input.freelancer_id,
    harga: input.harga,
    order_status: 'menunggu_pembayaran',
    payment: null,
    escrow: null,
    withdrawal: null,
    history: [],
  };
  const record = (event: string, topic: HistoryTopic = 'order') => {
    state.history.push({ at: new Date().toISOString(), topic, event });
    publish(state, event);
  };
  const ctx: OrderContext = { input, state, record };
  setHandler(statusQuery, () => state);
  if (input.resume_payout) return payOutAgain(ctx, input.resume_payout);
  record('order workflow started; waiting for a payment');
  // The payment phase registers its handlers first (it runs until its first wait): messages that arrived
  // with the workflow's start are then applied in order, so an action sent right after the payment settled
  // (a release, a cancellation, a dispute, a work step) is checked against the escrow the settlement holds.
  const paying = paymentDecidedByDatabase ? paymentPhase(ctx) : legacyPaymentPhase(ctx);
  const messages = escrowMessages(ctx);
  const withdrawals = withdrawalMessages(ctx, () => messages.releasing === true);

  const paid = await paying;
  if (paid === 'settled') {
    const releaseAt = paymentDecidedByDatabase
      ? Date.parse(state.escrow!.akan_dirilis_pada)
      : Date.now() + parseDuration(input.escrow_auto_release_after);
    const exit = await holdEscrow(ctx, messages, () => releaseAt);
    // a refund the escrow's exit decided is paid by its own workflow, while the freelancer withdraws their share
    const refund = state.refund ? await startRefund(ctx) : null;
    if (exit !== 'refunded') await payOut(ctx, withdrawals);
    if (refund) await refund.done;
  }
  // Let in-flight update handlers answer before the workflow closes.
  await condition(allHandlersFinished);
  return state;
}

/**
 * A later run of the order's workflow that only pays the escrow out: the
 * first run ended with a completed payout that the bank then returned, and an
 * admin resolved that contradiction, so the money is withdrawable again.
 */
async function payOutAgain(
  ctx: OrderContext,
  resume: NonNullable<OrderWorkflowInput['resume_payout']>,
): Promise<OrderState> {
  const { state, record } = ctx;
  Object.assign(state, {
    payment: { ...resume.payment },
    escrow: { ...resume.escrow },
    order_status: resume.order_status,
  });
  const withdrawals = withdrawalMessages(ctx);
  record(
    `order workflow started again to pay out Rp ${resume.escrow.jumlah_bersih}: its earlier payout was returned by the bank`,
    'withdrawal',
  );
  await payOut(ctx, withdrawals);
  await condition(allHandlersFinished);
  return state;
}

/** Search attributes and the Web UI's "current details" follow every state change. */
function publish(state: OrderState, lastEvent: string): void {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: OrderIdKey, value: state.pesanan_id },
    { key: OrderStatusKey, value: state.order_status },
  ];
  if (state.payment) {
    pairs.push(
      { key: TransactionIdKey, value: state.payment.transaction_id },
      { key: PaymentStatusKey, value: state.payment.status },
    );
  }
  if (state.escrow) pairs.push({ key: EscrowStatusKey, value: state.escrow.status });
  if (state.withdrawal) pairs.push({ key: WithdrawalStatusKey, value: state.withdrawal.status });
  if (state.dispute) pairs.push({ key: DisputeStatusKey, value: state.dispute.status });
  if (state.refund) pairs.push({ key: RefundStatusKey, value: state.refund.status });
  upsertSearchAttributes(pairs);
  const lines = [
    `**Order** ${state.pesanan_id}: ${state.order_status}`,
    state.payment
      ? `**Payment** ${state.payment.transaction_id}: ${state.payment.status} (Rp ${state.payment.total_bayar})`
      : '**Payment**: not created',
    state.escrow
      ? `**Escrow**: ${state.escrow.status} (Rp ${state.escrow.jumlah_ditahan}, auto-release ${state.escrow.akan_dirilis_pada})`
      : '',
    state.dispute
      ? `**Dispute** (${state.dispute.status}) opened by the ${state.dispute.peran_pembuka}: ${state.dispute.alasan}${state.dispute.keputusan ? `; decided: ${state.dispute.keputusan}` : ''}`
      : '',
    state.refund ? `**Refund** ${state.refund.refund_id}: ${state.refund.status} (Rp ${state.refund.jumlah})` : '',
    state.withdrawal
      ? `**Withdrawal**: ${state.withdrawal.status} (Rp ${state.withdrawal.jumlah_bersih})${state.withdrawal.alasan ? `: ${state.withdrawal.alasan}` : ''}`
      : '',
    `Last: ${lastEvent} (workflow ${workflowInfo().workflowId})`,
  ];
  setCurrentDetails(lines.filter(Boolean).join('\n\n'));
}
