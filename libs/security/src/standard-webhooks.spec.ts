import { describe, expect, it } from '@jest/globals';
import { WEBHOOK_SECRET_PATTERN } from '#contracts';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks.js';

const body = JSON.stringify({
  type: 'session.logged_out',
  timestamp: '2025-01-01T00:00:00.000Z',
  data: { tenant: 'acme', sub: 'u1', sid: 's1', note: 'zürich ✓' },
});

/** The reference library's verdict: the parsed payload, or the error it threw. */
function verify(secret: string, payload: string | Buffer, headers: Record<string, string>): unknown {
  try {
    return new Webhook(secret).verify(payload, headers);
  } catch (err) {
    return err;
  }
}

describe(generateWebhookSecret.name, () => {
  it('should return whsec_ + base64 of 32 random bytes, unique each time', () => {
    const sut = generateWebhookSecret();
    expect(sut).toMatch(WEBHOOK_SECRET_PATTERN);
    expect(Buffer.from(sut.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(sut);
  });
});

describe(webhookHeaders.name, () => {
  const secret = generateWebhookSecret();

  it('should produce headers that the reference standardwebhooks library verifies over the raw body (WH-01)', () => {
    const sut = webhookHeaders([secret], 'msg_2a', Date.now(), body);
    expect(sut['webhook-id']).toBe('msg_2a');
    expect(sut['webhook-timestamp']).toMatch(/^\d+$/);
    expect(sut['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verify(secret, body, { ...sut })).toEqual(JSON.parse(body));
    expect(verify(secret, Buffer.from(body), { ...sut })).toEqual(JSON.parse(body));
  });

  it('should stamp whole seconds', () => {
    expect(webhookHeaders([secret], 'msg_1', 1_700_000_000_999, body)['webhook-timestamp']).toBe('1700000000');
  });

  it('should fail verification once the body is re-serialized (it signs the raw bytes, WH-01)', () => {
    const sut = webhookHeaders([secret], 'msg_2b', Date.now(), body);
    const reindented = JSON.stringify(JSON.parse(body), null, 2);
    expect(verify(secret, reindented, { ...sut })).toMatchObject({ message: 'No matching signature found' });
  });

  it('should send one signature per secret during a rotation, each verifying alone (WH-07)', () => {
    const next = generateWebhookSecret();
    const sut = webhookHeaders([secret, next], 'msg_rot', Date.now(), body);
    expect(sut['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(secret, body, { ...sut })).toEqual(JSON.parse(body));
    expect(verify(next, body, { ...sut })).toEqual(JSON.parse(body));
  });

  it("should never let endpoint A's secret verify endpoint B's deliveries (WH-07)", () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    const toB = webhookHeaders([b], 'msg_b', Date.now(), body);
    expect(verify(a, body, { ...toB })).toMatchObject({ message: 'No matching signature found' });
    expect(verify(b, body, { ...toB })).toEqual(JSON.parse(body));
  });

  it('should be rejected by the library when stamped 6 minutes in the past or the future (WH-06)', () => {
    const sixMinutes = 6 * 60 * 1000;
    const old = webhookHeaders([secret], 'msg_old', Date.now() - sixMinutes, body);
    const future = webhookHeaders([secret], 'msg_new', Date.now() + sixMinutes, body);
    expect(verify(secret, body, { ...old })).toMatchObject({ message: 'Message timestamp too old' });
    expect(verify(secret, body, { ...future })).toMatchObject({ message: 'Message timestamp too new' });
  });
});

describe(signWebhook.name, () => {
  it('should equal the reference implementation byte for byte', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ts = 1_614_265_330;
    expect(signWebhook([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', ts, '{"test": 2432232314}')).toBe(
      new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(ts * 1000), '{"test": 2432232314}'),
    );
  });

  it('should match the Standard Webhooks spec test vector', () => {
    // From the spec's reference libraries' tests.
    expect(
      signWebhook(
        ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('should sign a Buffer body exactly as the same bytes as a string', () => {
    const secret = generateWebhookSecret();
    expect(signWebhook([secret], 'msg_1', 1, Buffer.from(body))).toBe(signWebhook([secret], 'msg_1', 1, body));
  });

  it.each([
    [[], 'msg_1', 1, /at least one/],
    [['not-a-secret'], 'msg_1', 1, /whsec_/],
    [['whsec_short'], 'msg_1', 1, /whsec_/],
    [['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], '', 1, /webhook id/],
    [['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg 1', 1, /webhook id/],
    [['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_1', 1.5, /integer seconds/],
    [['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_1', -1, /integer seconds/],
  ] as const)('should refuse secrets %p, id %p, timestamp %p', (secrets, id, ts, message) => {
    expect(() => signWebhook(secrets, id, ts, body)).toThrow(message);
  });
});
