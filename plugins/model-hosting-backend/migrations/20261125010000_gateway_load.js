// @ts-check

/**
 * What each backend replica's gateway is doing for each deployment, so that the built-in
 * autoscaler (which runs on one replica) sees the load of all of them.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_hosting_gateway_load', table => {
    table.comment(
      'Requests in flight and held per backend replica and deployment, published every second',
    );
    table.string('instance').notNullable().comment('the backend replica');
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('name').notNullable();
    table.integer('in_flight').notNullable().defaultTo(0);
    table.integer('waiting').notNullable().defaultTo(0);
    table.timestamp('last_request_at', { useTz: true }).nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.primary(['instance', 'cluster', 'namespace', 'name']);
    table.index(['updated_at'], 'model_hosting_gateway_load_updated_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_hosting_gateway_load');
};
