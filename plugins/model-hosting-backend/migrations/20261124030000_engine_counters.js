// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_hosting_engine_counters', table => {
    table.comment(
      'The last counters read from each model server process (vLLM /metrics), so that every backend instance meters only what is new',
    );
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table
      .string('server')
      .notNullable()
      .comment('the pod, or "endpoint" for a configured URL');
    table
      .text('counters')
      .notNullable()
      .comment('JSON of the cumulative counters');
    table.timestamp('read_at', { useTz: true }).notNullable();
    table.primary(['cluster', 'namespace', 'name', 'server']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_hosting_engine_counters');
};
