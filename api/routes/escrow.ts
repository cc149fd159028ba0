import { Router } from 'express';
import * as repo from '../../db/repositories';
import { openDisputeUpdate, releaseEscrowUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden } from '../errors';
import { idParam, openDispute, parse } from '../schemas';
import { disputeView, escrowView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { audit } from '../../db/audit';
import { canSeePayment } from '../../domain/access';
import { RouteDeps, actorOf, escrowWorkflowGone, mayAct, ok, visibleEscrow } from './context';

export function escrowRouter({ db, workflows, payments, v, auth }: RouteDeps): Router {
  const router = Router();

  router.post(
    '/api/payments/escrow/release',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.releaseEscrow, req.body);
      const escrow = await visibleEscrow(db, p, body.escrow_id);
      mayAct(p, 'releaseEscrow', body.user_id);
      if (escrow.client_id !== p.id) throw forbidden("only the order's client may release its escrow");
      if (escrow.status !== 'held')
        throw conflict(`escrow is ${escrow.status}; only a held escrow can be released`, { status: escrow.status });
      await payments.deliver(escrow.pembayaran_id); // the workflow holds the escrow before it is asked to release it (a no-op once it knows)
      const released = await workflows
        .update(escrow.pesanan_id, releaseEscrowUpdate, { user_id: p.id, reason: body.reason ?? null })
        .catch(async (err) => {
          if (err instanceof WorkflowGoneError) await escrowWorkflowGone(db, escrow.id, 'held', 'released');
          throw err;
        });
      await audit(db, actorOf(req), {
        action: 'escrow.release_requested',
        record_type: 'escrow',
        record_id: escrow.id,
        pesanan_id: escrow.pesanan_id,
        status_before: escrow.status,
        status_after: released.status,
      });
      res.json(
        ok('Escrow released successfully', {
          escrow_id: released.escrow_id,
          status: released.status,
          jumlah_ditahan: released.jumlah_ditahan,
          biaya_platform: released.biaya_platform,
          jumlah_bersih: released.jumlah_bersih,
          dirilis_pada: released.dirilis_pada,
        }),
      );
    }),
  );

  /**
   * A dispute: the order's client or its freelancer, while the escrow is held.
   * The order workflow records it (escrow disputed, order dispute) and stops
   * the auto-release; an admin decides it. A dispute that loses the race to a
   * release (the client's or the timer's) gets 409.
   */
  router.post(
    '/api/payments/escrow/dispute',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(openDispute, req.body);
      const escrow = await visibleEscrow(db, p, body.escrow_id);
      if (p.role === 'admin')
        throw forbidden("only the order's client or freelancer may open a dispute; an admin decides it");
      if (body.user_id !== p.id) throw forbidden('the user id in the request is not the authenticated user');
      const role = p.role as 'client' | 'freelancer';
      if (escrow.status === 'disputed')
        throw conflict('escrow is already disputed; an admin decides it', { status: escrow.status });
      if (escrow.status !== 'held')
        throw conflict(`escrow is ${escrow.status}; only a held escrow can be disputed`, { status: escrow.status });
      await payments.deliver(escrow.pembayaran_id); // the workflow holds the escrow before it is asked (a no-op once it knows)
      const dispute = await workflows
        .update(escrow.pesanan_id, openDisputeUpdate, { user_id: p.id, role, alasan: body.alasan })
        .catch(async (err) => {
          if (err instanceof WorkflowGoneError) await escrowWorkflowGone(db, escrow.id, 'held', 'disputed');
          throw err;
        });
      await audit(db, actorOf(req), {
        action: 'escrow.dispute_requested',
        record_type: 'escrow',
        record_id: escrow.id,
        pesanan_id: escrow.pesanan_id,
        status_before: escrow.status,
        status_after: 'disputed',
      });
      const recorded = await repo.getDispute(db, dispute.dispute_id);
      res.status(201).json(
        ok('Dispute opened; the escrow is held until an admin decides', {
          escrow_id: escrow.id,
          status: 'disputed',
          order_status: 'dispute',
          dispute: recorded ? disputeView(recorded) : null,
        }),
      );
    }),
  );

  router.get(
    '/api/payments/escrow/:id',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const escrow = await visibleEscrow(db, p, parse(idParam, req.params.id, 'id'));
      const order = await repo.getOrder(db, escrow.pesanan_id);
      const dispute = (await repo.getDisputeOfEscrow(db, escrow.id)) ?? null;
      // the refund is the client's: its id for the client and admins
      const refund =
        order && canSeePayment(p, order) ? await repo.getRefundOfPayment(db, escrow.pembayaran_id) : undefined;
      res.json(
        ok(
          'Escrow retrieved',
          escrowView(escrow, order?.pencairan_id ?? null, { dispute, refund_id: refund?.id ?? null }),
        ),
      );
    }),
  );

  return router;
}
