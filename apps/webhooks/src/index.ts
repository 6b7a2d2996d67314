// The webhooks app's public surface for the embedded launcher; nothing else imports an app.
export { WebhooksModule, type WebhooksDeps } from './webhooks.module.js';
export { webhooksDatabase } from './webhooks.database.js';
