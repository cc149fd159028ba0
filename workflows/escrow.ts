import { condition, setHandler, uuid4 } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import {
  RELEASABLE_ORDER_STATUSES,
  WORK_STEPS,
  WorkStep,
  cancellationRefusal,
  workStepRefusal,
} from '../domain/statuses';
import { DB_WRITE, acts, reject } from './activity-options';
import { decideDispute, openDispute } from './dispute';
import { oweRefund } from './refund';
import type { OrderContext } from './context';
import {
  CancelOrderRequest,
  ERROR_TYPES,
  OpenDisputeRequest,
  ReleaseEscrowRequest,
  ResolveDisputeRequest,
  WorkProgressRequest,
  WorkProgressResult,
  cancelOrderUpdate,
  deliverWorkUpdate,
  openDisputeUpdate,
  releaseEscrowUpdate,
  resolveDisputeUpdate,
  startWorkUpdate,
} from './messages';

/**
 * The held escrow's state machine. Four exits: the client releases it, the
 * review period ends (auto-release), a dispute that an admin decides
 * (released, partial_released, refunded), or a cancellation (refunded). The
 * first request to arrive wins: the validators refuse every other once one is
 * accepted, and the timer's firing refuses them all (`autoReleasing`). The
 * database records each step, guarded by the state it expects.
 */
export interface EscrowMessages {
  release?: ReleaseEscrowRequest;
  /** Set once the auto-release timer has won, so a late client release is refused rather than silently merged. */
  autoReleasing: boolean;
  /** A work step (start, deliver) being recorded: the release waits for it to finish, and another step is refused meanwhile. */
  progressing?: WorkStep;
  /** A dispute being opened (cleared if the database refuses it). */
  dispute?: OpenDisputeRequest;
  /** The admin's decision on the open dispute. */
  resolution?: ResolveDisputeRequest;
  /** A cancellation being recorded (cleared if the database refuses it). */
  cancel?: CancelOrderRequest;
  /** Why the database refused the dispute or cancellation last asked (its update answers with it). */
  refused?: string;
  /**
   * The escrow's release to the freelancer (the client's, the automatic one, or an admin's release or partial
   * decision) is being written: the database may already say released, so a withdrawal asked for now is
   * accepted and waits for it.
   */
  releasing?: boolean;
}

/** How the held escrow left: all to the freelancer, part of it (the rest refunded), or all refunded. */
export type EscrowExit = 'released' | 'partial_released' | 'refunded';

export function escrowMessages(ctx: OrderContext): EscrowMessages {
  const { input, state } = ctx;
  const m: EscrowMessages = { autoReleasing: false };
  /** Why no new exit may start now (null: one may). */
  const busy = (): string | null => {
    if (m.autoReleasing) return 'escrow is being released automatically (the review period is over)';
    if (m.release) return 'escrow is already being released by the client';
    if (m.dispute) return 'a dispute is being opened on this escrow';
    if (m.cancel) return 'the order is already being cancelled';
    return null;
  };
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
        if (req.user_id.toLowerCase() !== input.client_id.toLowerCase())
          reject(ERROR_TYPES.forbidden, "only the order's client may release its escrow");
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (state.escrow.status === 'disputed')
          reject(ERROR_TYPES.invalidTransition, 'escrow is disputed; an admin decides it now');
        if (state.escrow.status !== 'held')
          reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow.status}; only a held escrow can be released`);
        const why = busy();
        if (why) reject(ERROR_TYPES.invalidTransition, why);
      },
    },
  );
  setHandler(
    openDisputeUpdate,
    async (req) => {
      m.dispute = req;
      m.refused = undefined;
      await condition(() => state.escrow!.status !== 'held' || m.refused !== undefined);
      if (state.escrow!.status !== 'disputed' || !state.dispute)
        reject(
          ERROR_TYPES.invalidTransition,
          m.refused ?? `escrow is ${state.escrow!.status}; only a held escrow can be disputed`,
        );
      return state.dispute;
    },
    {
      validator: (req) => {
        const party = req.role === 'client' ? input.client_id : input.freelancer_id;
        if (req.user_id.toLowerCase() !== party.toLowerCase())
          reject(ERROR_TYPES.forbidden, "only the order's client or freelancer may dispute its escrow");
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (state.escrow.status !== 'held')
          reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow.status}; only a held escrow can be disputed`);
        const why = busy();
        if (why) reject(ERROR_TYPES.invalidTransition, why);
      },
    },
  );
  setHandler(
    resolveDisputeUpdate,
    async (req) => {
      m.resolution = req;
      await condition(() => state.dispute?.status === 'resolved');
      return state;
    },
    {
      validator: (req) => {
        if (!state.dispute || state.escrow?.status !== 'disputed')
          reject(
            ERROR_TYPES.invalidTransition,
            `escrow is ${state.escrow?.status ?? 'not held yet'}; only a disputed escrow can be decided`,
          );
        if (m.resolution)
          reject(ERROR_TYPES.invalidTransition, `the dispute is already being decided (${m.resolution.keputusan})`);
        if (req.keputusan === 'partial') {
          const x = req.jumlah_freelancer;
          if (x === null || !Number.isSafeInteger(x) || x < 1 || x >= state.escrow.jumlah_ditahan) {
            reject(
              ERROR_TYPES.invalidInput,
              `jumlah_freelancer must be a whole number from 1 to ${state.escrow.jumlah_ditahan - 1} (below jumlah_ditahan ${state.escrow.jumlah_ditahan})`,
            );
          }
        }
      },
    },
  );
  setHandler(
    cancelOrderUpdate,
    async (req) => {
      m.cancel = req;
      m.refused = undefined;
      await condition(() => state.escrow!.status !== 'held' || m.refused !== undefined);
      if (state.escrow!.status !== 'refunded')
        reject(
          ERROR_TYPES.invalidTransition,
          m.refused ?? `escrow is ${state.escrow!.status}; the order can no longer be cancelled`,
        );
      return {
        pesanan_id: input.pesanan_id,
        order_status: state.order_status,
        escrow_status: state.escrow!.status,
        refund_id: state.refund?.refund_id ?? null,
      };
    },
    {
      validator: (req) => {
        // an admin is checked by the API; a party must be this order's
        const party = req.role === 'client' ? input.client_id : req.role === 'freelancer' ? input.freelancer_id : null;
        if (party !== null && req.user_id.toLowerCase() !== party.toLowerCase())
          reject(ERROR_TYPES.forbidden, "only the order's client, its freelancer or an admin may cancel it");
        if (!state.escrow)
          reject(ERROR_TYPES.invalidTransition, 'the order is not paid yet; it is cancelled without its workflow');
        const refused = cancellationRefusal(state.order_status, req.role);
        if (refused) reject(ERROR_TYPES.invalidTransition, refused);
        if (state.escrow.status !== 'held')
          reject(
            ERROR_TYPES.invalidTransition,
            `escrow is ${state.escrow.status}; the order can no longer be cancelled`,
          );
        const why = busy();
        if (why) reject(ERROR_TYPES.invalidTransition, why);
      },
    },
  );
  workProgress(ctx, m, 'start', startWorkUpdate, busy);
  workProgress(ctx, m, 'deliver', deliverWorkUpdate, busy);
  return m;
}

/** How each work step reads in refusals, the history and activity summaries. */
const STEP_WORDS: Record<WorkStep, { forbidden: string; busy: string; event: string }> = {
  start: {
    forbidden: "only the order's freelancer may start its work",
    busy: 'started',
    event: 'work started by the freelancer',
  },
  deliver: {
    forbidden: "only the order's freelancer may deliver its work",
    busy: 'delivered',
    event: "work delivered; waiting for the client's review",
  },
};

/**
 * Work progress while the escrow is held: the order's freelancer starts the
 * work (dibayar → dikerjakan) and delivers it (dikerjakan → menunggu_review).
 * The escrow stays held and the auto-release timer keeps running from
 * `ditahan_pada`; an exit (release, dispute, cancellation, the timer) that
 * comes while a step is being recorded waits for it, and a step that comes
 * once an exit has begun is refused, so one of the two always finishes cleanly.
 */
function workProgress(
  { input, state, record }: OrderContext,
  m: EscrowMessages,
  step: WorkStep,
  update: UpdateDefinition<WorkProgressResult, [WorkProgressRequest]>,
  busy: () => string | null,
): void {
  const { from, to, refusal } = WORK_STEPS[step];
  const words = STEP_WORDS[step];
  setHandler(
    update,
    async () => {
      m.progressing = step;
      try {
        const result = await acts.changeOrderStatus.executeWithOptions(
          { ...DB_WRITE, summary: `order ${from} → ${to}: ${words.event}` },
          [
            {
              pesanan_id: input.pesanan_id,
              from,
              to,
              actor: { type: 'user', id: input.freelancer_id.toLowerCase(), role: 'freelancer' },
            },
          ],
        );
        // the database holds the order elsewhere (nothing was written): refuse rather than follow
        if (result.status !== to)
          reject(ERROR_TYPES.invalidTransition, `order is ${result.status ?? 'missing'}; ${refusal}`);
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
        if (req.user_id.toLowerCase() !== input.freelancer_id.toLowerCase())
          reject(ERROR_TYPES.forbidden, words.forbidden);
        if (m.progressing)
          reject(
            ERROR_TYPES.invalidTransition,
            `work is already being ${STEP_WORDS[m.progressing].busy}; try again in a moment`,
          );
        const refused = workStepRefusal(step, state.order_status);
        if (refused) reject(ERROR_TYPES.invalidTransition, refused);
        if (!state.escrow || state.escrow.status !== 'held')
          reject(
            ERROR_TYPES.invalidTransition,
            `escrow is ${state.escrow?.status ?? 'not held yet'}; work progresses only while it is held`,
          );
        const why = busy();
        if (why) reject(ERROR_TYPES.invalidTransition, `${why}; the order is finishing`);
      },
    },
  );
}

/**
 * Holds the escrow until one of its exits: the client's release, the
 * auto-release when the review period ends, a cancellation (refunded), or a
 * dispute, after which no timer releases it and only the admin's decision does.
 */
export async function holdEscrow(ctx: OrderContext, m: EscrowMessages, releaseAt: () => number): Promise<EscrowExit> {
  const { input, state } = ctx;
  const escrow = state.escrow!;
  for (;;) {
    const fired = !(await condition(
      () => m.release !== undefined || m.dispute !== undefined || m.cancel !== undefined,
      Math.max(1, releaseAt() - Date.now()),
      {
        summary: `escrow auto-release (${input.escrow_auto_release_after}) at ${escrow.akan_dirilis_pada}`,
      },
    ));
    m.autoReleasing = fired;
    // a work step already being recorded finishes first; the order then leaves from the status it reached
    if (m.progressing) await condition(() => m.progressing === undefined);
    if (m.dispute) {
      if (await openDispute(ctx, m)) return decideDispute(ctx, m);
      continue; // refused by the database: the escrow is still held, and so is the clock
    }
    if (m.cancel) {
      if (await cancelPaidOrder(ctx, m)) return 'refunded';
      continue;
    }
    await release(ctx, m);
    return 'released';
  }
}

/** The client's release, or the automatic one. */
async function release({ input, state, record }: OrderContext, m: EscrowMessages): Promise<void> {
  const escrow = state.escrow!;
  const releasedByClient = m.release !== undefined;
  const releasedAt = new Date().toISOString();
  const alasan = releasedByClient ? m.release!.reason : 'auto-release: no action within the review period';
  const by = releasedByClient ? ('client' as const) : ('auto' as const);
  m.releasing = true;
  await acts.releaseEscrow.executeWithOptions(
    { ...DB_WRITE, summary: `release escrow ${releasedByClient ? 'by client' : 'automatically'}` },
    [{ escrow_id: escrow.escrow_id, pesanan_id: input.pesanan_id, dirilis_pada: releasedAt, dirilis_oleh: by, alasan }],
  );
  Object.assign(escrow, { status: 'released', dirilis_pada: releasedAt, dirilis_oleh: by, alasan });
  state.order_status = 'selesai';
  record(
    releasedByClient
      ? 'escrow released by the client'
      : `escrow auto-released after ${input.escrow_auto_release_after}`,
    'escrow',
  );
}

/** A paid order is cancelled: the escrow is refunded in full. False when the database refused it. */
async function cancelPaidOrder({ state, record }: OrderContext, m: EscrowMessages): Promise<boolean> {
  const req = m.cancel!;
  const actor = { type: 'user' as const, id: req.user_id.toLowerCase(), role: req.role };
  // the order statuses this caller may cancel from, as the validator checked them (re-checked by the database)
  const fromOrder = RELEASABLE_ORDER_STATUSES.filter((s) => cancellationRefusal(s, req.role) === null);
  const result = await acts.refundEscrow.executeWithOptions(
    {
      ...DB_WRITE,
      summary: `order cancelled by the ${req.role}: escrow held → refunded, full refund owed to the client`,
    },
    [
      {
        escrow_id: state.escrow!.escrow_id,
        refund_id: uuid4(),
        alasan: `order cancelled by the ${req.role}: ${req.alasan}`,
        fromOrder,
        actor,
      },
    ],
  );
  if (result.kind === 'refused') {
    m.refused = `escrow is ${result.escrow_status ?? 'missing'} and the order ${result.order_status ?? 'missing'}; ${result.order_status ? (cancellationRefusal(result.order_status, req.role) ?? 'it cannot be cancelled now') : 'it cannot be cancelled'}`;
    m.cancel = undefined;
    return false;
  }
  const refund = result.refund;
  state.escrow!.status = 'refunded';
  state.order_status = 'refunded';
  oweRefund(state, refund, new Date().toISOString());
  record(`order cancelled by the ${req.role} (${req.alasan}); escrow refunded to the client`, 'escrow');
  return true;
}
