import { Inject, Injectable, Logger } from '@nestjs/common';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { LEASE_MARGIN_MS, WebhookPolicy } from '../webhooks.policy.js';
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
 * Leased messages may wait in memory for a slot, up to this many times the concurrency limits in all (per
 * replica; per endpoint see `depth`).
 */
const READY_FACTOR = 4;
/**
 * The longest a leased message waits for a slot. It then goes back to the table: its lease has to cover the
 * attempt (the HTTP timeout) with a margin, and the endpoint row it carries (URL, secrets, enabled) was read
 * when it was leased, so it must stay about as fresh as a claim's.
 */
const READY_MAX_WAIT_MS = 2_000;
const READY_MIN_WAIT_MS = 20;
/** An endpoint's pace: attempts completed per this window. */
const PACE_WINDOW_MS = 1_000;

/** Where the ingest's new message for an endpoint goes (see `handOffPlan`). */
export type HandOffPlace = 'now' | 'soon' | 'table';

/** A message leased to this replica (by the ingest's insert or by a claim), waiting for a slot. */
interface ReadyMessage {
  message: ClaimedMessage;
  /** performance.now() when its lease was taken (a little after the database stamped it). */
  since: number;
  via: 'handoff' | 'claim';
}

/** Attempts an endpoint completed in the current and the previous window. */
interface Pace {
  windowStart: number;
  count: number;
  previous: number;
}

/**
 * The delivery engine: claims due messages under a lease and delivers them, up to WEBHOOK_CONCURRENCY at once
 * and WEBHOOK_ENDPOINT_CONCURRENCY per endpoint, so a slow or failing endpoint holds a bounded share of the
 * slots and never blocks the others (FI-07). It claims every poll interval, at once when ingest adds messages,
 * and again as slots free while a backlog is likely. Any number of replicas run it side by side; a replica that
 * dies leaves its leases to expire and the messages to be claimed again, with the same webhook-id (FI-05).
 *
 * Direct hand-off: on the happy path the ingest's insert itself leases new messages to this replica (see
 * `reserve` and `handOff`), so they are delivered without a claim query. The lease is the same as a claim's: if
 * the process dies before delivering, it runs out and any replica's claim finds the message. The claim path
 * stays for retries, restarts, other replicas' leftovers, and endpoints with a backlog in the table: an endpoint
 * whose new messages had to be left to the table is "behind", and takes no hand-off until a claim has caught up
 * with it, so handed-over messages never overtake older ones indefinitely.
 *
 * Ready queue: leased messages (handed over or claimed) wait in memory, per endpoint and in order, for a slot.
 * An endpoint that completes attempts quickly may hold up to about one second of its pace beyond its cap
 * (`depth`), so under a backlog one claim serves many freed slots instead of one claim per couple of slots;
 * a slow or failing endpoint holds little beyond its cap. No message waits longer than READY_MAX_WAIT_MS: it
 * then goes back to the table (its lease is released) for the next claim.
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
   * The last claim stopped at a limit (its own, or an endpoint's): more is probably due, so a freed slot whose
   * endpoint runs short of ready messages claims again (coalesced, see CLAIM_COALESCE_MS) instead of waiting
   * for the next poll.
   */
  private backlogLikely = false;
  private inFlight = 0;
  private readonly perEndpoint = new Map<string, number>();
  /** Per endpoint, leased messages waiting for a slot, oldest first. */
  private readonly ready = new Map<string, ReadyMessage[]>();
  /** Per endpoint, ready messages plus places reserved for a hand-off in progress. */
  private readonly held = new Map<string, number>();
  private heldTotal = 0;
  private readonly pace = new Map<string, Pace>();
  /** Endpoints whose last launched message said they were failing (`failing_since` set). */
  private readonly failing = new Set<string>();
  /** Endpoints that may have due messages in the table which this replica passed over (see the class comment). */
  private readonly behind = new Set<string>();
  /** Since start, a claim found nothing left behind: until then every endpoint counts as behind (a restart). */
  private caughtUp = false;
  private readonly active = new Set<Promise<void>>();
  private abandon = new AbortController();
  private lagTimer: NodeJS.Timeout | undefined;
  private claimFailing = false;
  /** Resolved (and dropped) when room may have appeared: see `slotFreed`. */
  private freed: { promise: Promise<void>; resolve: () => void } | undefined;

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
    this.caughtUp = false;
    this.behind.clear();
    this.abandon = new AbortController();
    this.loop = this.run();
    this.lagTimer = setInterval(() => {
      void this.refreshLag();
      this.forgetIdlePaces();
    }, LAG_REFRESH_MS);
    this.lagTimer.unref();
  }

  /** New messages are due: claim now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wakeUp?.();
  }

  /**
   * The ingest asks, before its insert, which of its new messages (given by endpoint) this replica takes straight
   * away. A granted place is held until `handOff`, which the ingest calls once the insert has returned (also
   * when it failed). Refused: the replica is not running, has not caught up with the table since it started, the
   * endpoint is behind, or it holds all it may (the endpoint then becomes behind).
   */
  reserve(endpointIds: readonly string[]): boolean[] {
    const plan = this.handOffPlan(endpointIds);
    return endpointIds.map((endpointId, i) => {
      if (plan[i] === 'now') {
        this.hold(endpointId, 1);
        return true;
      }
      // Refused for want of room (not for a replica still starting): the endpoint's message goes to the table.
      if (this.running && this.caughtUp) this.behind.add(endpointId);
      return false;
    });
  }

  /**
   * For the ingest's new messages, given by endpoint and in order, read-only (`reserve` grants the places):
   * - `now`: this replica can take it straight away;
   * - `soon`: no room yet (or the endpoint is behind), but the endpoint is healthy and completes at least
   *   READY_FACTOR × its cap a second, so slots free (and claims catch up) continually: worth waiting for (see
   *   `slotFreed`) rather than adding the message to the table, where it would need a claim;
   * - `table`: the replica takes no hand-off (not running, not caught up since it started), or the endpoint is slow
   *   or failing: its messages must never hold back other endpoints' (FI-07).
   */
  handOffPlan(endpointIds: readonly string[]): HandOffPlace[] {
    if (!this.running || !this.caughtUp) return endpointIds.map(() => 'table');
    // The ingest asks again as slots free, for every message it holds back: each endpoint is looked at once.
    const now = performance.now();
    let total = this.holdLimit() - this.inFlight - this.heldTotal;
    const room = new Map<string, number>();
    const withoutRoom = new Map<string, HandOffPlace>();
    return endpointIds.map((endpointId) => {
      let left = room.get(endpointId);
      if (left === undefined) {
        // Behind: its older messages in the table go first; a claim catches up with them while new ones wait.
        left = this.behind.has(endpointId)
          ? 0
          : this.depth(endpointId, now) - (this.perEndpoint.get(endpointId) ?? 0) - (this.held.get(endpointId) ?? 0);
        withoutRoom.set(endpointId, this.worthWaitingFor(endpointId, now) ? 'soon' : 'table');
      }
      if (left > 0 && total > 0) {
        room.set(endpointId, left - 1);
        total--;
        return 'now';
      }
      room.set(endpointId, 0);
      return withoutRoom.get(endpointId) as HandOffPlace;
    });
  }

  /** Healthy, and completing at least READY_FACTOR × its cap a second: a slot for it frees soon. */
  private worthWaitingFor(endpointId: string, now: number): boolean {
    return (
      !this.failing.has(endpointId) &&
      this.recentCompletions(endpointId, now) >= READY_FACTOR * this.policy.endpointConcurrency
    );
  }

  /**
   * Resolves when a delivery completes (a slot may have freed), a claim caught up with the table (an endpoint may
   * no longer be behind), the engine stops, or after `ms`.
   */
  async slotFreed(ms: number): Promise<void> {
    if (!this.freed) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.freed = { promise, resolve };
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.freed.promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  private signalSlotFreed(): void {
    const freed = this.freed;
    if (!freed) return;
    this.freed = undefined;
    // After this turn's I/O: the deliveries that complete together wake a waiting ingest once, not once each.
    setImmediate(freed.resolve);
  }

  /**
   * The ingest's insert returned: `reserved` are the endpoints `reserve` granted (one entry per place), `leased`
   * the messages the insert leased to this replica (a message that existed already, or whose endpoint was
   * disabled or deleted meanwhile, is not among them). They start at once where there is room.
   */
  handOff(reserved: readonly string[], leased: readonly ClaimedMessage[]): void {
    for (const endpointId of reserved) this.hold(endpointId, -1);
    if (!this.running) {
      void this.release(leased);
      return;
    }
    this.enqueue(leased, 'handoff');
    this.launchReady();
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
    this.signalSlotFreed();
    await this.loop;
    // Leased messages not started go back to the table for another replica (or this one, restarted).
    const unstarted = [...this.ready.values()].flat().map((r) => r.message);
    this.ready.clear();
    for (const message of unstarted) this.hold(message.endpoint.id, -1);
    await this.release(unstarted);
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
      this.launchReady();
      const room = Math.min(MAX_CLAIM, this.holdLimit() - this.inFlight - this.heldTotal);
      let full = false;
      if (room > 0) {
        const endpointRoom = this.endpointRoom();
        try {
          const claimed = await this.messages.claim({
            limit: room,
            endpointRoom,
            defaultEndpointRoom: this.policy.endpointConcurrency,
            leaseMs: this.policy.leaseMs,
          });
          if (this.claimFailing) this.logger.log('claiming messages works again');
          this.claimFailing = false;
          full = claimed.length === room;
          const got = new Map<string, number>();
          for (const m of claimed) got.set(m.endpoint.id, (got.get(m.endpoint.id) ?? 0) + 1);
          // An endpoint that got all the room it had may have more due.
          const filled = (endpointId: string) =>
            (got.get(endpointId) ?? 0) >= (endpointRoom.get(endpointId) ?? this.policy.endpointConcurrency);
          if (!full) {
            this.caughtUpWith(endpointRoom, got, filled);
            // An ingest waiting for an endpoint that is no longer behind can hand its messages over now.
            this.signalSlotFreed();
          }
          this.backlogLikely = full || [...got.keys()].some(filled);
          this.enqueue(claimed, 'claim');
          this.launchReady();
        } catch (err) {
          // The database is down or restarting: keep polling; nothing is lost, messages wait in the table.
          if (!this.claimFailing) this.logger.warn(`cannot claim messages: ${String(err)}`);
          this.claimFailing = true;
        }
      }
      if (!this.running) break;
      if (full && this.inFlight + this.heldTotal < this.holdLimit()) continue;
      if (this.nudged) {
        // Not `this.sleep`: further nudges must not cut the coalescing short.
        await new Promise((resolve) => setTimeout(resolve, CLAIM_COALESCE_MS));
        continue;
      }
      await this.sleep(this.policy.pollIntervalMs);
    }
  }

  /** How many messages this replica may hold in all: in flight, ready, and reserved. */
  private holdLimit(): number {
    return this.policy.concurrency * READY_FACTOR;
  }

  /**
   * How many messages this replica may hold for one endpoint: its cap, plus what it completed in about the last
   * second (at most (READY_FACTOR - 1) × its cap), so that a ready message waits about a second at most.
   */
  private depth(endpointId: string, now: number): number {
    const cap = this.policy.endpointConcurrency;
    return cap + Math.min((READY_FACTOR - 1) * cap, this.recentCompletions(endpointId, now));
  }

  /** What a claim may take per endpoint this replica holds or has paced; any other endpoint gets its cap. */
  private endpointRoom(): Map<string, number> {
    const room = new Map<string, number>();
    const now = performance.now();
    const ids = new Set([...this.perEndpoint.keys(), ...this.held.keys(), ...this.pace.keys()]);
    for (const endpointId of ids) {
      const holding = (this.perEndpoint.get(endpointId) ?? 0) + (this.held.get(endpointId) ?? 0);
      room.set(endpointId, Math.max(0, this.depth(endpointId, now) - holding));
    }
    return room;
  }

  /**
   * A claim that came back short of its limit took every due, unleased message of the endpoints it could serve,
   * except for an endpoint that filled its room: the others are no longer behind. The first such claim that left
   * no endpoint out (or filled) ends the start-up catch-up.
   */
  private caughtUpWith(
    endpointRoom: ReadonlyMap<string, number>,
    got: ReadonlyMap<string, number>,
    filled: (endpointId: string) => boolean,
  ): void {
    if (!this.caughtUp) {
      this.caughtUp = ![...endpointRoom.keys(), ...got.keys()].some(filled);
      return;
    }
    for (const endpointId of this.behind) if (!filled(endpointId)) this.behind.delete(endpointId);
  }

  private hold(endpointId: string, delta: number): void {
    const held = (this.held.get(endpointId) ?? 0) + delta;
    if (held > 0) this.held.set(endpointId, held);
    else this.held.delete(endpointId);
    this.heldTotal += delta;
  }

  private enqueue(messages: readonly ClaimedMessage[], via: ReadyMessage['via']): void {
    const since = performance.now();
    for (const message of messages) {
      const endpointId = message.endpoint.id;
      const queue = this.ready.get(endpointId);
      if (queue) queue.push({ message, since, via });
      else this.ready.set(endpointId, [{ message, since, via }]);
      this.hold(endpointId, 1);
    }
  }

  /** Starts ready messages while there is room; one that waited too long goes back to the table. */
  private launchReady(): void {
    if (this.ready.size === 0) return;
    const now = performance.now();
    const maxWait = this.maxReadyWaitMs();
    const expired: ClaimedMessage[] = [];
    let handedOff = 0;
    let claimed = 0;
    for (const [endpointId, queue] of this.ready) {
      while (
        queue.length > 0 &&
        this.inFlight < this.policy.concurrency &&
        (this.perEndpoint.get(endpointId) ?? 0) < this.policy.endpointConcurrency
      ) {
        const next = queue.shift() as ReadyMessage;
        this.hold(endpointId, -1);
        if (now - next.since > maxWait) {
          expired.push(next.message);
          this.behind.add(endpointId);
        } else {
          this.launch(next.message);
          if (next.via === 'handoff') handedOff++;
          else claimed++;
        }
      }
      if (queue.length === 0) this.ready.delete(endpointId);
      if (this.inFlight >= this.policy.concurrency) break;
    }
    this.metrics.messagesStarted('handoff', handedOff);
    this.metrics.messagesStarted('claim', claimed);
    if (expired.length > 0) void this.release(expired).then(() => this.nudge());
  }

  /**
   * Within the lease, with the HTTP timeout and a margin left for the attempt itself (at most 2 s; at least a
   * moment, so that a message claimed or handed over is started in the same turn whatever the policy).
   */
  private maxReadyWaitMs(): number {
    const spare = this.policy.leaseMs - this.policy.httpTimeoutMs;
    return Math.max(READY_MIN_WAIT_MS, Math.min(READY_MAX_WAIT_MS, spare - Math.min(LEASE_MARGIN_MS, spare / 2)));
  }

  /** Hands leases back so a claim takes the messages at once; best effort, since their leases run out anyway. */
  private async release(messages: readonly ClaimedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.messages.release(messages);
    } catch (err) {
      this.logger.warn(`${messages.length} leases not handed back, they run out instead: ${String(err)}`);
    }
  }

  private completed(endpointId: string): void {
    const now = performance.now();
    let pace = this.pace.get(endpointId);
    if (!pace) {
      pace = { windowStart: now, count: 0, previous: 0 };
      this.pace.set(endpointId, pace);
    }
    if (now - pace.windowStart >= PACE_WINDOW_MS) {
      pace.previous = now - pace.windowStart < 2 * PACE_WINDOW_MS ? pace.count : 0;
      pace.count = 0;
      pace.windowStart = now;
    }
    pace.count++;
  }

  private recentCompletions(endpointId: string, now: number): number {
    const pace = this.pace.get(endpointId);
    if (!pace) return 0;
    const age = now - pace.windowStart;
    if (age >= 2 * PACE_WINDOW_MS) return 0;
    return age >= PACE_WINDOW_MS ? pace.count : Math.max(pace.count, pace.previous);
  }

  private forgetIdlePaces(): void {
    const now = performance.now();
    for (const [endpointId, pace] of this.pace) {
      if (now - pace.windowStart >= 2 * PACE_WINDOW_MS) {
        this.pace.delete(endpointId);
        this.failing.delete(endpointId);
      }
    }
  }

  private launch(message: ClaimedMessage): void {
    const endpointId = message.endpoint.id;
    if (message.endpoint.failingSince) this.failing.add(endpointId);
    else this.failing.delete(endpointId);
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
        this.completed(endpointId);
        this.launchReady();
        this.signalSlotFreed();
        // A freed slot matters when work was left behind (a full claim, or an endpoint that filled its room) and
        // this endpoint runs short of ready messages: one claim then refills many slots.
        if (this.backlogLikely && (this.ready.get(endpointId)?.length ?? 0) < this.policy.endpointConcurrency) {
          this.nudge();
        }
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
      await this.messages.markLeftEntries();
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
