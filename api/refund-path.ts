import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PayoutMethod } from '../domain/methods';
import { RefundRecord, refundViewOf } from '../domain/records';
import * as repo from '../db/repositories';
import type { RefundWorkflowInput } from '../workflows/messages';
import type { OrderWorkflows } from './workflow-calls';

/**
 * Refund workflows the API starts: a late payment's (the order's workflow may
 * be long gone), and any refund whose workflow is not known to have started
 * (the worker's sweep, after a grace). Starting is idempotent (USE_EXISTING),
 * so a refund whose order workflow started it as a child is only marked.
 */
function refundWorkflowInput(refund: RefundRecord, payment: { transaction_id: string }): RefundWorkflowInput {
  const input: RefundWorkflowInput = { ...refundViewOf(refund), transaction_id: payment.transaction_id };
  // an account given already (the sweep restarting a refund whose workflow never ran)
  if (
    refund.metode !== 'source' &&
    refund.status === 'processing' &&
    refund.nomor_rekening &&
    refund.nama_pemilik &&
    refund.channel
  ) {
    input.account = {
      user_id: refund.client_id,
      metode_pencairan: refund.metode as PayoutMethod,
      channel: refund.channel,
      nomor_rekening: refund.nomor_rekening,
      nama_pemilik: refund.nama_pemilik,
    };
    input.account_attempt = refund.rekening_ke;
  }
  return input;
}

/**
 * Starts the refund's workflow and marks it started (`known`: the refund's payment, when the caller has read it
 * already; `again`: a new run after its first ended, for a refund whose payout the bank returned).
 */
export async function startRefundWorkflow(
  deps: { db: Knex; workflows: OrderWorkflows },
  refund: RefundRecord,
  known?: { transaction_id: string },
  o: { again?: boolean } = {},
): Promise<void> {
  if (refund.status === 'completed') return;
  const payment = known ?? (await repo.getPayment(deps.db, refund.pembayaran_id));
  if (!payment) throw new Error(`refund ${refund.id}: payment ${refund.pembayaran_id} not found`);
  await deps.workflows.startRefund(refundWorkflowInput(refund, payment), o);
  await repo.markRefundWorkflowStarted(deps.db, refund.id);
}

/** The sweep: refunds not known to have a workflow, older than `graceMs`, get one. Answers how many were started (or found running). */
export async function startUnstartedRefunds(
  deps: { db: Knex; workflows: OrderWorkflows; logger: Logger },
  graceMs: number,
  limit = 100,
  now = new Date(),
): Promise<number> {
  let started = 0;
  for (const refund of await repo.findUnstartedRefunds(deps.db, graceMs, limit, now)) {
    try {
      await startRefundWorkflow(deps, refund);
      started++;
    } catch (err) {
      deps.logger.warn(
        { err: String(err), refund_id: refund.id },
        'sweep: could not start a refund workflow; will retry',
      );
    }
  }
  return started;
}
