import type { Knex } from 'knex';

/**
 * The payment path moves out of the workflow and into the database's hands:
 *
 * - `pembayaran.live_pesanan_id` is the order's id while the payment is live or
 *   settled (menunggu, berhasil) and NULL once it failed or expired. Its UNIQUE
 *   index is what makes "one live or successful payment per order, for the
 *   order's whole life" a rule of the database, not of timing or of Temporal's
 *   retention.
 * - `pembayaran.workflow_synced_status` is the payment status the order's
 *   workflow was last told (NULL: the workflow was never started for it);
 *   `workflow_pending` is 1 while they differ: the payments outbox, which the
 *   API's relay delivers and the worker's sweep backs up (indexed, so a poll
 *   reads only what is owed).
 * - `pembayaran.refund_status`, `late_settled_at`, `late_gateway_status`: money
 *   that settled after the payment had expired or failed is recorded and marked
 *   for refund (`due`), never applied.
 * - `pesanan.workflow_version`: 1 for orders whose workflow runs the old
 *   in-workflow payment code (they finish that way), 2 for the new path, 0 for
 *   orders without a payment that may still have an old workflow waiting.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pembayaran', (t) => {
    t.string('live_pesanan_id', 36).nullable().unique();
    t.string('workflow_synced_status', 16).nullable();
    t.tinyint('workflow_pending').notNullable().defaultTo(0);
    t.string('refund_status', 16).nullable();
    t.datetime('late_settled_at', { precision: 3 }).nullable();
    t.string('late_gateway_status', 16).nullable();
    t.index(['workflow_pending', 'updated_at'], 'pembayaran_outbox_idx');
  });
  await knex.schema.alterTable('pesanan', (t) => {
    t.integer('workflow_version').nullable();
  });
  // Payments made before this change: their workflows decide in-workflow and mirror it here. The
  // live key goes to the payment each order points at only: the old code could leave a second live
  // or settled payment for an order (overwriting pembayaran_id); those stay outside the key, to be
  // found by reconciliation and refunded, instead of failing the migration.
  await knex('pembayaran')
    .whereIn('status', ['menunggu', 'berhasil'])
    .whereIn('id', knex('pesanan').select('pembayaran_id').whereNotNull('pembayaran_id'))
    .update({ live_pesanan_id: knex.ref('pesanan_id') });
  await knex('pembayaran').update({ workflow_synced_status: knex.ref('status') });
  await knex('pesanan').whereNotNull('pembayaran_id').update({ workflow_version: 1 });
  // Orders without a payment may still have an old workflow waiting for one (a create that failed at
  // the gateway): 0 marks them, and their first payment on the new path retires that workflow.
  await knex('pesanan').whereNull('pembayaran_id').update({ workflow_version: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pesanan', (t) => {
    t.dropColumn('workflow_version');
  });
  await knex.schema.alterTable('pembayaran', (t) => {
    t.dropIndex(['workflow_pending', 'updated_at'], 'pembayaran_outbox_idx');
    t.dropUnique(['live_pesanan_id']);
    t.dropColumn('live_pesanan_id');
    t.dropColumn('workflow_synced_status');
    t.dropColumn('workflow_pending');
    t.dropColumn('refund_status');
    t.dropColumn('late_settled_at');
    t.dropColumn('late_gateway_status');
  });
}
