import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { HandoverError } from '#contracts';
import { DEMO_INBOX_SIZE, DemoWebhookInbox } from './demo-webhooks.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const sender = new Webhook(secret);
const at = new Date('2030-01-02T03:04:05.000Z');

/** The body exactly as a dispatcher would send it, with unusual spacing a re-serialization would lose. */
const rawBody = (sessionId = 'sid-1') =>
  Buffer.from(
    `{"type":"session.logged_out",  "timestamp":"2030-01-02T03:04:04.000Z","data":{"session_id":"${sessionId}","sub":"u1","tenant":"demo","reason":"user_logout"}}`,
  );

function signed(body: Buffer, id = 'msg_1', sentAt = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': sender.sign(id, sentAt, body),
  };
}

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe(DemoWebhookInbox.name, () => {
  let sut: DemoWebhookInbox;

  beforeEach(() => {
    sut = new DemoWebhookInbox(secret, () => at);
  });

  describe('receive', () => {
    it('should accept a delivery signed over its raw bytes and keep it', () => {
      const body = rawBody();

      const received = sut.receive(body, signed(body));

      const expected = {
        id: 'msg_1',
        type: 'session.logged_out',
        timestamp: '2030-01-02T03:04:04.000Z',
        data: { session_id: 'sid-1', sub: 'u1', tenant: 'demo', reason: 'user_logout' },
        verified: true,
        received_at: at.toISOString(),
        times_received: 1,
      };
      expect(received).toEqual(expected);
      expect(sut.list()).toEqual([expected]);
    });

    it('should accept a signature among several (a secret rotation sends two)', () => {
      const body = rawBody();
      const headers = signed(body);
      const other = new Webhook(`whsec_${randomBytes(32).toString('base64')}`).sign('msg_1', new Date(), body);

      expect(() =>
        sut.receive(body, { ...headers, 'webhook-signature': `${other} ${headers['webhook-signature']}` }),
      ).not.toThrow();
    });

    it.each([
      ['a tampered body', (b: Buffer) => Buffer.from(b.toString().replace('sid-1', 'sid-2'))],
      [
        'a re-serialized body (the same JSON, other bytes)',
        (b: Buffer) => Buffer.from(JSON.stringify(JSON.parse(b.toString()))),
      ],
      ['an empty body', () => Buffer.alloc(0)],
    ])('should refuse %s with invalid_request', (_case, tamper) => {
      const body = rawBody();
      const failure = refusal(() => sut.receive(tamper(body), signed(body)));

      expect(failure).toBeInstanceOf(HandoverError);
      expect(failure).toMatchObject({ code: 'invalid_request' });
      expect(sut.list()).toEqual([]);
    });

    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    it.each<[string, (body: Buffer) => Record<string, string | string[] | undefined>]>([
      ['another id', (body) => ({ ...signed(body), 'webhook-id': 'msg_2' })],
      [
        'another secret',
        (body) => ({
          ...signed(body),
          'webhook-signature': new Webhook(`whsec_${randomBytes(32).toString('base64')}`).sign(
            'msg_1',
            new Date(),
            body,
          ),
        }),
      ],
      ['a v2 signature', (body) => ({ ...signed(body), 'webhook-signature': 'v2,AAAA' })],
      ['a timestamp 6 minutes old', (body) => signed(body, 'msg_1', minutes(-6))],
      ['a timestamp 6 minutes ahead', (body) => signed(body, 'msg_1', minutes(6))],
      ['no signature header', (body) => ({ ...signed(body), 'webhook-signature': undefined })],
      ['a repeated id header', (body) => ({ ...signed(body), 'webhook-id': ['msg_1', 'msg_1'] })],
    ])('should refuse a delivery with %s', (_case, headersFor) => {
      const body = rawBody();

      expect(refusal(() => sut.receive(body, headersFor(body)))).toMatchObject({ code: 'invalid_request' });
      expect(sut.list()).toEqual([]);
    });

    it('should refuse a verified payload that is not {type, timestamp, data}', () => {
      const body = Buffer.from('{"type":"session.logged_out","data":[]}');

      expect(refusal(() => sut.receive(body, signed(body)))).toMatchObject({ code: 'invalid_request' });
    });

    it('should keep one entry per webhook-id, counting retries and replays', () => {
      const body = rawBody();
      sut.receive(body, signed(body, 'msg_a'));
      sut.receive(rawBody('sid-2'), signed(rawBody('sid-2'), 'msg_b'));
      sut.receive(body, signed(body, 'msg_a'));

      expect(sut.list().map((w) => [w.id, w.times_received])).toEqual([
        ['msg_a', 2],
        ['msg_b', 1],
      ]);
    });

    it(`should keep the last ${DEMO_INBOX_SIZE} deliveries, newest first`, () => {
      for (let i = 0; i < DEMO_INBOX_SIZE + 5; i++) {
        const body = rawBody(`sid-${i}`);
        sut.receive(body, signed(body, `msg_${i}`));
      }

      const ids = sut.list().map((w) => w.id);
      expect(ids).toHaveLength(DEMO_INBOX_SIZE);
      expect(ids[0]).toBe(`msg_${DEMO_INBOX_SIZE + 4}`);
      expect(ids.at(-1)).toBe('msg_5');
    });
  });
});
