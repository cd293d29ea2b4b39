// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('model_hosting_usage', table => {
    table
      .double('gpu_util_sum')
      .notNullable()
      .defaultTo(0)
      .comment(
        'sum of GPU utilization samples (percent), from Prometheus (DCGM)',
      );
    table.bigInteger('gpu_util_count').notNullable().defaultTo(0);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_hosting_usage', table => {
    table.dropColumn('gpu_util_sum');
    table.dropColumn('gpu_util_count');
  });
};
