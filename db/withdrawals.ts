import type { Knex } from 'knex';
import type { WithdrawalRecord } from '../domain/records';
import { payoutCompleted, payoutSent } from '../domain/ledger';
import { SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { fromRow, insertIdempotent } from './rows';
import { nowDb, toDbTime } from './time';

export type NewWithdrawal = Omit<WithdrawalRecord, 'status' | 'bukti_transfer' | 'referensi_payout' | 'dicairkan_pada' | 'created_at' | 'updated_at'> & {
  status: 'pending' | 'processing';
  created_at: string;
};

/** Records a withdrawal and links it to its order; a repeat of the same record is a no-op, any other clash fails. */
export async function insertWithdrawalIfAbsent(db: Knex, w: NewWithdrawal): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const inserted = await insertIdempotent(trx, 'pencairan_dana', { ...w, created_at: toDbTime(w.created_at), updated_at: now }, ['escrow_id', 'freelancer_id', 'jumlah_bersih']);
    await trx('pesanan').where({ id: w.pesanan_id }).update({ pencairan_id: w.id, updated_at: now });
    if (inserted !== 'inserted') return;
    if (w.status === 'processing') await ledger.post(trx, payoutSent(w));
    await audit(trx, { type: 'user', id: w.freelancer_id, role: 'freelancer' }, { action: 'withdrawal.requested', record_type: 'withdrawal', record_id: w.id, pesanan_id: w.pesanan_id, status_before: null, status_after: w.status });
  });
}

export async function getWithdrawal(db: Knex, id: string): Promise<WithdrawalRecord | undefined> {
  return fromRow<WithdrawalRecord>(await db('pencairan_dana').where({ id }).first());
}

/** Payout done: withdrawal → completed with its proof, escrow → completed, and the payout journal(s), in one transaction. Idempotent. */
export async function completeWithdrawal(
  db: Knex,
  c: { withdrawal_id: string; escrow_id: string; bukti_transfer: string; referensi_payout: string; dicairkan_pada: string },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const before = (await getWithdrawal(trx, c.withdrawal_id)) as WithdrawalRecord;
    const completed = await trx('pencairan_dana')
      .where({ id: c.withdrawal_id })
      .whereIn('status', ['pending', 'processing'])
      .update({
        status: 'completed',
        bukti_transfer: c.bukti_transfer,
        referensi_payout: c.referensi_payout,
        dicairkan_pada: toDbTime(c.dicairkan_pada),
        updated_at: now,
      });
    const escrowBefore = await trx('escrow').where({ id: c.escrow_id }).first('status', 'pesanan_id');
    const escrowDone = await trx('escrow').where({ id: c.escrow_id }).whereIn('status', ['released', 'partial_released']).update({ status: 'completed', updated_at: now });
    if (escrowDone) await audit(trx, SYSTEM, { action: 'escrow.completed', record_type: 'escrow', record_id: c.escrow_id, pesanan_id: escrowBefore.pesanan_id, status_before: escrowBefore.status, status_after: 'completed' });
    if (completed) {
      if (before.status === 'pending') await ledger.post(trx, payoutSent(before)); // paid without passing through processing
      await ledger.post(trx, payoutCompleted(before));
      await audit(trx, SYSTEM, { action: 'withdrawal.completed', record_type: 'withdrawal', record_id: before.id, pesanan_id: before.pesanan_id, status_before: before.status, status_after: 'completed' });
    }
  });
}
