import type { Knex } from 'knex';
import {
  ACCOUNTS,
  Entry,
  Journal,
  JournalKind,
  escrowPartiallyReleased,
  escrowReleased,
  latePaymentReceived,
  paymentSettled,
  payoutCompleted,
  payoutReinstated,
  payoutReturned,
  payoutReversed,
  payoutSent,
  refundOwed,
  refundPaid,
  refundPayoutConfirmed,
  refundPayoutReturned,
} from '../domain/ledger';
import type { PayoutContradictionRecord } from '../domain/payout-truth';
import { refundIdOfPayoutKey } from '../domain/ids';
import { correctionMove } from '../domain/payout-truth';
import { lateRefundAmount, refundSplit } from '../domain/money';
import { LIVE_WITHDRAWAL_STATUSES, RETURNED_WITHDRAWAL_STATUSES } from '../domain/statuses';
import { freelancerBalanceFromLedger, freelancerBalanceFromTables } from './balances';
import type { EscrowRecord, PaymentRecord, RefundRecord, WithdrawalRecord } from '../domain/records';
import { refundPaidKey } from './refunds';
import { fromRow } from './rows';

/**
 * Reconciliation: the books against the records they describe, and against
 * the gateway's own books. Every check lists its differences with the record
 * ids; none means every rupiah is where the statuses say it is.
 */
export interface Difference {
  check: string;
  record_id: string;
  detail: string;
}
export interface CheckResult {
  check: string;
  checked: number;
  differences: number;
}
export interface ReconcileReport {
  checks: CheckResult[];
  differences: Difference[];
}

interface Books {
  journals: { id: string; kind: JournalKind; record_id: string; entries: Entry[] }[];
  orphanEntries: { id: number; journal_id: string }[];
  balances: Map<string, number>;
  payments: PaymentRecord[];
  escrows: EscrowRecord[];
  withdrawals: WithdrawalRecord[];
  refunds: RefundRecord[];
  /** payout contradictions whose records and books were moved to follow the gateway */
  corrections: PayoutContradictionRecord[];
}

async function load(db: Knex.Transaction): Promise<Books> {
  const journals = await db('ledger_journals').select('id', 'kind', 'record_id');
  const entries = await db('ledger_entries').select('id', 'journal_id', 'account', 'debit', 'credit');
  const byJournal = new Map<string, Entry[]>();
  const balances = new Map<string, number>();
  for (const e of entries) {
    const entry = { account: String(e.account), debit: Number(e.debit), credit: Number(e.credit) };
    byJournal.set(e.journal_id, [...(byJournal.get(e.journal_id) ?? []), entry]);
    balances.set(entry.account, (balances.get(entry.account) ?? 0) + entry.debit - entry.credit);
  }
  const ids = new Set(journals.map((j: { id: string }) => j.id));
  return {
    journals: journals.map((j: { id: string; kind: JournalKind; record_id: string }) => ({
      ...j,
      entries: byJournal.get(j.id) ?? [],
    })),
    orphanEntries: entries.filter((e: { journal_id: string }) => !ids.has(e.journal_id)),
    balances,
    payments: (await db('pembayaran')).map((r: Record<string, unknown>) => fromRow<PaymentRecord>(r) as PaymentRecord),
    escrows: (await db('escrow')).map((r: Record<string, unknown>) => fromRow<EscrowRecord>(r) as EscrowRecord),
    withdrawals: (await db('pencairan_dana')).map(
      (r: Record<string, unknown>) => fromRow<WithdrawalRecord>(r) as WithdrawalRecord,
    ),
    refunds: (await db('refunds')).map((r: Record<string, unknown>) => fromRow<RefundRecord>(r) as RefundRecord),
    corrections: (await db('payout_contradictions').where({ corrected: true })).map((c: Record<string, unknown>) => ({
      ...(c as unknown as PayoutContradictionRecord),
      amount: Number(c.amount),
    })),
  };
}

const sameEntries = (a: Entry[], b: Entry[]) => {
  const key = (es: Entry[]) =>
    es
      .map((e) => `${e.account}|${e.debit}|${e.credit}`)
      .sort()
      .join(';');
  return key(a) === key(b);
};

/** `inFlightMs`: how long a movement the gateway made may wait for its journal (default 5 minutes; 0: none may). */
export async function reconcile(db: Knex, o: { inFlightMs?: number } = {}): Promise<ReconcileReport> {
  // One read transaction: a snapshot, so a movement committing meanwhile is seen whole or not at all.
  const mysql = db.client.config.client === 'mysql2';
  return db.transaction(
    async (trx) => check(trx, await load(trx), o.inFlightMs ?? IN_FLIGHT_MS),
    mysql ? { isolationLevel: 'repeatable read' } : {},
  );
}

async function check(db: Knex, books: Books, inFlightMs: number): Promise<ReconcileReport> {
  const differences: Difference[] = [];
  const checks: CheckResult[] = [];
  const record = (name: string, run: (diff: (record_id: string, detail: string) => void) => number) => {
    const before = differences.length;
    const checked = run((record_id, detail) => differences.push({ check: name, record_id, detail }));
    checks.push({ check: name, checked, differences: differences.length - before });
  };

  record('every journal balances; no entry without its journal', (diff) => {
    for (const j of books.journals) {
      const debit = j.entries.reduce((s, e) => s + e.debit, 0);
      const credit = j.entries.reduce((s, e) => s + e.credit, 0);
      if (debit !== credit || debit === 0) diff(j.id, `${j.kind} for ${j.record_id}: debit ${debit}, credit ${credit}`);
    }
    for (const e of books.orphanEntries) diff(String(e.id), `entry of journal ${e.journal_id}, which does not exist`);
    return books.journals.length;
  });

  const payments = new Map(books.payments.map((p) => [p.id, p]));
  const escrowsByOrder = new Map(books.escrows.map((e) => [e.pesanan_id, e]));
  const paymentOf = (r: RefundRecord) =>
    payments.get(r.pembayaran_id) ?? { jumlah: 0, biaya_platform: 0, total_bayar: 0 };
  const escrowOf = (r: RefundRecord) => escrowsByOrder.get(r.pesanan_id);
  /** What the freelancer kept of the escrow a refund came from: X of a partial decision, else 0. */
  const keptOf = (r: RefundRecord) => escrowOf(r)?.jumlah_dirilis ?? 0;
  /** What the refund policy (domain/money.ts) says a refund is: the escrow's share back, or a late payment in full. */
  const policyAmount = (r: RefundRecord) =>
    r.jenis === 'late_payment' ? lateRefundAmount(paymentOf(r)) : refundSplit(paymentOf(r), keptOf(r)).jumlah_refund;

  record(
    'each refund has the amount the refund policy gives, and every late payment and refunded escrow has its refund',
    (diff) => {
      const refunded = new Set(books.refunds.map((r) => r.pembayaran_id));
      for (const r of books.refunds) {
        if (!payments.has(r.pembayaran_id)) diff(r.id, `refund of payment ${r.pembayaran_id}, which does not exist`);
        else if (r.jumlah !== policyAmount(r))
          diff(r.id, `refund of Rp ${r.jumlah}; the policy gives Rp ${policyAmount(r)}`);
      }
      for (const p of books.payments)
        if (p.refund_status !== null && !refunded.has(p.id)) diff(p.id, 'a late payment without its refund');
      for (const e of books.escrows) {
        const refundable =
          e.status === 'refunded' ||
          e.status === 'partial_released' ||
          (e.status === 'completed' && e.jumlah_dirilis !== null);
        if (refundable && !refunded.has(e.pembayaran_id)) diff(e.id, `escrow ${e.status} without its refund`);
      }
      return books.refunds.length;
    },
  );

  // What the gateway's contradictions changed: a record's status before its correction is the one its own journals follow.
  const refundsById = new Map(books.refunds.map((r) => [r.id, r]));
  const withdrawalCorrection = new Map(
    books.corrections.filter((c) => c.record_type === 'withdrawal').map((c) => [c.record_id, c]),
  );
  const refundCorrections = (id: string) =>
    books.corrections.filter((c) => c.record_type === 'refund' && c.record_id === id);
  const movedOf = (withdrawalId: string) => {
    const c = withdrawalCorrection.get(withdrawalId);
    return c ? correctionMove(c) : 'none';
  };
  const recordedAs = (w: WithdrawalRecord) =>
    movedOf(w.id) === 'none'
      ? w.status
      : (withdrawalCorrection.get(w.id)!.record_status_before as WithdrawalRecord['status']);
  /**
   * The payouts a refund was recorded paid by, each with its own refund_paid: every payout of it the bank
   * later returned (a contradiction), and the one that completes it now, unless a correction completed it.
   */
  const refundPaidKeys = (r: RefundRecord) => {
    const cs = refundCorrections(r.id);
    const keys = cs.filter((c) => c.gateway_status === 'failed').map((c) => c.payout_key);
    if (r.status === 'completed' && !cs.some((c) => correctionMove(c) === 'paid')) keys.push(refundPaidKey(r));
    return keys;
  };
  /** How many times the gateway paid the refund, as the books say: its own confirmations, plus corrections paid, less returned. */
  const refundPaidTimes = (r: RefundRecord) =>
    refundPaidKeys(r).length +
    refundCorrections(r.id).filter((c) => c.gateway_status === 'completed').length -
    refundCorrections(r.id).filter((c) => c.gateway_status === 'failed').length;
  /** A party whose money a contradiction corrected may have been paid more than it was owed: an overpayment frozen for an admin, not a difference. */
  const corrected = new Set(books.corrections.map((c) => c.party_id));

  // Each movement's records and the one journal each must have, with the amounts the domain computes.
  const expected: { kind: JournalKind; record_id: string; owed: boolean; journal: () => Journal }[] = [
    ...books.payments.map((p) => ({
      kind: 'payment_settled' as const,
      record_id: p.id,
      owed: p.status === 'berhasil',
      journal: () => paymentSettled(p),
    })),
    ...books.payments.map((p) => ({
      kind: 'late_payment_received' as const,
      record_id: p.id,
      owed: p.refund_status !== null,
      journal: () => latePaymentReceived(p),
    })),
    ...books.escrows.map((e) => ({
      kind: 'escrow_released' as const,
      record_id: e.id,
      owed: ['released', 'completed'].includes(e.status) && e.jumlah_dirilis === null,
      journal: () => escrowReleased(e),
    })),
    // a dispute's partial decision: X released (its own journal) and the rest owed back (the refund's)
    ...books.escrows.map((e) => ({
      kind: 'escrow_partially_released' as const,
      record_id: e.id,
      owed: ['partial_released', 'completed'].includes(e.status) && e.jumlah_dirilis !== null,
      journal: () => escrowPartiallyReleased(e),
    })),
    // an escrow refund is owed when decided (a late payment's was owed by late_payment_received), and paid when the gateway confirmed it
    ...books.refunds.map((r) => ({
      kind: 'refund_owed' as const,
      record_id: r.id,
      owed: r.jenis === 'escrow_refund',
      journal: () => refundOwed(r, paymentOf(r), keptOf(r)),
    })),
    ...books.refunds.flatMap((r) => {
      const keys = refundPaidKeys(r);
      // an unpaid refund's own key, so a refund_paid posted for it is named as not allowed
      const all = keys.includes(r.id) ? keys : [r.id, ...keys];
      return all.map((key) => ({
        kind: 'refund_paid' as const,
        record_id: key,
        owed: keys.includes(key),
        journal: () => refundPaid(r, key),
      }));
    }),
    // every withdrawal reserved its money when it was requested; a rejected or failed one gave it back; one the
    // gateway contradicted was moved to the gateway's outcome with a reinstating or returning journal
    ...books.withdrawals.map((w) => ({
      kind: 'payout_sent' as const,
      record_id: w.id,
      owed: true,
      journal: () => payoutSent(w),
    })),
    ...books.withdrawals.map((w) => ({
      kind: 'payout_completed' as const,
      record_id: w.id,
      owed: recordedAs(w) === 'completed' || movedOf(w.id) === 'paid',
      journal: () => payoutCompleted(w),
    })),
    ...books.withdrawals.map((w) => ({
      kind: 'payout_reversed' as const,
      record_id: w.id,
      owed: RETURNED_WITHDRAWAL_STATUSES.includes(recordedAs(w)) || movedOf(w.id) === 'returned',
      journal: () => payoutReversed(w),
    })),
    ...books.withdrawals.map((w) => ({
      kind: 'payout_reinstated' as const,
      record_id: w.id,
      owed: movedOf(w.id) === 'paid',
      journal: () => payoutReinstated(w),
    })),
    ...books.withdrawals.map((w) => ({
      kind: 'payout_returned' as const,
      record_id: w.id,
      owed: movedOf(w.id) === 'returned',
      journal: () => payoutReturned(w),
    })),
    // a refund payout the gateway contradicted: the client's refund paid (or owed) again, one journal per contradiction
    ...books.corrections
      .filter((c) => c.record_type === 'refund' && refundsById.has(c.record_id))
      .map((c) => ({
        kind:
          c.gateway_status === 'completed' ? ('refund_payout_confirmed' as const) : ('refund_payout_returned' as const),
        record_id: c.id,
        owed: true,
        journal: () =>
          (c.gateway_status === 'completed' ? refundPayoutConfirmed : refundPayoutReturned)(
            refundsById.get(c.record_id)!,
            c.payout_key,
            c.id,
          ),
      })),
  ];
  record(
    'each settlement, late payment, release, refund and payout has exactly its one journal, with the right amounts',
    (diff) => {
      const posted = new Map<string, Books['journals']>();
      for (const j of books.journals)
        posted.set(`${j.kind}|${j.record_id}`, [...(posted.get(`${j.kind}|${j.record_id}`) ?? []), j]);
      for (const x of expected) {
        const found = posted.get(`${x.kind}|${x.record_id}`) ?? [];
        posted.delete(`${x.kind}|${x.record_id}`);
        if (!x.owed) {
          if (found.length) diff(x.record_id, `${x.kind} journal posted, but the record's status does not allow it`);
          continue;
        }
        if (found.length !== 1) diff(x.record_id, `${found.length} ${x.kind} journals, expected 1`);
        else if (!sameEntries(found[0].entries, x.journal().entries))
          diff(x.record_id, `${x.kind} journal amounts differ from the record's`);
      }
      for (const [key, js] of posted)
        diff(key.split('|')[1], `${js.length} ${key.split('|')[0]} journal(s) for a record that does not exist`);
      return expected.filter((x) => x.owed).length;
    },
  );

  const balance = (account: string) => books.balances.get(account) ?? 0;
  record(
    "each escrow account holds what its escrow's status says (held or disputed: jumlah_ditahan; released, partially released, refunded or completed: 0)",
    (diff) => {
      const known = new Set<string>();
      for (const e of books.escrows) {
        const account = ACCOUNTS.escrow(e.pesanan_id);
        known.add(account);
        const want = e.status === 'held' || e.status === 'disputed' ? -e.jumlah_ditahan : 0;
        if (balance(account) !== want)
          diff(
            e.id,
            `${account} balance ${balance(account)}, expected ${want} (escrow ${e.status}, jumlah_ditahan ${e.jumlah_ditahan})`,
          );
      }
      for (const [account, b] of books.balances)
        if (account.startsWith('escrow:') && !known.has(account) && b !== 0)
          diff(account, `balance ${b} for an order without an escrow`);
      return books.escrows.length;
    },
  );

  record('each freelancer_payable is released nets less live and completed withdrawals, never negative', (diff) => {
    const owed = new Map<string, number>();
    // a partial release's escrow carries the freelancer's share (X's net) in jumlah_bersih
    for (const e of books.escrows)
      if (['released', 'partial_released', 'completed'].includes(e.status))
        owed.set(e.freelancer_id, (owed.get(e.freelancer_id) ?? 0) + e.jumlah_bersih);
    for (const w of books.withdrawals)
      if (LIVE_WITHDRAWAL_STATUSES.includes(w.status))
        owed.set(w.freelancer_id, (owed.get(w.freelancer_id) ?? 0) - w.jumlah_bersih);
    for (const [account] of books.balances)
      if (account.startsWith('freelancer_payable:'))
        owed.set(
          account.slice('freelancer_payable:'.length),
          owed.get(account.slice('freelancer_payable:'.length)) ?? 0,
        );
    for (const [freelancer, want] of owed) {
      const account = ACCOUNTS.freelancerPayable(freelancer);
      if (want < 0 && !corrected.has(freelancer)) diff(freelancer, `paid out Rp ${-want} more than was released`);
      if (balance(account) !== -want) diff(freelancer, `${account} balance ${balance(account)}, expected ${-want}`);
    }
    return owed.size;
  });

  record('platform fees, gateway fees, refunds owed and payouts in transit add up from the records', (diff) => {
    const settled = books.payments.filter((p) => p.status === 'berhasil');
    const late = books.payments.filter((p) => p.refund_status !== null);
    const released = books.escrows.filter((e) => ['released', 'partial_released', 'completed'].includes(e.status));
    const escrowRefunds = books.refunds.filter((r) => r.jenis === 'escrow_refund');
    const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);
    const want: [string, number][] = [
      // the client's fee on every settlement and the commission on every release, less the client fee a refund gave back
      [
        ACCOUNTS.platformFeeRevenue,
        -(
          sum(settled, (p) => p.biaya_platform) +
          sum(released, (e) => e.biaya_platform) -
          sum(escrowRefunds, (r) => refundSplit(paymentOf(r), keptOf(r)).biaya_platform_kembali)
        ),
      ],
      [ACCOUNTS.gatewayFeeExpense, sum(settled, (p) => p.biaya_gateway) + sum(late, (p) => p.biaya_gateway)],
      [ACCOUNTS.gatewayFeeRecovered, -sum(settled, (p) => p.biaya_gateway)],
      [
        ACCOUNTS.payoutInTransit,
        -sum(
          books.withdrawals.filter((w) => w.status === 'pending' || w.status === 'processing'),
          (w) => w.jumlah_bersih,
        ),
      ],
    ];
    // each client is owed what was decided (late payments in full, escrow refunds) less what was paid back
    const refunds = new Map<string, number>();
    const owe = (client: string, amount: number) =>
      refunds.set(
        ACCOUNTS.clientRefundPayable(client),
        (refunds.get(ACCOUNTS.clientRefundPayable(client)) ?? 0) - amount,
      );
    for (const p of late) owe(p.user_id, p.total_bayar);
    for (const r of escrowRefunds) owe(r.client_id, r.jumlah);
    for (const r of books.refunds) owe(r.client_id, -r.jumlah * refundPaidTimes(r));
    for (const [account] of books.balances)
      if (account.startsWith('client_refund_payable:') && !refunds.has(account)) refunds.set(account, 0);
    for (const [account, w] of [...want, ...refunds])
      if (balance(account) !== w) diff(account, `balance ${balance(account)}, expected ${w}`);
    return want.length + refunds.size;
  });

  await gatewayClearing(db, books, balance(ACCOUNTS.gatewayClearing), inFlightMs, record);
  await freelancerBalances(db, books, corrected, record);
  return { checks, differences };
}

/** What GET /api/freelancers/me/balance answers from the books equals what the records' statuses say, for every freelancer. */
async function freelancerBalances(
  db: Knex,
  books: Books,
  overpaidMayBe: Set<string>,
  check: (name: string, run: (diff: (id: string, detail: string) => void) => number) => void,
): Promise<void> {
  const freelancers = [
    ...new Set([...books.escrows.map((e) => e.freelancer_id), ...books.withdrawals.map((w) => w.freelancer_id)]),
  ];
  const found: [string, string][] = [];
  for (const f of freelancers) {
    const fromLedger = await freelancerBalanceFromLedger(db, f);
    const fromTables = await freelancerBalanceFromTables(db, f);
    for (const k of Object.keys(fromTables) as (keyof typeof fromTables)[]) {
      if (fromLedger[k] !== fromTables[k])
        found.push([f, `${k}: the books say ${fromLedger[k]}, the records ${fromTables[k]}`]);
      else if (fromLedger[k] < 0 && !(k === 'dapat_dicairkan' && overpaidMayBe.has(f)))
        found.push([f, `${k} is negative (${fromLedger[k]})`]);
    }
  }
  check(
    "each freelancer's balance (ditahan, dapat_dicairkan, dalam_proses, sudah_dicairkan) from the books equals the records",
    (diff) => {
      for (const [f, detail] of found) diff(f, detail);
      return freelancers.length;
    },
  );
}

/** How long a movement the gateway has made may wait for its journal (a webhook in delivery, a payout activity running) before it is a difference. */
const IN_FLIGHT_MS = 5 * 60_000;

/**
 * gateway_clearing against the (mock) gateway's own books, record by record:
 * every settled charge has its payment's settlement (or late-payment) journal
 * and every payout the gateway made its payout_completed journal, and the
 * reverse; then the account's balance equals settled charges less the fee,
 * less payouts, over what is booked. A movement younger than IN_FLIGHT_MS
 * without its journal is in flight, not a difference.
 */
async function gatewayClearing(
  db: Knex,
  books: Books,
  booked: number,
  inFlightMs: number,
  check: (name: string, run: (diff: (id: string, detail: string) => void) => number) => void,
): Promise<void> {
  const now = Date.now();
  const charges: { transaction_id: string; gross_amount: unknown; gateway_fee: unknown; settled_at: string }[] =
    await db('mock_gateway_charges')
      .whereNotNull('settled_at')
      .select('transaction_id', 'gross_amount', 'gateway_fee', 'settled_at');
  // only completed payouts moved money (queued ones are at the bank, failed ones never left)
  const payouts: { idempotency_key: string; amount: unknown; completed_at: string }[] = await db('mock_gateway_payouts')
    .where({ status: 'completed' })
    .select('idempotency_key', 'amount', 'completed_at');
  // refunds left the gateway to the payment's source, or as a payout to the client's account (keyed by the refund)
  const sourceRefunds: { idempotency_key: string; amount: unknown; created_at: string }[] = await db(
    'mock_gateway_refunds',
  ).select('idempotency_key', 'amount', 'created_at');
  const refundIds = new Set(books.refunds.map((r) => r.id));
  const journaled = new Set(books.journals.map((j) => `${j.kind}|${j.record_id}`));
  const paymentByTx = new Map(books.payments.map((p) => [p.transaction_id, p]));
  const young = (at: string) => now - Date.parse(at) < inFlightMs;
  check(
    "gateway_clearing agrees with the gateway's books (each settled charge and payout booked; settled less fee less payouts)",
    (diff) => {
      let expected = 0;
      const settledPayments = new Set<string>();
      for (const c of charges) {
        const p = paymentByTx.get(c.transaction_id);
        const booked =
          p && (journaled.has(`payment_settled|${p.id}`) || journaled.has(`late_payment_received|${p.id}`));
        if (p) settledPayments.add(p.id);
        if (booked) expected += Number(c.gross_amount) - Number(c.gateway_fee);
        else if (!young(c.settled_at))
          diff(
            p?.id ?? c.transaction_id,
            `the gateway settled ${c.transaction_id} (Rp ${c.gross_amount}) but the books have no settlement for it`,
          );
      }
      for (const j of books.journals) {
        if ((j.kind === 'payment_settled' || j.kind === 'late_payment_received') && !settledPayments.has(j.record_id))
          diff(j.record_id, `${j.kind} booked, but the gateway has no settled charge for it`);
      }
      // Each completed payout at the gateway is booked as paid once: a withdrawal's payout_completed (not returned since),
      // a refund's refund_paid for the payout that completed it, or a contradiction's correction for that payout key.
      const refundCorrections = books.corrections.filter((c) => c.record_type === 'refund');
      const returnedRefundKeys = new Set(
        refundCorrections.filter((c) => c.gateway_status === 'failed').map((c) => c.payout_key),
      );
      const bookedPaid = new Set<string>();
      for (const j of books.journals) {
        if (j.kind === 'payout_completed' && !journaled.has(`payout_returned|${j.record_id}`))
          bookedPaid.add(j.record_id);
        // keyed by the payout that paid it: the refund id (to source, or its first account) or `<refund>:n`
        if (j.kind === 'refund_paid' && !returnedRefundKeys.has(j.record_id)) bookedPaid.add(`refund|${j.record_id}`);
      }
      for (const c of refundCorrections) if (c.gateway_status === 'completed') bookedPaid.add(`refund|${c.payout_key}`);
      const paidAtGateway = new Set<string>();
      for (const p of payouts) {
        const isRefund = refundIds.has(refundIdOfPayoutKey(p.idempotency_key));
        const key = isRefund ? `refund|${p.idempotency_key}` : p.idempotency_key;
        paidAtGateway.add(key);
        if (bookedPaid.has(key)) expected -= Number(p.amount);
        else if (!young(p.completed_at))
          diff(
            isRefund ? refundIdOfPayoutKey(p.idempotency_key) : p.idempotency_key,
            `the gateway paid ${isRefund ? `refund payout ${p.idempotency_key}` : 'out'} (Rp ${p.amount}) but the books have no ${isRefund ? 'refund_paid' : 'completed payout'} for it`,
          );
      }
      for (const r of sourceRefunds) {
        paidAtGateway.add(`refund|${r.idempotency_key}`);
        if (bookedPaid.has(`refund|${r.idempotency_key}`)) expected -= Number(r.amount);
        else if (!young(r.created_at))
          diff(
            r.idempotency_key,
            `the gateway refunded Rp ${r.amount} to source but the books have no refund_paid for it`,
          );
      }
      for (const key of bookedPaid) {
        if (paidAtGateway.has(key)) continue;
        const [what, id] = key.startsWith('refund|') ? ['refund', key.slice('refund|'.length)] : ['payout', key];
        diff(
          what === 'refund' ? refundIdOfPayoutKey(id) : id,
          `${what === 'refund' ? `refund payout ${id}` : 'payout'} booked as paid, but the gateway has no completed ${what === 'refund' ? 'refund' : 'payout'} for it`,
        );
      }
      if (booked !== expected)
        diff(ACCOUNTS.gatewayClearing, `balance ${booked}, the gateway's books say ${expected} for what is booked`);
      return charges.length + payouts.length + sourceRefunds.length;
    },
  );
}
