import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { AttemptOutcome } from '#contracts';
import { OutboundBlockedError } from '#security';
import { parseRetryAfter } from './retry-schedule.js';

export const USER_AGENT = 'Handover-Webhooks/1.0 (+https://www.standardwebhooks.com/)';

/** The delivery log keeps this much of a receiver's answer. */
export const EXCERPT_BYTES = 1024;
/** A short answer is read to its end so the connection can be reused; a longer one is cut off here. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

export interface HttpAttempt {
  url: string;
  body: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Aborts the attempt early (shutdown). */
  signal: AbortSignal;
}

export interface HttpAttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  /** From `Retry-After` on a 429 or 503. */
  retryAfterMs: number | null;
  /** The receiver answered 410 Gone: it wants no more deliveries. */
  gone: boolean;
  /** The SSRF guard refused the destination; nothing was sent. */
  blocked: OutboundBlockedError | null;
}

/** 2xx succeeds; a 3xx is a failure and never followed (its target could be anything, SSRF); the rest fail. */
export function outcomeOf(statusCode: number): AttemptOutcome {
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode >= 300 && statusCode < 400) return 'redirect';
  return 'http_error';
}

function findBlocked(err: unknown): OutboundBlockedError | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundBlockedError) return e;
  }
  return null;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isTimeout(err: unknown, timedOut: boolean): boolean {
  if (timedOut) return true;
  const { name, code } = (err ?? {}) as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`.slice(0, 500);
}

/**
 * Receives one attempt's answer through undici's dispatch API: the status, the headers, the first EXCERPT_BYTES
 * of the body (read on to DRAIN_LIMIT_BYTES so the connection can be reused, cut off beyond). Lighter per
 * attempt than `request()` (no AsyncResource, no body stream, no AbortSignal plumbing).
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  statusCode: number | null = null;
  headers: IncomingHttpHeaders = {};
  private controller: Dispatcher.DispatchController | undefined;
  private cutOff: Error | undefined;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private readBytes = 0;
  private settled = false;

  /** `settle` is called once: with null when the answer was read, else with why the attempt ended. */
  constructor(private readonly settle: (err: Error | null) => void) {}

  /**
   * Cuts the attempt off (deadline, shutdown) and settles it now: undici stops it at once if it is under way,
   * else as soon as it starts (nothing is sent then).
   */
  cancel(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.cutOff = reason;
    this.finish(reason);
  }

  private finish(err: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(err);
  }

  excerpt(): string | null {
    return this.keptBytes > 0 ? Buffer.concat(this.kept).toString('utf8') : null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cutOff) controller.abort(this.cutOff);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.readBytes += chunk.length;
    if (this.keptBytes < EXCERPT_BYTES) {
      const part = chunk.subarray(0, EXCERPT_BYTES - this.keptBytes);
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    // A long answer is not read to its end: the connection is closed instead.
    if (this.readBytes >= DRAIN_LIMIT_BYTES) controller.abort(new Error('answer longer than the drain limit'));
  }

  onResponseEnd(): void {
    this.finish(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(err);
  }
}

/**
 * One HTTP POST through the tenant's guarded dispatcher (SSRF checked at connect), bounded by one timeout for
 * the whole attempt, never following a redirect, with the answer classified for the delivery log.
 */
@Injectable()
export class HttpAttemptSender {
  /**
   * The attempts in flight per shutdown signal, cut off together by one listener on it: a listener per attempt
   * would pile up hundreds on the one signal.
   */
  private readonly following = new WeakMap<AbortSignal, Set<AttemptHandler>>();

  async send(attempt: HttpAttempt): Promise<HttpAttemptResult> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let handler: AttemptHandler | undefined;
    let unfollow = () => {};
    try {
      // Resolves once the answer is read (or given up on); the status decides the attempt once it is known.
      await new Promise<void>((resolve, reject) => {
        const url = new URL(attempt.url);
        const h = new AttemptHandler((err) => {
          clearTimeout(timer);
          if (err && h.statusCode === null) reject(err);
          else resolve();
        });
        handler = h;
        // One timer per attempt: the deadline covers connect, request, headers and the excerpt, and settles the
        // attempt at once, even one undici has not started yet.
        timer = setTimeout(() => {
          timedOut = true;
          h.cancel(new Error(`no complete answer within ${attempt.timeoutMs} ms`));
        }, attempt.timeoutMs);
        unfollow = this.follow(attempt.signal, h);
        attempt.dispatcher.dispatch(
          {
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
            method: 'POST',
            headers: attempt.headers,
            body: attempt.body,
          },
          h,
        );
      });
      const statusCode = (handler as AttemptHandler).statusCode as number;
      const headers = (handler as AttemptHandler).headers;
      return {
        outcome: outcomeOf(statusCode),
        statusCode,
        latencyMs: latency(),
        responseExcerpt: (handler as AttemptHandler).excerpt(),
        error: null,
        retryAfterMs:
          statusCode === 429 || statusCode === 503 ? parseRetryAfter(headers['retry-after'], Date.now()) : null,
        gone: statusCode === 410,
        blocked: null,
      };
    } catch (err) {
      const blocked = findBlocked(err);
      const outcome: AttemptOutcome = blocked ? 'blocked' : isTimeout(err, timedOut) ? 'timeout' : 'network_error';
      return {
        outcome,
        statusCode: null,
        latencyMs: latency(),
        responseExcerpt: null,
        error:
          outcome === 'timeout'
            ? `no complete answer within ${attempt.timeoutMs} ms`
            : blocked
              ? blocked.message
              : describeError(err),
        retryAfterMs: null,
        gone: false,
        blocked,
      };
    } finally {
      clearTimeout(timer);
      unfollow();
    }
  }

  /** Cuts `handler` off when `signal` aborts; returns how to stop following. */
  private follow(signal: AbortSignal, handler: AttemptHandler): () => void {
    const reason = () => (signal.reason instanceof Error ? signal.reason : new Error('attempt abandoned'));
    if (signal.aborted) {
      handler.cancel(reason());
      return () => undefined;
    }
    let handlers = this.following.get(signal);
    if (!handlers) {
      const followers = new Set<AttemptHandler>();
      signal.addEventListener(
        'abort',
        () => {
          for (const h of followers) h.cancel(reason());
        },
        { once: true },
      );
      this.following.set(signal, followers);
      handlers = followers;
    }
    const set = handlers;
    set.add(handler);
    return () => set.delete(handler);
  }
}
