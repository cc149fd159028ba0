import { Router } from 'express';
import { auditTrail } from '../../db/audit';
import * as ledger from '../../db/ledger';
import { principalOf } from '../auth';
import { asyncHandler, conflict, forbidden, notFound } from '../errors';
import { isPartyTo } from '../../domain/access';
import {
  analyticsQuery,
  approvalQueueQuery,
  idParam,
  ledgerAccountsQuery,
  ledgerJournalsQuery,
  parse,
  rejectWithdrawal,
} from '../schemas';
import * as repo from '../../db/repositories';
import { analytics } from '../../db/analytics';
import { audit } from '../../db/audit';
import { decideWithdrawalUpdate } from '../../workflows/messages';
import { withdrawalView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { RouteDeps, actorOf, adminOnly, ok, readPage } from './context';

/** Admin reads of the books and the audit trail, and the payout desk. Anyone else authenticated gets 403. */
export function adminRouter({ db, auth, workflows, config }: RouteDeps): Router {
  const router = Router();
  router.use('/api/admin', auth, adminOnly);

  router.get(
    '/api/admin/ledger/accounts',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerAccountsQuery, req.query, 'query');
      const accounts = await ledger.balances(db, q.prefix ?? '');
      res.json(
        ok('Ledger balances retrieved', {
          sign: 'balance = debit − credit: positive is a debit balance (assets, expenses), negative a credit balance (liabilities, revenue)',
          currency: 'IDR',
          accounts,
        }),
      );
    }),
  );

  router.get(
    '/api/admin/ledger/journals',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerJournalsQuery, req.query, 'query');
      res.json(
        ok('Ledger journals retrieved', {
          record_id: q.record_id,
          journals: await ledger.journalsFor(db, q.record_id),
        }),
      );
    }),
  );

  router.get(
    '/api/admin/audit',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerJournalsQuery, req.query, 'query');
      res.json(ok('Audit trail retrieved', { record_id: q.record_id, entries: await auditTrail(db, q.record_id) }));
    }),
  );

  router.get(
    '/api/admin/analytics',
    asyncHandler(async (req, res) => {
      const q = parse(analyticsQuery, req.query, 'query');
      res.json(ok('Analytics retrieved', { currency: 'IDR', ...(await analytics(db, q.from, q.to)) }));
    }),
  );

  /** The approval queue: pending withdrawals, oldest first, the account masked to its last 4 digits. */
  router.get(
    '/api/admin/withdrawals',
    asyncHandler(async (req, res) => {
      const q = parse(approvalQueueQuery, req.query, 'query');
      const found = await readPage(() =>
        repo.listWithdrawals(db, { status: q.status, limit: q.limit, cursor: q.cursor, oldestFirst: true }),
      );
      res.json(
        ok('Withdrawals retrieved', {
          items: found.items.map((w) => withdrawalView(w, false)),
          next_cursor: found.next_cursor,
        }),
      );
    }),
  );

  const decide = (decision: 'approve' | 'reject') =>
    asyncHandler(async (req, res) => {
      const id = parse(idParam, req.params.id, 'id');
      const alasan = decision === 'reject' ? parse(rejectWithdrawal, req.body).alasan : null;
      const w = await repo.getWithdrawal(db, id);
      if (!w) throw notFound('withdrawal');
      const admin = principalOf(req);
      // separation of duties: not on an order the admin is a party to (its client, or the freelancer withdrawing)
      const order = (await repo.getOrder(db, w.pesanan_id))!;
      if (isPartyTo(admin, { client_id: order.client_id, freelancer_id: w.freelancer_id })) {
        throw forbidden(
          `an admin who is a party to this order (its client or its freelancer) may not ${decision} its withdrawal; another admin must`,
        );
      }
      const refuse = (status: string) =>
        conflict(
          `withdrawal is ${status}; only a pending withdrawal can be ${decision === 'approve' ? 'approved' : 'rejected'}`,
          { status },
        );
      if (w.status !== 'pending') throw refuse(w.status);
      let workflowEnded = false;
      await workflows
        .update(w.pesanan_id, decideWithdrawalUpdate, {
          withdrawal_id: w.id,
          decision,
          admin_id: admin.id,
          alasan,
          payout_max_attempts: config.payout.maxAttempts,
          payout_status_check_after: config.payout.statusCheckAfter,
        })
        .catch(async (err) => {
          if (!(err instanceof WorkflowGoneError)) throw err;
          const current = (await repo.getWithdrawal(db, id))!;
          if (current.status !== 'pending') throw refuse(current.status);
          // The order's workflow was ended by an operator: a rejection is recorded here (its money returns);
          // an approval needs the workflow that pays out.
          if (decision === 'approve')
            throw conflict("this withdrawal's order workflow has ended; it can only be rejected", {
              status: current.status,
            });
          await repo.endWithdrawal(db, {
            withdrawal_id: id,
            status: 'rejected',
            alasan: alasan as string,
            admin_id: admin.id,
          });
          workflowEnded = true;
        });
      const now = (await repo.getWithdrawal(db, id))!;
      await audit(db, actorOf(req), {
        action: `withdrawal.${decision}_requested`,
        record_type: 'withdrawal',
        record_id: w.id,
        pesanan_id: w.pesanan_id,
        status_before: 'pending',
        status_after: now.status,
      });
      const message =
        decision === 'approve'
          ? 'Withdrawal approved; the payout is on its way'
          : workflowEnded
            ? "Withdrawal rejected; its money is owed to the freelancer again, but this order's workflow has ended: withdrawing it again needs an operator"
            : 'Withdrawal rejected; the money can be withdrawn again';
      res.json(ok(message, withdrawalView(now, false)));
    });
  router.post('/api/admin/withdrawals/:id/approve', decide('approve'));
  router.post('/api/admin/withdrawals/:id/reject', decide('reject'));

  return router;
}
