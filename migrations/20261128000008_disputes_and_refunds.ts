import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { refundsToSource } from '../domain/methods';
import { nowDb } from '../db/time';

/**
 * Disputes, cancellations and refunds (the other exits from a held escrow).
 *
 * - `disputes`: one per escrow (a disputed escrow never returns to held), who
 *   opened it and why, and the admin's decision.
 * - `refunds`: money owed back to a client, one per payment (an escrow refund,
 *   or a late payment), with how and where it is paid and its status.
 * - `escrow.jumlah_dirilis`: what a partial release gave the freelancer (X);
 *   the escrow's `biaya_platform` and `jumlah_bersih` then describe X.
 * - `mock_gateway_refunds`: the mock gateway's books of refunds to source.
 *
 * Late payments recorded before (`refund_status = 'due'`) get their refund
 * record here; the sweep starts their refund workflows.
 */
function timestamps(t: Knex.CreateTableBuilder): void {
  t.datetime('created_at', { precision: 3 }).notNullable();
  t.datetime('updated_at', { precision: 3 }).notNullable();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('disputes', (t) => {
    t.string('id', 36).primary();
    t.string('escrow_id', 36).notNullable().unique();
    t.string('pesanan_id', 36).notNullable().index();
    t.string('client_id', 64).notNullable();
    t.string('freelancer_id', 64).notNullable();
    t.string('dibuka_oleh', 64).notNullable();
    t.string('peran_pembuka', 16).notNullable();
    t.string('alasan', 1000).notNullable();
    t.string('status', 16).notNullable().index();
    t.string('keputusan', 16).nullable();
    t.bigInteger('jumlah_freelancer').nullable();
    t.string('diputuskan_oleh', 64).nullable();
    t.string('alasan_keputusan', 1000).nullable();
    t.datetime('dibuka_pada', { precision: 3 }).notNullable();
    t.datetime('diputuskan_pada', { precision: 3 }).nullable();
    timestamps(t);
  });
  await knex.schema.createTable('refunds', (t) => {
    t.string('id', 36).primary();
    t.string('pembayaran_id', 36).notNullable().unique();
    t.string('pesanan_id', 36).notNullable().index();
    t.string('client_id', 64).notNullable().index();
    t.bigInteger('jumlah').notNullable();
    /** escrow_refund (a cancellation or a dispute) or late_payment */
    t.string('jenis', 16).notNullable();
    t.string('alasan', 1000).notNullable();
    /** source (back to the payment's own method), or the payout method of the account the client gave */
    t.string('metode', 16).notNullable();
    t.string('channel', 32).nullable();
    t.string('nomor_rekening', 34).nullable();
    t.string('nama_pemilik', 100).nullable();
    t.string('status', 20).notNullable().index();
    /** accounts the client has given: the n-th is paid out under the key `<id>:n` (the first under `<id>`) */
    t.integer('rekening_ke').notNullable().defaultTo(0);
    t.string('referensi_gateway', 64).nullable();
    t.string('failure_reason', 300).nullable();
    t.boolean('workflow_started').notNullable().defaultTo(false);
    t.datetime('selesai_pada', { precision: 3 }).nullable();
    timestamps(t);
  });
  await knex.schema.alterTable('escrow', (t) => {
    t.bigInteger('jumlah_dirilis').nullable();
  });
  await knex.schema.createTable('mock_gateway_refunds', (t) => {
    t.string('idempotency_key', 64).primary();
    t.string('transaction_id', 40).notNullable().index();
    t.string('reference', 64).notNullable().unique();
    t.bigInteger('amount').notNullable();
    t.string('created_at', 30).notNullable();
  });
  // late payments recorded before refunds were records
  const late = await knex('pembayaran')
    .whereNotNull('refund_status')
    .select('id', 'pesanan_id', 'user_id', 'total_bayar', 'metode_pembayaran');
  const now = nowDb();
  for (const p of late) {
    await knex('refunds').insert({
      id: randomUUID(),
      pembayaran_id: p.id,
      pesanan_id: p.pesanan_id,
      client_id: p.user_id,
      jumlah: p.total_bayar,
      jenis: 'late_payment',
      alasan: 'money arrived after the payment had expired, failed or been cancelled',
      metode: 'source',
      status: refundsToSource(p.metode_pembayaran) ? 'processing' : 'menunggu_rekening',
      workflow_started: false,
      created_at: now,
      updated_at: now,
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('escrow', (t) => {
    t.dropColumn('jumlah_dirilis');
  });
  for (const table of ['mock_gateway_refunds', 'refunds', 'disputes']) await knex.schema.dropTableIfExists(table);
}
