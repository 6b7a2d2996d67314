// class-transformer's @Type reads design-time metadata: load the polyfill wherever the contracts are.
import 'reflect-metadata';

export * from './subjects.js';
export * from './errors.js';
export { validatePayload, type PayloadClass } from './validation.js';
export * from './tenant-slug.js';
export * from './contract-map.js';
export * from './token/get-jwks.js';
export * from './user-data/get-tenant.js';
export * from './user-data/principals.js';
export * from './user-data/admin.js';
export * from './token/sessions.js';
export * from './token/codes.js';
export * from './token/access-token.js';
export * from './identity/verify-password.js';
export * from './events/token-revoked.js';
export * from './store-keys.js';
export * from './events/session-logged-out.js';
export * from './events/tenant-changed.js';
export * from './subjects-doc.js';
export * from './events/durable-events.js';
export * from './token/logout-token.js';
export * from './webhooks/endpoints.js';
export * from './webhooks/demo.js';
