import type { Knex } from 'knex';
import type { EscrowRecord } from '../domain/records';
import { escrowReleased } from '../domain/ledger';
import { EscrowStatus, OrderStatus, RELEASABLE_ORDER_STATUSES } from '../domain/statuses';
import { Actor, SYSTEM, audit } from './audit';
import * as ledger from './ledger';
import { fromRow } from './rows';
import { nowDb, toDbTime } from './time';

export async function getEscrow(db: Knex, id: string): Promise<EscrowRecord | undefined> {
  return fromRow<EscrowRecord>(await db('escrow').where({ id }).first());
}

export async function getEscrowOfPayment(db: Knex, paymentId: string): Promise<EscrowRecord | undefined> {
  return fromRow<EscrowRecord>(await db('escrow').where({ pembayaran_id: paymentId }).first());
}

/** Escrow held → released, order (dibayar, dikerjakan or menunggu_review) → selesai, and the release journal, in one transaction. Idempotent. */
export async function releaseEscrow(
  db: Knex,
  r: {
    escrow_id: string;
    pesanan_id: string;
    dirilis_pada: string;
    dirilis_oleh: 'client' | 'auto';
    alasan: string | null;
  },
): Promise<void> {
  await db.transaction(async (trx) => {
    const now = nowDb();
    const released = await trx('escrow')
      .where({ id: r.escrow_id, status: 'held' })
      .update({
        status: 'released',
        dirilis_pada: toDbTime(r.dirilis_pada),
        dirilis_oleh: r.dirilis_oleh,
        alasan: r.alasan,
        updated_at: now,
      });
    // the order finishes from any status the escrow can be released in (paid, work started, work delivered)
    const order = (await trx('pesanan').where({ id: r.pesanan_id }).first('status')) as
      { status: OrderStatus } | undefined;
    const before = order && RELEASABLE_ORDER_STATUSES.includes(order.status) ? order.status : null;
    const finished = before
      ? await trx('pesanan').where({ id: r.pesanan_id, status: before }).update({ status: 'selesai', updated_at: now })
      : 0;
    if (!released) return;
    const escrow = (await getEscrow(trx, r.escrow_id)) as EscrowRecord;
    await ledger.post(trx, escrowReleased(escrow));
    const actor =
      r.dirilis_oleh === 'client' ? { type: 'user' as const, id: escrow.client_id, role: 'client' } : SYSTEM;
    await audit(trx, actor, {
      action: r.dirilis_oleh === 'client' ? 'escrow.released' : 'escrow.auto_released',
      record_type: 'escrow',
      record_id: r.escrow_id,
      pesanan_id: r.pesanan_id,
      status_before: 'held',
      status_after: 'released',
    });
    if (finished)
      await audit(trx, actor, {
        action: 'order.status_changed',
        record_type: 'order',
        record_id: r.pesanan_id,
        pesanan_id: r.pesanan_id,
        status_before: before,
        status_after: 'selesai',
      });
  });
}

/**
 * Moves an escrow and its order together (a dispute opened or decided, a
 * cancellation's refund), each guarded by the status it is expected in, with
 * both audit rows, in the caller's transaction. Throws when either has moved
 * meanwhile: the transaction rolls back, and the activity's retry reads again.
 */
export async function moveEscrowAndOrder(
  trx: Knex.Transaction,
  m: {
    escrow_id: string;
    pesanan_id: string;
    from: EscrowStatus;
    change: { status: EscrowStatus } & Record<string, unknown>;
    orderFrom: OrderStatus;
    orderTo: OrderStatus;
    actor: Actor;
  },
): Promise<void> {
  const now = nowDb();
  const moved = await trx('escrow')
    .where({ id: m.escrow_id, status: m.from })
    .update({ ...m.change, updated_at: now });
  const orderMoved = await trx('pesanan')
    .where({ id: m.pesanan_id, status: m.orderFrom })
    .update({ status: m.orderTo, updated_at: now });
  if (!moved || !orderMoved)
    throw new Error(
      `escrow ${m.escrow_id} (expected ${m.from}) or its order (expected ${m.orderFrom}) moved meanwhile`,
    );
  await audit(trx, m.actor, {
    action: `escrow.${m.change.status}`,
    record_type: 'escrow',
    record_id: m.escrow_id,
    pesanan_id: m.pesanan_id,
    status_before: m.from,
    status_after: m.change.status,
  });
  await audit(trx, m.actor, {
    action: 'order.status_changed',
    record_type: 'order',
    record_id: m.pesanan_id,
    pesanan_id: m.pesanan_id,
    status_before: m.orderFrom,
    status_after: m.orderTo,
  });
}
