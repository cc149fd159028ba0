import { Router } from 'express';
import * as repo from '../../db/repositories';
import { releaseEscrowUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden } from '../errors';
import { idParam, parse } from '../schemas';
import { escrowView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { audit } from '../../db/audit';
import { RouteDeps, actorOf, mayAct, ok, visibleEscrow } from './context';

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
      if (escrow.client_id !== p.id) throw forbidden('only the order\'s client may release its escrow');
      if (escrow.status !== 'held') throw conflict(`escrow is ${escrow.status}; only a held escrow can be released`, { status: escrow.status });
      await payments.deliver(escrow.pembayaran_id); // the workflow holds the escrow before it is asked to release it (a no-op once it knows)
      const released = await workflows.update(escrow.pesanan_id, releaseEscrowUpdate, { user_id: p.id, reason: body.reason ?? null }).catch(async (err) => {
        if (err instanceof WorkflowGoneError) {
          const now = await repo.getEscrow(db, escrow.id);
          throw conflict(`escrow is ${now?.status}; only a held escrow can be released`, { status: now?.status });
        }
        throw err;
      });
      await audit(db, actorOf(req), { action: 'escrow.release_requested', record_type: 'escrow', record_id: escrow.id, pesanan_id: escrow.pesanan_id, status_before: escrow.status, status_after: released.status });
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

  router.get(
    '/api/payments/escrow/:id',
    auth,
    asyncHandler(async (req, res) => {
      const escrow = await visibleEscrow(db, principalOf(req), parse(idParam, req.params.id, 'id'));
      const order = await repo.getOrder(db, escrow.pesanan_id);
      res.json(ok('Escrow retrieved', escrowView(escrow, order?.pencairan_id ?? null)));
    }),
  );

  return router;
}
