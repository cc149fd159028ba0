import type { Knex } from 'knex';

/**
 * User ids are compared and stored in lower case from now on (an upper-cased
 * copy of an id is the same id). Ids stored before in another case are made
 * lower case here, with the ledger accounts that name them and the audit
 * trail's actors, so their owners keep seeing their records. Record ids were
 * always generated in lower case.
 */
const USER_ID_COLUMNS: [string, string][] = [
  ['pesanan', 'client_id'],
  ['pesanan', 'freelancer_id'],
  ['pembayaran', 'user_id'],
  ['escrow', 'client_id'],
  ['escrow', 'freelancer_id'],
  ['pencairan_dana', 'freelancer_id'],
  ['ledger_entries', 'account'],
  ['audit_log', 'actor_id'],
];

export async function up(knex: Knex): Promise<void> {
  for (const [table, column] of USER_ID_COLUMNS) {
    // every row: a `where col <> lower(col)` finds nothing on MySQL, whose default collation ignores case
    await knex(table).update({ [column]: knex.raw('lower(??)', [column]) });
  }
}

export async function down(): Promise<void> {
  // the original case is not kept: nothing to undo
}
