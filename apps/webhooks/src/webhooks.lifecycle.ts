import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DurableEventSubscriber, DurableEventSubscription } from '#messaging';
import { DeliveryEngine } from './deliveries/delivery-engine.js';
import { OutboundDispatchers } from './deliveries/outbound-dispatchers.js';
import { DemoEndpointSeed } from './demo/demo-endpoint.js';
import { EventIngestService } from './ingest/event-ingest.service.js';

export const DURABLE_EVENTS = Symbol('DURABLE_EVENTS');
export const DEMO_OPTIONS = Symbol('DEMO_OPTIONS');

/**
 * Starts the dispatcher with the app (the delivery engine, then the subscription to the durable event stream)
 * and stops it with the app: the subscription first (no new events), then the engine (in-flight attempts drain
 * for WEBHOOK_DRAIN_TIMEOUT_MS; leases cover the rest), then the connection pools.
 */
@Injectable()
export class WebhooksLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private state: 'idle' | 'started' | 'stopped' = 'idle';
  private subscription: DurableEventSubscription | undefined;

  constructor(
    @Inject(DURABLE_EVENTS) private readonly events: DurableEventSubscriber,
    @Inject(EventIngestService) private readonly ingest: EventIngestService,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
    @Inject(OutboundDispatchers) private readonly dispatchers: OutboundDispatchers,
    @Inject(DemoEndpointSeed) private readonly demoSeed: DemoEndpointSeed,
    @Inject(DEMO_OPTIONS) private readonly demo: { baseUrl: string } | null,
  ) {}

  // Nest may run the hooks once for the HTTP app and once for the bus transport: act on the first call only.
  async onApplicationBootstrap(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'started';
    this.engine.start();
    this.subscription = await this.events.subscribe(this.ingest.handle);
    if (this.demo) void this.demoSeed.seed(this.demo.baseUrl);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'stopped';
    await this.subscription?.stop().catch((err: unknown) => this.logger.warn(`unsubscribe: ${String(err)}`));
    await this.engine.stop();
    await this.dispatchers.destroy();
  }
}
