import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcClient, type DurableEventSubscriber } from '#messaging';
import { HealthService, OpsController, type HealthCheck } from '#observability';
import type { HostResolver } from '#security';
import { Clock } from './clock.js';
import { Sql } from './database/sql.js';
import { DeliveryEngine } from './deliveries/delivery-engine.js';
import { DeliveryRecorder } from './deliveries/delivery-recorder.js';
import { DeliveryWorker } from './deliveries/delivery-worker.js';
import { HttpAttemptSender } from './deliveries/http-attempt.js';
import { MessagesRepository } from './deliveries/messages.repository.js';
import { OUTBOUND_RESOLVER, OutboundDispatchers } from './deliveries/outbound-dispatchers.js';
import { DeliveryLogHandler } from './delivery-log/delivery-log.handler.js';
import { DeliveryLogRepository } from './delivery-log/delivery-log.repository.js';
import { DeliveryLogService } from './delivery-log/delivery-log.service.js';
import { DemoEndpointSeed } from './demo/demo-endpoint.js';
import { EndpointSecrets } from './endpoints/endpoint-secrets.js';
import { EndpointsHandler } from './endpoints/endpoints.handler.js';
import { EndpointsRepository } from './endpoints/endpoints.repository.js';
import { EndpointsService } from './endpoints/endpoints.service.js';
import { SubscriptionCache } from './endpoints/subscription-cache.js';
import { EventIngestService } from './ingest/event-ingest.service.js';
import { TenantDirectory } from './tenants/tenant-directory.js';
import { DEMO_OPTIONS, DURABLE_EVENTS, WebhooksLifecycle } from './webhooks.lifecycle.js';
import { WebhooksMetrics } from './webhooks.metrics.js';
import { WebhooksOptions } from './webhooks.options.js';
import { WebhookPolicy } from './webhooks.policy.js';

/** What the webhooks app is given by whoever starts it (distributed main, the embedded launcher, a test). */
export interface WebhooksDeps {
  rpc: RpcClient;
  database: DataSource;
  /** HANDOVER_SECRET_KEY: endpoint secrets are sealed under a key derived from it. */
  secretKey: Buffer;
  /** The durable event stream: JetStream (distributed) or the in-process hand-off (embedded). */
  events: DurableEventSubscriber;
  /** The gateway's public base URL: issuers of back-channel logout tokens are `<base>/t/{tenant}`. */
  publicBaseUrl: string;
  policy: WebhookPolicy;
  healthChecks: Record<string, HealthCheck>;
  /** Create the demo vendor's endpoint at `<baseUrl>/demo/webhooks` (embedded demo only). */
  demo?: { baseUrl: string };
  /** Replaces DNS in the SSRF guard (tests: a name that resolves to an internal address). */
  outboundResolver?: HostResolver;
}

/**
 * Durable, signed delivery of events to vendor endpoints (SPEC §6): endpoints and the delivery log through the
 * admin API, ingest from the durable event stream into the `webhooks` schema, and the delivery engine.
 */
@Module({})
export class WebhooksModule {
  static register(deps: WebhooksDeps): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [OpsController, EndpointsHandler, DeliveryLogHandler],
      providers: [
        { provide: RpcClient, useValue: deps.rpc },
        { provide: DataSource, useValue: deps.database },
        { provide: HealthService, useValue: new HealthService(deps.healthChecks) },
        { provide: WebhookPolicy, useValue: deps.policy },
        { provide: WebhooksOptions, useValue: new WebhooksOptions(deps.publicBaseUrl) },
        { provide: EndpointSecrets, useValue: new EndpointSecrets(deps.secretKey) },
        { provide: DURABLE_EVENTS, useValue: deps.events },
        { provide: DEMO_OPTIONS, useValue: deps.demo ?? null },
        { provide: OUTBOUND_RESOLVER, useValue: deps.outboundResolver ?? null },
        { provide: Clock, useValue: new Clock() },
        Sql,
        WebhooksMetrics,
        TenantDirectory,
        EndpointsRepository,
        SubscriptionCache,
        EndpointsService,
        MessagesRepository,
        DeliveryRecorder,
        OutboundDispatchers,
        HttpAttemptSender,
        DeliveryWorker,
        DeliveryEngine,
        EventIngestService,
        DeliveryLogRepository,
        DeliveryLogService,
        DemoEndpointSeed,
        WebhooksLifecycle,
      ],
    };
  }
}
