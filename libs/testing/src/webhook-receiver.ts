import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, exactly as it arrived. */
export interface ReceivedDelivery {
  /** 1-based, in arrival order. */
  seq: number;
  receivedAt: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** `webhook-id` (Standard Webhooks) when present. */
  webhookId: string | undefined;
  /** Verified by the reference `standardwebhooks` library against the receiver's secret(s). */
  verified: boolean;
  verifyError: string | undefined;
  /** What the receiver answered. */
  answeredStatus: number;
}

/** How to answer one request; `delayMs` holds the answer back (a slow or hanging receiver). */
export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface WebhookReceiverOptions {
  /** The endpoint's secret(s) (`whsec_…`); a delivery verifies when any of them verifies it. */
  secrets?: () => readonly string[];
  /** Decides each answer; default 204. `n` counts requests from 1. */
  answer?: (delivery: Omit<ReceivedDelivery, 'answeredStatus'>, n: number) => ReceiverAnswer;
  port?: number;
}

/**
 * A webhook receiver on 127.0.0.1 for tests and benchmarks: records every request with its raw body and verifies
 * each with the reference `standardwebhooks` library (the way a vendor would), answering as told.
 */
export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private answerWith: NonNullable<WebhookReceiverOptions['answer']>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: WebhookReceiverOptions,
  ) {
    this.answerWith = options.answer ?? (() => ({ status: 204 }));
  }

  static async start(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
    const server = createServer();
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('receiver has no TCP address');
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}`, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), res));
    });
    server.on('connection', (socket: Socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    return receiver;
  }

  /** Changes how later requests are answered. */
  setAnswer(answer: NonNullable<WebhookReceiverOptions['answer']>): void {
    this.answerWith = answer;
  }

  get verified(): ReceivedDelivery[] {
    return this.deliveries.filter((d) => d.verified);
  }

  /** Distinct `webhook-id`s among verified, 2xx-answered deliveries. */
  acceptedIds(): Set<string> {
    const ids = new Set<string>();
    for (const d of this.deliveries)
      if (d.verified && d.answeredStatus < 300 && d.webhookId !== undefined) ids.add(d.webhookId);
    return ids;
  }

  /** Resolves once `predicate` holds (checked after every request), or rejects after `timeoutMs`. */
  async waitFor(predicate: (r: WebhookReceiver) => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (predicate(this)) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `receiver: timed out after ${timeoutMs} ms waiting for ${what} (${this.deliveries.length} requests)`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Verifies a delivery as a vendor would (used by tests to re-verify, e.g. later or with another secret). */
  static verify(secret: string, rawBody: string, headers: IncomingHttpHeaders): unknown {
    const plain: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') plain[k] = v;
    return new Webhook(secret).verify(rawBody, plain);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer, res: ServerResponse): void {
    const rawBody = body.toString('utf8');
    let verified = false;
    let verifyError: string | undefined;
    const secrets = this.options.secrets?.() ?? [];
    for (const secret of secrets) {
      try {
        WebhookReceiver.verify(secret, rawBody, headers);
        verified = true;
        verifyError = undefined;
        break;
      } catch (err) {
        verifyError = (err as Error).message;
      }
    }
    const webhookId = typeof headers['webhook-id'] === 'string' ? headers['webhook-id'] : undefined;
    const seq = this.deliveries.length + 1;
    const base = { seq, receivedAt: Date.now(), method, path, headers, rawBody, webhookId, verified, verifyError };
    const answer = this.answerWith(base, seq);
    this.deliveries.push({ ...base, answeredStatus: answer.status });
    for (const waiter of [...this.waiters]) waiter();
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
    else send();
  }
}
