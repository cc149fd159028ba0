import type { Knex } from 'knex';
import { ACCOUNTS } from '../domain/ledger';

/**
 * A freelancer's money, in whole rupiah, by where it is:
 * - `ditahan`: in held or disputed escrows of the freelancer's orders;
 * - `dapat_dicairkan`: released to the freelancer, not withdrawn or in flight;
 * - `dalam_proses`: in pending or processing withdrawals;
 * - `sudah_dicairkan`: paid out (completed withdrawals).
 * `fromLedger` reads the books; `fromTables` the records' statuses. They must
 * agree (`npm run reconcile` checks every freelancer).
 */
export interface FreelancerBalance {
  ditahan: number;
  dapat_dicairkan: number;
  dalam_proses: number;
  sudah_dicairkan: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** From the books, in one read transaction (a snapshot on MySQL): a movement committing meanwhile is counted whole or not at all. */
export async function freelancerBalanceFromLedger(db: Knex, freelancerId: string): Promise<FreelancerBalance> {
  if (db.isTransaction) return ledgerBalance(db, freelancerId);
  const mysql = db.client.config.client === 'mysql2';
  return db.transaction((trx) => ledgerBalance(trx, freelancerId), mysql ? { isolationLevel: 'repeatable read' } : {});
}

async function ledgerBalance(db: Knex, freelancerId: string): Promise<FreelancerBalance> {
  const orderIds: string[] = await db('escrow').where({ freelancer_id: freelancerId }).pluck('pesanan_id');
  const held = orderIds.length
    ? await db('ledger_entries')
        .whereIn('account', orderIds.map(ACCOUNTS.escrow))
        .sum({ d: 'debit', c: 'credit' })
        .first()
    : undefined;
  const payable = await db('ledger_entries')
    .where({ account: ACCOUNTS.freelancerPayable(freelancerId) })
    .sum({ d: 'debit', c: 'credit' })
    .first();
  const transit = (await db('ledger_entries as e')
    .join('ledger_journals as j', 'j.id', 'e.journal_id')
    .join('pencairan_dana as w', 'w.id', 'j.record_id')
    .where('e.account', ACCOUNTS.payoutInTransit)
    .andWhere('w.freelancer_id', freelancerId)
    .groupBy('j.kind')
    .select('j.kind')
    .sum({ d: 'e.debit', c: 'e.credit' })) as { kind: string; d: unknown; c: unknown }[];
  return {
    ditahan: num(held?.c) - num(held?.d),
    dapat_dicairkan: num(payable?.c) - num(payable?.d),
    dalam_proses: transit.reduce((s, r) => s + num(r.c) - num(r.d), 0),
    // paid out: completed payouts, less those the bank returned afterwards (their money is back in transit, then payable)
    sudah_dicairkan:
      transit.filter((r) => r.kind === 'payout_completed').reduce((s, r) => s + num(r.d), 0) -
      transit.filter((r) => r.kind === 'payout_returned').reduce((s, r) => s + num(r.c), 0),
  };
}

export async function freelancerBalanceFromTables(db: Knex, freelancerId: string): Promise<FreelancerBalance> {
  const escrows = (await db('escrow')
    .where({ freelancer_id: freelancerId })
    .select('status')
    .sum({ ditahan: 'jumlah_ditahan', bersih: 'jumlah_bersih' })
    .groupBy('status')) as { status: string; ditahan: unknown; bersih: unknown }[];
  const withdrawals = (await db('pencairan_dana')
    .where({ freelancer_id: freelancerId })
    .select('status')
    .sum({ bersih: 'jumlah_bersih' })
    .groupBy('status')) as { status: string; bersih: unknown }[];
  const e = (statuses: string[], f: 'ditahan' | 'bersih') =>
    escrows.filter((r) => statuses.includes(r.status)).reduce((s, r) => s + num(r[f]), 0);
  const w = (statuses: string[]) =>
    withdrawals.filter((r) => statuses.includes(r.status)).reduce((s, r) => s + num(r.bersih), 0);
  return {
    ditahan: e(['held', 'disputed'], 'ditahan'),
    // a partial release's escrow carries the freelancer's share (X's net) in jumlah_bersih
    dapat_dicairkan:
      e(['released', 'partial_released', 'completed'], 'bersih') - w(['pending', 'processing', 'completed']),
    dalam_proses: w(['pending', 'processing']),
    sudah_dicairkan: w(['completed']),
  };
}
