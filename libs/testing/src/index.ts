export * from './services.js';
export * from './run-env.js';
export * from './webhook-receiver.js';
export * from './private-nats.js';
