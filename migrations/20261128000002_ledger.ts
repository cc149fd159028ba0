import type { Knex } from 'knex';

/**
 * The books: journals and their entries, append-only. A journal is unique per
 * (kind, record), so a retried write posts once; each entry debits or credits
 * one account in whole rupiah (IDR). The mock gateway records when a charge
 * settled, for reconciling `gateway_clearing` against its books.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_journals', (t) => {
    t.string('id', 36).primary();
    t.string('kind', 32).notNullable();
    t.string('record_type', 16).notNullable();
    t.string('record_id', 36).notNullable().index();
    t.string('pesanan_id', 36).notNullable().index();
    t.string('description', 255).notNullable();
    t.datetime('posted_at', { precision: 3 }).notNullable();
    t.unique(['kind', 'record_id'], { indexName: 'ledger_journals_kind_record_unique' });
  });
  await knex.schema.createTable('ledger_entries', (t) => {
    t.increments('id').primary();
    t.string('journal_id', 36).notNullable().index();
    t.string('account', 100).notNullable().index();
    t.bigInteger('debit').notNullable().defaultTo(0);
    t.bigInteger('credit').notNullable().defaultTo(0);
    t.string('currency', 3).notNullable().defaultTo('IDR');
  });
  // One-time steps of the books, done once each (the opening journals).
  await knex.schema.createTable('ledger_state', (t) => {
    t.string('step', 64).primary();
    t.datetime('done_at', { precision: 3 }).notNullable();
  });
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.bigInteger('gateway_fee').notNullable().defaultTo(0);
    t.string('settled_at', 30).nullable();
  });
  // The gateway's books for charges made before: their fee, and the settled ones as settled.
  const paid = knex('pembayaran').select('transaction_id').where({ status: 'berhasil' });
  await knex('mock_gateway_charges')
    .whereIn('transaction_id', paid)
    .update({ settled_at: knex.ref('created_at') });
  for (const p of await knex('pembayaran').select('transaction_id', 'biaya_gateway')) {
    await knex('mock_gateway_charges')
      .where({ transaction_id: p.transaction_id })
      .update({ gateway_fee: p.biaya_gateway });
  }
  // Opening journals for the movements made before the books existed are posted at start-up (db/ledger.ts).
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.dropColumn('gateway_fee');
    t.dropColumn('settled_at');
  });
  await knex.schema.dropTableIfExists('ledger_state');
  await knex.schema.dropTableIfExists('ledger_entries');
  await knex.schema.dropTableIfExists('ledger_journals');
}
