/**
 * Every migration of the webhooks schema, oldest first. The schema itself is created at start; its tables
 * (endpoints, outbox, delivery log) arrive with the dispatcher.
 */
export const webhooksMigrations: Array<new () => object> = [];
