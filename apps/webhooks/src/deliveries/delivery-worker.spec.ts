import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Dispatcher } from 'undici';
import { HandoverError } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import type { Clock } from '../clock.js';
import type { EndpointRecord } from '../endpoints/endpoint.record.js';
import { EndpointSecrets } from '../endpoints/endpoint-secrets.js';
import { EndpointsRepository } from '../endpoints/endpoints.repository.js';
import { SubscriptionCache } from '../endpoints/subscription-cache.js';
import { TenantDirectory } from '../tenants/tenant-directory.js';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { WebhooksOptions } from '../webhooks.options.js';
import { WebhookPolicy } from '../webhooks.policy.js';
import type { ClaimedMessage } from './claimed-message.js';
import { DeliveryRecorder, type DeliveryRecord } from './delivery-recorder.js';
import { DEFER_MS, DeliveryWorker } from './delivery-worker.js';
import { HttpAttemptSender, type HttpAttemptResult } from './http-attempt.js';
import { OutboundDispatchers } from './outbound-dispatchers.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const tenantId = '11111111-1111-4111-8111-111111111111';
const policy: WebhookPolicy = { ...WebhookPolicy.defaults, retrySchedule: [1_000, 2_000], jitter: 0 };

function result(overrides: Partial<HttpAttemptResult>): HttpAttemptResult {
  return {
    outcome: 'success',
    statusCode: 200,
    latencyMs: 12,
    responseExcerpt: null,
    error: null,
    retryAfterMs: null,
    gone: false,
    blocked: null,
    ...overrides,
  };
}

describe(DeliveryWorker.name, () => {
  let sut: DeliveryWorker;
  let tenants: Mocked<TenantDirectory>;
  let endpoints: Mocked<EndpointsRepository>;
  let subscriptions: Mocked<SubscriptionCache>;
  let dispatchers: Mocked<OutboundDispatchers>;
  let http: Mocked<HttpAttemptSender>;
  let recorder: Mocked<DeliveryRecorder>;
  let rpc: Mocked<RpcClient>;
  let metrics: Mocked<WebhooksMetrics>;
  let secrets: EndpointSecrets;
  let recorded: DeliveryRecord[];
  const abandon = new AbortController().signal;

  const message = (overrides: Partial<ClaimedMessage> = {}, endpoint: Partial<ClaimedMessage['endpoint']> = {}) => {
    const id = 'e0000000-0000-4000-8000-000000000001';
    return {
      id: 'msg_test',
      leaseId: 'lease-1',
      tenantId,
      eventType: 'session.logged_out',
      payload: '{"type":"session.logged_out","timestamp":"t","data":{"session_id":"s1","sub":"u1","tenant":"demo"}}',
      attempts: 0,
      scheduleStep: 0,
      trigger: 'initial',
      endpoint: {
        id,
        tenantSlug: 'demo',
        vendor: 'vendor-a',
        kind: 'webhook',
        url: 'https://vendor.example/hook',
        enabled: true,
        secret: secrets.seal(id, `whsec_${randomBytes(32).toString('base64')}`),
        previousSecret: null,
        previousSecretValidUntil: null,
        failingSince: null,
        ...endpoint,
      },
      ...overrides,
    } satisfies ClaimedMessage;
  };

  beforeEach(() => {
    secrets = new EndpointSecrets(randomBytes(32));
    tenants = automock(TenantDirectory);
    tenants.get.mockResolvedValue({ id: tenantId, slug: 'demo', outboundNetwork: 'public' });
    endpoints = automock(EndpointsRepository);
    subscriptions = automock(SubscriptionCache);
    subscriptions.invalidate.mockReturnValue(undefined);
    dispatchers = automock(OutboundDispatchers);
    dispatchers.for.mockReturnValue({} as Dispatcher);
    http = automock(HttpAttemptSender);
    recorder = automock(DeliveryRecorder);
    recorded = [];
    recorder.record.mockImplementation((r) => void recorded.push(r));
    rpc = automock(RpcClient, ['request', 'publish']);
    rpc.publish.mockResolvedValue(undefined);
    metrics = automock(WebhooksMetrics);
    for (const m of ['attempt', 'messageExhausted', 'endpointDisabled'] as const) metrics[m].mockReturnValue(undefined);
    const clock = { now: () => NOW } as Clock;
    sut = new DeliveryWorker(
      clock,
      policy,
      new WebhooksOptions('https://sso.bank.example/'),
      tenants,
      secrets,
      endpoints,
      subscriptions,
      dispatchers,
      http,
      recorder,
      rpc,
      metrics,
    );
  });

  describe('deliver', () => {
    it('should sign the stored payload and mark the message delivered on a 2xx', async () => {
      http.send.mockResolvedValue(result({}));
      const m = message();

      await sut.deliver(m, abandon);

      const sent = http.send.mock.calls[0]?.[0];
      expect(sent?.body).toBe(m.payload);
      expect(sent?.headers).toMatchObject({
        'webhook-id': 'msg_test',
        'webhook-timestamp': String(NOW / 1000),
        'content-type': 'application/json',
      });
      expect(dispatchers.for).toHaveBeenCalledWith('public');
      expect(recorded).toEqual([
        expect.objectContaining({
          messageId: 'msg_test',
          leaseId: 'lease-1',
          attempt: expect.objectContaining({ outcome: 'success', trigger: 'initial', statusCode: 200 }),
          message: expect.objectContaining({ status: 'delivered', deliveredAt: new Date(NOW) }),
        }),
      ]);
    });

    it('should schedule the next step after a failure, no sooner than Retry-After', async () => {
      http.send.mockResolvedValue(result({ outcome: 'http_error', statusCode: 429, retryAfterMs: 60_000 }));

      await sut.deliver(message({ scheduleStep: 0 }), abandon);

      expect(recorded[0]?.message).toEqual({
        status: 'pending',
        scheduleStep: 1,
        nextAttemptAt: new Date(NOW + 60_000),
        nextTrigger: 'retry',
        deliveredAt: null,
        lastError: 'HTTP 429',
      });
    });

    it('should fail the message as exhausted after the last step of the schedule', async () => {
      http.send.mockResolvedValue(result({ outcome: 'timeout', statusCode: null, error: 'no answer' }));

      await sut.deliver(message({ scheduleStep: 2, attempts: 2, trigger: 'retry' }), abandon);

      expect(recorded[0]?.message).toMatchObject({
        status: 'failed',
        lastError: 'all attempts failed; last: no answer',
      });
      expect(metrics.messageExhausted).toHaveBeenCalledTimes(1);
    });

    it('should disable the endpoint on a 410 and tell the operator', async () => {
      http.send.mockResolvedValue(result({ outcome: 'http_error', statusCode: 410, gone: true }));
      const m = message();
      endpoints.disable.mockResolvedValue({ id: m.endpoint.id, tenantId, vendor: 'vendor-a' } as EndpointRecord);

      await sut.deliver(m, abandon);

      expect(endpoints.disable).toHaveBeenCalledWith(m.endpoint.id, 'gone', new Date(NOW));
      expect(rpc.publish).toHaveBeenCalledWith('webhooks.endpoint_disabled', {
        tenantId,
        endpointId: m.endpoint.id,
        vendor: 'vendor-a',
        reason: 'gone',
        disabledAt: new Date(NOW).toISOString(),
      });
      expect(metrics.endpointDisabled).toHaveBeenCalledWith('gone');
      expect(recorded[0]?.message.status).toBe('failed');
    });

    it('should disable an endpoint that has failed for the disable period, and not before', async () => {
      http.send.mockResolvedValue(result({ outcome: 'http_error', statusCode: 500 }));
      endpoints.disable.mockResolvedValue(null);

      await sut.deliver(message({}, { failingSince: new Date(NOW - policy.disableAfterMs + 1) }), abandon);
      expect(endpoints.disable).not.toHaveBeenCalled();
      expect(recorded[0]?.message.status).toBe('pending');

      await sut.deliver(message({}, { failingSince: new Date(NOW - policy.disableAfterMs) }), abandon);
      expect(endpoints.disable).toHaveBeenCalledWith(expect.any(String), 'failing', new Date(NOW));
      expect(recorded[1]?.message.status).toBe('failed');
    });

    it('should fail a message of a disabled endpoint without sending it', async () => {
      await sut.deliver(message({}, { enabled: false }), abandon);

      expect(http.send).not.toHaveBeenCalled();
      expect(recorded[0]).toMatchObject({
        attempt: null,
        message: { status: 'failed', lastError: 'endpoint disabled' },
      });
    });

    it('should defer, counting no attempt, while user-data is unreachable', async () => {
      tenants.get.mockRejectedValue(HandoverError.unavailable('no service answers user-data.tenant.get'));

      await sut.deliver(message({ trigger: 'replay', scheduleStep: 0 }), abandon);

      expect(http.send).not.toHaveBeenCalled();
      expect(recorded[0]).toMatchObject({
        attempt: null,
        message: { status: 'pending', nextAttemptAt: new Date(NOW + DEFER_MS), nextTrigger: 'replay' },
      });
    });

    it('should fail the message when its tenant no longer exists', async () => {
      tenants.get.mockRejectedValue(new HandoverError('not_found', 'no such tenant'));

      await sut.deliver(message(), abandon);

      expect(recorded[0]).toMatchObject({ attempt: null, message: { status: 'failed', lastError: 'no such tenant' } });
    });

    it('should record nothing for an attempt abandoned at shutdown (its lease brings it back)', async () => {
      const controller = new AbortController();
      http.send.mockImplementation(async () => {
        controller.abort();
        return result({ outcome: 'network_error', statusCode: null });
      });

      await sut.deliver(message(), controller.signal);

      expect(recorded).toEqual([]);
    });
  });

  describe('back-channel logout', () => {
    const bcl = () => message({}, { kind: 'backchannel_logout', secret: null, url: 'https://rp.example/bcl' });

    it('should form-post a logout token minted for this attempt', async () => {
      rpc.request.mockResolvedValue({ logoutToken: 'jwt.for.attempt' });
      http.send.mockResolvedValue(result({}));

      await sut.deliver(bcl(), abandon);

      expect(rpc.request).toHaveBeenCalledWith('token.logout-token.sign', {
        tenantId,
        issuer: 'https://sso.bank.example/t/demo',
        audience: 'vendor-a',
        sub: 'u1',
        sid: 's1',
      });
      expect(http.send.mock.calls[0]?.[0]).toMatchObject({
        body: 'logout_token=jwt.for.attempt',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    });

    it('should defer while the token app is unreachable, and fail when it refuses', async () => {
      rpc.request.mockRejectedValueOnce(HandoverError.unavailable('no service answers token.logout-token.sign'));
      rpc.request.mockRejectedValueOnce(new HandoverError('invalid_request', 'sub: too long'));

      await sut.deliver(bcl(), abandon);
      await sut.deliver(bcl(), abandon);

      expect(http.send).not.toHaveBeenCalled();
      expect(recorded.map((r) => r.message.status)).toEqual(['pending', 'failed']);
      expect(recorded[1]?.message.lastError).toBe('no logout token: sub: too long');
    });
  });
});
