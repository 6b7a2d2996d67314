// The token app's public surface for the embedded launcher; nothing else imports an app.
export { TokenModule, type TokenDeps } from './token.module.js';
export { tokenDatabase } from './token.database.js';
