import { Injectable } from '@nestjs/common';
import { request, type Dispatcher } from 'undici';
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

function isTimeout(err: unknown, timeout: AbortSignal): boolean {
  if (timeout.aborted) return true;
  const { name, code } = (err ?? {}) as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`.slice(0, 500);
}

/** Reads up to EXCERPT_BYTES of a body for the log and discards the rest (reading at most DRAIN_LIMIT_BYTES). */
async function excerptOf(body: Dispatcher.ResponseData['body']): Promise<string | null> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      readBytes += chunk.length;
      if (keptBytes < EXCERPT_BYTES) {
        const part = chunk.subarray(0, EXCERPT_BYTES - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (readBytes >= DRAIN_LIMIT_BYTES) break; // leaving the loop destroys the stream (and its socket)
    }
  } catch {
    // The answer's status decides the attempt; an excerpt cut short by the timeout or a reset is still kept.
  }
  return keptBytes > 0 ? Buffer.concat(kept).toString('utf8') : null;
}

/**
 * One HTTP POST through the tenant's guarded dispatcher (SSRF checked at connect), bounded by one timeout for
 * the whole attempt, never following a redirect, with the answer classified for the delivery log.
 */
@Injectable()
export class HttpAttemptSender {
  async send(attempt: HttpAttempt): Promise<HttpAttemptResult> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(attempt.timeoutMs);
    const latency = () => Math.round(performance.now() - started);
    try {
      const response = await request(attempt.url, {
        method: 'POST',
        body: attempt.body,
        headers: attempt.headers,
        dispatcher: attempt.dispatcher,
        signal: AbortSignal.any([timeout, attempt.signal]),
      });
      const responseExcerpt = await excerptOf(response.body);
      const { statusCode } = response;
      return {
        outcome: outcomeOf(statusCode),
        statusCode,
        latencyMs: latency(),
        responseExcerpt,
        error: null,
        retryAfterMs:
          statusCode === 429 || statusCode === 503
            ? parseRetryAfter(response.headers['retry-after'], Date.now())
            : null,
        gone: statusCode === 410,
        blocked: null,
      };
    } catch (err) {
      const blocked = findBlocked(err);
      const outcome: AttemptOutcome = blocked ? 'blocked' : isTimeout(err, timeout) ? 'timeout' : 'network_error';
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
    }
  }
}
