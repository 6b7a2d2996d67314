import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEMO_WEBHOOK_SECRET, HandoverError } from '#contracts';
import { RpcClient } from '#messaging';
import { EndpointsRepository } from '../endpoints/endpoints.repository.js';
import { EndpointsService } from '../endpoints/endpoints.service.js';

const DEMO_TENANT = 'demo';
const DEMO_VENDOR = 'demo-vendor';
const ATTEMPTS = 20;
const RETRY_MS = 500;

/**
 * The demo's webhook endpoint (SPEC §8, embedded mode): the demo vendor's receiver at `<base>/demo/webhooks`,
 * signed with DEMO_WEBHOOK_SECRET so the demo page can verify what arrives. Created once, if the demo tenant has
 * no endpoint yet; user-data may still be starting, so the tenant lookup is retried for a while.
 */
@Injectable()
export class DemoEndpointSeed {
  private readonly logger = new Logger('WebhooksDemo');

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(EndpointsRepository) private readonly endpoints: EndpointsRepository,
    @Inject(EndpointsService) private readonly service: EndpointsService,
  ) {}

  async seed(baseUrl: string, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.seedOnce(baseUrl);
      } catch (err) {
        const retryable = err instanceof HandoverError && ['temporarily_unavailable', 'not_found'].includes(err.code);
        if (!retryable || attempt >= ATTEMPTS) {
          this.logger.warn(`demo webhook endpoint not created: ${String(err)}`);
          return false;
        }
        await sleep(RETRY_MS);
      }
    }
  }

  private async seedOnce(baseUrl: string): Promise<boolean> {
    const tenant = await this.rpc.request('user-data.tenant.get', { slug: DEMO_TENANT });
    if ((await this.endpoints.list(tenant.id)).length > 0) return false;
    await this.service.create(
      {
        tenantId: tenant.id,
        tenantSlug: tenant.slug,
        vendor: DEMO_VENDOR,
        kind: 'webhook',
        url: `${baseUrl.replace(/\/+$/, '')}/demo/webhooks`,
        eventTypes: ['session.logged_out', 'session.created'],
        description: 'The demo vendor (Budget Planner) receiver',
      },
      { fixedSecret: DEMO_WEBHOOK_SECRET },
    );
    this.logger.log('demo webhook endpoint created');
    return true;
  }
}
