import { HandoverError } from '#contracts';

/** A call in flight; `reject` is cleared once it is settled (by its reply, its error or its deadline). */
export interface PendingCall {
  readonly deadline: number;
  reject: ((err: unknown) => void) | undefined;
}

/**
 * Deadlines for store calls, kept by one sweep timer instead of node-redis's timeout per command. That one is an
 * AbortSignal.timeout and a listener per command whose timer fires a second later anyway and builds a
 * DOMException: ~14 µs per command, and a second's worth of live timers that outlive young-generation GCs, so
 * the old generation (and the RSS) grew by ~18 MB/s under load. Every call has the same allowance, so calls in
 * start order are in deadline order too: a FIFO whose settled head is dropped as replies come in and whose
 * overdue head the sweep fails. A call thus fails within `deadlineMs` + one sweep, whether Redis is down (the
 * client fails it sooner: offline) or connected and silent. A reply that comes after the deadline is ignored:
 * its caller was told "unavailable", so nothing acknowledged depends on it.
 */
export class CallDeadlines {
  private queue: PendingCall[] = [];
  private head = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deadlineMs: number,
    sweepMs = Math.min(100, Math.max(10, Math.floor(deadlineMs / 10))),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  /** Tracks a new call; the deadline fails it through `reject`. */
  start(reject: (err: unknown) => void): PendingCall {
    const call: PendingCall = { deadline: this.now() + this.deadlineMs, reject };
    this.queue.push(call);
    return call;
  }

  /** The reply came: true when it came in time (the caller hands it on), false when the call already failed. */
  finish(call: PendingCall): boolean {
    const inTime = call.reject !== undefined;
    call.reject = undefined;
    this.dropSettledHead();
    return inTime;
  }

  /** Fails the call as unavailable, unless it is already settled. */
  fail(call: PendingCall, cause: unknown): void {
    const reject = call.reject;
    call.reject = undefined;
    this.dropSettledHead();
    reject?.(HandoverError.unavailable('the short-lived store (Redis) is unavailable', cause));
  }

  /** Calls started and not settled yet. */
  get pending(): number {
    let count = 0;
    for (let i = this.head; i < this.queue.length; i++) if (this.queue[i]!.reject !== undefined) count++;
    return count;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    const overdue: PendingCall[] = [];
    while (this.head < this.queue.length) {
      const call = this.queue[this.head]!;
      if (call.reject !== undefined && call.deadline > now) break;
      if (call.reject !== undefined) overdue.push(call);
      this.head++;
    }
    this.compact();
    for (const call of overdue) this.fail(call, new Error(`Redis did not answer within ${this.deadlineMs} ms`));
  }

  private dropSettledHead(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.reject === undefined) this.head++;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
