import type { Knex } from 'knex';
import { ACCOUNTS } from '../domain/ledger';
import { fromDbTime, toDbTime } from './time';

/**
 * The admin's figures for a period [from, to): payments by status and method
 * (by creation time), platform revenue and gateway fees from the books (by
 * posting time), money in escrow now, the average time from hold to release
 * (escrows released in the period), and dispute and refund rates. Portable SQL
 * (MySQL and SQLite); durations are computed here, not in SQL.
 */
export interface Analytics {
  from: string;
  to: string;
  payments: { status: string; metode_pembayaran: string; count: number; total_bayar: number }[];
  platform_revenue: number;
  gateway_fees: { paid: number; recovered: number; absorbed: number };
  escrow_held_now: number;
  average_hold_to_release_seconds: number | null;
  released_in_period: number;
  dispute_rate: number | null;
  refund_rate: number | null;
}

const num = (v: unknown) => Number(v ?? 0);

export async function analytics(db: Knex, fromIso: string, toIso: string): Promise<Analytics> {
  const from = toDbTime(fromIso);
  const to = toDbTime(toIso);
  const payments = (await db('pembayaran')
    .where('created_at', '>=', from)
    .andWhere('created_at', '<', to)
    .select('status', 'metode_pembayaran')
    .count({ count: '*' })
    .sum({ total_bayar: 'total_bayar' })
    .groupBy('status', 'metode_pembayaran')
    .orderBy(['status', 'metode_pembayaran'])) as {
    status: string;
    metode_pembayaran: string;
    count: unknown;
    total_bayar: unknown;
  }[];
  const posted = async (account: string) =>
    (await db('ledger_entries as e')
      .join('ledger_journals as j', 'j.id', 'e.journal_id')
      .where('e.account', account)
      .andWhere('j.posted_at', '>=', from)
      .andWhere('j.posted_at', '<', to)
      .sum({ d: 'e.debit', c: 'e.credit' })
      .first()) as { d: unknown; c: unknown } | undefined;
  const revenue = await posted(ACCOUNTS.platformFeeRevenue);
  const expense = await posted(ACCOUNTS.gatewayFeeExpense);
  const recovered = await posted(ACCOUNTS.gatewayFeeRecovered);
  const held = await db('escrow').whereIn('status', ['held', 'disputed']).sum({ held: 'jumlah_ditahan' }).first();
  const released = (await db('escrow')
    .whereNotNull('dirilis_pada')
    .andWhere('dirilis_pada', '>=', from)
    .andWhere('dirilis_pada', '<', to)
    .select('ditahan_pada', 'dirilis_pada')) as { ditahan_pada: unknown; dirilis_pada: unknown }[];
  const seconds = released.map(
    (e) => (Date.parse(fromDbTime(e.dirilis_pada) as string) - Date.parse(fromDbTime(e.ditahan_pada) as string)) / 1000,
  );
  const escrowStatuses = (await db('escrow')
    .where('ditahan_pada', '>=', from)
    .andWhere('ditahan_pada', '<', to)
    .select('status')
    .count({ n: '*' })
    .groupBy('status')) as { status: string; n: unknown }[];
  const escrowsHeld = escrowStatuses.reduce((sum, e) => sum + num(e.n), 0);
  // escrows held in the period that were disputed (whatever the decision), from the disputes table
  const [{ n: disputedCount }] = (await db('escrow')
    .where('ditahan_pada', '>=', from)
    .andWhere('ditahan_pada', '<', to)
    .whereExists(db('disputes').whereRaw('disputes.escrow_id = escrow.id').select('disputes.id'))
    .count({ n: '*' })) as { n: unknown }[];
  const disputed = num(disputedCount);
  const settled = payments.filter((p) => p.status === 'berhasil').reduce((s, p) => s + num(p.count), 0);
  const inPeriod = () => db('pembayaran').where('created_at', '>=', from).andWhere('created_at', '<', to);
  // payments of the period with a refund (a late payment's, or its escrow's after a cancellation or a dispute)
  const [{ n: refunds }] = (await inPeriod()
    .whereExists(db('refunds').whereRaw('refunds.pembayaran_id = pembayaran.id').select('refunds.id'))
    .count({ n: '*' })) as { n: unknown }[];
  const [{ n: late }] = (await inPeriod().whereNotNull('refund_status').count({ n: '*' })) as { n: unknown }[];
  const paid = num(expense?.d) - num(expense?.c);
  const recoveredFees = num(recovered?.c) - num(recovered?.d);
  return {
    from: fromIso,
    to: toIso,
    payments: payments.map((p) => ({
      status: p.status,
      metode_pembayaran: p.metode_pembayaran,
      count: num(p.count),
      total_bayar: num(p.total_bayar),
    })),
    platform_revenue: num(revenue?.c) - num(revenue?.d),
    gateway_fees: { paid, recovered: recoveredFees, absorbed: paid - recoveredFees },
    escrow_held_now: num(held?.held),
    average_hold_to_release_seconds: seconds.length
      ? Math.round(seconds.reduce((a, b) => a + b, 0) / seconds.length)
      : null,
    released_in_period: seconds.length,
    // escrows held in the period that were disputed
    dispute_rate: escrowsHeld ? disputed / escrowsHeld : null,
    // of the payments of the period whose money arrived (settled, or late), those with a refund
    refund_rate: settled + num(late) ? num(refunds) / (settled + num(late)) : null,
  };
}
