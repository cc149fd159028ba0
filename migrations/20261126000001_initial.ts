import type { Knex } from 'knex';

/**
 * The service's tables, portable across MySQL and SQLite. Money is whole
 * rupiah in integer columns; times are UTC DATETIME(3).
 */
function timestamps(t: Knex.CreateTableBuilder): void {
  t.datetime('created_at', { precision: 3 }).notNullable();
  t.datetime('updated_at', { precision: 3 }).notNullable();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pesanan', (t) => {
    t.string('id', 36).primary();
    t.string('client_id', 64).notNullable().index();
    t.string('freelancer_id', 64).notNullable().index();
    t.string('judul', 255).notNullable();
    t.bigInteger('harga').notNullable();
    t.string('status', 32).notNullable().index();
    t.string('pembayaran_id', 36).nullable();
    t.string('escrow_id', 36).nullable();
    t.string('pencairan_id', 36).nullable();
    timestamps(t);
  });

  await knex.schema.createTable('pembayaran', (t) => {
    t.string('id', 36).primary();
    t.string('pesanan_id', 36).notNullable().index();
    t.string('user_id', 64).notNullable().index();
    t.string('transaction_id', 40).notNullable().unique();
    t.string('nomor_invoice', 40).notNullable().unique();
    t.bigInteger('jumlah').notNullable();
    t.bigInteger('biaya_platform').notNullable();
    t.bigInteger('biaya_gateway').notNullable();
    t.bigInteger('total_bayar').notNullable();
    t.string('metode_pembayaran', 32).notNullable();
    t.string('channel', 32).notNullable();
    t.string('payment_gateway', 32).notNullable();
    t.string('gateway_reference', 64).nullable();
    t.string('payment_url', 512).nullable();
    t.text('payment_instructions').nullable();
    t.string('status', 16).notNullable().index();
    t.string('gateway_status', 16).nullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('dibayar_pada', { precision: 3 }).nullable();
    timestamps(t);
  });

  await knex.schema.createTable('escrow', (t) => {
    t.string('id', 36).primary();
    t.string('pembayaran_id', 36).notNullable().unique();
    t.string('pesanan_id', 36).notNullable().unique();
    t.string('client_id', 64).notNullable();
    t.string('freelancer_id', 64).notNullable().index();
    t.bigInteger('jumlah_ditahan').notNullable();
    t.bigInteger('biaya_platform').notNullable();
    t.bigInteger('jumlah_bersih').notNullable();
    t.string('status', 20).notNullable().index();
    t.datetime('ditahan_pada', { precision: 3 }).notNullable();
    t.datetime('akan_dirilis_pada', { precision: 3 }).notNullable();
    t.datetime('dirilis_pada', { precision: 3 }).nullable();
    t.string('dirilis_oleh', 16).nullable();
    t.string('alasan', 500).nullable();
    timestamps(t);
  });

  await knex.schema.createTable('pencairan_dana', (t) => {
    t.string('id', 36).primary();
    t.string('escrow_id', 36).notNullable().unique();
    t.string('pesanan_id', 36).notNullable().index();
    t.string('freelancer_id', 64).notNullable().index();
    t.bigInteger('jumlah').notNullable();
    t.bigInteger('biaya_platform').notNullable();
    t.bigInteger('jumlah_bersih').notNullable();
    t.string('metode_pencairan', 32).notNullable();
    t.string('nomor_rekening', 34).notNullable();
    t.string('nama_pemilik', 100).notNullable();
    t.string('status', 16).notNullable().index();
    t.string('bukti_transfer', 512).nullable();
    t.string('referensi_payout', 64).nullable();
    t.datetime('dicairkan_pada', { precision: 3 }).nullable();
    timestamps(t);
  });

  // Audit trail of every webhook the service received, whatever it answered.
  await knex.schema.createTable('webhook_log', (t) => {
    t.increments('id').primary();
    t.string('transaction_id', 64).nullable().index();
    t.string('transaction_status', 32).nullable();
    t.string('gross_amount', 32).nullable();
    t.integer('http_status').notNullable();
    t.string('result', 64).notNullable();
    t.datetime('received_at', { precision: 3 }).notNullable();
  });

  // The mock gateway's own books: what it charged and paid out, keyed by the
  // idempotency keys the service sends, so retried calls return the same result.
  await knex.schema.createTable('mock_gateway_charges', (t) => {
    t.string('transaction_id', 40).primary();
    t.string('reference', 64).notNullable().unique();
    t.string('method', 32).notNullable();
    t.string('channel', 32).notNullable();
    t.bigInteger('gross_amount').notNullable();
    t.text('instructions').notNullable();
    t.string('payment_url', 512).notNullable();
    t.string('expires_at', 30).notNullable();
    t.string('created_at', 30).notNullable();
  });
  await knex.schema.createTable('mock_gateway_payouts', (t) => {
    t.string('idempotency_key', 64).primary();
    t.string('reference', 64).notNullable().unique();
    t.bigInteger('amount').notNullable();
    t.string('method', 32).notNullable();
    t.string('account_last4', 4).notNullable();
    t.string('bukti_transfer', 512).notNullable();
    t.string('created_at', 30).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'mock_gateway_payouts',
    'mock_gateway_charges',
    'webhook_log',
    'pencairan_dana',
    'escrow',
    'pembayaran',
    'pesanan',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
