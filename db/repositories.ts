import type { Knex } from 'knex';
import type { EscrowStatus, OrderStatus, PaymentStatus, WithdrawalStatus } from '../domain/statuses';
import { fromDbTime, nowDb, toDbTime } from './time';

/**
 * Repositories: the only code that knows table and column names. Writes that
 * move state are guarded by the state they expect (`where status = ...`), so a
 * retried activity or a late duplicate never moves a record backwards.
 */
export interface OrderRecord {
  id: string;
  client_id: string;
  freelancer_id: string;
  judul: string;
  harga: number;
  status: OrderStatus;
  pembayaran_id: string | null;
  escrow_id: string | null;
  pencairan_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface PaymentRecord {
  id: string;
  pesanan_id: string;
  user_id: string;
  transaction_id: string;
  nomor_invoice: string;
  jumlah: number;
  biaya_platform: number;
  biaya_gateway: number;
  total_bayar: number;
  metode_pembayaran: string;
  channel: string;
  payment_gateway: string;
  gateway_reference: string | null;
  payment_url: string | null;
  payment_instructions: Record<string, unknown> | null;
  status: PaymentStatus;
  gateway_status: string | null;
  expires_at: string;
  dibayar_pada: string | null;
  created_at: string;
  updated_at: string;
}

export interface EscrowRecord {
  id: string;
  pembayaran_id: string;
  pesanan_id: string;
  client_id: string;
  freelancer_id: string;
  jumlah_ditahan: number;
  biaya_platform: number;
  jumlah_bersih: number;
  status: EscrowStatus;
  ditahan_pada: string;
  akan_dirilis_pada: string;
  dirilis_pada: string | null;
  dirilis_oleh: string | null;
  alasan: string | null;
  created_at: string;
  updated_at: string;
}

export interface WithdrawalRecord {
  id: string;
  escrow_id: string;
  pesanan_id: string;
  freelancer_id: string;
  jumlah: number;
  biaya_platform: number;
  jumlah_bersih: number;
  metode_pencairan: string;
  nomor_rekening: string;
  nama_pemilik: string;
  status: WithdrawalStatus;
  bukti_transfer: string | null;
  referensi_payout: string | null;
  dicairkan_pada: string | null;
  created_at: string;
  updated_at: string;
}

const MONEY = ['harga', 'jumlah', 'biaya_platform', 'biaya_gateway', 'total_bayar', 'jumlah_ditahan', 'jumlah_bersih'];
const TIMES = ['created_at', 'updated_at', 'expires_at', 'dibayar_pada', 'ditahan_pada', 'akan_dirilis_pada', 'dirilis_pada', 'dicairkan_pada'];

function fromRow<T>(row: Record<string, unknown> | undefined): T | undefined {
  if (!row) return undefined;
  const out: Record<string, unknown> = { ...row };
  for (const k of MONEY) if (k in out && out[k] !== null) out[k] = Number(out[k]);
  for (const k of TIMES) if (k in out) out[k] = fromDbTime(out[k]);
  if (typeof out.payment_instructions === 'string') out.payment_instructions = JSON.parse(out.payment_instructions);
  return out as T;
}

// ---- orders -------------------------------------------------------------

export interface NewOrder {
  id: string;
  client_id: string;
  freelancer_id: string;
  judul: string;
  harga: number;
}

export async function insertOrder(db: Knex, order: NewOrder): Promise<OrderRecord> {
  const now = nowDb();
  await db('pesanan').insert({ ...order, status: 'menunggu_pembayaran', created_at: now, updated_at: now });
  return (await getOrder(db, order.id)) as OrderRecord;
}

export async function getOrder(db: Knex, id: string): Promise<OrderRecord | undefined> {
  return fromRow<OrderRecord>(await db('pesanan').where({ id }).first());
}

// ---- payments -----------------------------------------------------------

export type NewPayment = Omit<PaymentRecord, 'status' | 'gateway_status' | 'dibayar_pada' | 'created_at' | 'updated_at'> & {
  created_at: string;
};

/** Records a created payment and links it to its order; a repeat is a no-op. */
export async function insertPaymentIfAbsent(db: Knex, p: NewPayment): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pembayaran')
      .insert({
        ...p,
        payment_instructions: JSON.stringify(p.payment_instructions ?? null),
        status: 'menunggu',
        expires_at: toDbTime(p.expires_at),
        created_at: toDbTime(p.created_at),
        updated_at: now,
      })
      .onConflict('id')
      .ignore();
    await trx('pesanan').where({ id: p.pesanan_id }).update({ pembayaran_id: p.id, updated_at: now });
  });
}

export async function getPayment(db: Knex, id: string): Promise<PaymentRecord | undefined> {
  return fromRow<PaymentRecord>(await db('pembayaran').where({ id }).first());
}

export async function getPaymentByTransactionId(db: Knex, transactionId: string): Promise<PaymentRecord | undefined> {
  return fromRow<PaymentRecord>(await db('pembayaran').where({ transaction_id: transactionId }).first());
}

export type NewEscrow = Pick<
  EscrowRecord,
  'id' | 'pembayaran_id' | 'pesanan_id' | 'client_id' | 'freelancer_id' | 'jumlah_ditahan' | 'biaya_platform' | 'jumlah_bersih' | 'ditahan_pada' | 'akan_dirilis_pada'
>;

/**
 * Payment settled: payment → berhasil, escrow created (held), order → dibayar,
 * in one transaction. Idempotent: a repeat finds everything already done.
 */
export async function settlePayment(
  db: Knex,
  s: { payment_id: string; gateway_status: string; dibayar_pada: string; escrow: NewEscrow },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pembayaran')
      .where({ id: s.payment_id, status: 'menunggu' })
      .update({ status: 'berhasil', gateway_status: s.gateway_status, dibayar_pada: toDbTime(s.dibayar_pada), updated_at: now });
    await trx('escrow')
      .insert({
        ...s.escrow,
        status: 'held',
        ditahan_pada: toDbTime(s.escrow.ditahan_pada),
        akan_dirilis_pada: toDbTime(s.escrow.akan_dirilis_pada),
        created_at: now,
        updated_at: now,
      })
      .onConflict('id')
      .ignore();
    await trx('pesanan')
      .where({ id: s.escrow.pesanan_id, status: 'menunggu_pembayaran' })
      .update({ status: 'dibayar', escrow_id: s.escrow.id, updated_at: now });
  });
}

/** Payment failed or expired: payment → gagal/kadaluarsa, order → dibatalkan. Idempotent. */
export async function closePayment(
  db: Knex,
  c: { payment_id: string; pesanan_id: string; status: 'gagal' | 'kadaluarsa'; gateway_status: string | null },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pembayaran')
      .where({ id: c.payment_id, status: 'menunggu' })
      .update({ status: c.status, gateway_status: c.gateway_status, updated_at: now });
    await trx('pesanan').where({ id: c.pesanan_id, status: 'menunggu_pembayaran' }).update({ status: 'dibatalkan', updated_at: now });
  });
}

/** No payment was ever created for the order in time: the order is cancelled. Idempotent. */
export async function cancelUnpaidOrder(db: Knex, pesananId: string): Promise<void> {
  await db('pesanan').where({ id: pesananId, status: 'menunggu_pembayaran' }).update({ status: 'dibatalkan', updated_at: nowDb() });
}

// ---- escrow -------------------------------------------------------------

export async function getEscrow(db: Knex, id: string): Promise<EscrowRecord | undefined> {
  return fromRow<EscrowRecord>(await db('escrow').where({ id }).first());
}

/** Escrow held → released, order → selesai. Idempotent. */
export async function releaseEscrow(
  db: Knex,
  r: { escrow_id: string; pesanan_id: string; dirilis_pada: string; dirilis_oleh: 'client' | 'auto'; alasan: string | null },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('escrow')
      .where({ id: r.escrow_id, status: 'held' })
      .update({ status: 'released', dirilis_pada: toDbTime(r.dirilis_pada), dirilis_oleh: r.dirilis_oleh, alasan: r.alasan, updated_at: now });
    await trx('pesanan').where({ id: r.pesanan_id, status: 'dibayar' }).update({ status: 'selesai', updated_at: now });
  });
}

// ---- withdrawals --------------------------------------------------------

export type NewWithdrawal = Omit<WithdrawalRecord, 'status' | 'bukti_transfer' | 'referensi_payout' | 'dicairkan_pada' | 'created_at' | 'updated_at'> & {
  status: 'pending' | 'processing';
  created_at: string;
};

export async function insertWithdrawalIfAbsent(db: Knex, w: NewWithdrawal): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pencairan_dana')
      .insert({ ...w, created_at: toDbTime(w.created_at), updated_at: now })
      .onConflict('id')
      .ignore();
    await trx('pesanan').where({ id: w.pesanan_id }).update({ pencairan_id: w.id, updated_at: now });
  });
}

export async function getWithdrawal(db: Knex, id: string): Promise<WithdrawalRecord | undefined> {
  return fromRow<WithdrawalRecord>(await db('pencairan_dana').where({ id }).first());
}

/** Payout done: withdrawal → completed with its proof, escrow → completed. Idempotent. */
export async function completeWithdrawal(
  db: Knex,
  c: { withdrawal_id: string; escrow_id: string; bukti_transfer: string; referensi_payout: string; dicairkan_pada: string },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    await trx('pencairan_dana')
      .where({ id: c.withdrawal_id })
      .whereIn('status', ['pending', 'processing'])
      .update({
        status: 'completed',
        bukti_transfer: c.bukti_transfer,
        referensi_payout: c.referensi_payout,
        dicairkan_pada: toDbTime(c.dicairkan_pada),
        updated_at: now,
      });
    await trx('escrow').where({ id: c.escrow_id }).whereIn('status', ['released', 'partial_released']).update({ status: 'completed', updated_at: now });
  });
}

// ---- webhook audit trail ------------------------------------------------

export async function logWebhook(
  db: Knex,
  e: { transaction_id: string | null; transaction_status: string | null; gross_amount: string | null; http_status: number; result: string },
): Promise<void> {
  await db('webhook_log').insert({ ...e, received_at: nowDb() });
}
