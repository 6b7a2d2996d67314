/**
 * Embedded mode with `HANDOVER_GATEWAY_THREAD=1`: the gateway on a worker thread of the one process, reaching the
 * bus, the in-memory store and the database check of the main thread over a MessagePort. The whole handover, the
 * logout's revocation (a broadcast event that must cross to the thread), readiness, merged metrics and a clean stop.
 *
 * Real: the embedded process as built in dist/. Mocked: none.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DEMO, dataApi, endSession, exchange, issueCode, msUntil, openSession } from './handover-fixture.js';
import { http, onlyIn, startStack, type Stack } from './harness.js';

const VENDOR = { clientId: DEMO.vendor, secret: DEMO.vendorSecret };

onlyIn('embedded')('embedded mode with the gateway on its own thread', () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    stack = await startStack({ env: { HANDOVER_GATEWAY_THREAD: '1' } });
    base = stack.baseUrl;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('is ready, with the database and the store of the main thread up', async () => {
    const ready = await http(`${base}/health/ready`);

    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'up', store: 'up', revocations: 'up' });
  });

  it('hands a user over: code, exchange, data API', async () => {
    const sid = await openSession(base);
    const code = await issueCode(base, sid, VENDOR);

    const token = await exchange(base, VENDOR, code);
    expect(token.status).toBe(200);
    const me = await dataApi(base, token.body.access_token as string, '/me');
    expect(me.status).toBe(200);
    // The code is single use across the thread boundary too.
    expect((await exchange(base, VENDOR, code)).status).toBe(400);
  });

  it("refuses the session's token on the thread once the host logs the user out", async () => {
    const sid = await openSession(base);
    const token = (await exchange(base, VENDOR, await issueCode(base, sid, VENDOR))).body.access_token as string;
    expect((await dataApi(base, token, '/me')).status).toBe(200);

    const loggedOutAt = Date.now();
    expect((await endSession(base, sid)).status).toBe(204);

    const ms = await msUntil(async () => (await dataApi(base, token, '/me')).status === 401, loggedOutAt);
    expect(ms).toBeLessThan(1000);
  });

  it("serves one Prometheus exposition: the gateway thread's requests and the main thread's apps", async () => {
    const res = await http(`${base}/metrics`);

    expect(res.status).toBe(200);
    expect(res.text).toContain('handover_http_request_duration_seconds_count{app="gateway"');
    expect(res.text).toMatch(/^handover_outbox_pending\{outbox="token"\} \d+/m);
    expect(res.text).toMatch(/^process_resident_memory_bytes \d+/m);
    // Each metric is declared once, merged rather than concatenated.
    const declared = res.text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('stops cleanly on SIGTERM: the thread first, then the process', async () => {
    const [stopped] = await stack.stop();

    expect(stopped).toMatchObject({ name: 'embedded', code: 0, killed: false });
    expect(stopped.ms).toBeLessThan(5000);
  }, 30_000);
});
