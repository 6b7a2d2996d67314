export * from './database.js';
export * from './short-lived-store.js';
export * from './redis-store.js';
export * from './remote-store.js';
