import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The plugin's database (SQLite or PostgreSQL) with its migrations applied. */
export async function openDatabase(database: DatabaseService): Promise<Knex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    await knex.migrate.latest({
      directory: resolvePackagePath(
        '@modelhosting/backstage-plugin-model-hosting-backend',
        'migrations',
      ),
    });
  }
  return knex;
}
