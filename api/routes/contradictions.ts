import { Router } from 'express';
import { listContradictions, resolveContradiction as resolve } from '../../db/payout-truth';
import type { PayoutContradictionRecord } from '../../domain/payout-truth';
import { principalOf } from '../auth';
import { asyncHandler, conflict, notFound } from '../errors';
import { contradictionsQuery, idParam, parse, resolveContradiction } from '../schemas';
import { RouteDeps, adminOnly, ok } from './context';

/** A contradiction as admins read it. */
export const contradictionView = (c: PayoutContradictionRecord) => ({
  id: c.id,
  payout_key: c.payout_key,
  record_type: c.record_type,
  record_id: c.record_id,
  escrow_id: c.escrow_id,
  pesanan_id: c.pesanan_id,
  party_id: c.party_id,
  amount: c.amount,
  recorded_status: c.recorded_status,
  gateway_status: c.gateway_status,
  gateway_reference: c.gateway_reference,
  gateway_failure_reason: c.gateway_failure_reason,
  record_status_before: c.record_status_before,
  record_status_after: c.record_status_after,
  corrected: c.corrected,
  detected_by: c.detected_by,
  status: c.status,
  resolved_by: c.resolved_by,
  resolution: c.resolution,
  detected_at: c.detected_at,
  resolved_at: c.resolved_at,
});

/**
 * Payout contradictions (db/payout-truth.ts): the gateway's record of a
 * payout disagreeing with the outcome recorded. Each open one freezes its
 * escrow's withdrawals (or its refund) until an admin resolves it.
 */
export function contradictionsRouter({ db, auth }: RouteDeps): Router {
  const router = Router();
  router.use('/api/admin/payouts', auth, adminOnly);

  router.get(
    '/api/admin/payouts/contradictions',
    asyncHandler(async (req, res) => {
      const q = parse(contradictionsQuery, req.query, 'query');
      res.json(
        ok('Payout contradictions retrieved', { items: (await listContradictions(db, q)).map(contradictionView) }),
      );
    }),
  );

  router.post(
    '/api/admin/payouts/contradictions/:id/resolve',
    asyncHandler(async (req, res) => {
      const id = parse(idParam, req.params.id, 'id');
      const body = parse(resolveContradiction, req.body);
      const { changed, contradiction } = await resolve(db, { id, admin_id: principalOf(req).id, alasan: body.alasan });
      if (!contradiction) throw notFound('payout contradiction');
      if (!changed) throw conflict('this contradiction is already resolved', { status: contradiction.status });
      res.json(ok('Payout contradiction resolved; its money is no longer frozen', contradictionView(contradiction)));
    }),
  );
  return router;
}
