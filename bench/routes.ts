// `npm run bench:routes`: Handover distributed, one gateway route at a time under a closed loop (64 in flight), to see
// what each route costs on its own: requests/s, latency percentiles, CPU µs per request per app, peak RSS per app.
// Routes, from the least work to the most: `GET /health/live` (a Nest route without I/O), the RFC 8414 metadata
// (a cached tenant), an unknown path (404 through the error filter), the host API's code issue, the code exchange
// (codes pre-issued outside the window) and `GET /me`. Not a comparison with the peer: `bench:handover` is that.
// Node flags for one app (e.g. `--trace-gc`) come from `BENCH_NODE_ARGS_<APP>` as in every distributed benchmark.
//
// Environment: BENCH_CONCURRENCY (64), BENCH_WARMUP_MS (1500), BENCH_MEASURE_MS (5000), BENCH_ROUTES (all, comma-
// separated names: health, metadata, unknown, issue, exchange, me).
import type { Pool } from 'undici';
import { accessToken, createSession, exchange, issueCode, me, preIssueCodes } from './lib/handover-api.js';
import { call, closedLoop, percentile, pool, type Iteration } from './lib/load.js';
import { installExitHandlers, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, timestamp, writeResultFile } from './lib/results.js';
import { machine, round, servicePids, Window } from './lib/sample.js';
import { startDistributed, type Stack } from './lib/stacks.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 5000);

const ROUTES = ['health', 'metadata', 'unknown', 'issue', 'exchange', 'me'] as const;
type Route = (typeof ROUTES)[number];
const SELECTED = (process.env.BENCH_ROUTES ?? ROUTES.join(',')).split(',') as Route[];
for (const r of SELECTED) if (!ROUTES.includes(r)) throw new Error(`unknown route ${r}`);

const LABEL: Record<Route, string> = {
  health: 'GET /health/live',
  metadata: 'GET /t/demo/.well-known/oauth-authorization-server',
  unknown: 'GET /nope (404)',
  issue: 'POST /t/demo/api/sessions/{sid}/codes',
  exchange: 'POST /t/demo/oauth/token',
  me: 'GET /t/demo/api/v1/me',
};

interface RouteRecord {
  bench: 'routes';
  runId: string;
  ts: string;
  route: Route;
  concurrency: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuUsPerReq: Record<string, number>;
  servicesUsPerReq: Record<string, number>;
  rssMb: Record<string, number>;
  outsideCores: number;
}

/** Each route's iteration; `exchange` and `me` are given what they use up before their window. */
async function iterationFor(route: Route, p: Pool, sessions: string[]): Promise<Iteration> {
  const expect = (status: number) => (res: { status: number }) => res.status === status;
  switch (route) {
    case 'health':
      return () => call(p, 'GET', '/health/live').then(expect(200));
    case 'metadata':
      return () => call(p, 'GET', '/t/demo/.well-known/oauth-authorization-server').then(expect(200));
    case 'unknown':
      return () => call(p, 'GET', '/nope').then(expect(404));
    case 'issue':
      return (loop) => issueCode(p, sessions[loop % sessions.length]).then(() => true);
    case 'exchange': {
      // Enough codes for the window at up to ~8,000/s; a code lives 30 s, longer than warm-up + window.
      const wanted = Math.ceil(((WARMUP_MS + MEASURE_MS) / 1000) * 8000);
      const { codes } = await preIssueCodes(p, sessions, wanted, CONCURRENCY);
      let next = 0;
      return async () => {
        const code = codes[next++];
        return code === undefined ? null : (await exchange(p, code)).status === 200;
      };
    }
    case 'me': {
      const tokens = await Promise.all(
        sessions.map(async (sid) => accessToken(await exchange(p, await issueCode(p, sid)))),
      );
      return (loop) => me(p, tokens[loop % tokens.length]).then(expect(200));
    }
  }
}

async function measure(route: Route, stack: Stack, p: Pool, sessions: string[], runId: string): Promise<RouteRecord> {
  const iteration = await iterationFor(route, p, sessions);
  const win = new Window(stack.groups, { services: servicePids() });
  const result = await closedLoop({
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
    iteration,
    onMeasureStart: () => win.start(),
    onMeasureEnd: () => win.stop(),
  });
  const window = result.window!;
  const perRequest = (us: number) => round(us / Math.max(1, result.ok));
  return {
    bench: 'routes',
    runId,
    ts: timestamp(),
    route,
    concurrency: CONCURRENCY,
    ok: result.ok,
    failed: result.failed,
    errors: result.errors,
    rate: round(result.rate, 1),
    p50Ms: round(result.p50, 2),
    p90Ms: round(percentile(result.latencies, 0.9), 2),
    p99Ms: round(result.p99, 2),
    maxMs: round(result.latencies[result.latencies.length - 1] ?? NaN, 2),
    cpuUsPerReq: Object.fromEntries(Object.entries(window.cpuUs).map(([app, us]) => [app, perRequest(us)])),
    servicesUsPerReq: Object.fromEntries(Object.entries(window.serviceUs).map(([s, us]) => [s, perRequest(us)])),
    rssMb: Object.fromEntries(Object.entries(window.rssMb).map(([app, mb]) => [app, round(mb)])),
    outsideCores: round(window.outsideCores, 3),
  };
}

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers();
  const runId = timestamp();
  const stack = await startDistributed();
  const p = pool(stack.baseUrl, CONCURRENCY);
  const records: RouteRecord[] = [];
  try {
    const sessions = await Promise.all(Array.from({ length: CONCURRENCY }, () => createSession(p)));
    for (const route of SELECTED) {
      const record = await measure(route, stack, p, sessions, runId);
      appendResult('routes', { ...record, build: buildInfo(), machine: machine() });
      records.push(record);
      process.stdout.write(
        `[bench:routes] ${LABEL[route]}: ${record.rate}/s, p50 ${record.p50Ms} p99 ${record.p99Ms} ms, ` +
          `µs/req ${significant(record.cpuUsPerReq)}\n`,
      );
    }
  } finally {
    await p.close();
    await stack.stop();
    await stopAll();
  }
  writeResultFile('routes.latest.md', report(runId, records));
}

/** `name µs, …` for the processes that used at least 2 µs per request (the idle apps and services left out). */
function significant(usPerRequest: Record<string, number>): string {
  return Object.entries(usPerRequest)
    .filter(([, us]) => us >= 2)
    .map(([name, us]) => `${name} ${us}`)
    .join(', ');
}

function report(runId: string, records: RouteRecord[]): string {
  const build = buildInfo();
  const m = machine();
  const rows = records.map((r) => [
    LABEL[r.route],
    String(r.rate),
    `${r.p50Ms} / ${r.p90Ms} / ${r.p99Ms} / ${r.maxMs}`,
    significant(r.cpuUsPerReq),
    significant(r.servicesUsPerReq) || '–',
    `gateway ${r.rssMb.gateway}, token ${r.rssMb.token}`,
    r.failed === 0 ? '0' : `${r.failed} (${Object.keys(r.errors).join('; ')})`,
  ]);
  return [
    `### bench:routes, ${runId.slice(0, 10)} (run ${runId})`,
    '',
    `Build: ${build.commit}${build.dirty ? ' (dirty)' : ''}, dist/ built ${build.builtAt}. Machine: ${m.cpus} × ${m.model}, ` +
      `Node ${m.node}; the load generator on the same cores. Handover distributed, ${CONCURRENCY} in flight, ` +
      `${WARMUP_MS / 1000} s warm-up + ${MEASURE_MS / 1000} s per route, one run each.`,
    '',
    markdownTable(
      [
        'route',
        'requests/s',
        'p50 / p90 / p99 / max ms',
        'CPU µs per request (apps ≥ 2)',
        'services µs per request',
        'peak RSS MB',
        'failed',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

await main();
