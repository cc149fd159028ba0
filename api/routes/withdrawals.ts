import { Router } from 'express';
import { canSeeFullAccount, canSeeWithdrawal } from '../../domain/access';
import { WITHDRAWABLE_ESCROW_STATUSES } from '../../domain/statuses';
import * as repo from '../../db/repositories';
import { withdrawUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden, notFound } from '../errors';
import { idParam, parse } from '../schemas';
import { withdrawalView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { audit } from '../../db/audit';
import { RouteDeps, actorOf, mayAct, ok, visibleEscrow } from './context';

export function withdrawalsRouter({ db, workflows, payments, config, v, auth }: RouteDeps): Router {
  const router = Router();

  router.post(
    '/api/payments/withdraw',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.withdraw, req.body);
      const escrow = await visibleEscrow(db, p, body.escrow_id);
      mayAct(p, 'withdraw', body.freelancer_id);
      if (escrow.freelancer_id !== p.id) throw forbidden('only the order\'s freelancer may withdraw its escrow');
      const order = await repo.getOrder(db, escrow.pesanan_id);
      if (order?.pencairan_id) throw conflict('this escrow has already been withdrawn', { withdrawal_id: order.pencairan_id });
      if (!WITHDRAWABLE_ESCROW_STATUSES.includes(escrow.status)) {
        throw conflict(`escrow is ${escrow.status}; it can be withdrawn only after it is released`, { status: escrow.status });
      }
      await payments.deliver(escrow.pembayaran_id); // the workflow knows the escrow it pays out (a no-op once it does)
      const w = await workflows
        .update(escrow.pesanan_id, withdrawUpdate, {
          freelancer_id: p.id,
          metode_pencairan: body.metode_pencairan,
          nomor_rekening: body.nomor_rekening,
          nama_pemilik: body.nama_pemilik,
          auto_process: config.mock.autoWithdrawal,
        })
        .catch((err) => {
          if (err instanceof WorkflowGoneError) throw conflict('this escrow has already been withdrawn');
          throw err;
        });
      await audit(db, actorOf(req), { action: 'withdrawal.request_accepted', record_type: 'withdrawal', record_id: w.withdrawal_id, pesanan_id: escrow.pesanan_id, status_before: null, status_after: w.status });
      res.status(201).json(
        ok('Withdrawal request created successfully', {
          withdrawal_id: w.withdrawal_id,
          status: w.status,
          jumlah: w.jumlah,
          biaya_platform: w.biaya_platform,
          jumlah_bersih: w.jumlah_bersih,
          metode_pencairan: w.metode_pencairan,
          bukti_transfer: w.bukti_transfer,
          dicairkan_pada: w.dicairkan_pada,
          escrow_id: w.escrow_id,
        }),
      );
    }),
  );

  router.get(
    '/api/payments/withdrawals/:id',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const w = await repo.getWithdrawal(db, parse(idParam, req.params.id, 'id'));
      if (!w || !canSeeWithdrawal(p, w)) throw notFound('withdrawal');
      res.json(ok('Withdrawal retrieved', withdrawalView(w, canSeeFullAccount(p, w))));
    }),
  );

  return router;
}
