import { Dispatcher1764460800000 } from './1764460800000-dispatcher.js';
import { QueueFillfactor1795392000000 } from './1795392000000-queue-fillfactor.js';

/** Every migration of the webhooks schema, oldest first. */
export const webhooksMigrations: Array<new () => object> = [Dispatcher1764460800000, QueueFillfactor1795392000000];
