import type { Knex } from 'knex';
import * as initial from './20261126000001_initial';

/**
 * The migrations, in order, as a knex MigrationSource: no file globbing, so
 * they run the same under tsx, jest and compiled JavaScript.
 */
const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261126000001_initial': initial,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({ migrationSource });
  return applied as string[];
}

export async function migrateRollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
}
