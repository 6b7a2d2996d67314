export * from './database.js';
export * from './short-lived-store.js';
export * from './redis-store.js';
