import { Inject, Injectable, Logger } from '@nestjs/common';
import { HandoverError, type OutboundNetwork } from '#contracts';
import { RpcClient } from '#messaging';
import { webhookHeaders } from '#security';
import { Clock } from '../clock.js';
import { EndpointSecrets } from '../endpoints/endpoint-secrets.js';
import { EndpointsRepository } from '../endpoints/endpoints.repository.js';
import { SubscriptionCache } from '../endpoints/subscription-cache.js';
import { TenantDirectory } from '../tenants/tenant-directory.js';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { WebhooksOptions } from '../webhooks.options.js';
import { WebhookPolicy } from '../webhooks.policy.js';
import type { ClaimedMessage } from './claimed-message.js';
import { DeliveryRecorder, type AttemptRecord, type MessageOutcome } from './delivery-recorder.js';
import { HttpAttemptSender, USER_AGENT, type HttpAttemptResult } from './http-attempt.js';
import { OutboundDispatchers } from './outbound-dispatchers.js';
import { nextRetryDelay } from './retry-schedule.js';

/** How long a message waits when its attempt cannot be prepared for now (user-data or token app unreachable). */
export const DEFER_MS = 5_000;

type Prepared =
  | { kind: 'send'; network: OutboundNetwork; body: string; headers: Record<string, string> }
  /** Nothing sent, no attempt counted: try again shortly. */
  | { kind: 'defer'; reason: string }
  /** Nothing sent and nothing ever will be: the message fails. */
  | { kind: 'fail'; reason: string };

class Deferred extends Error {}

/**
 * Delivers one claimed message: prepares the request (Standard Webhooks headers signed afresh, or a fresh
 * back-channel logout token), sends it once, and records the attempt and what happens next: delivered, a retry
 * on the schedule (or after `Retry-After`), failed when the schedule is exhausted, or the endpoint disabled
 * (410, or failing for the disable period).
 */
@Injectable()
export class DeliveryWorker {
  private readonly logger = new Logger('WebhooksDelivery');
  /** When this replica disabled an endpoint: its messages in flight at that moment end as failed, not retried. */
  private readonly disabledHere = new Map<string, number>();

  constructor(
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WebhookPolicy) private readonly policy: WebhookPolicy,
    @Inject(WebhooksOptions) private readonly options: WebhooksOptions,
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(EndpointSecrets) private readonly secrets: EndpointSecrets,
    @Inject(EndpointsRepository) private readonly endpoints: EndpointsRepository,
    @Inject(SubscriptionCache) private readonly subscriptions: SubscriptionCache,
    @Inject(OutboundDispatchers) private readonly dispatchers: OutboundDispatchers,
    @Inject(HttpAttemptSender) private readonly http: HttpAttemptSender,
    @Inject(DeliveryRecorder) private readonly recorder: DeliveryRecorder,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(WebhooksMetrics) private readonly metrics: WebhooksMetrics,
  ) {}

  /** `abandon` aborts at shutdown: the attempt is then not recorded, and the lease brings the message back. */
  async deliver(m: ClaimedMessage, abandon: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    if (!m.endpoint.enabled) {
      return this.finish(m, null, this.failed(m, 'endpoint disabled'));
    }
    const prepared = await this.prepare(m, startedAt);
    if (prepared.kind === 'defer') {
      this.logger.warn(`delivery of ${m.id} deferred: ${prepared.reason}`);
      return this.finish(m, null, {
        status: 'pending',
        scheduleStep: m.scheduleStep,
        nextAttemptAt: new Date(this.clock.now() + DEFER_MS),
        nextTrigger: m.trigger,
        deliveredAt: null,
        lastError: prepared.reason,
      });
    }
    if (prepared.kind === 'fail') {
      this.logger.warn(`message ${m.id} failed without an attempt: ${prepared.reason}`);
      return this.finish(m, null, this.failed(m, prepared.reason));
    }
    const result = await this.http.send({
      url: m.endpoint.url,
      body: prepared.body,
      headers: prepared.headers,
      dispatcher: this.dispatchers.for(prepared.network),
      timeoutMs: this.policy.httpTimeoutMs,
      signal: abandon,
    });
    if (abandon.aborted) return;
    const attempt: AttemptRecord = {
      attemptedAt: new Date(startedAt),
      trigger: m.trigger,
      outcome: result.outcome,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      error: result.error,
    };
    this.metrics.attempt(result.outcome, m.trigger, result.latencyMs);
    if (result.blocked) {
      this.logger.warn(
        `delivery ${m.id} to endpoint ${m.endpoint.id} blocked by the outbound network policy: ${result.blocked.message}`,
      );
    }
    return this.finish(m, attempt, await this.next(m, result, startedAt));
  }

  private async prepare(m: ClaimedMessage, nowMs: number): Promise<Prepared> {
    try {
      const tenant = await this.tenants.get(m.tenantId, m.endpoint.tenantSlug).catch((err: unknown) => {
        if (err instanceof HandoverError && err.code === 'not_found') throw err;
        throw new Deferred(`tenant ${m.endpoint.tenantSlug} not available: ${String(err)}`);
      });
      if (m.endpoint.kind === 'backchannel_logout') {
        const form = new URLSearchParams({ logout_token: await this.logoutToken(m) }).toString();
        return {
          kind: 'send',
          network: tenant.outboundNetwork,
          body: form,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
        };
      }
      let secrets: string[];
      try {
        secrets = this.secrets.signingSecrets(m.endpoint, nowMs);
      } catch (err) {
        // A secret sealed under another HANDOVER_SECRET_KEY: nothing is lost by waiting for the right key.
        this.logger.error(`endpoint ${m.endpoint.id}: its secret does not open with this secret key`);
        throw new Deferred(`endpoint secret unreadable: ${String(err)}`);
      }
      return {
        kind: 'send',
        network: tenant.outboundNetwork,
        body: m.payload,
        headers: {
          ...webhookHeaders(secrets, m.id, this.clock.now(), m.payload),
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
        },
      };
    } catch (err) {
      if (err instanceof Deferred) return { kind: 'defer', reason: err.message };
      if (err instanceof HandoverError) return { kind: 'fail', reason: err.description };
      throw err;
    }
  }

  /** A fresh logout token per attempt (new jti, iat, exp): a retried or replayed one must not be a replay. */
  private async logoutToken(m: ClaimedMessage): Promise<string> {
    const data = (JSON.parse(m.payload) as { data?: Record<string, unknown> }).data ?? {};
    const { sub, session_id: sid } = data;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !sub || !sid) {
      throw new HandoverError('invalid_request', 'the event has no sub and session_id for a logout token');
    }
    try {
      const reply = await this.rpc.request('token.logout-token.sign', {
        tenantId: m.tenantId,
        issuer: this.options.issuerOf(m.endpoint.tenantSlug),
        audience: m.endpoint.vendor,
        sub,
        sid,
      });
      return reply.logoutToken;
    } catch (err) {
      if (err instanceof HandoverError && err.code !== 'temporarily_unavailable') {
        throw new HandoverError(err.code, `no logout token: ${err.description}`);
      }
      throw new Deferred(`no logout token for now: ${String(err)}`);
    }
  }

  /** What happens after an attempt. */
  private async next(m: ClaimedMessage, result: HttpAttemptResult, startedAt: number): Promise<MessageOutcome> {
    const now = this.clock.now();
    if (result.outcome === 'success') {
      return {
        status: 'delivered',
        scheduleStep: m.scheduleStep,
        nextAttemptAt: null,
        nextTrigger: m.trigger,
        deliveredAt: new Date(now),
        lastError: null,
      };
    }
    const lastError = result.error ?? `HTTP ${result.statusCode ?? '?'}`;
    if (result.gone) {
      await this.disable(m, 'gone');
      return this.failed(m, 'the endpoint answered 410 Gone and was disabled');
    }
    const failingSince = m.endpoint.failingSince?.getTime();
    if (failingSince !== undefined && now - failingSince >= this.policy.disableAfterMs) {
      await this.disable(m, 'failing');
      return this.failed(m, `endpoint disabled after failing since ${new Date(failingSince).toISOString()}`);
    }
    if (this.disabledDuring(m.endpoint.id, startedAt, now)) return this.failed(m, 'endpoint disabled');
    const delay = nextRetryDelay(this.policy, m.scheduleStep, result.retryAfterMs);
    if (delay === null) {
      this.metrics.messageExhausted();
      this.logger.warn(
        `message ${m.id} to endpoint ${m.endpoint.id} failed all ${m.attempts + 1} attempts; replay it once fixed`,
      );
      return this.failed(m, `all attempts failed; last: ${lastError}`);
    }
    return {
      status: 'pending',
      scheduleStep: m.scheduleStep + 1,
      nextAttemptAt: new Date(now + delay),
      nextTrigger: 'retry',
      deliveredAt: null,
      lastError,
    };
  }

  private failed(m: ClaimedMessage, reason: string): MessageOutcome {
    return {
      status: 'failed',
      scheduleStep: m.scheduleStep,
      nextAttemptAt: null,
      nextTrigger: m.trigger,
      deliveredAt: null,
      lastError: reason,
    };
  }

  private finish(m: ClaimedMessage, attempt: AttemptRecord | null, message: MessageOutcome): void {
    this.recorder.record({ messageId: m.id, leaseId: m.leaseId, endpointId: m.endpoint.id, attempt, message });
  }

  /** Disables the endpoint (once, whichever replica wins) and tells the operator: log, metric, event. */
  private async disable(m: ClaimedMessage, reason: 'gone' | 'failing'): Promise<void> {
    const now = this.clock.now();
    this.disabledHere.set(m.endpoint.id, now);
    const endpoint = await this.endpoints.disable(m.endpoint.id, reason, new Date(now));
    this.subscriptions.invalidate(m.tenantId);
    if (!endpoint) return;
    this.metrics.endpointDisabled(reason);
    this.logger.warn(
      `endpoint ${endpoint.id} of vendor ${endpoint.vendor} (tenant ${endpoint.tenantSlug}) disabled: ${
        reason === 'gone' ? 'it answered 410 Gone' : `failing since ${endpoint.failingSince?.toISOString() ?? '?'}`
      }; its undelivered messages are kept for replay`,
    );
    await this.rpc
      .publish('webhooks.endpoint_disabled', {
        tenantId: endpoint.tenantId,
        endpointId: endpoint.id,
        vendor: endpoint.vendor,
        reason,
        disabledAt: new Date(now).toISOString(),
      })
      .catch((err: unknown) => this.logger.warn(`webhooks.endpoint_disabled not published: ${String(err)}`));
  }

  /** Whether this replica disabled the endpoint after an attempt started at `startedAt`. */
  private disabledDuring(endpointId: string, startedAt: number, now: number): boolean {
    const at = this.disabledHere.get(endpointId);
    if (at === undefined) return false;
    // Every attempt that started before it has ended or lost its lease by now.
    if (now - at > this.policy.leaseMs) this.disabledHere.delete(endpointId);
    return at >= startedAt;
  }
}
