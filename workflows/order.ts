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
import type { UpdateDefinition } from '@temporalio/common';
import { parseDuration } from '../domain/duration';
import { WORK_STEPS, WorkStep, workStepRefusal } from '../domain/statuses';
import { DB_WRITE, acts, reject } from './activity-options';
import type { OrderContext } from './context';
import {
  ERROR_TYPES,
  HistoryTopic,
  PAYMENT_DECIDED_BY_DATABASE,
  OrderState,
  OrderWorkflowInput,
  ReleaseEscrowRequest,
  WorkProgressRequest,
  WorkProgressResult,
  deliverWorkUpdate,
  releaseEscrowUpdate,
  startWorkUpdate,
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
  /** A work step (start, deliver) being recorded: the release waits for it to finish, and another step is refused meanwhile. */
  progressing?: WorkStep;
}

function escrowMessages(ctx: OrderContext): EscrowMessages {
  const { input, state } = ctx;
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
  workProgress(ctx, m, 'start', startWorkUpdate);
  workProgress(ctx, m, 'deliver', deliverWorkUpdate);
  return m;
}

/** How each work step reads in refusals, the history and activity summaries. */
const STEP_WORDS: Record<WorkStep, { forbidden: string; busy: string; event: string }> = {
  start: { forbidden: 'only the order\'s freelancer may start its work', busy: 'started', event: 'work started by the freelancer' },
  deliver: { forbidden: 'only the order\'s freelancer may deliver its work', busy: 'delivered', event: 'work delivered; waiting for the client\'s review' },
};

/**
 * Work progress while the escrow is held: the order's freelancer starts the
 * work (dibayar → dikerjakan) and delivers it (dikerjakan → menunggu_review).
 * The escrow stays held and the auto-release timer keeps running from
 * `ditahan_pada`; a release (by the client or the timer) that comes while a
 * step is being recorded waits for it, and a step that comes once a release
 * has begun is refused, so one of the two always finishes cleanly.
 */
function workProgress({ input, state, record }: OrderContext, m: EscrowMessages, step: WorkStep, update: UpdateDefinition<WorkProgressResult, [WorkProgressRequest]>): void {
  const { from, to, refusal } = WORK_STEPS[step];
  const words = STEP_WORDS[step];
  setHandler(
    update,
    async () => {
      m.progressing = step;
      try {
        const result = await acts.changeOrderStatus.executeWithOptions(
          { ...DB_WRITE, summary: `order ${from} → ${to}: ${words.event}` },
          [{ pesanan_id: input.pesanan_id, from, to, actor: { type: 'user', id: input.freelancer_id.toLowerCase(), role: 'freelancer' } }],
        );
        // the database holds the order elsewhere (nothing was written): refuse rather than follow
        if (result.status !== to) reject(ERROR_TYPES.invalidTransition, `order is ${result.status ?? 'missing'}; ${refusal}`);
        state.order_status = to;
        record(words.event);
      } finally {
        m.progressing = undefined;
      }
      return { pesanan_id: input.pesanan_id, order_status: state.order_status };
    },
    {
      validator: (req) => {
        // ids compare in lower case, as the release's do
        if (req.user_id.toLowerCase() !== input.freelancer_id.toLowerCase()) reject(ERROR_TYPES.forbidden, words.forbidden);
        if (m.progressing) reject(ERROR_TYPES.invalidTransition, `work is already being ${STEP_WORDS[m.progressing].busy}; try again in a moment`);
        const refused = workStepRefusal(step, state.order_status);
        if (refused) reject(ERROR_TYPES.invalidTransition, refused);
        if (!state.escrow || state.escrow.status !== 'held') reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow?.status ?? 'not held yet'}; work progresses only while it is held`);
        if (m.autoReleasing) reject(ERROR_TYPES.invalidTransition, 'escrow is being released automatically (the review period is over); the order is finishing');
        if (m.release) reject(ERROR_TYPES.invalidTransition, 'escrow is being released by the client; the order is finishing');
      },
    },
  );
}

/** The client releases the escrow, or it is released automatically when the review period ends. */
async function holdEscrow({ input, state, record }: OrderContext, m: EscrowMessages, releaseInMs: number): Promise<void> {
  const escrow = state.escrow!;
  await condition(() => m.release !== undefined, releaseInMs, {
    summary: `escrow auto-release (${input.escrow_auto_release_after}) at ${escrow.akan_dirilis_pada}`,
  });
  const releasedByClient = m.release !== undefined;
  m.autoReleasing = !releasedByClient;
  // a work step already being recorded finishes first; the order then finishes from the status it reached
  if (m.progressing) await condition(() => m.progressing === undefined);
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
