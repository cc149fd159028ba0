import type { Knex } from 'knex';
import type { WithdrawalRecord } from '../domain/records';
import type { WithdrawalStatus } from '../domain/statuses';
import { payoutCompleted, payoutReversed, payoutSent } from '../domain/ledger';
import { Actor, SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { Page, page } from './pages';
import { fromRow, insertIdempotent } from './rows';
import { nowDb, toDbTime } from './time';

export type NewWithdrawal = Omit<
  WithdrawalRecord,
  | 'status'
  | 'bukti_transfer'
  | 'referensi_payout'
  | 'dicairkan_pada'
  | 'created_at'
  | 'updated_at'
  | 'alasan'
  | 'live_escrow_id'
  | 'channel'
> & {
  status: 'pending' | 'processing';
  channel?: string | null;
  created_at: string;
};

/**
 * Records a withdrawal, links it to its order and reserves its money (the
 * payout_sent journal: freelancer_payable → payout_in_transit), in one
 * transaction. `live_escrow_id` is UNIQUE: a second live withdrawal of one
 * escrow fails here. A repeat of the same record is a no-op.
 */
export async function insertWithdrawalIfAbsent(db: Knex, w: NewWithdrawal): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const row = {
      ...w,
      channel: w.channel ?? null,
      live_escrow_id: w.escrow_id,
      created_at: toDbTime(w.created_at),
      updated_at: now,
    };
    const inserted = await insertIdempotent(trx, 'pencairan_dana', row, [
      'escrow_id',
      'freelancer_id',
      'jumlah_bersih',
    ]);
    if (inserted !== 'inserted') return;
    await trx('pesanan').where({ id: w.pesanan_id }).update({ pencairan_id: w.id, updated_at: now });
    await ledger.post(trx, payoutSent(w));
    await audit(
      trx,
      { type: 'user', id: w.freelancer_id, role: 'freelancer' },
      {
        action: 'withdrawal.requested',
        record_type: 'withdrawal',
        record_id: w.id,
        pesanan_id: w.pesanan_id,
        status_before: null,
        status_after: w.status,
      },
    );
  });
}

export async function getWithdrawal(db: Knex, id: string): Promise<WithdrawalRecord | undefined> {
  return fromRow<WithdrawalRecord>(await db('pencairan_dana').where({ id }).first());
}

/** The escrow's live (pending, processing) or completed withdrawal, if any. */
export async function liveWithdrawalOfEscrow(db: Knex, escrowId: string): Promise<WithdrawalRecord | undefined> {
  return fromRow<WithdrawalRecord>(await db('pencairan_dana').where({ live_escrow_id: escrowId }).first());
}

/** A withdrawal found in a state its workflow could not have left it in: the workflow must stop, loudly, not carry on. */
export class WithdrawalStateError extends Error {
  constructor(w: WithdrawalRecord, wanted: string) {
    super(`withdrawal ${w.id} is ${w.status}; expected ${wanted}`);
    this.name = 'WithdrawalStateError';
  }
}

/**
 * A withdrawal recorded by a worker still running the code from before the
 * payout desk (during a rolling deploy) has no reservation journal and no live
 * key: it gets both before it moves on, so the books stay whole.
 */
async function ensureReserved(trx: Knex.Transaction, w: WithdrawalRecord): Promise<void> {
  if (!(await trx('ledger_journals').where({ kind: 'payout_sent', record_id: w.id }).first('id')))
    await ledger.post(trx, payoutSent(w));
  if (w.live_escrow_id === null && (w.status === 'pending' || w.status === 'processing'))
    await trx('pencairan_dana').where({ id: w.id }).update({ live_escrow_id: w.escrow_id });
}

/** An admin approved a pending withdrawal: pending → processing (its money was reserved when it was requested). Idempotent. */
export async function approveWithdrawal(db: Knex, a: { withdrawal_id: string; admin_id: string }): Promise<void> {
  await db.transaction(async (trx) => {
    const w = (await getWithdrawal(trx, a.withdrawal_id)) as WithdrawalRecord;
    if (w.status === 'pending') await ensureReserved(trx, w);
    const moved = await trx('pencairan_dana')
      .where({ id: a.withdrawal_id, status: 'pending' })
      .update({ status: 'processing', updated_at: nowDb() });
    if (!moved) {
      if (w.status === 'processing' || w.status === 'completed' || w.status === 'failed') return; // a retry of this approval
      throw new WithdrawalStateError(w, 'pending or processing');
    }
    await audit(
      trx,
      { type: 'user', id: a.admin_id, role: 'admin' },
      {
        action: 'withdrawal.approved',
        record_type: 'withdrawal',
        record_id: w.id,
        pesanan_id: w.pesanan_id,
        status_before: 'pending',
        status_after: 'processing',
      },
    );
  });
}

/**
 * The withdrawal ends without paying: `rejected` by an admin (from pending) or
 * `failed` (the bank refused it, or could not be reached; from processing).
 * It stops holding its escrow and its money goes back to freelancer_payable,
 * in one transaction. Idempotent.
 */
export async function endWithdrawal(
  db: Knex,
  e: { withdrawal_id: string; status: 'failed' | 'rejected'; alasan: string; admin_id?: string | null },
): Promise<void> {
  const from: WithdrawalStatus = e.status === 'rejected' ? 'pending' : 'processing';
  await db.transaction(async (trx) => {
    const w = (await getWithdrawal(trx, e.withdrawal_id)) as WithdrawalRecord;
    if (w.status === from) await ensureReserved(trx, w);
    const moved = await trx('pencairan_dana')
      .where({ id: e.withdrawal_id, status: from })
      .update({ status: e.status, alasan: e.alasan.slice(0, 1000), live_escrow_id: null, updated_at: nowDb() });
    if (!moved) {
      if (w.status === e.status) return; // a retry of this change
      throw new WithdrawalStateError(w, `${from} or ${e.status}`);
    }
    await ledger.post(trx, payoutReversed({ ...w, status: e.status }));
    const actor: Actor = e.admin_id ? { type: 'user', id: e.admin_id, role: 'admin' } : SYSTEM;
    await audit(trx, actor, {
      action: `withdrawal.${e.status}`,
      record_type: 'withdrawal',
      record_id: w.id,
      pesanan_id: w.pesanan_id,
      status_before: from,
      status_after: e.status,
    });
  });
}

/** Payout done: withdrawal → completed with its proof, escrow → completed, and the payout journal, in one transaction. Idempotent. */
export async function completeWithdrawal(
  db: Knex,
  c: {
    withdrawal_id: string;
    escrow_id: string;
    bukti_transfer: string;
    referensi_payout: string;
    dicairkan_pada: string;
  },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const before = (await getWithdrawal(trx, c.withdrawal_id)) as WithdrawalRecord;
    if (before.status === 'processing') await ensureReserved(trx, before);
    // only a processing withdrawal completes: every withdrawal reserved its money (payout_sent) when it was requested
    const completed = await trx('pencairan_dana')
      .where({ id: c.withdrawal_id, status: 'processing' })
      .update({
        status: 'completed',
        bukti_transfer: c.bukti_transfer,
        referensi_payout: c.referensi_payout,
        dicairkan_pada: toDbTime(c.dicairkan_pada),
        updated_at: now,
      });
    if (!completed) {
      if (before.status === 'completed') return; // a retry of this completion
      throw new WithdrawalStateError(before, 'processing or completed');
    }
    const escrowBefore = await trx('escrow').where({ id: c.escrow_id }).first('status', 'pesanan_id');
    const escrowDone = await trx('escrow')
      .where({ id: c.escrow_id })
      .whereIn('status', ['released', 'partial_released'])
      .update({ status: 'completed', updated_at: now });
    if (escrowDone)
      await audit(trx, SYSTEM, {
        action: 'escrow.completed',
        record_type: 'escrow',
        record_id: c.escrow_id,
        pesanan_id: escrowBefore.pesanan_id,
        status_before: escrowBefore.status,
        status_after: 'completed',
      });
    await ledger.post(trx, payoutCompleted(before));
    await audit(trx, SYSTEM, {
      action: 'withdrawal.completed',
      record_type: 'withdrawal',
      record_id: before.id,
      pesanan_id: before.pesanan_id,
      status_before: before.status,
      status_after: 'completed',
    });
  });
}

/** Withdrawals newest first (the approval queue: oldest first), by freelancer and status, one page at a time. */
export async function listWithdrawals(
  db: Knex,
  o: { freelancer_id?: string; status?: WithdrawalStatus; limit: number; cursor?: string; oldestFirst?: boolean },
): Promise<Page<WithdrawalRecord>> {
  const q = db('pencairan_dana').select('pencairan_dana.*');
  if (o.freelancer_id) q.where('pencairan_dana.freelancer_id', o.freelancer_id);
  if (o.status) q.where('pencairan_dana.status', o.status);
  return page(q, { ...o, table: 'pencairan_dana' }, (r) => fromRow<WithdrawalRecord>(r) as WithdrawalRecord);
}
