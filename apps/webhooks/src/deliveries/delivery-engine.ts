import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { WebhookPolicy } from '../webhooks.policy.js';
import type { ClaimedMessage } from './claimed-message.js';
import { DeliveryRecorder } from './delivery-recorder.js';
import { DeliveryWorker } from './delivery-worker.js';
import { MessagesRepository } from './messages.repository.js';

/** One claim statement takes at most this many messages. */
const MAX_CLAIM = 500;
const LAG_REFRESH_MS = 5_000;
/** At shutdown, how long unwritten results may take to reach the database. */
const RECORDER_DRAIN_MS = 2_000;
/** After a freed slot wakes the loop, wait this long so that one claim serves the slots freed meanwhile. */
const CLAIM_COALESCE_MS = 2;

/**
 * The delivery engine: claims due messages under a lease and delivers them, up to WEBHOOK_CONCURRENCY at once
 * and WEBHOOK_ENDPOINT_CONCURRENCY per endpoint, so a slow or failing endpoint holds a bounded share of the
 * slots and never blocks the others (FI-07). It claims every poll interval, at once when ingest adds messages,
 * and again as slots free while a backlog is likely. Any number of replicas run it side by side; a replica that
 * dies leaves its claims to expire and be claimed again, with the same webhook-id (FI-05).
 */
@Injectable()
export class DeliveryEngine {
  private readonly logger = new Logger('WebhooksEngine');
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Set by a nudge: claim again before sleeping. */
  private nudged = false;
  /**
   * The last claim stopped at a limit (its own, or an endpoint's cap): more is probably due, so every freed slot
   * claims again (coalesced, see CLAIM_COALESCE_MS) instead of waiting for the next poll.
   */
  private backlogLikely = false;
  private inFlight = 0;
  private readonly perEndpoint = new Map<string, number>();
  private readonly active = new Set<Promise<void>>();
  private abandon = new AbortController();
  private lagTimer: NodeJS.Timeout | undefined;
  private claimFailing = false;

  constructor(
    @Inject(WebhookPolicy) private readonly policy: WebhookPolicy,
    @Inject(MessagesRepository) private readonly messages: MessagesRepository,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(DeliveryRecorder) private readonly recorder: DeliveryRecorder,
    @Inject(WebhooksMetrics) private readonly metrics: WebhooksMetrics,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abandon = new AbortController();
    this.loop = this.run();
    this.lagTimer = setInterval(() => void this.refreshLag(), LAG_REFRESH_MS);
    this.lagTimer.unref();
  }

  /** New messages are due: claim now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming, lets in-flight attempts finish for the drain timeout, then abandons the rest to their leases
   * (they are sent again, same id, once the lease runs out) and writes what was recorded.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.lagTimer);
    this.wakeUp?.();
    await this.loop;
    if (!(await settledWithin([...this.active], this.policy.drainTimeoutMs))) {
      this.logger.warn(
        `${this.active.size} deliveries still in flight at shutdown; they will be re-sent after their lease`,
      );
      this.abandon.abort();
      await Promise.allSettled([...this.active]);
    }
    await this.recorder.drain(RECORDER_DRAIN_MS);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      const room = this.policy.concurrency - this.inFlight;
      let full = false;
      if (room > 0) {
        const limit = Math.min(room, MAX_CLAIM);
        try {
          const claimed = await this.messages.claim({
            limit,
            inFlight: this.perEndpoint,
            endpointLimit: this.policy.endpointConcurrency,
            leaseMs: this.policy.leaseMs,
          });
          if (this.claimFailing) this.logger.log('claiming messages works again');
          this.claimFailing = false;
          full = claimed.length === limit;
          for (const message of claimed) this.launch(message);
          this.backlogLikely =
            full ||
            (claimed.length > 0 &&
              claimed.some((m) => (this.perEndpoint.get(m.endpoint.id) ?? 0) >= this.policy.endpointConcurrency));
        } catch (err) {
          // The database is down or restarting: keep polling; nothing is lost, messages wait in the table.
          if (!this.claimFailing) this.logger.warn(`cannot claim messages: ${String(err)}`);
          this.claimFailing = true;
        }
      }
      if (!this.running) break;
      if (full && this.inFlight < this.policy.concurrency) continue;
      if (this.nudged) {
        // Not `this.sleep`: further nudges must not cut the coalescing short.
        await new Promise((resolve) => setTimeout(resolve, CLAIM_COALESCE_MS));
        continue;
      }
      await this.sleep(this.policy.pollIntervalMs);
    }
  }

  private launch(message: ClaimedMessage): void {
    const endpointId = message.endpoint.id;
    this.inFlight++;
    this.perEndpoint.set(endpointId, (this.perEndpoint.get(endpointId) ?? 0) + 1);
    const task: Promise<void> = this.worker
      .deliver(message, this.abandon.signal)
      .catch((err: unknown) => {
        // Its lease brings the message back after WEBHOOK_LEASE_MS.
        this.logger.error(`delivery of ${message.id} failed unexpectedly: ${String(err)}`);
      })
      .finally(() => {
        this.inFlight--;
        const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
        if (left > 0) this.perEndpoint.set(endpointId, left);
        else this.perEndpoint.delete(endpointId);
        this.active.delete(task);
        // A freed slot matters when work was left behind: a full claim, or an endpoint held at its cap.
        if (this.backlogLikely) this.nudge();
      });
    this.active.add(task);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async refreshLag(): Promise<void> {
    try {
      this.metrics.queueLag(await this.messages.queueLag());
    } catch {
      // The claim loop reports a database outage; the gauge keeps its last values meanwhile.
    }
  }
}

async function settledWithin(tasks: Promise<void>[], ms: number): Promise<boolean> {
  if (tasks.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(tasks).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
