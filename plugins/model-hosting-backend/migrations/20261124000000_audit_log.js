// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_hosting_audit_log', table => {
    table.comment(
      'Every model-hosting action: who, what, on which deployment, with what input and result',
    );
    table.bigIncrements('id').primary();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.string('actor').notNullable().comment('user or service entity ref');
    table
      .string('action')
      .notNullable()
      .comment('deploy, scale, switch, restart or delete');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.text('input').notNullable().comment('the request as JSON');
    table
      .string('outcome')
      .notNullable()
      .comment('succeeded, rejected, denied or failed');
    table.text('message').nullable();
    table.index(
      ['cluster', 'namespace', 'name'],
      'model_hosting_audit_log_target_idx',
    );
    table.index(['created_at'], 'model_hosting_audit_log_created_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_hosting_audit_log');
};
