import type { Knex } from 'knex';

/**
 * The audit trail, append-only: who (a user with its role, or `system` /
 * `gateway`), what action, which record, its status before and after, the
 * request that caused it (X-Request-Id) and when. No secrets, tokens or
 * account numbers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.datetime('at', { precision: 3 }).notNullable();
    t.string('actor_type', 16).notNullable();
    t.string('actor_id', 64).nullable();
    t.string('actor_role', 16).nullable();
    t.string('action', 64).notNullable();
    t.string('record_type', 16).notNullable();
    t.string('record_id', 64).notNullable().index();
    t.string('pesanan_id', 36).nullable().index();
    t.string('status_before', 32).nullable();
    t.string('status_after', 32).nullable();
    t.string('request_id', 64).nullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
}
