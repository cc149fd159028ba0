import type { Knex } from 'knex';

/**
 * Paying again after a decline. The mock gateway can void a charge (the client
 * cancelled its payment to choose another method): `voided_at`, so the charge's
 * auto-success never settles it. Orders whose payments may be retried within
 * one window are `pesanan.workflow_version = 3` (set by the payment path; no
 * column changes).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.string('voided_at', 30).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mock_gateway_charges', (t) => {
    t.dropColumn('voided_at');
  });
}
