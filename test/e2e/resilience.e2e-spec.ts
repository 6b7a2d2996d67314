/**
 * Start-up, failure and shutdown behaviour of the two run modes, black box: processes started from dist/,
 * observed through their exit codes, their stderr and HTTP.
 *
 * Distributed: a configured service that cannot be reached, or a bad variable, is a start-up error naming the
 * variable within 10 s; a gateway without back-ends answers 503 quickly (NATS "no responders"), never hangs;
 * SIGTERM drains and exits 0; gateway replicas serve alike; the distributed launcher fails as a whole.
 * Real: NATS, Redis, PostgreSQL, the apps. Mocked: none.
 *
 * Embedded: starts within 15 s without touching NATS, Redis or PostgreSQL even when their variables are set,
 * and keeps its data across a stop and start. In both layouts (`HANDOVER_GATEWAY_THREAD`: the gateway on a worker
 * thread, reaching the main thread's bus, store and database check over a MessagePort, the default; or all five
 * apps on one event loop): readiness, the whole handover, the logout's revocation reaching the gateway, one merged
 * metrics exposition, a clean stop.
 * Real: the launcher process and its data directory. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { closedPort, freePort } from '#testing';
import { DEMO, dataApi, endSession, exchange, issueCode, msUntil, openSession } from './handover-fixture.js';
import {
  distributedEnv,
  expectError,
  http,
  ManagedProcess,
  onlyIn,
  spawnApp,
  startStack,
  waitFor200,
  type AppName,
  type Stack,
} from './harness.js';

const START_FAILURE_DEADLINE_MS = 10_000;
/** The apps' default SHUTDOWN_TIMEOUT_MS: a graceful stop must end before it. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function expectStartupFailure(proc: ManagedProcess, variable: string): Promise<void> {
  const exit = await proc.waitForExit(START_FAILURE_DEADLINE_MS);
  console.log(`${proc.name} with a bad ${variable}: exit code ${exit.code} after ${exit.ms} ms`);
  const context = proc.output();
  expect({ code: exit.code, context }).toEqual({ code: expect.any(Number), context });
  expect(exit.code).not.toBe(0);
  expect(exit.ms).toBeLessThanOrEqual(START_FAILURE_DEADLINE_MS);
  expect(proc.stderr).toContain(variable);
}

onlyIn('distributed')('distributed mode: start-up, failure and shutdown', () => {
  describe('a configured service that cannot be reached', () => {
    const cases: Array<[variable: string, app: AppName, url: (port: number) => string]> = [
      ['NATS_URL', 'token', (port) => `nats://127.0.0.1:${port}`],
      ['NATS_URL', 'gateway', (port) => `nats://127.0.0.1:${port}`],
      ['REDIS_URL', 'token', (port) => `redis://127.0.0.1:${port}`],
      ['REDIS_URL', 'gateway', (port) => `redis://127.0.0.1:${port}`],
      ['DATABASE_URL', 'user-data', (port) => `postgres://postgres@127.0.0.1:${port}/handover`],
    ];
    it.each(cases)(
      'exits non-zero within 10 s naming %s when it points at a closed port (%s app)',
      async (variable, app, url) => {
        const port = await closedPort();
        await expectStartupFailure(spawnApp(app, distributedEnv({ [variable]: url(port) })), variable);
      },
      20_000,
    );
  });

  describe('an invalid or missing variable', () => {
    const cases: Array<[variable: string, app: AppName, value: string | undefined]> = [
      ['OPS_PORT', 'token', 'abc'],
      ['HANDOVER_SECRET_KEY', 'user-data', 'short'],
      ['PORT', 'gateway', '99999'],
      ['NATS_URL', 'identity', 'http://127.0.0.1:4222'],
      ['HANDOVER_SUBJECT_PREFIX', 'webhooks', 'has.dots'],
      ['DATABASE_URL', 'webhooks', undefined],
    ];
    it.each(cases)(
      'exits non-zero naming %s (%s app, value %p)',
      async (variable, app, value) => {
        const env = distributedEnv();
        if (value === undefined) delete env[variable];
        else env[variable] = value;
        await expectStartupFailure(spawnApp(app, env), variable);
      },
      20_000,
    );
  });

  describe('a gateway whose back-ends are not running', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({ apps: ['gateway'] });
    }, 60_000);

    afterAll(async () => {
      await stack?.stop();
    }, 30_000);

    it('answers 503 temporarily_unavailable with Retry-After within 2 s, not a hang', async () => {
      for (const path of ['/t/demo/jwks', '/t/demo/.well-known/oauth-authorization-server']) {
        const res = await http(`${stack.baseUrl}${path}`, { timeoutMs: 5000 });
        console.log(`gateway alone: ${path} answered ${res.status} in ${res.ms} ms`);
        expectError(res, 503, 'temporarily_unavailable');
        expect(res.ms).toBeLessThanOrEqual(2000);
      }
    });

    it('still answers liveness, and readiness 200 since its own dependencies (NATS, Redis) are up', async () => {
      expect((await http(`${stack.baseUrl}/health/live`)).status).toBe(200);
      expect((await http(`${stack.baseUrl}/health/ready`)).status).toBe(200);
    });

    it('exits 0 on SIGTERM within the shutdown timeout', async () => {
      const [result] = await stack.stop();
      expect(result).toMatchObject({ name: 'gateway', code: 0, killed: false });
      expect(result.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    }, 30_000);
  });

  describe('a full stack with two gateway replicas', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({ gatewayReplicas: 2 });
      console.log(`distributed stack with 2 gateways ready in ${stack.readyAfterMs} ms`);
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it('serves the same discovery and keys from both replicas', async () => {
      expect(stack.baseUrls).toHaveLength(2);
      const answers = [];
      for (const url of stack.baseUrls) {
        const discovery = await http(`${url}/t/demo/.well-known/oauth-authorization-server`);
        expect(discovery.status).toBe(200);
        // Replicas stand behind one public URL: the issuer is the same whichever one answers.
        expect(discovery.body.issuer).toBe(`${stack.baseUrl}/t/demo`);
        const jwks = await http(`${url}/t/demo/jwks`);
        expect(jwks.status).toBe(200);
        answers.push({ discovery: discovery.body, jwks: jwks.body });
      }
      expect(answers[1]).toEqual(answers[0]);
    });

    it('answers 503 within 2 s on every replica once the token app is gone', async () => {
      const token = stack.process('token');
      const stopped = await token.stop();
      expect(stopped).toMatchObject({ code: 0, killed: false });
      for (const url of stack.baseUrls) {
        const res = await http(`${url}/t/demo/jwks`, { timeoutMs: 5000 });
        expectError(res, 503, 'temporarily_unavailable');
        expect(res.ms).toBeLessThanOrEqual(2000);
        // What does not need the token app still works.
        expect((await http(`${url}/t/demo/.well-known/oauth-authorization-server`)).status).toBe(200);
      }
    }, 30_000);

    it('drains and exits 0 on SIGTERM, every process within the shutdown timeout', async () => {
      const results = await stack.stop();
      console.log(`graceful stop: ${results.map((r) => `${r.name} ${r.ms} ms`).join(', ')}`);
      expect(results.map((r) => r.name).sort()).toEqual(
        ['gateway-1', 'gateway-2', 'identity', 'token', 'user-data', 'webhooks'].sort(),
      );
      for (const result of results) {
        expect(result).toMatchObject({ code: 0, killed: false });
        expect(result.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      }
    }, 60_000);
  });

  describe('the distributed launcher (npm run start:distributed)', () => {
    const launch = (env: Record<string, string>) => new ManagedProcess('launcher', 'dist/launcher/distributed.js', env);

    it.each([
      ['NATS_URL', (port: number) => `nats://127.0.0.1:${port}`],
      ['REDIS_URL', (port: number) => `redis://127.0.0.1:${port}`],
      ['DATABASE_URL', (port: number) => `postgres://postgres@127.0.0.1:${port}/handover`],
    ])(
      'exits non-zero within 10 s naming %s when it points at a closed port',
      async (variable, url) => {
        const env = distributedEnv({ [variable]: url(await closedPort()), PORT: String(await freePort()) });
        await expectStartupFailure(launch(env), variable);
      },
      30_000,
    );

    it('starts every app, serves discovery, and on SIGTERM stops them all and exits 0', async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const launcher = launch(distributedEnv({ PORT: String(port), PUBLIC_BASE_URL: base, HANDOVER_DEMO: '1' }));
      try {
        // Discovery answers once user-data (the demo tenant) and the gateway are both up; the key set once the
        // token app has subscribed too (it may come up last: it is waited for, not raced).
        await waitFor200(`${base}/t/demo/.well-known/oauth-authorization-server`, [launcher], 60_000);
        await waitFor200(`${base}/t/demo/jwks`, [launcher], 30_000);
        expect((await http(`${base}/t/demo/jwks`)).status).toBe(200);
      } finally {
        const stopped = await launcher.stop();
        console.log(`launcher: stopped in ${stopped.ms} ms with code ${stopped.code}`);
        expect(stopped).toMatchObject({ code: 0, killed: false });
        expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5000);
      }
    }, 90_000);
  });
});

onlyIn('embedded')('embedded mode: first run and restart', () => {
  /** Listeners standing where NATS, Redis and PostgreSQL are configured: they count every connection attempt. */
  const traps: Array<{ variable: string; server: Server; connections: number }> = [];
  let stack: Stack;

  beforeAll(async () => {
    for (const variable of ['NATS_URL', 'REDIS_URL', 'DATABASE_URL']) {
      const trap = { variable, server: createServer(), connections: 0 };
      trap.server.on('connection', (socket: Socket) => {
        trap.connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => trap.server.listen(0, '127.0.0.1', resolve));
      traps.push(trap);
    }
    const portOf = (variable: string) => {
      const address = traps.find((t) => t.variable === variable)?.server.address();
      return typeof address === 'object' && address ? address.port : 0;
    };
    stack = await startStack({
      env: {
        NATS_URL: `nats://127.0.0.1:${portOf('NATS_URL')}`,
        REDIS_URL: `redis://127.0.0.1:${portOf('REDIS_URL')}`,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${portOf('DATABASE_URL')}/handover`,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    for (const trap of traps) await new Promise((resolve) => trap.server.close(resolve));
  }, 60_000);

  it('answers /health 200 within 15 s of spawning on a fresh data directory', async () => {
    console.log(`embedded: /health answered 200 ${stack.readyAfterMs} ms after spawning (first run)`);
    expect(stack.readyAfterMs).toBeLessThanOrEqual(15_000);
    const res = await http(`${stack.baseUrl}/health`);
    expect(res.status).toBe(200);
  });

  it('never connects to NATS, Redis or PostgreSQL, even with their variables set', async () => {
    // Exercise a path that crosses the in-process bus to the token and user-data apps.
    expect((await http(`${stack.baseUrl}/t/demo/jwks`)).status).toBe(200);
    expect(traps.map((t) => [t.variable, t.connections])).toEqual([
      ['NATS_URL', 0],
      ['REDIS_URL', 0],
      ['DATABASE_URL', 0],
    ]);
  });

  it('keeps its data across a stop and a start on the same data directory', async () => {
    const before = await http(`${stack.baseUrl}/t/demo/jwks`);
    expect(before.status).toBe(200);
    const kids = (before.body.keys as Array<{ kid: string }>).map((k) => k.kid).sort();
    expect(kids.length).toBeGreaterThanOrEqual(1);

    const [stopped] = await stack.restart();
    expect(stopped).toMatchObject({ name: 'embedded', code: 0, killed: false });
    expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    console.log(`embedded: stopped in ${stopped.ms} ms; /health answered 200 ${stack.readyAfterMs} ms after restart`);

    const after = await http(`${stack.baseUrl}/t/demo/jwks`);
    expect(after.status).toBe(200);
    expect((after.body.keys as Array<{ kid: string }>).map((k) => k.kid).sort()).toEqual(kids);
    const discovery = await http(`${stack.baseUrl}/t/demo/.well-known/oauth-authorization-server`);
    expect(discovery.status).toBe(200);
    expect(discovery.body.issuer).toBe(`${stack.baseUrl}/t/demo`);
    expect(traps.every((t) => t.connections === 0)).toBe(true);
  }, 60_000);
});

const DEMO_VENDOR = { clientId: DEMO.vendor, secret: DEMO.vendorSecret };

const EMBEDDED_LAYOUTS = [
  { gatewayThread: '1', layout: 'the gateway on a worker thread (the default)' },
  { gatewayThread: '0', layout: 'all five apps on one event loop' },
];

for (const { gatewayThread, layout } of EMBEDDED_LAYOUTS) {
  onlyIn('embedded')(`embedded mode with ${layout}`, () => {
    let stack: Stack;
    let base: string;

    beforeAll(async () => {
      stack = await startStack({ env: { HANDOVER_GATEWAY_THREAD: gatewayThread } });
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
      const code = await issueCode(base, sid, DEMO_VENDOR);

      const token = await exchange(base, DEMO_VENDOR, code);
      expect(token.status).toBe(200);
      const me = await dataApi(base, token.body.access_token as string, '/me');
      expect(me.status).toBe(200);
      // Single use, whichever thread the gateway is on.
      expect((await exchange(base, DEMO_VENDOR, code)).status).toBe(400);
    });

    it("refuses the session's token once the host logs the user out", async () => {
      const sid = await openSession(base);
      const token = (await exchange(base, DEMO_VENDOR, await issueCode(base, sid, DEMO_VENDOR))).body
        .access_token as string;
      expect((await dataApi(base, token, '/me')).status).toBe(200);

      const loggedOutAt = Date.now();
      expect((await endSession(base, sid)).status).toBe(204);

      const ms = await msUntil(async () => (await dataApi(base, token, '/me')).status === 401, loggedOutAt);
      expect(ms).toBeLessThan(1000);
    });

    it("serves one Prometheus exposition: the gateway's requests and the other apps'", async () => {
      const res = await http(`${base}/metrics`);

      expect(res.status).toBe(200);
      expect(res.text).toContain('handover_http_request_duration_seconds_count{app="gateway"');
      expect(res.text).toMatch(/^handover_outbox_pending\{outbox="token"\} \d+/m);
      expect(res.text).toMatch(/^process_resident_memory_bytes \d+/m);
      // Each metric is declared once, merged rather than concatenated.
      const declared = res.text.split('\n').filter((line) => line.startsWith('# TYPE '));
      expect(new Set(declared).size).toBe(declared.length);
    });

    it('stops cleanly on SIGTERM', async () => {
      const [stopped] = await stack.stop();

      expect(stopped).toMatchObject({ name: 'embedded', code: 0, killed: false });
      expect(stopped.ms).toBeLessThan(5000);
    }, 30_000);
  });
}
