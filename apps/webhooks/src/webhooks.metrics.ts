import { Injectable } from '@nestjs/common';
import type { AttemptOutcome, AttemptTrigger } from '#contracts';
import { counter, gauge, histogram } from '#observability';

/** The dispatcher's Prometheus metrics (issue #5 item 9), created once per process. */
@Injectable()
export class WebhooksMetrics {
  private readonly deliveries = counter(
    'handover_webhook_deliveries_total',
    'Webhook and back-channel logout delivery attempts, by outcome (success, http_error, ...) and trigger',
    ['outcome', 'trigger'] as const,
  );
  private readonly failures = counter(
    'handover_webhook_failures_total',
    'Delivery attempts that did not succeed, by outcome (http_error, redirect, timeout, network_error, blocked)',
    ['outcome'] as const,
  );
  private readonly latency = histogram(
    'handover_webhook_attempt_duration_seconds',
    'Duration of one delivery attempt, from connect to the response excerpt',
    ['outcome'] as const,
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  );
  private readonly created = counter(
    'handover_webhook_messages_created_total',
    'Messages created from durable events, by initial status (failed: the endpoint was disabled)',
    ['status'] as const,
  );
  private readonly started = counter(
    'handover_webhook_messages_started_total',
    'Messages a delivery started for, by how the engine got them (handoff: leased by the ingest; claim: claimed)',
    ['via'] as const,
  );
  private readonly exhausted = counter(
    'handover_webhook_messages_exhausted_total',
    'Messages that failed every attempt of the retry schedule',
    [] as const,
  );
  private readonly disabled = counter(
    'handover_webhook_endpoints_disabled_total',
    'Endpoints the dispatcher disabled, by reason (gone: 410; failing: failing for the disable period)',
    ['reason'] as const,
  );
  private readonly lag = gauge(
    'handover_webhook_queue_lag_seconds',
    'Age of the oldest due, undelivered message, per endpoint (absent: nothing due)',
    ['endpoint'] as const,
  );

  attempt(outcome: AttemptOutcome, trigger: AttemptTrigger, latencyMs: number): void {
    this.deliveries.inc({ outcome, trigger });
    if (outcome !== 'success') this.failures.inc({ outcome });
    this.latency.observe({ outcome }, latencyMs / 1000);
  }

  messagesCreated(pending: number, failed: number): void {
    if (pending > 0) this.created.inc({ status: 'pending' }, pending);
    if (failed > 0) this.created.inc({ status: 'failed' }, failed);
  }

  messagesStarted(via: 'handoff' | 'claim', count: number): void {
    if (count > 0) this.started.inc({ via }, count);
  }

  messageExhausted(): void {
    this.exhausted.inc();
  }

  endpointDisabled(reason: 'gone' | 'failing'): void {
    this.disabled.inc({ reason });
  }

  /** Replaces the per-endpoint lag: endpoints with nothing due disappear from the gauge. */
  queueLag(lags: ReadonlyArray<{ endpointId: string; seconds: number }>): void {
    this.lag.reset();
    for (const { endpointId, seconds } of lags) this.lag.set({ endpoint: endpointId }, seconds);
  }
}
