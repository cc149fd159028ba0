import { ActivityFailure, ApplicationFailure, condition, patched, setHandler, uuid4 } from '@temporalio/workflow';
import { parseDuration } from '../domain/duration';
import { LIVE_WITHDRAWAL_STATUSES, WITHDRAWABLE_ESCROW_STATUSES } from '../domain/statuses';
import { DEFAULT_PAYOUT_CHANNEL, PayoutMethod } from '../domain/methods';
import { DB_WRITE, PAYOUT_REQUEST, acts, reject } from './activity-options';
import type { OrderContext } from './context';
import {
  ERROR_TYPES,
  PAYOUTS_CAN_FAIL,
  PayoutState,
  WithdrawRequest,
  WithdrawalDecision,
  decideWithdrawalUpdate,
  payoutResultSignal,
  withdrawUpdate,
} from './messages';
import { legacyPayOut } from './payout-legacy';
import { PAYOUT_REFUSED } from '../domain/failures';

/** How a withdraw request waits for the payout before answering `processing`. */
const PAYOUT_ANSWER_WITHIN = '10s';
/** The longest wait between two status checks of a payout whose notification has not come. */
const MAX_STATUS_CHECK_INTERVAL_MS = 3600_000;

/** Withdrawal requests, admin decisions and payout notifications received and not yet acted on by the main flow. */
export interface WithdrawalMessages {
  /** the withdraw request waiting to be recorded */
  withdraw?: WithdrawRequest;
  /** withdraw requests accepted, and withdrawals recorded: a request's update answers once its withdrawal exists */
  requests: number;
  created: number;
  /** the admin's decision on the pending withdrawal */
  decision?: WithdrawalDecision;
  /** payout notifications by withdrawal id (the first one counts) */
  results: Record<string, PayoutState>;
  /** true when this order's first withdrawal took the PAYOUTS_CAN_FAIL path (false: the old payout, payout-legacy.ts) */
  asyncPayouts: boolean;
  /**
   * A rejection or a refused payout is being recorded (endWithdrawal): the
   * database may already say so, and a freelancer who read it and withdraws
   * again at once is accepted; the request waits for the workflow to catch up.
   */
  ending?: boolean;
}

/** `releasing`: the escrow's release to the freelancer is being recorded (a withdrawal then waits for it). */
export function withdrawalMessages(
  { input, state }: OrderContext,
  releasing: () => boolean = () => false,
): WithdrawalMessages {
  const m: WithdrawalMessages = { requests: 0, created: 0, results: {}, asyncPayouts: false };
  setHandler(
    withdrawUpdate,
    async (req) => {
      const n = ++m.requests;
      m.withdraw = req;
      await condition(() => m.created >= n);
      if (req.auto_process) {
        // Answer with the payout's outcome if it comes quickly; otherwise say it is processing (it goes on).
        await condition(() => ['completed', 'failed'].includes(state.withdrawal!.status), PAYOUT_ANSWER_WITHIN, {
          summary: 'wait briefly for the payout',
        });
      }
      return state.withdrawal!;
    },
    {
      validator: (req) => {
        // ids compare in lower case (an order started before ids were normalised may carry another case)
        if (req.freelancer_id.toLowerCase() !== input.freelancer_id.toLowerCase())
          reject(ERROR_TYPES.forbidden, "only the order's freelancer may withdraw its escrow");
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (m.withdraw) reject(ERROR_TYPES.invalidTransition, 'a withdrawal of this escrow is already being requested');
        if (state.withdrawal && !m.ending && LIVE_WITHDRAWAL_STATUSES.includes(state.withdrawal.status)) {
          reject(
            ERROR_TYPES.invalidTransition,
            state.withdrawal.status === 'completed'
              ? 'this escrow has already been withdrawn'
              : `this escrow has a ${state.withdrawal.status} withdrawal`,
          );
        }
        if (!WITHDRAWABLE_ESCROW_STATUSES.includes(state.escrow.status) && !releasing()) {
          reject(
            ERROR_TYPES.invalidTransition,
            `escrow is ${state.escrow.status}; it can be withdrawn only after it is released`,
          );
        }
      },
    },
  );
  setHandler(
    decideWithdrawalUpdate,
    async (d) => {
      m.decision = d;
      await condition(() => state.withdrawal!.status !== 'pending');
      return state.withdrawal!;
    },
    {
      validator: (d) => {
        const w = state.withdrawal;
        // a withdrawal the database has but this workflow is still recording (its activity in flight)
        if (m.withdraw !== undefined && m.created < m.requests)
          reject(ERROR_TYPES.invalidTransition, 'the withdrawal is still being recorded; try again in a moment');
        if (!w || w.withdrawal_id !== d.withdrawal_id)
          reject(ERROR_TYPES.notFound, 'withdrawal not found in this order');
        if (w.status !== 'pending')
          reject(
            ERROR_TYPES.invalidTransition,
            `withdrawal is ${w.status}; only a pending withdrawal can be approved or rejected`,
          );
        if (m.decision)
          reject(
            ERROR_TYPES.invalidTransition,
            `withdrawal is already being ${m.decision.decision === 'approve' ? 'approved' : 'rejected'}`,
          );
      },
    },
  );
  setHandler(payoutResultSignal, (r) => {
    if (r.status === 'completed' || r.status === 'failed') m.results[r.idempotency_key] ??= r;
  });
  return m;
}

/**
 * The freelancer withdraws; an admin approves (unless auto-processing is on);
 * the payout goes out and the bank completes or refuses it. A rejected or
 * failed withdrawal gives the money back, and the freelancer may withdraw
 * again; the order's workflow ends once a payout completes.
 */
export async function payOut(ctx: OrderContext, m: WithdrawalMessages): Promise<void> {
  await condition(() => m.withdraw !== undefined);
  m.asyncPayouts = patched(PAYOUTS_CAN_FAIL);
  let req = m.withdraw!;
  let w: NewWithdrawal | undefined;
  let legacyPending = false;
  if (!m.asyncPayouts) {
    try {
      await legacyPayOut(ctx, m);
    } catch (err) {
      // the old payout refused for good (no old history has this failure: it used to retry forever)
      if (!(
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === PAYOUT_REFUSED
      ))
        throw err;
      await endWithdrawal(ctx, m, 'failed', err.cause.message, null);
    }
    const left = ctx.state.withdrawal!;
    if (left.status === 'completed') return;
    m.withdraw = undefined;
    // The old code left this withdrawal pending (approval came later): it is decided and paid as today's are.
    // One whose payout the bank refused is failed: the freelancer withdraws again, as today.
    if (left.status === 'pending') {
      w = { id: left.withdrawal_id, escrow_id: left.escrow_id, jumlah_bersih: left.jumlah_bersih, status: 'pending' };
      // its request predates channels and payout limits: the bank the migration gave it, today's limits (below)
      req = { ...req, channel: DEFAULT_PAYOUT_CHANNEL[req.metode_pencairan] };
      legacyPending = true;
    }
  }
  for (;;) {
    if (!w) {
      await condition(() => m.withdraw !== undefined);
      req = m.withdraw!;
      w = await requestWithdrawal(ctx, m, req);
    }
    if (await decideAndPay(ctx, m, req, w, legacyPending)) return;
    w = undefined;
    legacyPending = false;
  }
}

/** An admin decides a pending withdrawal; an approved one is paid out. True once the payout completed. */
async function decideAndPay(
  ctx: OrderContext,
  m: WithdrawalMessages,
  request: WithdrawRequest,
  w: NewWithdrawal,
  legacyPending: boolean,
): Promise<boolean> {
  const { state, record } = ctx;
  let req = request;
  if (state.withdrawal!.status === 'pending') {
    record("withdrawal waiting for an admin's approval", 'withdrawal');
    await condition(() => m.decision !== undefined);
    const d = m.decision!;
    if (legacyPending)
      req = {
        ...req,
        payout_max_attempts: d.payout_max_attempts,
        payout_status_check_after: d.payout_status_check_after,
      };
    if (d.decision === 'reject') {
      await endWithdrawal(
        ctx,
        m,
        'rejected',
        d.alasan ?? 'rejected by an admin',
        d.admin_id,
        `rejected by admin ${d.admin_id}`,
      );
      return false;
    }
    await acts.approveWithdrawal.executeWithOptions(
      { ...DB_WRITE, summary: 'withdrawal approved: pending → processing' },
      [{ withdrawal_id: w.id, admin_id: d.admin_id }],
    );
    state.withdrawal!.status = 'processing';
    record(`withdrawal approved by admin ${d.admin_id}; paying out`, 'withdrawal');
  }
  const result = await sendPayout(ctx, m, req, w);
  if (result.status !== 'completed') {
    await endWithdrawal(ctx, m, 'failed', result.failure_reason ?? 'the bank refused the payout', null);
    return false;
  }
  const completedAt = result.completed_at ?? new Date().toISOString();
  const bukti = result.bukti_transfer ?? '';
  await acts.completeWithdrawal.executeWithOptions({ ...DB_WRITE, summary: 'record payout; escrow completed' }, [
    {
      withdrawal_id: w.id,
      escrow_id: w.escrow_id,
      bukti_transfer: bukti,
      referensi_payout: result.reference,
      dicairkan_pada: completedAt,
    },
  ]);
  Object.assign(state.withdrawal!, { status: 'completed', bukti_transfer: bukti, dicairkan_pada: completedAt });
  state.escrow!.status = 'completed';
  record(`payout ${result.reference} completed; escrow completed`, 'withdrawal');
  return true;
}

type NewWithdrawal = { id: string; escrow_id: string; jumlah_bersih: number; status: 'pending' | 'processing' };

async function requestWithdrawal(
  { input, state, record }: OrderContext,
  m: WithdrawalMessages,
  req: WithdrawRequest,
): Promise<NewWithdrawal> {
  const escrow = state.escrow!;
  const requestedAt = new Date().toISOString();
  const withdrawal = {
    id: uuid4(),
    escrow_id: escrow.escrow_id,
    pesanan_id: input.pesanan_id,
    freelancer_id: input.freelancer_id.toLowerCase(),
    // what was released to the freelancer: all of it, or X of a dispute's partial decision
    jumlah: escrow.jumlah_dirilis ?? escrow.jumlah_ditahan,
    biaya_platform: escrow.biaya_platform,
    jumlah_bersih: escrow.jumlah_bersih,
    metode_pencairan: req.metode_pencairan,
    channel: req.channel ?? null,
    nomor_rekening: req.nomor_rekening,
    nama_pemilik: req.nama_pemilik,
    // paid out at once (processing), or waiting for approval (pending)
    status: req.auto_process ? ('processing' as const) : ('pending' as const),
    created_at: requestedAt,
  };
  await acts.createWithdrawal.executeWithOptions(
    { ...DB_WRITE, summary: `record withdrawal of Rp ${withdrawal.jumlah_bersih} (${withdrawal.status})` },
    [withdrawal],
  );
  state.withdrawal = {
    withdrawal_id: withdrawal.id,
    escrow_id: escrow.escrow_id,
    freelancer_id: input.freelancer_id.toLowerCase(),
    jumlah: withdrawal.jumlah,
    biaya_platform: withdrawal.biaya_platform,
    jumlah_bersih: withdrawal.jumlah_bersih,
    metode_pencairan: req.metode_pencairan,
    channel: withdrawal.channel,
    status: withdrawal.status,
    alasan: null,
    bukti_transfer: null,
    dicairkan_pada: null,
    created_at: requestedAt,
  };
  m.decision = undefined;
  m.withdraw = undefined;
  m.created++;
  record(
    `withdrawal of Rp ${withdrawal.jumlah_bersih} requested to ${req.metode_pencairan}${req.channel ? ` (${req.channel})` : ''}`,
    'withdrawal',
  );
  return withdrawal;
}

/** Rejected or failed: the withdrawal returns its money (the freelancer may withdraw again). */
async function endWithdrawal(
  { state, record }: OrderContext,
  /** a withdraw request that arrives while this is written is taken after it (on the old path `m.withdraw` is still set, so none is accepted) */
  m: WithdrawalMessages,
  status: 'rejected' | 'failed',
  alasan: string,
  adminId: string | null,
  how: string = status,
): Promise<void> {
  const w = state.withdrawal!;
  m.ending = true;
  await acts.endWithdrawal.executeWithOptions(
    { ...DB_WRITE, summary: `withdrawal ${status}; money withdrawable again` },
    [{ withdrawal_id: w.withdrawal_id, status, alasan, admin_id: adminId }],
  );
  Object.assign(w, { status, alasan });
  m.ending = false;
  record(`withdrawal ${how}: ${alasan}; Rp ${w.jumlah_bersih} can be withdrawn again`, 'withdrawal');
}

/**
 * Sends the payout (idempotent by withdrawal id; temporary failures retried up
 * to PAYOUT_MAX_ATTEMPTS) and waits for the bank's answer: the gateway's
 * payout notification, or, when none comes within PAYOUT_STATUS_CHECK_AFTER,
 * the gateway's status endpoint (checked again with a growing interval).
 */
async function sendPayout(
  { record }: OrderContext,
  m: WithdrawalMessages,
  req: WithdrawRequest,
  w: NewWithdrawal,
): Promise<PayoutState> {
  const maxAttempts = req.payout_max_attempts ?? 8;
  let payout: PayoutState;
  try {
    payout = await acts.requestPayout.executeWithOptions(
      {
        ...PAYOUT_REQUEST,
        retry: { ...PAYOUT_REQUEST.retry, maximumAttempts: maxAttempts },
        summary: `pay out Rp ${w.jumlah_bersih} (idempotency key ${w.id})`,
      },
      [
        {
          withdrawal_id: w.id,
          amount: w.jumlah_bersih,
          method: req.metode_pencairan as PayoutMethod,
          channel: req.channel ?? null,
          nomor_rekening: req.nomor_rekening,
          nama_pemilik: req.nama_pemilik,
        },
      ],
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Out of attempts. An attempt may still be in flight, or the bank may have taken one: the payout is
    // cancelled at the gateway by its key unless the bank took it, and the gateway's answer decides.
    const cause =
      err.cause instanceof ApplicationFailure || err.cause instanceof Error ? err.cause.message : String(err.cause);
    payout = await acts.cancelPayout.executeWithOptions(
      { ...DB_WRITE, summary: `out of attempts: cancel payout ${w.id} unless the bank took it` },
      [
        {
          withdrawal_id: w.id,
          amount: w.jumlah_bersih,
          reason: `the bank could not take the payout after ${maxAttempts} attempts (${cause})`,
        },
      ],
    );
  }
  if (payout.status === 'queued') record(`payout ${payout.reference} queued at the bank`, 'withdrawal');
  return awaitPayoutOutcome(payout, w.id, m.results, parseDuration(req.payout_status_check_after ?? '1m'), 'payout');
}

/**
 * Waits for a queued payout's end (a withdrawal's, or a refund's to the
 * client's account; `key` its idempotency key): the gateway's payout
 * notification (`results`, by key), or, when none comes within `firstWaitMs`, the gateway's
 * status endpoint, asked again with a doubling interval (at most an hour).
 */
export async function awaitPayoutOutcome(
  sent: PayoutState,
  key: string,
  results: Record<string, PayoutState>,
  firstWaitMs: number,
  what: string,
): Promise<PayoutState> {
  let payout = sent;
  let waitMs = firstWaitMs;
  while (payout.status === 'queued') {
    const notified = await condition(() => results[key] !== undefined, waitMs, {
      summary: `wait for the ${what} notification (then ask the gateway)`,
    });
    if (notified) payout = results[key];
    else
      payout =
        (await acts.checkPayout.executeWithOptions({ ...DB_WRITE, summary: `ask the gateway for ${what} ${key}` }, [
          { withdrawal_id: key },
        ])) ?? payout;
    waitMs = Math.min(waitMs * 2, MAX_STATUS_CHECK_INTERVAL_MS);
  }
  return payout;
}
