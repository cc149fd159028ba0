import { condition, uuid4 } from '@temporalio/workflow';
import { DISPUTE_OUTCOMES } from '../domain/statuses';
import { DB_WRITE, acts } from './activity-options';
import type { OrderContext } from './context';
import type { EscrowExit, EscrowMessages } from './escrow';
import { oweRefund } from './refund';

/**
 * A dispute over the held escrow (workflows/escrow.ts holds it): opened by the
 * order's client or freelancer, recorded in the database (escrow disputed,
 * order dispute), then decided by an admin with no timer running: release,
 * partial release, or refund.
 */
/** Records the dispute (escrow disputed, order dispute). False when the database refused it (its update answers why). */
export async function openDispute({ state, record }: OrderContext, m: EscrowMessages): Promise<boolean> {
  const req = m.dispute!;
  const openedAt = new Date().toISOString();
  const result = await acts.openDispute.executeWithOptions(
    { ...DB_WRITE, summary: `escrow held → disputed, order → dispute (opened by the ${req.role})` },
    [
      {
        id: uuid4(),
        escrow_id: state.escrow!.escrow_id,
        user_id: req.user_id.toLowerCase(),
        role: req.role,
        alasan: req.alasan,
        at: openedAt,
      },
    ],
  );
  if (result.kind === 'refused') {
    m.refused = `escrow is ${result.escrow_status ?? 'missing'} and the order ${result.order_status ?? 'missing'}; only a held escrow of a paid order can be disputed`;
    m.dispute = undefined;
    return false;
  }
  const d = result.dispute;
  state.dispute = {
    dispute_id: d.id,
    status: 'open',
    dibuka_oleh: d.dibuka_oleh,
    peran_pembuka: d.peran_pembuka,
    alasan: d.alasan,
    dibuka_pada: d.dibuka_pada,
    keputusan: null,
    jumlah_freelancer: null,
    diputuskan_oleh: null,
    alasan_keputusan: null,
    diputuskan_pada: null,
  };
  state.escrow!.status = 'disputed';
  state.order_status = 'dispute';
  record(
    `dispute opened by the ${req.role}: ${req.alasan}; the auto-release is stopped until an admin decides`,
    'dispute',
  );
  return true;
}

/** Waits, with no timer, for the admin's decision, and records it. */
export async function decideDispute({ state, record }: OrderContext, m: EscrowMessages): Promise<EscrowExit> {
  await condition(() => m.resolution !== undefined);
  const r = m.resolution!;
  const decidedAt = new Date().toISOString();
  m.releasing = r.keputusan !== 'refund';
  const result = await acts.resolveDispute.executeWithOptions(
    {
      ...DB_WRITE,
      summary: `admin decides the dispute: ${r.keputusan}${r.keputusan === 'partial' ? ` (Rp ${r.jumlah_freelancer} to the freelancer)` : ''}`,
    },
    [
      {
        escrow_id: state.escrow!.escrow_id,
        keputusan: r.keputusan,
        jumlah_freelancer: r.jumlah_freelancer,
        admin_id: r.admin_id,
        alasan: r.alasan,
        at: decidedAt,
        refund_id: uuid4(),
      },
    ],
  );
  // the database holds an open dispute for every disputed escrow: a refusal here is a record in an impossible state
  if (result.kind === 'refused')
    throw new Error(
      `the database refused the decision on escrow ${state.escrow!.escrow_id}: dispute ${result.dispute_status ?? 'missing'}`,
    );
  const outcome = DISPUTE_OUTCOMES[r.keputusan];
  const e = result.escrow;
  Object.assign(state.escrow!, {
    status: e.status,
    biaya_platform: e.biaya_platform,
    jumlah_bersih: e.jumlah_bersih,
    dirilis_pada: e.dirilis_pada,
    dirilis_oleh: e.dirilis_oleh,
    alasan: e.alasan,
  });
  if (e.jumlah_dirilis != null) state.escrow!.jumlah_dirilis = e.jumlah_dirilis;
  state.order_status = outcome.order;
  Object.assign(state.dispute!, {
    status: 'resolved',
    keputusan: r.keputusan,
    jumlah_freelancer: result.dispute.jumlah_freelancer,
    diputuskan_oleh: r.admin_id,
    alasan_keputusan: r.alasan,
    diputuskan_pada: result.dispute.diputuskan_pada,
  });
  const words = {
    release: `dispute decided by admin ${r.admin_id}: released to the freelancer`,
    partial: `dispute decided by admin ${r.admin_id}: Rp ${r.jumlah_freelancer} to the freelancer (Rp ${e.jumlah_bersih} net), the rest refunded to the client`,
    refund: `dispute decided by admin ${r.admin_id}: refunded to the client`,
  };
  // the refund's amount is the client's (the refund topic, hidden from the freelancer); one record publishes both entries
  if (result.refund) oweRefund(state, result.refund, decidedAt);
  record(`${words[r.keputusan]} (${r.alasan})`, 'dispute');
  return outcome.escrow as EscrowExit;
}
