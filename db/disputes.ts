import type { Knex } from 'knex';
import { escrowPartiallyReleased, escrowReleased } from '../domain/ledger';
import { payoutAmounts } from '../domain/money';
import type { DisputeRecord, EscrowRecord, RefundRecord } from '../domain/records';
import {
  DISPUTE_OUTCOMES,
  DisputeDecision,
  DisputeStatus,
  EscrowStatus,
  OrderStatus,
  RELEASABLE_ORDER_STATUSES,
} from '../domain/statuses';
import { Actor, audit } from './audit';
import * as ledger from './ledger';
import { Page, page } from './pages';
import { moveEscrowAndOrder } from './escrow';
import { oweEscrowRefund } from './refunds';
import { fromRow } from './rows';
import { nowDb, toDbTime } from './time';

/**
 * Disputes: a held escrow is disputed by the order's client or freelancer, and
 * an admin decides it. Each step is one transaction guarded by the state it
 * expects (escrow held, dispute open), so a retried activity changes nothing
 * twice and a release racing a dispute finds the escrow moved.
 */
export async function getDispute(db: Knex, id: string): Promise<DisputeRecord | undefined> {
  return fromRow<DisputeRecord>(await db('disputes').where({ id }).first());
}

export async function getDisputeOfEscrow(db: Knex, escrowId: string): Promise<DisputeRecord | undefined> {
  return fromRow<DisputeRecord>(await db('disputes').where({ escrow_id: escrowId }).first());
}

export type OpenDisputeResult =
  | { kind: 'opened'; dispute: DisputeRecord }
  | { kind: 'refused'; escrow_status: string | null; order_status: OrderStatus | null };

/** Escrow held → disputed, order → dispute, the dispute recorded, in one transaction. A retry finds its dispute. */
export async function openDispute(
  db: Knex,
  d: {
    id: string;
    escrow_id: string;
    user_id: string;
    role: 'client' | 'freelancer';
    alasan: string;
    at: string;
    actor: Actor;
  },
): Promise<OpenDisputeResult> {
  return db.transaction(async (trx): Promise<OpenDisputeResult> => {
    const existing = await getDispute(trx, d.id);
    if (existing) return { kind: 'opened', dispute: existing };
    const escrow = fromRow<EscrowRecord>(await trx('escrow').where({ id: d.escrow_id }).first());
    const order =
      escrow &&
      ((await trx('pesanan').where({ id: escrow.pesanan_id }).first('status')) as { status: OrderStatus } | undefined);
    if (!escrow || escrow.status !== 'held' || !order || !RELEASABLE_ORDER_STATUSES.includes(order.status)) {
      return { kind: 'refused', escrow_status: escrow?.status ?? null, order_status: order?.status ?? null };
    }
    const now = nowDb();
    await trx('disputes').insert({
      id: d.id,
      escrow_id: escrow.id,
      pesanan_id: escrow.pesanan_id,
      client_id: escrow.client_id,
      freelancer_id: escrow.freelancer_id,
      dibuka_oleh: d.user_id,
      peran_pembuka: d.role,
      alasan: d.alasan.slice(0, 1000),
      status: 'open',
      dibuka_pada: toDbTime(d.at),
      created_at: now,
      updated_at: now,
    });
    await audit(trx, d.actor, {
      action: 'dispute.opened',
      record_type: 'dispute',
      record_id: d.id,
      pesanan_id: escrow.pesanan_id,
      status_before: null,
      status_after: 'open',
    });
    await moveEscrowAndOrder(trx, {
      escrow_id: escrow.id,
      pesanan_id: escrow.pesanan_id,
      from: 'held',
      change: { status: 'disputed' },
      orderFrom: order.status,
      orderTo: 'dispute',
      actor: d.actor,
    });
    return { kind: 'opened', dispute: (await getDispute(trx, d.id)) as DisputeRecord };
  });
}

export interface DisputeResolution {
  escrow_id: string;
  keputusan: DisputeDecision;
  /** X for a partial decision (1 ≤ X < jumlah_ditahan) */
  jumlah_freelancer: number | null;
  admin_id: string;
  alasan: string;
  at: string;
  /** the refund's id, for partial and refund decisions */
  refund_id: string;
}

export type ResolveResult =
  | { kind: 'resolved'; dispute: DisputeRecord; escrow: EscrowRecord; refund: RefundRecord | null }
  | { kind: 'refused'; dispute_status: DisputeStatus | null };

/**
 * An admin decides an open dispute, in one transaction: the dispute resolved,
 * the escrow released (all to the freelancer), partially released (X to the
 * freelancer, the rest owed back) or refunded (all owed back), the order
 * selesai or refunded, with their journals and the refund record. A retry of
 * the same decision answers it again.
 */
export async function resolveDispute(db: Knex, r: DisputeResolution): Promise<ResolveResult> {
  return db.transaction(async (trx): Promise<ResolveResult> => {
    const dispute = fromRow<DisputeRecord>(await trx('disputes').where({ escrow_id: r.escrow_id }).first());
    if (!dispute) return { kind: 'refused', dispute_status: null };
    const actor: Actor = { type: 'user', id: r.admin_id, role: 'admin' };
    if (dispute.status !== 'open') {
      if (dispute.keputusan !== r.keputusan) return { kind: 'refused', dispute_status: dispute.status };
      const escrow = fromRow<EscrowRecord>(await trx('escrow').where({ id: r.escrow_id }).first()) as EscrowRecord;
      const refund =
        fromRow<RefundRecord>(await trx('refunds').where({ pembayaran_id: escrow.pembayaran_id }).first()) ?? null;
      return { kind: 'resolved', dispute, escrow, refund };
    }
    const now = nowDb();
    const outcome = DISPUTE_OUTCOMES[r.keputusan];
    const x = r.keputusan === 'partial' ? (r.jumlah_freelancer ?? 0) : null;
    await trx('disputes')
      .where({ id: dispute.id, status: 'open' })
      .update({
        status: 'resolved',
        keputusan: r.keputusan,
        jumlah_freelancer: x,
        diputuskan_oleh: r.admin_id,
        alasan_keputusan: r.alasan.slice(0, 1000),
        diputuskan_pada: toDbTime(r.at),
        updated_at: now,
      });
    await audit(trx, actor, {
      action: 'dispute.resolved',
      record_type: 'dispute',
      record_id: dispute.id,
      pesanan_id: dispute.pesanan_id,
      status_before: 'open',
      status_after: 'resolved',
    });
    const before = fromRow<EscrowRecord>(await trx('escrow').where({ id: r.escrow_id }).first()) as EscrowRecord;
    const change: { status: EscrowStatus } & Record<string, unknown> = {
      status: outcome.escrow,
      alasan: r.alasan.slice(0, 500),
    };
    if (r.keputusan !== 'refund') Object.assign(change, { dirilis_pada: toDbTime(r.at), dirilis_oleh: 'admin' });
    if (x !== null) {
      const share = payoutAmounts(x);
      Object.assign(change, {
        jumlah_dirilis: x,
        biaya_platform: share.biaya_platform,
        jumlah_bersih: share.jumlah_bersih,
      });
    }
    // the database holds an open dispute only for a disputed escrow of an order in dispute: anything else throws
    await moveEscrowAndOrder(trx, {
      escrow_id: r.escrow_id,
      pesanan_id: dispute.pesanan_id,
      from: 'disputed',
      change,
      orderFrom: 'dispute',
      orderTo: outcome.order,
      actor,
    });
    const escrow = fromRow<EscrowRecord>(await trx('escrow').where({ id: r.escrow_id }).first()) as EscrowRecord;
    if (r.keputusan === 'release') await ledger.post(trx, escrowReleased(escrow));
    if (r.keputusan === 'partial') await ledger.post(trx, escrowPartiallyReleased(escrow));
    const refund =
      r.keputusan === 'release'
        ? null
        : await oweEscrowRefund(trx, {
            id: r.refund_id,
            escrow: before,
            jumlahFreelancer: x ?? 0,
            alasan: `dispute decided (${r.keputusan}): ${r.alasan}`,
            actor,
          });
    return { kind: 'resolved', dispute: (await getDispute(trx, dispute.id)) as DisputeRecord, escrow, refund };
  });
}

/** Disputes newest first, open or resolved, one page at a time. */
export async function listDisputes(
  db: Knex,
  o: { status?: DisputeStatus; limit: number; cursor?: string },
): Promise<Page<DisputeRecord & { jumlah_ditahan: number }>> {
  const q = db('disputes')
    .join('escrow', 'escrow.id', 'disputes.escrow_id')
    .select('disputes.*', 'escrow.jumlah_ditahan');
  if (o.status) q.where('disputes.status', o.status);
  return page(
    q,
    { ...o, table: 'disputes' },
    (r) => fromRow<DisputeRecord & { jumlah_ditahan: number }>(r) as DisputeRecord & { jumlah_ditahan: number },
  );
}
