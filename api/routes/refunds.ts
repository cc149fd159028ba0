import { Router } from 'express';
import { audit } from '../../db/audit';
import * as repo from '../../db/repositories';
import { openContradictionOfRefund, resolvedContradictionOfRefund } from '../../db/payout-truth';
import type { Principal } from '../../domain/access';
import { ACCOUNT_AWAITING_REFUND_STATUSES } from '../../domain/statuses';
import { refundAccountUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden, notFound } from '../errors';
import { startRefundWorkflow } from '../refund-path';
import { idParam, parse, refundAccount } from '../schemas';
import { refundView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { RouteDeps, actorOf, ok } from './context';

/** A refund is the order's client's (and admins'): anyone else gets 404, as for a missing one. */
async function visibleRefund(db: RouteDeps['db'], p: Principal, id: string) {
  const refund = await repo.getRefund(db, id);
  if (!refund || !(p.role === 'admin' || (p.role === 'client' && refund.client_id === p.id))) throw notFound('refund');
  return refund;
}

/** Refunds: reading one, and giving the account a virtual account or bank transfer payment's refund is paid to. */
export function refundsRouter({ db, auth, workflows }: RouteDeps): Router {
  const router = Router();

  router.get(
    '/api/payments/refunds/:id',
    auth,
    asyncHandler(async (req, res) => {
      const refund = await visibleRefund(db, principalOf(req), parse(idParam, req.params.id, 'id'));
      res.json(ok('Refund retrieved', refundView(refund)));
    }),
  );

  /**
   * The client gives the account (while the refund waits for one, or after the
   * bank refused the last): the refund's workflow records it and pays it out.
   */
  router.post(
    '/api/payments/refunds/:id/account',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(refundAccount, req.body);
      const refund = await visibleRefund(db, p, parse(idParam, req.params.id, 'id'));
      if (p.role !== 'client') throw forbidden("only the order's client may give the refund's account");
      if (!ACCOUNT_AWAITING_REFUND_STATUSES.includes(refund.status)) {
        throw conflict(
          `refund is ${refund.status}; an account is given only while it waits for one (menunggu_rekening, or failed)`,
          { status: refund.status },
        );
      }
      const frozen = await openContradictionOfRefund(db, refund.id);
      if (frozen)
        throw conflict(
          `this refund is frozen: the gateway's record of payout ${frozen.payout_key} contradicts what was recorded; nothing more is paid until an admin resolves it`,
          { contradiction_id: frozen.id },
        );
      const request = {
        user_id: p.id,
        metode_pencairan: body.metode_pencairan,
        channel: body.channel,
        nomor_rekening: body.nomor_rekening,
        nama_pemilik: body.nama_pemilik,
      };
      const give = () => workflows.updateRefund(refund.id, refundAccountUpdate, request);
      await give().catch(async (err) => {
        if (!(err instanceof WorkflowGoneError)) throw err;
        // its workflow was never started (the sweep would start it): start it now and give the account; or it
        // ended paid, the bank returned the payout, and an admin resolved that contradiction: a new run pays it again
        const again = refund.status === 'failed' && (await resolvedContradictionOfRefund(db, refund.id)) !== undefined;
        await startRefundWorkflow({ db, workflows }, refund, undefined, { again });
        return give().catch((again) => {
          // its workflow ran and ended without paying it (refused for good at the gateway): an operator's
          if (again instanceof WorkflowGoneError)
            throw conflict("the refund's workflow has ended without paying it; this refund needs an operator", {
              status: refund.status,
            });
          throw again;
        });
      });
      const now = (await repo.getRefund(db, refund.id))!;
      await audit(db, actorOf(req), {
        action: 'refund.account_requested',
        record_type: 'refund',
        record_id: refund.id,
        pesanan_id: refund.pesanan_id,
        status_before: refund.status,
        status_after: now.status,
      });
      res.json(ok('Account recorded; the refund is being paid out to it', refundView(now)));
    }),
  );

  return router;
}
