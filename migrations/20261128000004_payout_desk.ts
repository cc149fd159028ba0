import type { Knex } from 'knex';

/**
 * Withdrawals become a payout desk: admin approval and rejection, payouts that
 * can fail, and a freelancer who may try again.
 *
 * - `pencairan_dana.escrow_id` is no longer unique. `live_escrow_id` is the
 *   escrow's id while the withdrawal is live or done (pending, processing,
 *   completed) and NULL once it failed or was rejected; its UNIQUE index makes
 *   "at most one live withdrawal per escrow, and a completed one closes it" a
 *   rule of the database.
 * - `channel`: the bank or e-wallet provider the payout goes to; `alasan`: why
 *   it was rejected or failed (the admin's or the bank's words).
 * - The mock gateway's payouts are asynchronous: `status` queued → completed
 *   or failed, `completed_at`, `failure_reason`; `mock_gateway_payout_requests`
 *   counts requests per idempotency key (the sandbox's temporary-failure test
 *   accounts fail the first two).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('pencairan_dana', (t) => {
    t.dropUnique(['escrow_id']);
  });
  await knex.schema.alterTable('pencairan_dana', (t) => {
    t.index(['escrow_id'], 'pencairan_dana_escrow_id_index');
    t.string('live_escrow_id', 36).nullable().unique();
    t.string('channel', 32).nullable();
    t.string('alasan', 1000).nullable();
    t.index(['status', 'created_at'], 'pencairan_dana_queue_idx');
    t.index(['freelancer_id', 'created_at'], 'pencairan_dana_history_idx');
  });
  await knex('pencairan_dana')
    .whereIn('status', ['pending', 'processing', 'completed'])
    .update({ live_escrow_id: knex.ref('escrow_id') });
  await knex('pencairan_dana').where({ metode_pencairan: 'transfer_bank' }).update({ channel: 'bca' });
  await knex('pencairan_dana').where({ metode_pencairan: 'e_wallet' }).update({ channel: 'gopay' });
  await knex.schema.alterTable('pembayaran', (t) => {
    t.index(['user_id', 'created_at'], 'pembayaran_history_idx');
  });
  await knex.schema.alterTable('mock_gateway_payouts', (t) => {
    t.string('status', 16).notNullable().defaultTo('completed');
    t.string('completed_at', 30).nullable();
    t.string('failure_reason', 200).nullable();
  });
  await knex('mock_gateway_payouts').update({ completed_at: knex.ref('created_at') });
  await knex.schema.createTable('mock_gateway_payout_requests', (t) => {
    t.string('idempotency_key', 64).primary();
    t.integer('attempts').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  // The old schema holds one withdrawal per escrow; never drop money records to fit it.
  const repeated = await knex('pencairan_dana')
    .select('escrow_id')
    .count({ n: '*' })
    .groupBy('escrow_id')
    .having(knex.raw('count(*) > 1'));
  if (repeated.length)
    throw new Error(
      `cannot roll back the payout desk: ${repeated.length} escrow(s) have more than one withdrawal (the old schema allows one)`,
    );
  await knex.schema.dropTableIfExists('mock_gateway_payout_requests');
  await knex.schema.alterTable('mock_gateway_payouts', (t) => {
    t.dropColumn('status');
    t.dropColumn('completed_at');
    t.dropColumn('failure_reason');
  });
  await knex.schema.alterTable('pembayaran', (t) => {
    t.dropIndex(['user_id', 'created_at'], 'pembayaran_history_idx');
  });
  await knex.schema.alterTable('pencairan_dana', (t) => {
    t.dropIndex(['freelancer_id', 'created_at'], 'pencairan_dana_history_idx');
    t.dropIndex(['status', 'created_at'], 'pencairan_dana_queue_idx');
    t.dropUnique(['live_escrow_id']);
    t.dropColumn('live_escrow_id');
    t.dropColumn('channel');
    t.dropColumn('alasan');
    t.dropIndex(['escrow_id'], 'pencairan_dana_escrow_id_index');
    t.unique(['escrow_id']);
  });
}
