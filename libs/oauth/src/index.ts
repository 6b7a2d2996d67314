export * from './pkce.js';
export * from './client-auth.js';
