import { Dispatcher1764460800000 } from './1764460800000-dispatcher.js';

/** Every migration of the webhooks schema, oldest first. */
export const webhooksMigrations: Array<new () => object> = [Dispatcher1764460800000];
