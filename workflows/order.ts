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
import { DB_WRITE, acts, reject } from './activity-options';
import type { OrderContext } from './context';
import {
  ERROR_TYPES,
  HistoryTopic,
  PAYMENT_DECIDED_BY_DATABASE,
  OrderState,
  OrderWorkflowInput,
  ReleaseEscrowRequest,
  releaseEscrowUpdate,
  statusQuery,
} from './messages';
import { payOut, withdrawalMessages } from './payout';
import { legacyPaymentPhase } from './payment-legacy';
import { paymentPhase } from './payment';

export { PAYMENT_DECIDED_BY_DATABASE };
import {
  EscrowStatusKey,
  OrderIdKey,
  OrderStatusKey,
  PaymentStatusKey,
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
  record('order workflow started; waiting for a payment');
  setHandler(statusQuery, () => state);
  const messages = escrowMessages(ctx);
  const withdrawals = withdrawalMessages(ctx);

  const paid = paymentDecidedByDatabase ? await paymentPhase(ctx) : await legacyPaymentPhase(ctx);
  if (paid === 'settled') {
    const releaseInMs = paymentDecidedByDatabase
      ? Math.max(1, Date.parse(state.escrow!.akan_dirilis_pada) - Date.now())
      : parseDuration(input.escrow_auto_release_after);
    await holdEscrow(ctx, messages, releaseInMs);
    await payOut(ctx, withdrawals);
  }
  // Let in-flight update handlers answer before the workflow closes.
  await condition(allHandlersFinished);
  return state;
}

/** Requests received by the escrow's update handlers and not yet acted on by the main flow. */
interface EscrowMessages {
  release?: ReleaseEscrowRequest;
  /** Set once the auto-release timer has won, so a late client release is refused rather than silently merged. */
  autoReleasing: boolean;
}

function escrowMessages({ input, state }: OrderContext): EscrowMessages {
  const m: EscrowMessages = { autoReleasing: false };
  setHandler(
    releaseEscrowUpdate,
    async (req) => {
      m.release ??= req;
      await condition(() => state.escrow!.status !== 'held');
      return state.escrow!;
    },
    {
      validator: (req) => {
        // ids compare in lower case (an order started before ids were normalised may carry another case)
        if (req.user_id.toLowerCase() !== input.client_id.toLowerCase()) reject(ERROR_TYPES.forbidden, 'only the order\'s client may release its escrow');
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (state.escrow.status !== 'held') {
          reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow.status}; only a held escrow can be released`);
        }
        if (m.autoReleasing) reject(ERROR_TYPES.invalidTransition, 'escrow is being released automatically (the review period is over)');
        if (m.release) reject(ERROR_TYPES.invalidTransition, 'escrow is already being released');
      },
    },
  );
  return m;
}

/** The client releases the escrow, or it is released automatically when the review period ends. */
async function holdEscrow({ input, state, record }: OrderContext, m: EscrowMessages, releaseInMs: number): Promise<void> {
  const escrow = state.escrow!;
  await condition(() => m.release !== undefined, releaseInMs, {
    summary: `escrow auto-release (${input.escrow_auto_release_after}) at ${escrow.akan_dirilis_pada}`,
  });
  const releasedByClient = m.release !== undefined;
  m.autoReleasing = !releasedByClient;
  const releasedAt = new Date().toISOString();
  const alasan = releasedByClient ? m.release!.reason : 'auto-release: no action within the review period';
  const by = releasedByClient ? ('client' as const) : ('auto' as const);
  await acts.releaseEscrow.executeWithOptions(
    { ...DB_WRITE, summary: `release escrow ${releasedByClient ? 'by client' : 'automatically'}` },
    [{ escrow_id: escrow.escrow_id, pesanan_id: input.pesanan_id, dirilis_pada: releasedAt, dirilis_oleh: by, alasan }],
  );
  Object.assign(escrow, { status: 'released', dirilis_pada: releasedAt, dirilis_oleh: by, alasan });
  state.order_status = 'selesai';
  record(releasedByClient ? 'escrow released by the client' : `escrow auto-released after ${input.escrow_auto_release_after}`, 'escrow');
}

/** Search attributes and the Web UI's "current details" follow every state change. */
function publish(state: OrderState, lastEvent: string): void {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: OrderIdKey, value: state.pesanan_id },
    { key: OrderStatusKey, value: state.order_status },
  ];
  if (state.payment) {
    pairs.push({ key: TransactionIdKey, value: state.payment.transaction_id }, { key: PaymentStatusKey, value: state.payment.status });
  }
  if (state.escrow) pairs.push({ key: EscrowStatusKey, value: state.escrow.status });
  if (state.withdrawal) pairs.push({ key: WithdrawalStatusKey, value: state.withdrawal.status });
  upsertSearchAttributes(pairs);
  const lines = [
    `**Order** ${state.pesanan_id}: ${state.order_status}`,
    state.payment ? `**Payment** ${state.payment.transaction_id}: ${state.payment.status} (Rp ${state.payment.total_bayar})` : '**Payment**: not created',
    state.escrow ? `**Escrow**: ${state.escrow.status} (Rp ${state.escrow.jumlah_ditahan}, auto-release ${state.escrow.akan_dirilis_pada})` : '',
    state.withdrawal ? `**Withdrawal**: ${state.withdrawal.status} (Rp ${state.withdrawal.jumlah_bersih})${state.withdrawal.alasan ? `: ${state.withdrawal.alasan}` : ''}` : '',
    `Last: ${lastEvent} (workflow ${workflowInfo().workflowId})`,
  ];
  setCurrentDetails(lines.filter(Boolean).join('\n\n'));
}
