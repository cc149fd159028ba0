import type { Knex } from 'knex';

/**
 * The notifications outbox: one row per event the other modules are told of
 * (payment succeeded, escrow released, order status changed, ...), written in
 * the transaction of the change it reports, by the same call that writes the
 * audit row. `body` is the JSON delivered, fixed when the event is recorded
 * (its `id` is the stable event id receivers deduplicate on). The worker
 * delivers `pending` rows to NOTIFICATION_WEBHOOK_URL in order per order, with
 * backoff (`attempts`, `next_attempt_at`), and marks them `delivered` or, after
 * NOTIFICATION_MAX_ATTEMPTS, `dead`. `claimed_until` keeps two workers from
 * sending the same row at once. `notification_recipients` names who may read
 * an event on GET /api/notifications.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.increments('seq').primary();
    t.string('id', 36).notNullable().unique();
    t.string('type', 40).notNullable();
    t.string('pesanan_id', 36).nullable();
    t.datetime('occurred_at', { precision: 3 }).notNullable();
    t.text('body').notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.datetime('next_attempt_at', { precision: 3 }).notNullable();
    t.datetime('claimed_until', { precision: 3 }).nullable();
    t.string('last_error', 300).nullable();
    t.datetime('delivered_at', { precision: 3 }).nullable();
    t.index(['status', 'next_attempt_at'], 'notifications_due_idx');
    t.index(['pesanan_id', 'status', 'seq'], 'notifications_order_idx');
  });
  await knex.schema.createTable('notification_recipients', (t) => {
    t.string('user_id', 36).notNullable();
    t.integer('notification_seq').unsigned().notNullable();
    t.primary(['user_id', 'notification_seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notification_recipients');
  await knex.schema.dropTableIfExists('notifications');
}
