export * from './error-status.js';
export * from './http-error.js';
export * from './error.filter.js';
export * from './http-app.js';
