// The identity app's public surface for the embedded launcher; nothing else imports an app.
export { IdentityModule, type IdentityDeps } from './identity.module.js';
