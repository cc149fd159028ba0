import { RequestHandler, Router } from 'express';
import { auditTrail } from '../../db/audit';
import * as ledger from '../../db/ledger';
import { principalOf } from '../auth';
import { asyncHandler, forbidden } from '../errors';
import { ledgerAccountsQuery, ledgerJournalsQuery, parse } from '../schemas';
import { RouteDeps, ok } from './context';

/** Admin reads of the books and the audit trail. Anyone else authenticated gets 403. */
export function adminRouter({ db, auth }: RouteDeps): Router {
  const router = Router();
  const adminOnly: RequestHandler = (req, _res, next) => next(principalOf(req).role === 'admin' ? undefined : forbidden('only an admin may do this'));
  router.use('/api/admin', auth, adminOnly);

  router.get(
    '/api/admin/ledger/accounts',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerAccountsQuery, req.query, 'query');
      const accounts = await ledger.balances(db, q.prefix ?? '');
      res.json(ok('Ledger balances retrieved', { sign: 'balance = debit − credit: positive is a debit balance (assets, expenses), negative a credit balance (liabilities, revenue)', currency: 'IDR', accounts }));
    }),
  );

  router.get(
    '/api/admin/ledger/journals',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerJournalsQuery, req.query, 'query');
      res.json(ok('Ledger journals retrieved', { record_id: q.record_id, journals: await ledger.journalsFor(db, q.record_id) }));
    }),
  );

  router.get(
    '/api/admin/audit',
    asyncHandler(async (req, res) => {
      const q = parse(ledgerJournalsQuery, req.query, 'query');
      res.json(ok('Audit trail retrieved', { record_id: q.record_id, entries: await auditTrail(db, q.record_id) }));
    }),
  );

  return router;
}
