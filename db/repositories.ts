import type { Knex } from 'knex';
import { nowDb } from './time';

/**
 * Repositories: the only code that knows table and column names, one file per
 * table group. Writes that move state are guarded by the state they expect
 * (`where status = ...`), so a retried activity or a late duplicate never
 * moves a record backwards; inserts that may repeat prove the existing row is
 * the same record (db/rows.ts).
 */
export type {
  DisputeRecord,
  EscrowRecord,
  NewEscrow,
  NewPayment,
  OrderRecord,
  PaymentRecord,
  RefundRecord,
  WithdrawalRecord,
} from '../domain/records';
export * from './orders';
export * from './payments';
export * from './payments-legacy';
export * from './escrow';
export * from './withdrawals';
export * from './disputes';
export * from './refunds';
export { IdempotencyConflictError, isUniqueViolation } from './rows';

// ---- webhook audit trail ------------------------------------------------

export async function logWebhook(
  db: Knex,
  e: {
    transaction_id: string | null;
    transaction_status: string | null;
    gross_amount: string | null;
    http_status: number;
    result: string;
  },
): Promise<void> {
  await db('webhook_log').insert({ ...e, received_at: nowDb() });
}
