// The webhooks app's public surface, for the embedded launcher and the compose check (test/unit).
export { WebhooksModule, type WebhooksDeps } from './webhooks.module.js';
export { webhooksDatabase } from './webhooks.database.js';
export { loadWebhooksConfig, webhookPolicyFromEnv, type WebhooksConfig } from './config/webhooks.env.js';
export { WebhookPolicy } from './webhooks.policy.js';
