/**
 * Logout webhooks end to end, the same in embedded and distributed mode (RELIABILITY WH-01 to WH-09): a host logs
 * a session out, and every vendor that was handed the session gets a Standard Webhooks delivery, verified here by
 * the reference `standardwebhooks` library as a vendor would. Retries run on a compressed schedule (env below).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { WebhookReceiver, type WebhookReceiverOptions } from '#testing';
import { e2eMode, startStack, type Stack } from './harness.js';
import { claimsOf, exchange, issueCode, openUserSession, type Vendor } from './handover-fixture.js';
import {
  admin,
  createEndpoint,
  createVendor,
  eventually,
  getEndpoint,
  logout,
  messageDetail,
  messagesOf,
  sessionHandedTo,
  sessionHandle,
  type Endpoint,
} from './webhooks-fixture.js';

const mode = e2eMode();
const SCHEDULE_STEP_MS = 1100;

describe(`logout webhooks (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  const receivers: WebhookReceiver[] = [];

  async function receiver(secrets: () => readonly string[], answer?: WebhookReceiverOptions['answer']) {
    const r = await WebhookReceiver.start({ secrets, answer });
    receivers.push(r);
    return r;
  }

  /** A vendor with one webhook endpoint at a fresh receiver. */
  async function vendorWithEndpoint(
    answer?: WebhookReceiverOptions['answer'],
    body: Record<string, unknown> = {},
  ): Promise<{ vendor: Vendor; endpoint: Endpoint; rx: WebhookReceiver }> {
    const vendor = await createVendor(base);
    const secrets: string[] = [];
    const rx = await receiver(() => secrets, answer);
    const endpoint = await createEndpoint(base, vendor, { url: `${rx.url}/hooks`, ...body });
    if (endpoint.secret) secrets.push(endpoint.secret);
    return { vendor, endpoint, rx };
  }

  beforeAll(async () => {
    stack = await startStack({
      env: {
        WEBHOOK_RETRY_SCHEDULE: Array(4).fill(`${SCHEDULE_STEP_MS}ms`).join(','),
        WEBHOOK_DISABLE_AFTER: '8s',
        WEBHOOK_HTTP_TIMEOUT_MS: '2000',
        WEBHOOK_LEASE_MS: '7000',
      },
    });
    base = stack.baseUrl;
  }, 90_000);

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await stack?.stop();
  }, 60_000);

  it('WH-01: signs the raw body per Standard Webhooks; the payload names the session as the vendor knows it', async () => {
    const { vendor, endpoint, rx } = await vendorWithEndpoint();
    const session = await openUserSession(base);
    const code = await issueCode(base, session.sid, vendor);
    const token = (await exchange(base, vendor, code)).body.access_token as string;
    await logout(base, session.sid);

    await rx.waitFor((r) => r.verified.length >= 1, 15_000, 'a verified delivery');
    const delivery = rx.deliveries[0];
    expect(delivery.verified).toBe(true);
    expect(delivery.method).toBe('POST');
    expect(delivery.headers['content-type']).toMatch(/^application\/json/);
    expect(delivery.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]+$/);
    expect(delivery.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(Math.abs(Number(delivery.headers['webhook-timestamp']) * 1000 - delivery.receivedAt)).toBeLessThan(5000);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const payload = JSON.parse(delivery.rawBody) as { type: string; timestamp: string; data: Record<string, unknown> };
    const claims = claimsOf(token);
    expect(payload).toEqual({
      type: 'session.logged_out',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { session_id: claims.sid, sub: claims.sub, tenant: 'demo', reason: 'host_logout' },
    });
    // The vendor learns the session's public handle, never the session id the host and the hub cookie hold.
    expect(payload.data.session_id).toBe(sessionHandle(session.sid));
    expect(payload.data.session_id).not.toBe(session.sid);

    // Signed over the raw bytes: the same JSON re-serialized does not verify.
    const reserialized = JSON.stringify(payload, null, 2);
    expect(() => WebhookReceiver.verify(endpoint.secret!, reserialized, delivery.headers)).toThrow();
    expect(() => WebhookReceiver.verify(endpoint.secret!, delivery.rawBody, delivery.headers)).not.toThrow();
  }, 30_000);

  it('WH-06: a captured delivery replayed 6 min later, or stamped 6 min ahead, fails a standard verifier', async () => {
    const { vendor, endpoint, rx } = await vendorWithEndpoint();
    await logout(base, (await sessionHandedTo(base, [vendor])).sid);
    await rx.waitFor((r) => r.verified.length >= 1, 15_000, 'a verified delivery');
    const captured = rx.deliveries[0];
    const sixMinutes = 6 * 60 * 1000;
    // The reference library reads the clock with Date.now(): move it instead of waiting.
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(captured.receivedAt + sixMinutes);
      expect(() => WebhookReceiver.verify(endpoint.secret!, captured.rawBody, captured.headers)).toThrow(/too old/i);
      clock.mockReturnValue(captured.receivedAt - sixMinutes);
      expect(() => WebhookReceiver.verify(endpoint.secret!, captured.rawBody, captured.headers)).toThrow(/too new/i);
    } finally {
      clock.mockRestore();
    }
    expect(() => WebhookReceiver.verify(endpoint.secret!, captured.rawBody, captured.headers)).not.toThrow();
  }, 30_000);

  it('notifies only the vendors that were handed the session, once each', async () => {
    const held = await vendorWithEndpoint();
    const notHeld = await vendorWithEndpoint();
    const session = await sessionHandedTo(base, [held.vendor]);
    await logout(base, session.sid);
    await logout(base, session.sid); // idempotent: no second event

    await held.rx.waitFor((r) => r.verified.length >= 1, 15_000, 'the delivery');
    await new Promise((r) => setTimeout(r, 1500));
    expect(held.rx.acceptedIds().size).toBe(1);
    expect(notHeld.rx.deliveries).toHaveLength(0);
  }, 30_000);

  it('delivers session.created to endpoints subscribed to it', async () => {
    const { rx } = await vendorWithEndpoint(undefined, { event_types: ['session.created'] });
    const session = await openUserSession(base);
    await rx.waitFor(
      (r) => r.verified.some((d) => (JSON.parse(d.rawBody) as { type: string }).type === 'session.created'),
      15_000,
      'session.created',
    );
    const payload = JSON.parse(rx.verified[0].rawBody) as { data: Record<string, unknown> };
    expect(payload.data).toMatchObject({ session_id: sessionHandle(session.sid), sub: session.userId, tenant: 'demo' });
  }, 30_000);

  it('WH-02: keeps the webhook-id over retries and signs each attempt afresh; the log lists every attempt', async () => {
    const { vendor, endpoint, rx } = await vendorWithEndpoint((_, n) => ({ status: n <= 3 ? 500 : 200 }));
    const session = await sessionHandedTo(base, [vendor]);
    await logout(base, session.sid);

    await rx.waitFor((r) => r.deliveries.length >= 4, 20_000, '4 attempts');
    const attempts = rx.deliveries.slice(0, 4);
    expect(new Set(attempts.map((d) => d.webhookId)).size).toBe(1);
    expect(attempts.every((d) => d.verified)).toBe(true);
    const stamps = attempts.map((d) => Number(d.headers['webhook-timestamp']));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]);
    expect(stamps[3]).toBeGreaterThan(stamps[0]);
    expect(new Set(attempts.map((d) => d.headers['webhook-signature'])).size).toBeGreaterThan(1);

    const [message] = await eventually('the delivered message', async () => {
      const list = await messagesOf(base, endpoint.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    expect(message).toMatchObject({ id: attempts[0].webhookId, attempts: 4, last_status_code: 200 });
    const detail = await messageDetail(base, message.id);
    const log = detail.attempt_log as Array<Record<string, unknown>>;
    expect(log.map((a) => a.status_code)).toEqual([500, 500, 500, 200]);
    for (const a of log) expect(a.latency_ms).toEqual(expect.any(Number));
  }, 40_000);

  describe('WH-03: receiver answers', () => {
    it('a 3xx is a failure and is never followed', async () => {
      const canary = await receiver(() => []);
      const { vendor, endpoint, rx } = await vendorWithEndpoint(() => ({
        status: 301,
        headers: { location: `${canary.url}/internal` },
      }));
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await rx.waitFor((r) => r.deliveries.length >= 2, 15_000, 'a retry after the 301');
      const [message] = await messagesOf(base, endpoint.id);
      expect(message.last_status_code).toBe(301);
      expect(message.status).not.toBe('delivered');
      expect(canary.deliveries).toHaveLength(0);
    }, 30_000);

    it('a 410 disables the endpoint: nothing more is sent to it', async () => {
      const { vendor, endpoint, rx } = await vendorWithEndpoint(() => ({ status: 410 }));
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await rx.waitFor((r) => r.deliveries.length >= 1, 15_000, 'the first attempt');
      const disabled = await eventually('the endpoint disabled', async () => {
        const e = await getEndpoint(base, endpoint.id);
        return e.enabled === false ? e : undefined;
      });
      expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'gone' });
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await new Promise((r) => setTimeout(r, 2 * SCHEDULE_STEP_MS + 500));
      expect(rx.deliveries).toHaveLength(1);
    }, 30_000);

    it.each([429, 503])(
      'a %i with Retry-After is honoured',
      async (status) => {
        const { vendor, rx } = await vendorWithEndpoint((_, n) =>
          n === 1 ? { status, headers: { 'retry-after': '3' } } : { status: 200 },
        );
        await logout(base, (await sessionHandedTo(base, [vendor])).sid);
        await rx.waitFor((r) => r.deliveries.length >= 2, 15_000, 'the retry');
        const gap = rx.deliveries[1].receivedAt - rx.deliveries[0].receivedAt;
        expect(gap).toBeGreaterThanOrEqual(2900);
        expect(rx.deliveries[1].webhookId).toBe(rx.deliveries[0].webhookId);
      },
      30_000,
    );

    it('a 404 is a failure, retried', async () => {
      const { vendor, rx } = await vendorWithEndpoint((_, n) => ({ status: n === 1 ? 404 : 204 }));
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await rx.waitFor((r) => r.deliveries.length >= 2, 15_000, 'the retry');
      expect(rx.deliveries.map((d) => d.answeredStatus)).toEqual([404, 204]);
    }, 30_000);

    it('a receiver slower than the timeout is a failure, retried with the same id', async () => {
      const { vendor, endpoint, rx } = await vendorWithEndpoint((_, n) => ({
        status: 200,
        delayMs: n === 1 ? 5000 : 0,
      }));
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await rx.waitFor((r) => r.deliveries.length >= 2, 20_000, 'the retry');
      expect(rx.deliveries[1].webhookId).toBe(rx.deliveries[0].webhookId);
      const [message] = await eventually('delivered', async () => {
        const list = await messagesOf(base, endpoint.id);
        return list[0]?.status === 'delivered' ? list : undefined;
      });
      const log = (await messageDetail(base, message.id)).attempt_log as Array<Record<string, unknown>>;
      expect(log[0]).toMatchObject({ outcome: 'timeout' });
    }, 30_000);
  });

  it('WH-04: retries with backoff, then disables an endpoint failing for the disable period; messages stay for replay', async () => {
    const { vendor, endpoint, rx } = await vendorWithEndpoint(() => ({ status: 500 }));
    const started = Date.now();
    // Logouts keep coming while the endpoint keeps failing, past the 8 s disable period.
    while (Date.now() - started < 10_000) {
      await logout(base, (await sessionHandedTo(base, [vendor])).sid);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const disabled = await eventually('the endpoint disabled', async () => {
      const e = await getEndpoint(base, endpoint.id);
      return e.enabled === false ? e : undefined;
    });
    expect(disabled).toMatchObject({ disabled_reason: 'failing' });
    // Backoff: attempts of one message are spaced by the schedule (±20 % jitter).
    const first = rx.deliveries.filter((d) => d.webhookId === rx.deliveries[0].webhookId);
    for (let i = 1; i < first.length; i++) {
      expect(first[i].receivedAt - first[i - 1].receivedAt).toBeGreaterThanOrEqual(SCHEDULE_STEP_MS * 0.8 - 50);
    }
    const messages = await messagesOf(base, endpoint.id);
    expect(messages.length).toBeGreaterThanOrEqual(8);
    expect(messages.every((m) => m.status !== 'delivered')).toBe(true);

    // Re-enabled and replayed, every message arrives, ids unchanged.
    rx.setAnswer(() => ({ status: 204 }));
    expect((await admin(base, 'PATCH', `/webhooks/${endpoint.id}`, { enabled: true })).status).toBe(200);
    const replay = await admin(base, 'POST', `/webhooks/${endpoint.id}/replay`, {
      since: new Date(started - 60_000).toISOString(),
      until: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(replay.status).toBe(202);
    await rx.waitFor((r) => r.acceptedIds().size >= messages.length, 20_000, 'every message after replay');
    expect([...rx.acceptedIds()].sort()).toEqual(messages.map((m) => m.id).sort());
  }, 60_000);

  it('WH-05: replays one message and a time range with the same webhook-id, logged as replays', async () => {
    const { vendor, endpoint, rx } = await vendorWithEndpoint();
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await logout(base, (await sessionHandedTo(base, [vendor])).sid);
    await rx.waitFor((r) => r.acceptedIds().size >= 3, 15_000, '3 deliveries');
    const ids = [...rx.acceptedIds()];

    const one = await admin(base, 'POST', `/webhook-messages/${ids[0]}/replay`);
    expect(one.status).toBe(202);
    await rx.waitFor((r) => r.deliveries.length >= 4, 15_000, 'the replay');
    expect(rx.deliveries[3].webhookId).toBe(ids[0]);
    expect(rx.deliveries[3].verified).toBe(true);

    const range = await admin(base, 'POST', `/webhooks/${endpoint.id}/replay`, {
      since,
      until: new Date(Date.now() + 1000).toISOString(),
    });
    expect(range.body).toEqual({ replayed: 3 });
    await rx.waitFor((r) => r.deliveries.length >= 7, 15_000, 'the range replay');
    expect(new Set(rx.deliveries.slice(4).map((d) => d.webhookId))).toEqual(new Set(ids));
    // Attempts are recorded right after the receiver answers (in small batches): wait for the third.
    const log = await eventually('three logged attempts', async () => {
      const attempts = (await messageDetail(base, ids[0])).attempt_log as Array<Record<string, unknown>>;
      return attempts.length === 3 ? attempts : undefined;
    });
    expect(log.map((a) => a.trigger)).toEqual(['initial', 'replay', 'replay']);
  }, 40_000);

  it('WH-07: secrets are per endpoint; during a rotation both signatures are sent and both verify', async () => {
    const a = await vendorWithEndpoint();
    const b = await vendorWithEndpoint();
    expect(a.endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
    expect(Buffer.from(a.endpoint.secret!.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(a.endpoint.secret).not.toBe(b.endpoint.secret);
    await logout(base, (await sessionHandedTo(base, [a.vendor, b.vendor])).sid);
    await a.rx.waitFor((r) => r.verified.length >= 1, 15_000, 'A');
    await b.rx.waitFor((r) => r.verified.length >= 1, 15_000, 'B');
    const bDelivery = b.rx.deliveries[0];
    expect(() => WebhookReceiver.verify(a.endpoint.secret!, bDelivery.rawBody, bDelivery.headers)).toThrow();

    const rotated = await admin(base, 'POST', `/webhooks/${a.endpoint.id}/rotate-secret`, { overlap_seconds: 3600 });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(a.endpoint.secret);
    await logout(base, (await sessionHandedTo(base, [a.vendor])).sid);
    await a.rx.waitFor((r) => r.deliveries.length >= 2, 15_000, 'A after rotation');
    const d = a.rx.deliveries[1];
    const signatures = String(d.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(() => WebhookReceiver.verify(newSecret, d.rawBody, d.headers)).not.toThrow();
    expect(() => WebhookReceiver.verify(a.endpoint.secret!, d.rawBody, d.headers)).not.toThrow();
  }, 40_000);

  it('WH-08: refuses endpoint URLs that name internal addresses (this tenant allows loopback only)', async () => {
    const vendor = await createVendor(base);
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/hook',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
      'ftp://example.com/hook',
      'http://user:pass@example.com/hook',
    ]) {
      const res = await admin(base, 'POST', `/vendors/${vendor.clientId}/webhooks`, { url });
      expect({ url, status: res.status, error: res.body.error }).toEqual({
        url,
        status: 400,
        error: 'invalid_request',
      });
    }
  }, 30_000);

  it('WH-09: back-channel logout posts a fresh logout token per attempt; an RP 400 is a failure', async () => {
    const vendor = await createVendor(base);
    const rp = await receiver(
      () => [],
      (_, n) => ({ status: n <= 2 ? 400 : 200 }),
    );
    await createEndpoint(base, vendor, { url: `${rp.url}/backchannel`, kind: 'backchannel_logout' });
    const session = await openUserSession(base);
    const token = await (async () => {
      const code = await issueCode(base, session.sid, vendor);
      return (await exchange(base, vendor, code)).body.access_token as string;
    })();
    await logout(base, session.sid);
    await rp.waitFor((r) => r.deliveries.length >= 3, 20_000, 'three back-channel attempts');

    const jwks = createRemoteJWKSet(new URL(`${base}/t/demo/jwks`));
    const jtis = new Set<string>();
    for (const d of rp.deliveries.slice(0, 3)) {
      expect(d.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      const logoutToken = new URLSearchParams(d.rawBody).get('logout_token')!;
      expect(decodeProtectedHeader(logoutToken)).toMatchObject({ alg: 'ES256', typ: 'logout+jwt' });
      const { payload } = await jwtVerify(logoutToken, jwks, {
        issuer: `${base}/t/demo`,
        audience: vendor.clientId,
        typ: 'logout+jwt',
      });
      expect(payload).toMatchObject({
        sub: claimsOf(token).sub,
        sid: claimsOf(token).sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });
      expect(payload).not.toHaveProperty('nonce');
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
      expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
      jtis.add(payload.jti!);
      await compactVerify(logoutToken, jwks);
    }
    expect(jtis.size).toBe(3);
  }, 40_000);
});
