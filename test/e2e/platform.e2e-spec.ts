/**
 * The platform's edge, black box over HTTP, the same in embedded and distributed mode: pages, health, OAuth
 * metadata and keys (a request path that crosses the bus to user-data and token), the JSON error contract,
 * request ids, the OpenAPI document, metrics, and that no input yields a 500.
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  e2eMode,
  errorShapeProblem,
  expectError,
  http,
  rawRequest,
  startStack,
  type RawRequest,
  type RawResult,
  type Stack,
} from './harness.js';

const mode = e2eMode();
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe(`platform edge (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
    console.log(`${mode} stack ready in ${stack.readyAfterMs} ms at ${base}`);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  describe('pages and operations', () => {
    it('serves the demo home page as HTML with security headers', async () => {
      const res = await http(`${base}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html\b/);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the pages' own form posts.
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.text).toMatch(/<html[\s>]/i);
    });

    it('answers liveness and readiness 200', async () => {
      const health = await http(`${base}/health`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok' });
      const live = await http(`${base}/health/live`);
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
      const ready = await http(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(Object.values(ready.body.checks as Record<string, string>).every((c) => c === 'up')).toBe(true);
    });

    it('serves the OpenAPI 3 document and a docs page', async () => {
      const doc = await http(`${base}/openapi.json`);
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.body.paths as object)).toEqual(
        expect.arrayContaining(['/t/{tenant}/.well-known/oauth-authorization-server', '/t/{tenant}/jwks']),
      );
      const docs = await http(`${base}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/^text\/html\b/);
    });

    it('exposes Prometheus metrics with the request duration histogram', async () => {
      await http(`${base}/health/live`);
      const res = await http(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain\b/);
      expect(res.text).toContain('handover_http_request_duration_seconds');
    });

    if (mode === 'distributed') {
      it('serves health and metrics on every back-end app’s ops port', async () => {
        for (const app of stack.processes.filter((p) => !p.name.startsWith('gateway'))) {
          const live = await http(`${app.url}/health/live`);
          expect({ app: app.name, status: live.status }).toEqual({ app: app.name, status: 200 });
          const ready = await http(`${app.url}/health/ready`);
          expect({ app: app.name, status: ready.status, checks: ready.body.checks }).toMatchObject({
            app: app.name,
            status: 200,
            checks: { nats: 'up' },
          });
          const metrics = await http(`${app.url}/metrics`);
          expect(metrics.status).toBe(200);
          expect(metrics.text).toContain('# TYPE');
        }
      });
    }
  });

  describe('OAuth metadata across the bus', () => {
    it('publishes discovery whose issuer is exactly <base>/t/demo', async () => {
      const res = await http(`${base}/t/demo/.well-known/oauth-authorization-server`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      const issuer = `${base}/t/demo`;
      expect(res.body.issuer).toBe(issuer);
      expect(res.body.code_challenge_methods_supported).toEqual(['S256']);
      expect(res.body.jwks_uri).toBe(`${issuer}/jwks`);
      expect(res.body.token_endpoint).toBe(`${issuer}/oauth/token`);
      expect(res.body.response_types_supported).toEqual(['code']);
    });

    it('publishes at least one ES256 public key with a kid and no private members', async () => {
      const discovery = await http(`${base}/t/demo/.well-known/oauth-authorization-server`);
      const res = await http(String(discovery.body.jwks_uri));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json\b/);
      const keys = res.body.keys as Array<Record<string, unknown>>;
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        expect(key.kid).toEqual(expect.any(String));
        expect((key.kid as string).length).toBeGreaterThan(0);
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
      }
      expect(keys.some((k) => k.alg === 'ES256' && k.kty === 'EC' && k.crv === 'P-256')).toBe(true);
      expect(new Set(keys.map((k) => k.kid)).size).toBe(keys.length);
    });

    it('answers an unknown tenant with 404 not_found', async () => {
      expectError(await http(`${base}/t/no-such-tenant/jwks`), 404, 'not_found');
      expectError(await http(`${base}/t/no-such-tenant/.well-known/oauth-authorization-server`), 404, 'not_found');
    });

    it('answers a malformed tenant slug exactly like an unknown tenant', async () => {
      const unknown = await http(`${base}/t/no-such-tenant/jwks`);
      for (const slug of ['Demo', 'de_mo', '-demo', 'demo-', 'a'.repeat(64), '%F0%9F%98%80', 'de%20mo', '..%2Fdemo']) {
        const res = await http(`${base}/t/${slug}/jwks`);
        expectError(res, 404, 'not_found');
        expect(res.body).toEqual(unknown.body);
      }
    });
  });

  describe('error contract', () => {
    it('answers an unknown route with 404 JSON', async () => {
      expectError(await http(`${base}/no/such/route`), 404, 'not_found');
      expectError(await http(`${base}/t/demo/no-such-endpoint`, { method: 'POST' }), 404, 'not_found');
      expectError(await http(`${base}/health`, { method: 'DELETE' }), 404, 'not_found');
    });

    it('answers malformed JSON with 400 invalid_request', async () => {
      const res = await http(`${base}/t/demo/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"user": "demo",',
      });
      expectError(res, 400, 'invalid_request');
    });

    it('answers a 200 KB body with 413 payload_too_large', async () => {
      const res = await http(`${base}/t/demo/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'demo', padding: 'x'.repeat(200 * 1024) }),
      });
      expectError(res, 413, 'payload_too_large');
    });

    it('answers a malformed URL and an over-long path segment in the same JSON shape', async () => {
      const badUrl = await rawRequest(base, { method: 'GET', path: '/t/%ZZ/jwks' });
      expect(badUrl).toMatchObject({ kind: 'response', status: 400 });
      expect(errorShapeProblem(badUrl as Extract<RawResult, { kind: 'response' }>)).toBeUndefined();
      expectError(await http(`${base}/t/${'a'.repeat(600)}/jwks`), 414, 'uri_too_long');
    });

    it('answers oversized request headers with 431 in the same JSON shape', async () => {
      const res = await rawRequest(base, { method: 'GET', path: '/health', headers: { 'x-big': 'a'.repeat(20_000) } });
      expect(res).toMatchObject({ kind: 'response', status: 431 });
      expect(errorShapeProblem(res as Extract<RawResult, { kind: 'response' }>)).toBeUndefined();
      expect(JSON.parse((res as { text: string }).text).error).toBe('request_header_fields_too_large');
    });
  });

  describe('request ids', () => {
    it('gives every answer an x-request-id', async () => {
      const ok = await http(`${base}/health/live`);
      expect(ok.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      const error = await http(`${base}/t/no-such-tenant/jwks`);
      expect(error.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      expect(error.headers.get('x-request-id')).not.toBe(ok.headers.get('x-request-id'));
    });

    it('keeps a safe caller-supplied request id on local, bus-crossing and error answers', async () => {
      const id = `e2e-trace.${Date.now()}:abc_DEF`;
      const local = await http(`${base}/health/live`, { headers: { 'x-request-id': id } });
      expect(local.headers.get('x-request-id')).toBe(id);
      const crossing = await http(`${base}/t/demo/jwks`, { headers: { 'x-request-id': id } });
      expect(crossing.headers.get('x-request-id')).toBe(id);
      const error = await http(`${base}/t/no-such-tenant/jwks`, { headers: { 'x-request-id': id } });
      expect(error.headers.get('x-request-id')).toBe(id);
    });

    it('replaces an unsafe caller-supplied request id', async () => {
      for (const unsafe of ['<script>alert(1)</script>', 'a'.repeat(200), 'with space', 'semi;colon']) {
        const res = await http(`${base}/health/live`, { headers: { 'x-request-id': unsafe } });
        const echoed = res.headers.get('x-request-id');
        expect(echoed).not.toBe(unsafe);
        expect(echoed).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      }
    });
  });

  describe('no input yields a 500', () => {
    it('answers 200 random junk requests without any 5xx but 503, each error in the JSON shape', async () => {
      const seed = Number(process.env.E2E_FUZZ_SEED ?? Date.now() % 2 ** 31);
      const random = mulberry32(seed);
      const requests = Array.from({ length: Number(process.env.E2E_FUZZ_COUNT ?? 200) }, () => junkRequest(random));
      const results: Array<{ req: RawRequest; res: RawResult }> = [];
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const req = requests[next++];
          results.push({ req, res: await rawRequest(base, req) });
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));

      const problems: string[] = [];
      const statuses = new Map<number | string, number>();
      for (const { req, res } of results) {
        const label = `${req.method} ${req.path.slice(0, 120)}`;
        if (res.kind !== 'response') {
          statuses.set(res.kind, (statuses.get(res.kind) ?? 0) + 1);
          if (process.env.E2E_FUZZ_VERBOSE) console.log(label, res);
          // The server may close a connection it cannot parse; it must never leave one hanging.
          if (res.kind === 'timeout') problems.push(`${label}: no answer within 10 s`);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 && res.status !== 503) problems.push(`${label}: HTTP ${res.status} ${res.text}`);
        if (res.status >= 400 && req.method !== 'HEAD' && !isReadinessReport(req, res)) {
          const problem = isHostedPage(req) ? htmlErrorPageProblem(res) : errorShapeProblem(res);
          if (problem) problems.push(`${label}: ${problem}`);
        }
      }
      console.log(`junk burst (seed ${seed}): ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(problems).toEqual([]);
      // The stack is still healthy afterwards.
      expect((await http(`${base}/health`)).status).toBe(200);
    }, 60_000);
  });
});

/** `/health` and `/health/ready` answer 503 with their checks alongside the error (a probe's report). */
function isReadinessReport(req: RawRequest, res: Extract<RawResult, { kind: 'response' }>): boolean {
  return res.status === 503 && /^\/health(\/ready)?(\?|$)/.test(req.path);
}

/** A small seeded PRNG, so a failing burst can be replayed with E2E_FUZZ_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO'];
const PREFIXES = [
  '/',
  '/t/demo/',
  '/t/',
  '/t/demo/.well-known/oauth-authorization-server',
  '/t/demo/jwks',
  '/t/demo/oauth/token',
  '/t/demo/api/sessions',
  '/t/demo/api/sessions/x/codes',
  '/t/demo/plugins/demo-vendor/launch',
  '/admin/tenants',
  '/docs/',
  '/openapi.json',
  '/metrics',
  '/health/',
  '/demo/',
];
const SEGMENTS = [
  '',
  'x',
  '..',
  '%2e%2e',
  '%',
  '%zz',
  '%00',
  '%c0%af',
  '%e2%80%ae',
  '%F0%9F%98%80',
  ';jsessionid=1',
  'a'.repeat(600),
  'UPPER',
  '~',
  '$',
  '@',
  '!',
  '.well-known',
  'jwks',
  '__proto__',
  'constructor',
  '?a[]=1&a[]=2',
  '?__proto__[x]=1',
  '?x=%',
  '#frag',
  '//',
];
const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/jwk-set+json',
  ';;;',
  'application/xml',
];
const BODIES = [
  undefined,
  '',
  '{bad',
  '[]',
  'null',
  '"string"',
  '{"user":"demo"}',
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
  'a=%%&b=&=c&grant_type=authorization_code&code=',
  '\u0000\u0001\u0002\uffff',
  '['.repeat(5000) + ']'.repeat(5000),
  JSON.stringify({ deep: 'x'.repeat(70 * 1024) }),
  '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
];
const HEADER_VALUES = ['', 'x', 'Bearer ', 'Bearer junk', 'Basic !!!', 'Basic ' + 'Og==', '<script>', 'a'.repeat(2000)];

function junkRequest(random: () => number): RawRequest {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const segments = Array.from({ length: Math.floor(random() * 3) }, () => pick(SEGMENTS));
  const path = (pick(PREFIXES) + segments.join('/')).replace(/^([^/])/, '/$1');
  const method = pick(METHODS);
  const headers: Record<string, string> = {};
  const contentType = pick(CONTENT_TYPES);
  if (contentType) headers['content-type'] = contentType;
  if (random() < 0.4) headers.authorization = pick(HEADER_VALUES);
  if (random() < 0.3) headers['x-request-id'] = pick(HEADER_VALUES);
  if (random() < 0.2) headers.cookie = `hs=${pick(HEADER_VALUES)}; ${pick(HEADER_VALUES)}`;
  if (random() < 0.2) headers.accept = pick(['*/*', 'text/html', 'application/json', 'image/*', ';;']);
  if (random() < 0.1) headers['content-encoding'] = pick(['gzip', 'br', 'identity', 'junk']);
  if (random() < 0.1) headers.origin = pick(['null', 'https://evil.example', 'x']);
  const body = method === 'GET' || method === 'HEAD' ? undefined : pick(BODIES);
  return { method, path, headers, body };
}

/** Hosted browser pages answer their errors as HTML pages (a person reads them), not as JSON. */
function isHostedPage(req: { path: string }): boolean {
  return /^\/(t\/[^/?]+\/(plugins\/[^/?]+\/launch|logout)|demo)([/?#]|$)/.test(req.path);
}

function htmlErrorPageProblem(res: { status: number; contentType: string; cacheControl: string; text: string }) {
  if (/^application\/json\b/.test(res.contentType)) return errorShapeProblem(res);
  if (!/^text\/html\b/.test(res.contentType)) return `HTTP ${res.status}: content-type ${res.contentType}`;
  if (res.cacheControl !== 'no-store') return `HTTP ${res.status}: cache-control ${res.cacheControl}`;
  return undefined;
}
