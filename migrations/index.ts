import type { Knex } from 'knex';
import * as initial from './20261126000001_initial';
import * as paymentPathInDatabase from './20261128000001_payment_path_in_database';
import * as ledger from './20261128000002_ledger';
import * as auditLog from './20261128000003_audit_log';
import * as payoutDesk from './20261128000004_payout_desk';
import * as lowerCaseUserIds from './20261128000005_lower_case_user_ids';
import * as notifications from './20261128000006_notifications';
import * as paymentRetries from './20261128000007_payment_retries';
import * as disputesAndRefunds from './20261128000008_disputes_and_refunds';
import * as payoutContradictions from './20261204000009_payout_contradictions';

/**
 * The migrations, in order, as a knex MigrationSource: no file globbing, so
 * they run the same under tsx, jest and compiled JavaScript.
 */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261126000001_initial': initial,
  '20261128000001_payment_path_in_database': paymentPathInDatabase,
  '20261128000002_ledger': ledger,
  '20261128000003_audit_log': auditLog,
  '20261128000004_payout_desk': payoutDesk,
  '20261128000005_lower_case_user_ids': lowerCaseUserIds,
  '20261128000006_notifications': notifications,
  '20261128000007_payment_retries': paymentRetries,
  '20261128000008_disputes_and_refunds': disputesAndRefunds,
  '20261204000009_payout_contradictions': payoutContradictions,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({ migrationSource });
  return applied as string[];
}

export async function migrateRollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
}
