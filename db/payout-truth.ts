import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  payoutCompleted,
  payoutReinstated,
  payoutReturned,
  payoutReversed,
  refundPayoutConfirmed,
  refundPayoutReturned,
} from '../domain/ledger';
import {
  ContradictionSource,
  ContradictionStatus,
  GatewayPayoutStatus,
  PayoutContradictionRecord,
  RecordedPayout,
  correctionNeeded,
} from '../domain/payout-truth';
import type { EscrowRecord, RefundRecord, WithdrawalRecord } from '../domain/records';
import { SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { getRefund } from './refunds';
import { isUniqueViolation } from './rows';
import { fromDbTime, nowDb, toDbTime } from './time';
import { getWithdrawal } from './withdrawals';

/**
 * Payout contradictions (migration 20261204000009): the gateway's record of a
 * payout disagreeing with the outcome the service recorded. Recording one, in
 * one transaction: the contradiction row (which freezes the escrow or refund
 * it belongs to), the withdrawal's or refund's status moved to the gateway's,
 * the journals that make the books follow the gateway, and the audit row with
 * its event.
 */

/** The gateway's record of the payout, as read by its key. */
export interface GatewayPayoutRecord {
  status: GatewayPayoutStatus;
  reference: string;
  bukti_transfer: string | null;
  completed_at: string | null;
  failure_reason: string | null;
}

export type ContradictionInput = {
  payout_key: string;
  recorded: RecordedPayout;
  gateway: GatewayPayoutRecord;
  detected_by: ContradictionSource;
} & ({ record_type: 'withdrawal'; record_id: string } | { record_type: 'refund'; record_id: string });

function toRecord(row: Record<string, unknown> | undefined): PayoutContradictionRecord | undefined {
  if (!row) return undefined;
  return {
    ...(row as unknown as PayoutContradictionRecord),
    amount: Number(row.amount),
    corrected: Boolean(Number(row.corrected)),
    detected_at: fromDbTime(row.detected_at) as string,
    resolved_at: fromDbTime(row.resolved_at),
    updated_at: fromDbTime(row.updated_at) as string,
  };
}

/** The open contradiction that freezes this escrow's withdrawals, if any. */
export async function openContradictionOfEscrow(
  db: Knex,
  escrowId: string,
): Promise<PayoutContradictionRecord | undefined> {
  return toRecord(
    await db('payout_contradictions').where({ escrow_id: escrowId, status: 'open' }).orderBy('detected_at').first(),
  );
}

/** A resolved contradiction of this escrow's payouts (its money may be paid out again by a new run), if any. */
export async function resolvedContradictionOfEscrow(
  db: Knex,
  escrowId: string,
): Promise<PayoutContradictionRecord | undefined> {
  return toRecord(await db('payout_contradictions').where({ escrow_id: escrowId, status: 'resolved' }).first());
}

/** A resolved contradiction of this refund's payouts, if any. */
export async function resolvedContradictionOfRefund(
  db: Knex,
  refundId: string,
): Promise<PayoutContradictionRecord | undefined> {
  return toRecord(
    await db('payout_contradictions').where({ record_type: 'refund', record_id: refundId, status: 'resolved' }).first(),
  );
}

/** The open contradiction that freezes this refund, if any. */
export async function openContradictionOfRefund(
  db: Knex,
  refundId: string,
): Promise<PayoutContradictionRecord | undefined> {
  return toRecord(
    await db('payout_contradictions')
      .where({ record_type: 'refund', record_id: refundId, status: 'open' })
      .orderBy('detected_at')
      .first(),
  );
}

/** Contradictions, newest first, by status. */
export async function listContradictions(
  db: Knex,
  o: { status?: ContradictionStatus; limit: number },
): Promise<PayoutContradictionRecord[]> {
  const q = db('payout_contradictions').orderBy('detected_at', 'desc').orderBy('id').limit(o.limit);
  if (o.status) q.where({ status: o.status });
  return (await q).map((r: Record<string, unknown>) => toRecord(r) as PayoutContradictionRecord);
}

export async function countOpenContradictions(db: Knex): Promise<number> {
  const row = await db('payout_contradictions').where({ status: 'open' }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** An admin has looked into it: the contradiction is resolved and its escrow or refund no longer frozen. Answers it after, or undefined if none. */
export async function resolveContradiction(
  db: Knex,
  r: { id: string; admin_id: string; alasan: string },
): Promise<{ changed: boolean; contradiction: PayoutContradictionRecord | undefined }> {
  return db.transaction(async (trx) => {
    const now = nowDb();
    const changed = await trx('payout_contradictions')
      .where({ id: r.id, status: 'open' })
      .update({
        status: 'resolved',
        resolved_by: r.admin_id,
        resolution: r.alasan.slice(0, 1000),
        resolved_at: now,
        updated_at: now,
      });
    const c = toRecord(await trx('payout_contradictions').where({ id: r.id }).first());
    if (changed && c) {
      await audit(
        trx,
        { type: 'user', id: r.admin_id, role: 'admin' },
        {
          action: `${c.record_type}.contradiction_resolved`,
          record_type: c.record_type,
          record_id: c.record_id,
          pesanan_id: c.pesanan_id,
          status_before: 'open',
          status_after: 'resolved',
        },
      );
    }
    return { changed: changed > 0, contradiction: c };
  });
}

/**
 * Records that the gateway's record of a payout contradicts what the service
 * recorded, and makes the records and the books follow the gateway (once: a
 * repeat finds the row and changes nothing; a payout first found queued is
 * corrected when its final record is seen). Answers the contradiction and
 * whether this call created it.
 */
export async function recordContradiction(
  db: Knex,
  c: ContradictionInput,
): Promise<{ contradiction: PayoutContradictionRecord; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((trx) => record(trx, c));
    } catch (err) {
      // a concurrent twin (the notification and the pre-check, or two deliveries, at once) took it first: on the
      // next try its row is the answer (MySQL may pick this one as a deadlock's victim instead of a duplicate key)
      const deadlock = (err as { code?: string } | null)?.code === 'ER_LOCK_DEADLOCK';
      if (attempt >= 3 || !(isUniqueViolation(err) || deadlock)) throw err;
    }
  }
}

async function record(
  trx: Knex.Transaction,
  c: ContradictionInput,
): Promise<{ contradiction: PayoutContradictionRecord; created: boolean }> {
  const now = nowDb();
  const existing = toRecord(await trx('payout_contradictions').where({ payout_key: c.payout_key }).forUpdate().first());
  if (existing) {
    // seen before: correct it now if its final record has come since (queued before), else nothing changes
    if (!existing.corrected && correctionNeeded(existing.recorded_status, c.gateway.status)) {
      const after = await correct(trx, existing.id, c);
      await trx('payout_contradictions')
        .where({ id: existing.id })
        .update({ ...gatewayFields(c.gateway), corrected: true, record_status_after: after, updated_at: now });
    } else if (existing.gateway_status !== c.gateway.status) {
      await trx('payout_contradictions')
        .where({ id: existing.id })
        .update({ ...gatewayFields(c.gateway), updated_at: now });
    }
    return {
      contradiction: toRecord(
        await trx('payout_contradictions').where({ id: existing.id }).first(),
      ) as PayoutContradictionRecord,
      created: false,
    };
  }
  const subject = await subjectOf(trx, c);
  const id = randomUUID();
  await trx('payout_contradictions').insert({
    id,
    payout_key: c.payout_key,
    record_type: c.record_type,
    record_id: c.record_id,
    escrow_id: subject.escrow_id,
    pesanan_id: subject.pesanan_id,
    party_id: subject.party_id,
    amount: subject.amount,
    recorded_status: c.recorded,
    ...gatewayFields(c.gateway),
    record_status_before: subject.status,
    record_status_after: subject.status,
    corrected: false,
    detected_by: c.detected_by,
    status: 'open',
    detected_at: now,
    updated_at: now,
  });
  let after = subject.status;
  if (correctionNeeded(c.recorded, c.gateway.status)) {
    after = await correct(trx, id, c);
    await trx('payout_contradictions').where({ id }).update({ corrected: true, record_status_after: after });
  }
  await audit(trx, SYSTEM, {
    action: `${c.record_type}.payout_contradicted`,
    record_type: c.record_type,
    record_id: c.record_id,
    pesanan_id: subject.pesanan_id,
    status_before: subject.status,
    status_after: after,
  });
  return {
    contradiction: toRecord(await trx('payout_contradictions').where({ id }).first()) as PayoutContradictionRecord,
    created: true,
  };
}

const gatewayFields = (g: GatewayPayoutRecord) => ({
  gateway_status: g.status,
  gateway_reference: g.reference ?? null,
  gateway_failure_reason: g.failure_reason?.slice(0, 300) ?? null,
});

async function subjectOf(trx: Knex.Transaction, c: ContradictionInput) {
  if (c.record_type === 'withdrawal') {
    const w = (await getWithdrawal(trx, c.record_id)) as WithdrawalRecord;
    return {
      escrow_id: w.escrow_id,
      pesanan_id: w.pesanan_id,
      party_id: w.freelancer_id,
      amount: w.jumlah_bersih,
      status: w.status as string,
    };
  }
  const r = (await getRefund(trx, c.record_id)) as RefundRecord;
  return {
    escrow_id: null,
    pesanan_id: r.pesanan_id,
    party_id: r.client_id,
    amount: r.jumlah,
    status: r.status as string,
  };
}

/** Moves the withdrawal or refund to the gateway's outcome and posts the journals that make the books follow it. Answers its status after. */
async function correct(trx: Knex.Transaction, contradictionId: string, c: ContradictionInput): Promise<string> {
  return c.record_type === 'withdrawal' ? correctWithdrawal(trx, c) : correctRefund(trx, contradictionId, c);
}

/**
 * A withdrawal recorded failed (or rejected) that the bank paid: completed,
 * with the gateway's receipt and reference, its escrow completed, and the
 * money taken from the freelancer's payable again. One recorded completed
 * that the bank returned: failed, its escrow released again, and the money
 * back with the freelancer (withdrawable once an admin resolves the freeze).
 */
async function correctWithdrawal(trx: Knex.Transaction, c: ContradictionInput): Promise<string> {
  const w = (await getWithdrawal(trx, c.record_id)) as WithdrawalRecord;
  const now = nowDb();
  if (c.gateway.status === 'completed') {
    const moved = await trx('pencairan_dana')
      .whereIn('status', ['failed', 'rejected'])
      .andWhere({ id: w.id })
      .update({
        status: 'completed',
        bukti_transfer: c.gateway.bukti_transfer ?? '',
        referensi_payout: c.gateway.reference,
        dicairkan_pada: toDbTime(c.gateway.completed_at ?? new Date()),
        updated_at: now,
      });
    if (!moved) return w.status;
    // a completed withdrawal closes its escrow for good (the live key), unless another withdrawal holds it now
    if (!(await trx('pencairan_dana').where({ live_escrow_id: w.escrow_id }).first('id'))) {
      await trx('pencairan_dana').where({ id: w.id }).update({ live_escrow_id: w.escrow_id });
    }
    await ledger.post(trx, payoutReinstated(w));
    await ledger.post(trx, payoutCompleted(w));
    await trx('escrow')
      .where({ id: w.escrow_id })
      .whereIn('status', ['released', 'partial_released'])
      .update({ status: 'completed', updated_at: now });
    return 'completed';
  }
  const moved = await trx('pencairan_dana')
    .where({ id: w.id, status: 'completed' })
    .update({
      status: 'failed',
      alasan: `returned by the bank: ${c.gateway.failure_reason ?? 'no reason given'}`.slice(0, 1000),
      // no longer holds its escrow: another withdrawal may pay it once the freeze is lifted
      live_escrow_id: null,
      updated_at: now,
    });
  if (!moved) return w.status;
  await ledger.post(trx, payoutReturned(w));
  await ledger.post(trx, payoutReversed({ ...w, status: 'failed' }));
  const escrow = (await trx('escrow').where({ id: w.escrow_id }).first()) as EscrowRecord | undefined;
  if (escrow?.status === 'completed')
    await trx('escrow')
      .where({ id: w.escrow_id, status: 'completed' })
      .update({ status: escrow.jumlah_dirilis === null ? 'released' : 'partial_released', updated_at: now });
  return 'failed';
}

/**
 * A refund payout recorded failed that the bank paid: the refund is
 * completed with the gateway's reference (unless another account's payout
 * already completed it: then the client was paid twice, and the books say
 * so). One recorded completed that the bank returned: failed, owed again.
 */
async function correctRefund(trx: Knex.Transaction, contradictionId: string, c: ContradictionInput): Promise<string> {
  const r = (await getRefund(trx, c.record_id)) as RefundRecord;
  const now = nowDb();
  if (c.gateway.status === 'completed') {
    await ledger.post(trx, refundPayoutConfirmed(r, c.payout_key, contradictionId));
    // found before the next account's payout is sent (the pre-check holds that one): the refund is completed by this one
    const movable =
      c.detected_by === 'precheck' ? ['failed', 'menunggu_rekening', 'processing'] : ['failed', 'menunggu_rekening'];
    const moved = await trx('refunds')
      .where({ id: r.id })
      .whereIn('status', movable)
      .update({
        status: 'completed',
        referensi_gateway: c.gateway.reference,
        selesai_pada: toDbTime(c.gateway.completed_at ?? new Date()),
        failure_reason: null,
        updated_at: now,
      });
    return moved ? 'completed' : r.status;
  }
  await ledger.post(trx, refundPayoutReturned(r, c.payout_key, contradictionId));
  const moved = await trx('refunds')
    .where({ id: r.id, status: 'completed' })
    .update({
      status: 'failed',
      failure_reason: `returned by the bank: ${c.gateway.failure_reason ?? 'no reason given'}`.slice(0, 300),
      updated_at: now,
    });
  return moved ? 'failed' : r.status;
}
