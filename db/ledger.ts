import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  Journal,
  assertBalanced,
  escrowReleased,
  latePaymentReceived,
  paymentSettled,
  payoutCompleted,
  payoutSent,
} from '../domain/ledger';
import type { EscrowRecord, PaymentRecord, WithdrawalRecord } from '../domain/records';
import { fromRow } from './rows';
import { fromDbTime, nowDb } from './time';

/**
 * Posting and reading the books. `post` runs inside the transaction of the
 * state change it records; the UNIQUE (kind, record_id) key means a second
 * post for the same movement fails (callers post only when their guarded
 * update changed the row, so a retry never gets that far).
 */
export async function post(trx: Knex.Transaction | Knex, j: Journal): Promise<string> {
  assertBalanced(j);
  const id = randomUUID();
  await trx('ledger_journals').insert({
    id,
    kind: j.kind,
    record_type: j.record_type,
    record_id: j.record_id,
    pesanan_id: j.pesanan_id,
    description: j.description.slice(0, 255),
    posted_at: nowDb(),
  });
  await trx('ledger_entries').insert(
    j.entries.map((e) => ({ journal_id: id, account: e.account, debit: e.debit, credit: e.credit, currency: 'IDR' })),
  );
  return id;
}

export interface AccountBalance {
  account: string;
  debit: number;
  credit: number;
  /** debit − credit: positive is a debit balance (assets, expenses), negative a credit balance (liabilities, revenue) */
  balance: number;
}

/** Balances of the accounts whose name starts with `prefix` (all when empty). */
export async function balances(db: Knex, prefix = ''): Promise<AccountBalance[]> {
  const q = db('ledger_entries')
    .select('account')
    .sum({ debit: 'debit', credit: 'credit' })
    .groupBy('account')
    .orderBy('account');
  if (prefix) q.whereRaw(`account like ? escape '!'`, [`${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`]);
  const rows = (await q) as unknown as { account: string; debit: unknown; credit: unknown }[];
  return rows.map((r) => ({
    account: r.account,
    debit: Number(r.debit),
    credit: Number(r.credit),
    balance: Number(r.debit) - Number(r.credit),
  }));
}

export interface JournalWithEntries {
  id: string;
  kind: string;
  record_type: string;
  record_id: string;
  pesanan_id: string;
  description: string;
  posted_at: string;
  entries: { account: string; debit: number; credit: number; currency: string }[];
}

/** The journals of a payment, escrow or withdrawal (or of an order, by its id), oldest first, with their entries. */
export async function journalsFor(db: Knex, recordId: string): Promise<JournalWithEntries[]> {
  const journals = await db('ledger_journals').where({ record_id: recordId }).orWhere({ pesanan_id: recordId });
  if (journals.length === 0) return [];
  const entries = await db('ledger_entries')
    .whereIn(
      'journal_id',
      journals.map((j: { id: string }) => j.id),
    )
    .orderBy('id');
  // posting order: entries are numbered as they are written (journals posted in one millisecond keep their order)
  const firstEntry = new Map<string, number>();
  for (const e of entries) if (!firstEntry.has(e.journal_id)) firstEntry.set(e.journal_id, Number(e.id));
  journals.sort((a: { id: string }, b: { id: string }) => (firstEntry.get(a.id) ?? 0) - (firstEntry.get(b.id) ?? 0));
  return journals.map((j: Record<string, unknown>) => ({
    id: String(j.id),
    kind: String(j.kind),
    record_type: String(j.record_type),
    record_id: String(j.record_id),
    pesanan_id: String(j.pesanan_id),
    description: String(j.description),
    posted_at: fromDbTime(j.posted_at) as string,
    entries: entries
      .filter((e: { journal_id: string }) => e.journal_id === j.id)
      .map((e: Record<string, unknown>) => ({
        account: String(e.account),
        debit: Number(e.debit),
        credit: Number(e.credit),
        currency: String(e.currency),
      })),
  }));
}

/**
 * Opening journals: the movements made before the books existed (records
 * whose status says money moved, without their journal) get the journal they
 * would have had, marked as opening. Runs at every start until it has once
 * completed (`ledger_state`), so a crash half-way is finished by the next
 * start; idempotent anyway (a journal is unique per kind and record).
 */
export async function postOpeningJournals(db: Knex): Promise<number> {
  let posted = await openingStep(db, 'opening_journals', () => openingJournals(db));
  // Withdrawals reserve their money when requested (pending included) since the payout desk: pending ones from before get theirs.
  posted += await openingStep(db, 'pending_withdrawals_reserved', async () => {
    const pending = await db('pencairan_dana').where({ status: 'pending' });
    return pending.map((r: Record<string, unknown>) => payoutSent(fromRow<WithdrawalRecord>(r) as WithdrawalRecord));
  });
  return posted;
}

async function openingJournals(db: Knex): Promise<Journal[]> {
  const rows = async <T>(table: string) => (await db(table)).map((r: Record<string, unknown>) => fromRow<T>(r) as T);
  const owed: Journal[] = [];
  for (const p of await rows<PaymentRecord>('pembayaran')) {
    if (p.status === 'berhasil') owed.push(paymentSettled(p));
    if (p.refund_status) owed.push(latePaymentReceived(p));
  }
  for (const e of await rows<EscrowRecord>('escrow'))
    if (['released', 'completed'].includes(e.status) && e.jumlah_dirilis == null) owed.push(escrowReleased(e));
  for (const w of await rows<WithdrawalRecord>('pencairan_dana')) {
    if (['processing', 'completed'].includes(w.status)) owed.push(payoutSent(w));
    if (w.status === 'completed') owed.push(payoutCompleted(w));
  }
  return owed;
}

/** Posts the journals a step owes that are not posted yet, then marks the step done (once). */
async function openingStep(db: Knex, step: string, owedJournals: () => Promise<Journal[]>): Promise<number> {
  if (await db('ledger_state').where({ step }).first('step')) return 0;
  let posted = 0;
  for (const j of await owedJournals()) {
    const exists = await db('ledger_journals').where({ kind: j.kind, record_id: j.record_id }).first('id');
    if (exists) continue;
    await db.transaction((trx) => post(trx, { ...j, description: `opening balance: ${j.description}` }));
    posted++;
  }
  await db('ledger_state').insert({ step, done_at: nowDb() });
  return posted;
}
