// @ts-check

/**
 * The owner of the deployment each audit record is about: the audit log is filtered by what the
 * reader may see, and a deleted deployment's owner is no longer in any cache.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('model_hosting_audit_log', table => {
    table
      .string('owner')
      .nullable()
      .comment('spec.owner of the deployment, as a normalized entity ref');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_hosting_audit_log', table => {
    table.dropColumn('owner');
  });
};
