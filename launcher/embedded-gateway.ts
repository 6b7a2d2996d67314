import 'reflect-metadata';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { LogLevel } from '#config';
import { inProcessBusBinding, RemoteBroker, ThreadPeer, type BusBinding } from '#messaging';
import { createLogger, mergeMetricsFrom, type Logger, type MetricsSnapshot } from '#observability';
import { runApp, type RunningApp } from '#runtime';
import { RemoteShortLivedStore, type ShortLivedStore } from '#storage';
import { configureGateway, GatewayModule, GatewayOptions } from '../apps/gateway/src/index.js';

/** The embedded gateway's settings, wherever it runs. */
export interface GatewaySettings {
  port: number;
  host: string;
  bodyLimit: number;
  baseUrl: string;
  seedDemo: boolean;
  logLevel: LogLevel;
}

/** What the embedded launcher hands its gateway thread. */
export interface GatewayThreadData extends GatewaySettings {
  /** The other end is served by `startGatewayThread` (embedded.ts): the bus, the store, health, metrics. */
  bridge: MessagePort;
}

/** Messages from the gateway thread to the launcher. */
export type GatewayThreadMessage = { ready: number } | { stopped: true };

/**
 * The embedded gateway on the calling thread, with the bus, short-lived store and database check it is given: the
 * launcher's own (one event loop), or the main thread's reached over a `ThreadPeer` (the gateway thread below).
 */
export function runEmbeddedGateway(
  settings: GatewaySettings,
  { bus, store, databaseCheck }: { bus: BusBinding; store: ShortLivedStore; databaseCheck: () => Promise<void> },
  logger: Logger,
): Promise<RunningApp> {
  return runApp({
    name: 'gateway',
    logger,
    bus,
    port: settings.port,
    host: settings.host,
    bodyLimit: settings.bodyLimit,
    accessLog: true,
    module: GatewayModule.register({
      rpc: bus.client,
      // The store the token app writes sessions and revocations to.
      store,
      options: new GatewayOptions(settings.baseUrl, 'embedded', settings.seedDemo),
      // Embedded readiness covers the whole process: the embedded database and the in-memory store.
      healthChecks: { database: databaseCheck, store: () => store.ping() },
    }),
    configure: (app) => configureGateway(app, settings.baseUrl),
  });
}

/**
 * Embedded mode's HTTP edge on a worker thread of the one process, so HTTP parsing, routing and the data API's
 * token checks run beside the back-end apps' event loop instead of on it. It is a gateway replica as in
 * distributed mode; its bus, short-lived store and readiness checks are the main thread's, reached over a
 * `ThreadPeer`.
 */
async function main(data: GatewayThreadData, launcher: MessagePort): Promise<void> {
  const logger = createLogger('embedded', data.logLevel);
  const peer = new ThreadPeer(data.bridge);
  const bus = inProcessBusBinding(new RemoteBroker(peer));
  const store = new RemoteShortLivedStore((operation, args) => peer.call('store', operation, args));
  mergeMetricsFrom(() => peer.call<MetricsSnapshot>('metrics'));
  const gateway = await runEmbeddedGateway(
    data,
    { bus, store, databaseCheck: () => peer.call('health.database') },
    logger,
  );
  launcher.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    void gateway
      .close()
      .catch((err: unknown) => logger.error({ err }, 'the gateway did not close cleanly'))
      .finally(() => {
        peer.close();
        launcher.postMessage({ stopped: true } satisfies GatewayThreadMessage);
      });
  });
  launcher.postMessage({ ready: gateway.port ?? data.port } satisfies GatewayThreadMessage);
}

if (parentPort) {
  const launcher = parentPort;
  // A failure to start reaches the launcher as the worker's `error` event (embedded.ts fails its start with it).
  await main(workerData as GatewayThreadData, launcher);
}
