import { Router } from 'express';
import { audit } from '../../db/audit';
import * as repo from '../../db/repositories';
import { resolveDisputeUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, badRequest, conflict, forbidden, notFound } from '../errors';
import { isPartyTo } from '../../domain/access';
import { disputesQuery, parse } from '../schemas';
import { disputeListView, disputeView, escrowView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { RouteDeps, actorOf, adminOnly, escrowWorkflowGone, ok, readPage } from './context';

/** The admins' side of disputes: the list, and the decision. Anyone else authenticated gets 403. */
export function disputesRouter({ db, auth, workflows, payments, v }: RouteDeps): Router {
  const router = Router();
  router.use('/api/admin/disputes', auth, adminOnly);

  /** Disputes newest first, open or resolved, with their parties, the amount held, reasons and ages. */
  router.get(
    '/api/admin/disputes',
    asyncHandler(async (req, res) => {
      const q = parse(disputesQuery, req.query, 'query');
      const found = await readPage(() => repo.listDisputes(db, { status: q.status, limit: q.limit, cursor: q.cursor }));
      const now = Date.now();
      res.json(
        ok('Disputes retrieved', {
          items: found.items.map((d) => disputeListView(d, now)),
          next_cursor: found.next_cursor,
        }),
      );
    }),
  );

  /**
   * The decision on a disputed escrow, through the order workflow, which
   * records it: release (all to the freelancer), partial (X to the freelancer
   * less 5% of X, the rest back to the client), refund (all back to the client).
   */
  router.post(
    '/api/admin/disputes/resolve',
    asyncHandler(async (req, res) => {
      const body = parse(v.resolveDispute, req.body);
      const escrow = await repo.getEscrow(db, body.escrow_id);
      if (!escrow) throw notFound('escrow');
      const admin = principalOf(req);
      // separation of duties: an admin who is the order's client or freelancer does not judge its own dispute
      if (isPartyTo(admin, escrow))
        throw forbidden(
          'an admin who is a party to this order (its client or its freelancer) may not decide its dispute; another admin must',
        );
      if (escrow.status !== 'disputed')
        throw conflict(`escrow is ${escrow.status}; only a disputed escrow can be decided`, { status: escrow.status });
      const x = body.jumlah_freelancer ?? null;
      if (x !== null && x >= escrow.jumlah_ditahan)
        throw badRequest(
          `must be below jumlah_ditahan (${escrow.jumlah_ditahan}); to give the freelancer all of it, decide release`,
          'jumlah_freelancer',
        );
      await payments.deliver(escrow.pembayaran_id);
      await workflows
        .update(escrow.pesanan_id, resolveDisputeUpdate, {
          admin_id: admin.id,
          keputusan: body.keputusan,
          jumlah_freelancer: x,
          alasan: body.alasan,
        })
        .catch(async (err) => {
          if (err instanceof WorkflowGoneError)
            await escrowWorkflowGone(db, escrow.id, 'disputed', 'decided', 'this dispute needs an operator');
          throw err;
        });
      const now = (await repo.getEscrow(db, escrow.id))!;
      const dispute = (await repo.getDisputeOfEscrow(db, escrow.id))!;
      const refund = await repo.getRefundOfPayment(db, escrow.pembayaran_id);
      const order = await repo.getOrder(db, escrow.pesanan_id);
      await audit(db, actorOf(req), {
        action: 'dispute.resolve_requested',
        record_type: 'dispute',
        record_id: dispute.id,
        pesanan_id: escrow.pesanan_id,
        status_before: 'open',
        status_after: dispute.status,
      });
      res.json(
        ok(`Dispute decided: ${body.keputusan}`, {
          dispute: disputeView(dispute),
          escrow: escrowView(now, order?.pencairan_id ?? null, { refund_id: refund?.id ?? null }),
          order_status: order?.status ?? null,
          refund: refund ? { id: refund.id, jumlah: refund.jumlah, status: refund.status } : null,
        }),
      );
    }),
  );

  return router;
}
