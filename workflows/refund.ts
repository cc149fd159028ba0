import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { refundPayoutKey, refundWorkflowId } from '../domain/ids';
import { parseDuration } from '../domain/duration';
import { ACCOUNT_AWAITING_REFUND_STATUSES } from '../domain/statuses';
import { RefundRecord, refundViewOf } from '../domain/records';
import { DB_WRITE, REFUND_CALL, acts, reject } from './activity-options';
import type { OrderContext } from './context';
import {
  ERROR_TYPES,
  OrderState,
  PayoutState,
  RefundAccountRequest,
  RefundView,
  RefundWorkflowInput,
  payoutResultSignal,
  refundAccountUpdate,
  refundStatusQuery,
} from './messages';
import { awaitPayoutOutcome } from './payout';
import { OrderIdKey, RefundStatusKey } from './search-attributes';

/** The first wait for a refund payout's notification before asking the gateway (then doubling, up to an hour). */
const PAYOUT_CHECK_AFTER = '1m';

/**
 * One refund, paid. QRIS, e-wallet and card payments are refunded to their
 * source through the gateway; virtual account and bank transfer payments wait
 * (`menunggu_rekening`) for the client to give an account, then are paid out
 * to it. A payout the bank refuses leaves the refund `failed` until the client
 * gives another account. The refund is `completed`, with its `refund_paid`
 * journal, only when the gateway confirms it.
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundView> {
  const { transaction_id, account: given, account_attempt: _attempt, ...view } = input;
  const state: RefundView = { ...view };
  const history: { at: string; event: string }[] = [];
  const record = (event: string) => {
    history.push({ at: new Date().toISOString(), event });
    upsertSearchAttributes([
      { key: OrderIdKey, value: state.pesanan_id },
      { key: RefundStatusKey, value: state.status },
    ]);
    setCurrentDetails(
      `**Refund** ${state.refund_id}: ${state.status} (Rp ${state.jumlah}, ${state.to_source ? "to the payment's source" : 'to an account the client gives'})\n\nOrder ${state.pesanan_id}\n\nLast: ${event}`,
    );
  };
  let account: RefundAccountRequest | undefined = given;
  /** which account the client gave last (its payout's key is `refundPayoutKey(id, n)`): counted by the database, so a new run never reuses a refused payout's key */
  let accountAttempt = input.account_attempt ?? 1;
  let recording = false;
  /**
   * The bank's refusal is being recorded (failRefund): the database may already
   * say `failed`, so a client who read it and gives another account at once is
   * accepted, and waits for the workflow to catch up.
   */
  let failing = false;
  const results: Record<string, PayoutState> = {};
  setHandler(refundStatusQuery, () => ({ ...state, history }));
  setHandler(payoutResultSignal, (r) => {
    if (r.status === 'completed' || r.status === 'failed') results[r.idempotency_key] ??= r;
  });
  setHandler(
    refundAccountUpdate,
    async (req) => {
      recording = true;
      try {
        if (failing) await condition(() => !failing);
        const result = await acts.recordRefundAccount.executeWithOptions(
          { ...DB_WRITE, summary: `record the refund account (${req.metode_pencairan}, ${req.channel})` },
          [
            {
              refund_id: state.refund_id,
              metode: req.metode_pencairan,
              channel: req.channel,
              nomor_rekening: req.nomor_rekening,
              nama_pemilik: req.nama_pemilik,
              client_id: state.client_id,
            },
          ],
        );
        if (result.status !== 'processing' || !result.changed)
          reject(
            ERROR_TYPES.invalidTransition,
            `refund is ${result.status}; an account is given only while it waits for one`,
          );
        account = req;
        accountAttempt = result.attempt;
        state.status = 'processing';
        record(`account given by the client (${req.metode_pencairan}, ${req.channel}); paying the refund out to it`);
      } finally {
        recording = false;
      }
      return state;
    },
    {
      validator: (req) => {
        if (req.user_id.toLowerCase() !== state.client_id.toLowerCase())
          reject(ERROR_TYPES.forbidden, "only the order's client may give the refund's account");
        if (state.to_source)
          reject(ERROR_TYPES.invalidTransition, "this refund goes back to the payment's source; it needs no account");
        if (recording)
          reject(ERROR_TYPES.invalidTransition, 'an account is already being recorded; try again in a moment');
        if (!failing && !ACCOUNT_AWAITING_REFUND_STATUSES.includes(state.status))
          reject(
            ERROR_TYPES.invalidTransition,
            `refund is ${state.status}; an account is given only while it waits for one (menunggu_rekening, or failed)`,
          );
      },
    },
  );

  record(
    `refund of Rp ${state.jumlah} ${state.to_source ? "to the payment's source" : state.status === 'menunggu_rekening' ? "waiting for the client's account" : "to the client's account"}`,
  );
  if (state.to_source) {
    const done = await acts.refundToSource.executeWithOptions(
      {
        ...REFUND_CALL,
        summary: `refund Rp ${state.jumlah} of ${transaction_id} to its source (idempotency key ${state.refund_id})`,
      },
      [{ refund_id: state.refund_id, transaction_id, amount: state.jumlah }],
    );
    await complete(state, done.reference, done.refunded_at, record);
  } else {
    for (;;) {
      if (state.status !== 'processing' || !account)
        await condition(() => state.status === 'processing' && account !== undefined);
      const to = account!;
      const key = refundPayoutKey(state.refund_id, accountAttempt);
      const payout = await payOutRefund(state, to, key, results);
      if (payout.status === 'completed') {
        await complete(state, payout.reference, payout.completed_at ?? new Date().toISOString(), record);
        break;
      }
      failing = true;
      await acts.failRefund.executeWithOptions(
        { ...DB_WRITE, summary: 'the bank refused the account: refund failed until another is given' },
        [{ refund_id: state.refund_id, reason: payout.failure_reason ?? 'the bank refused the payout' }],
      );
      state.status = 'failed';
      account = undefined;
      failing = false;
      record(
        `the bank refused the account: ${payout.failure_reason ?? 'refused'}; waiting for the client to give another`,
      );
    }
  }
  await condition(allHandlersFinished);
  return state;
}

async function complete(
  state: RefundView,
  reference: string,
  at: string,
  record: (event: string) => void,
): Promise<void> {
  await acts.completeRefund.executeWithOptions({ ...DB_WRITE, summary: `record the refund as paid (${reference})` }, [
    { refund_id: state.refund_id, referensi_gateway: reference, selesai_pada: at },
  ]);
  state.status = 'completed';
  record(`refund of Rp ${state.jumlah} completed (${reference})`);
}

/** Pays the refund out to the client's account (idempotent by `key`) and waits for the bank's answer: its notification, or the gateway's status endpoint. */
async function payOutRefund(
  state: RefundView,
  to: RefundAccountRequest,
  key: string,
  results: Record<string, PayoutState>,
): Promise<PayoutState> {
  const payout = await acts.requestPayout.executeWithOptions(
    { ...REFUND_CALL, summary: `pay out the refund: Rp ${state.jumlah} (idempotency key ${key})` },
    [
      {
        withdrawal_id: key,
        amount: state.jumlah,
        method: to.metode_pencairan,
        channel: to.channel,
        nomor_rekening: to.nomor_rekening,
        nama_pemilik: to.nama_pemilik,
      },
    ],
  );
  return awaitPayoutOutcome(payout, key, results, parseDuration(PAYOUT_CHECK_AFTER), 'refund payout');
}

/**
 * The escrow's exit owes the client a refund: the order's state holds it, and
 * its amount goes into the history under the refund topic (the client's and
 * admins', hidden from the freelancer). No record: the exit's own entry that
 * follows publishes both.
 */
export function oweRefund(state: OrderState, refund: RefundRecord, at: string): void {
  state.refund = refundViewOf(refund);
  state.history.push({
    at,
    topic: 'refund',
    event: `Rp ${refund.jumlah} owed back to the client (refund ${refund.id})`,
  });
}

/**
 * The order workflow starts the refund its escrow's exit decided as a child
 * workflow (`refund-<id>`, left running if the order's workflow ends) and
 * answers a promise of its end. A refund whose workflow the sweep started
 * first is followed there.
 */
export async function startRefund({ state, record }: OrderContext): Promise<{ done: Promise<void> }> {
  const r = state.refund!;
  try {
    const child = await startChild(refundWorkflow, {
      workflowId: refundWorkflowId(r.refund_id),
      args: [{ ...r, transaction_id: state.payment!.transaction_id }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // one run per refund: one the sweep started (and even finished) first is followed there, never run again
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: OrderIdKey, value: r.pesanan_id },
        { key: RefundStatusKey, value: r.status },
      ],
      staticSummary: `Refund ${r.refund_id}: Rp ${r.jumlah} to the client of order ${r.pesanan_id}`,
    });
    record(
      `refund ${r.refund_id} started (${r.to_source ? "to the payment's source" : "waiting for the client's account"})`,
      'refund',
    );
    return {
      done: child.result().then(
        (end) => {
          state.refund = { ...r, status: end.status };
          record(`refund ${r.refund_id} completed: Rp ${r.jumlah} back to the client`, 'refund');
        },
        // a refund the gateway refused for good fails its own workflow (red in the Web UI); the order's finishes
        (err: Error) =>
          record(
            `refund ${r.refund_id} did not complete (${innermost(err).message}); see workflow ${refundWorkflowId(r.refund_id)}`,
            'refund',
          ),
      ),
    };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    record(`refund ${r.refund_id} is already being paid by its own workflow`, 'refund');
    return { done: Promise.resolve() };
  }
}

/** The innermost cause of a failure (a child's failure wraps its activity's, which wraps the gateway's own words). */
function innermost(err: Error): Error {
  let e = err;
  while (e.cause instanceof Error) e = e.cause;
  return e;
}
