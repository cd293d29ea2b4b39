// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_hosting_health_checks', table => {
    table.comment(
      'Every health check of every model server, kept for modelHosting.health.retentionDays',
    );
    table.bigIncrements('id').primary();
    table
      .timestamp('checked_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.boolean('healthy').notNullable();
    table.text('message').nullable();
    table.integer('latency_ms').nullable();
    table
      .boolean('recovered')
      .notNullable()
      .defaultTo(false)
      .comment('this failure restarted the pods');
    table.index(
      ['cluster', 'namespace', 'name', 'id'],
      'model_hosting_health_target_idx',
    );
    table.index(['checked_at'], 'model_hosting_health_time_idx');
  });
  await knex.schema.createTable('model_hosting_usage', table => {
    table.comment(
      'Usage per deployment and model in time buckets: minutes (kept a day) and hours (kept a month)',
    );
    table.string('resolution', 8).notNullable().comment('minute or hour');
    table.timestamp('bucket_start', { useTz: true }).notNullable();
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.string('model').notNullable();
    table.bigInteger('requests').notNullable().defaultTo(0);
    table.bigInteger('errors').notNullable().defaultTo(0);
    table.bigInteger('pulls').notNullable().defaultTo(0);
    table.bigInteger('prompt_tokens').notNullable().defaultTo(0);
    table.bigInteger('generation_tokens').notNullable().defaultTo(0);
    table.double('latency_ms_sum').notNullable().defaultTo(0);
    table.bigInteger('latency_count').notNullable().defaultTo(0);
    table.timestamp('last_used', { useTz: true }).nullable();
    table.primary([
      'resolution',
      'bucket_start',
      'cluster',
      'namespace',
      'name',
      'model',
    ]);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_hosting_usage');
  await knex.schema.dropTable('model_hosting_health_checks');
};
