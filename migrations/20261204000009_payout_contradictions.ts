import type { Knex } from 'knex';

/**
 * Payout contradictions: the gateway's record of a payout (a withdrawal's, or
 * a refund's to the client's account) that disagrees with the outcome the
 * service had recorded for it. One row per payout key. While one is open, the
 * escrow (or refund) it belongs to is frozen: nothing more is paid for it
 * until an admin resolves it. `corrected` says the records and the books were
 * moved to follow the gateway (db/payout-truth.ts). A journal's record id
 * takes a payout key (`<refund>:n`).
 */
export async function up(knex: Knex): Promise<void> {
  // a refund paid again after the bank returned its payout gets its own refund_paid journal, keyed by the payout
  // (`<refund>:n`, up to 48 characters); SQLite does not enforce the length
  if (knex.client.config.client === 'mysql2') {
    await knex.schema.alterTable('ledger_journals', (t) => {
      t.string('record_id', 64).notNullable().alter();
    });
  }
  await knex.schema.createTable('payout_contradictions', (t) => {
    t.string('id', 36).primary();
    t.string('payout_key', 64).notNullable().unique();
    /** withdrawal or refund */
    t.string('record_type', 16).notNullable();
    t.string('record_id', 36).notNullable().index();
    /** the withdrawal's escrow (null for a refund) */
    t.string('escrow_id', 36).nullable().index();
    t.string('pesanan_id', 36).notNullable().index();
    /** whose money it is: the freelancer (withdrawal) or the client (refund) */
    t.string('party_id', 64).notNullable().index();
    t.bigInteger('amount').notNullable();
    /** what the service had recorded for this payout when the gateway contradicted it */
    t.string('recorded_status', 20).notNullable();
    /** the gateway's record: queued, completed or failed */
    t.string('gateway_status', 16).notNullable();
    t.string('gateway_reference', 64).nullable();
    t.string('gateway_failure_reason', 300).nullable();
    /** the withdrawal's or refund's status before and after the correction */
    t.string('record_status_before', 20).notNullable();
    t.string('record_status_after', 20).notNullable();
    t.boolean('corrected').notNullable().defaultTo(false);
    /** notification, precheck (before a new attempt) or status_check */
    t.string('detected_by', 32).notNullable();
    t.string('status', 16).notNullable().index();
    t.string('resolved_by', 64).nullable();
    t.string('resolution', 1000).nullable();
    t.datetime('detected_at', { precision: 3 }).notNullable();
    t.datetime('resolved_at', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payout_contradictions');
}
