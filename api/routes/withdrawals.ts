import { Router } from 'express';
import { canSeeFullAccount, canSeeWithdrawal } from '../../domain/access';
import { WITHDRAWABLE_ESCROW_STATUSES } from '../../domain/statuses';
import { freelancerBalanceFromLedger } from '../../db/balances';
import * as repo from '../../db/repositories';
import { openContradictionOfEscrow, resolvedContradictionOfEscrow } from '../../db/payout-truth';
import { EscrowRecord, escrowViewOf, paymentViewOf } from '../../domain/records';
import { withdrawUpdate } from '../../workflows/messages';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden, notFound } from '../errors';
import { idParam, parse, withdrawalsQuery } from '../schemas';
import { withdrawalView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { audit } from '../../db/audit';
import { RouteDeps, actorOf, mayAct, ok, readPage, visibleEscrow } from './context';

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
      if (escrow.freelancer_id !== p.id) throw forbidden("only the order's freelancer may withdraw its escrow");
      const frozen = await openContradictionOfEscrow(db, escrow.id);
      if (frozen)
        throw conflict(
          `this escrow is frozen: the gateway's record of payout ${frozen.payout_key} contradicts what was recorded; nothing more is paid until an admin resolves it`,
          { contradiction_id: frozen.id },
        );
      const live = await repo.liveWithdrawalOfEscrow(db, escrow.id);
      if (live) {
        throw conflict(
          live.status === 'completed'
            ? 'this escrow has already been withdrawn'
            : `this escrow has a ${live.status} withdrawal`,
          { withdrawal_id: live.id, status: live.status },
        );
      }
      if (!WITHDRAWABLE_ESCROW_STATUSES.includes(escrow.status)) {
        throw conflict(`escrow is ${escrow.status}; it can be withdrawn only after it is released`, {
          status: escrow.status,
        });
      }
      await payments.deliver(escrow.pembayaran_id); // the workflow knows the escrow it pays out (a no-op once it does)
      const ask = () =>
        workflows.update(escrow.pesanan_id, withdrawUpdate, {
          freelancer_id: p.id,
          metode_pencairan: body.metode_pencairan,
          channel: body.channel,
          nomor_rekening: body.nomor_rekening,
          nama_pemilik: body.nama_pemilik,
          auto_process: config.mock.autoWithdrawal,
          payout_max_attempts: config.payout.maxAttempts,
          payout_status_check_after: config.payout.statusCheckAfter,
        });
      const w = await ask().catch(async (err) => {
        if (!(err instanceof WorkflowGoneError)) throw err;
        // the bank returned a payout after the order's workflow had ended, and an admin resolved that
        // contradiction: a new run of the order's workflow pays the escrow out again
        if (await resolvedContradictionOfEscrow(db, escrow.id)) {
          await workflows.startPayoutRun(await payoutRunInput(escrow));
          return ask();
        }
        // an operator ended the order's workflow: nothing would pay a withdrawal out
        throw conflict(
          "this order's workflow has ended; its escrow cannot be withdrawn through the API (an operator must act)",
        );
      });
      await audit(db, actorOf(req), {
        action: 'withdrawal.request_accepted',
        record_type: 'withdrawal',
        record_id: w.withdrawal_id,
        pesanan_id: escrow.pesanan_id,
        status_before: null,
        status_after: w.status,
      });
      res.status(201).json(
        ok('Withdrawal request created successfully', {
          withdrawal_id: w.withdrawal_id,
          status: w.status,
          jumlah: w.jumlah,
          biaya_platform: w.biaya_platform,
          jumlah_bersih: w.jumlah_bersih,
          metode_pencairan: w.metode_pencairan,
          channel: w.channel ?? body.channel,
          bukti_transfer: w.bukti_transfer,
          dicairkan_pada: w.dicairkan_pada,
          alasan: w.alasan ?? null,
          escrow_id: w.escrow_id,
        }),
      );
    }),
  );

  /** The input of an order workflow run that only pays the escrow out (`resume_payout`). */
  async function payoutRunInput(escrow: EscrowRecord) {
    const order = (await repo.getOrder(db, escrow.pesanan_id))!;
    const payment = (await repo.getPayment(db, escrow.pembayaran_id))!;
    return {
      ...payments.workflowInput(order, payment),
      resume_payout: { payment: paymentViewOf(payment), escrow: escrowViewOf(escrow), order_status: order.status },
    };
  }

  /** A freelancer's own withdrawals (admins: everyone's, or one freelancer's), newest first. */
  router.get(
    '/api/payments/withdrawals',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const q = parse(withdrawalsQuery, req.query, 'query');
      if (p.role === 'client') throw forbidden('only freelancers and admins have withdrawals');
      if (p.role === 'freelancer' && q.freelancer_id && q.freelancer_id !== p.id)
        throw forbidden('a freelancer may list only its own withdrawals');
      const freelancerId = p.role === 'freelancer' ? p.id : q.freelancer_id;
      const found = await readPage(() =>
        repo.listWithdrawals(db, { freelancer_id: freelancerId, status: q.status, limit: q.limit, cursor: q.cursor }),
      );
      // in full for the freelancer's own list; masked in bulk reads by admins (the single read shows it in full)
      res.json(
        ok('Withdrawals retrieved', {
          items: found.items.map((w) => withdrawalView(w, w.freelancer_id === p.id)),
          next_cursor: found.next_cursor,
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

  /** The freelancer's money by where it is, from the ledger (reconcile proves it equals the records). */
  router.get(
    '/api/freelancers/me/balance',
    auth,
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      if (p.role !== 'freelancer') throw forbidden('only a freelancer has a balance');
      res.json(
        ok('Balance retrieved', {
          freelancer_id: p.id,
          currency: 'IDR',
          ...(await freelancerBalanceFromLedger(db, p.id)),
        }),
      );
    }),
  );

  return router;
}
