import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { HandoverError } from '#contracts';

/** How many verified deliveries the demo keeps to show (newest first). */
export const DEMO_INBOX_SIZE = 50;

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** A delivery the demo vendor received and verified, as `GET /demo/webhooks` shows it. */
export interface ReceivedWebhook {
  /** The `webhook-id`: the same on every retry and replay of one message. */
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** Always true: a delivery whose signature does not verify is refused, never kept. */
  verified: true;
  /** When it (last) arrived. */
  received_at: string;
  /** How many times this `webhook-id` arrived (a receiver dedupes on it: retries and replays repeat it). */
  times_received: number;
}

/**
 * The demo vendor's webhook endpoint, as a vendor would write it: each delivery is checked with the reference
 * `standardwebhooks` library over the body's bytes exactly as received (never re-serialized JSON), within its
 * ±5 min timestamp tolerance; a delivery that does not verify is refused. It keeps the last DEMO_INBOX_SIZE
 * verified ones in memory (one replica's worth: it is a demo).
 */
export class DemoWebhookInbox {
  private readonly verifier: Webhook;
  private readonly received: ReceivedWebhook[] = [];

  constructor(
    secret: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.verifier = new Webhook(secret);
  }

  receive(rawBody: Buffer, headers: IncomingHttpHeaders): ReceivedWebhook {
    const signed: Record<string, string> = {};
    for (const name of SIGNATURE_HEADERS) {
      const value = headers[name];
      if (typeof value !== 'string') throw refused(`one ${name} header is required`);
      signed[name] = value;
    }
    let payload: unknown;
    try {
      payload = this.verifier.verify(rawBody, signed);
    } catch (cause) {
      // The library's reason (no matching signature, timestamp too old or too new, bad JSON) names no secret.
      throw refused(`the webhook does not verify: ${(cause as Error).message}`, cause);
    }
    const event = eventOf(payload);
    const id = signed['webhook-id'];
    const seen = this.received.findIndex((w) => w.id === id);
    const times = seen < 0 ? 1 : this.received[seen].times_received + 1;
    if (seen >= 0) this.received.splice(seen, 1);
    const delivery: ReceivedWebhook = {
      id,
      ...event,
      verified: true,
      received_at: this.now().toISOString(),
      times_received: times,
    };
    this.received.unshift(delivery);
    this.received.length = Math.min(this.received.length, DEMO_INBOX_SIZE);
    return delivery;
  }

  /** The verified deliveries, newest first. */
  list(): ReceivedWebhook[] {
    return this.received.map((w) => ({ ...w }));
  }
}

/** A verified payload must still be Handover's `{type, timestamp, data}`. */
function eventOf(payload: unknown): Pick<ReceivedWebhook, 'type' | 'timestamp' | 'data'> {
  const p = payload as Record<string, unknown> | null;
  if (
    typeof p !== 'object' ||
    p === null ||
    Array.isArray(p) ||
    typeof p.type !== 'string' ||
    typeof p.timestamp !== 'string' ||
    typeof p.data !== 'object' ||
    p.data === null ||
    Array.isArray(p.data)
  ) {
    throw refused('the payload is not {type, timestamp, data}');
  }
  return { type: p.type, timestamp: p.timestamp, data: p.data as Record<string, unknown> };
}

function refused(description: string, cause?: unknown): HandoverError {
  return new HandoverError('invalid_request', description, { cause });
}
