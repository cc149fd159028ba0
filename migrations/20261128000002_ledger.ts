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
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.bigInteger('gateway_fee').notNullable().defaultTo(0);
    t.string('settled_at', 30).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.dropColumn('gateway_fee');
    t.dropColumn('settled_at');
  });
  await knex.schema.dropTableIfExists('ledger_entries');
  await knex.schema.dropTableIfExists('ledger_journals');
}
