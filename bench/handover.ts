// `npm run bench:handover`: Handover distributed, Handover embedded and the peer (oidc-provider: one process with a
// memory adapter, and two node:cluster workers with a Redis adapter), back to back, in rounds (≥ 3):
// - exchanges/s: POST token with codes pre-issued outside the timed window (Handover: through the host API; the
//   peer: through its own models);
// - handovers/s (Handover): issue a code through the host API → exchange it → GET /me, per iteration;
// each 2 s warm-up + 10 s with N in flight (64), with CPU µs per request per process, peak RSS per process and the
// CPU used outside the measurement (a run over ~0.2 core outside is discarded and retried while time allows).
// Ratios are taken against the peer in the same round. See bench/README.md.
//
// Environment: BENCH_RUNS (3), BENCH_CONCURRENCY (64), BENCH_TARGETS (distributed,embedded,peer-memory,peer-cluster),
// BENCH_WARMUP_MS (2000), BENCH_MEASURE_MS (10000), BENCH_OUTSIDE_LIMIT (0.2 cores), BENCH_DEADLINE_S (540),
// BENCH_GATEWAY_THREAD (1, the gateway on a worker thread as by default; 0 runs Handover embedded with
// HANDOVER_GATEWAY_THREAD=0, one event loop, summary in results/handover.one-loop.latest.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'undici';
import { accessToken, createSession, exchange, issueCode, me, preIssueCodes } from './lib/handover-api.js';
import { call, closedLoop, percentile, pool, type Iteration, type LoopResult } from './lib/load.js';
import { installExitHandlers, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, median, mr, timestamp, writeResultFile } from './lib/results.js';
import { machine, round, rssMb, servicePids, Window, type WindowResult } from './lib/sample.js';
import { startDistributed, startEmbedded, startPeer, type PeerStack, type Stack } from './lib/stacks.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2000);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const OUTSIDE_LIMIT = Number(process.env.BENCH_OUTSIDE_LIMIT ?? 0.2);
const DEADLINE = Date.now() + Number(process.env.BENCH_DEADLINE_S ?? 540) * 1000;
const MAX_ATTEMPTS = 3;
/** Handover's codes live 30 s: a batch is at most what the host API issues in this long, so none expires unused. */
const ISSUE_BUDGET_S = 15;

const ALL_TARGETS = ['distributed', 'embedded', 'peer-memory', 'peer-cluster'] as const;
type Target = (typeof ALL_TARGETS)[number];
type Phase = 'exchange' | 'handover';
const TARGETS = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(',')).split(',') as Target[];
for (const t of TARGETS) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t}`);

const LABEL: Record<Target, string> = {
  distributed: 'Handover distributed',
  embedded: 'Handover embedded',
  'peer-memory': 'peer, 1 process, memory adapter',
  'peer-cluster': 'peer, 2 workers + Redis adapter',
};
/** The machine's services that belong to a target's chain (counted in its whole-box CPU). */
const USED_SERVICES: Partial<Record<Target, string[]>> = {
  distributed: ['nats', 'redis', 'postgres'],
  'peer-cluster': ['redis'],
};

const PEER_BASIC = `Basic ${Buffer.from('bench-vendor:bench-vendor-secret').toString('base64')}`;
const PEER_REDIRECT = encodeURIComponent('http://127.0.0.1/bench/plugin');

interface Running {
  stack: Stack;
  pool: Pool;
  /** Handover: one session per loop. */
  sessions: string[];
}

interface RunRecord {
  bench: 'handover';
  runId: string;
  ts: string;
  round: number;
  attempt: number;
  target: Target;
  phase: Phase;
  concurrency: number;
  accepted: boolean;
  discardReason?: string;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: Record<string, number>;
  serversUsPerReq: number;
  servicesUsPerReq: Record<string, number>;
  boxUsPerReq: number;
  loadgenUsPerReq: number;
  serverCores: number;
  rssMb: Record<string, number>;
  procs: WindowResult['procs'];
  outsideCores: number;
  outsideRawCores: number;
  kernelCores: number;
  softirqCores: number;
  idleStacksCores: number;
  outsideTop: WindowResult['outsideTop'];
  [extra: string]: unknown;
}

const runId = timestamp();
const started = Date.now();
const running: Partial<Record<Target, Running>> = {};
const log = (msg: string) =>
  process.stderr.write(`[bench:handover ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);

function get(target: Target): Running {
  const r = running[target];
  if (!r) throw new Error(`${target} is not running`);
  return r;
}

/** Exchanges/s estimate per target, refined by every run (sizes the batches of pre-issued codes). */
const estimate: Record<Target, number> = {
  distributed: 3000,
  embedded: 6000,
  'peer-memory': 4000,
  'peer-cluster': 6000,
};
const issueRate: Partial<Record<Target, number>> = {};

function windowFor(target: Target): Window {
  const idle = Object.entries(running)
    .filter(([name]) => name !== target)
    .flatMap(([, r]) => Object.values(r.stack.groups));
  return new Window(get(target).stack.groups, { services: servicePids(), idle });
}

function timed(target: Target, o: { warmupMs: number; durationMs: number; iteration: Iteration }): Promise<LoopResult> {
  const win = windowFor(target);
  return closedLoop({
    concurrency: CONCURRENCY,
    ...o,
    onMeasureStart: () => win.start(),
    onMeasureEnd: () => win.stop(),
  });
}

/** Sums the results of several timed segments into one. */
function mergeLoops(loops: LoopResult[]): LoopResult {
  const ws = loops.map((l) => l.window as WindowResult);
  const seconds = ws.reduce((s, w) => s + w.seconds, 0);
  const sum = (pick: (w: WindowResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const w of ws) for (const [k, v] of Object.entries(pick(w))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const max = (pick: (w: WindowResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const w of ws) for (const [k, v] of Object.entries(pick(w))) out[k] = Math.max(out[k] ?? 0, v);
    return out;
  };
  const weighted = (pick: (w: WindowResult) => number) => ws.reduce((s, w) => s + pick(w) * w.seconds, 0) / seconds;
  const window: WindowResult = {
    seconds,
    cpuUs: sum((w) => w.cpuUs),
    serviceUs: sum((w) => w.serviceUs),
    rssMb: max((w) => w.rssMb),
    procs: ws[ws.length - 1].procs,
    loadgenUs: ws.reduce((s, w) => s + w.loadgenUs, 0),
    outsideCores: weighted((w) => w.outsideCores),
    outsideRawCores: weighted((w) => w.outsideRawCores),
    kernelCores: weighted((w) => w.kernelCores),
    softirqCores: weighted((w) => w.softirqCores),
    idleStacksCores: weighted((w) => w.idleStacksCores),
    outsideTop: ws
      .flatMap((w) => w.outsideTop)
      .sort((a, b) => b.cores - a.cores)
      .slice(0, 3),
  };
  const latencies = loops.flatMap((l) => l.latencies).sort((a, b) => a - b);
  const ok = loops.reduce((s, l) => s + l.ok, 0);
  const errors: Record<string, number> = {};
  for (const l of loops) for (const [k, v] of Object.entries(l.errors)) errors[k] = (errors[k] ?? 0) + v;
  const loopSeconds = loops.reduce((s, l) => s + l.seconds, 0);
  return {
    ok,
    failed: loops.reduce((s, l) => s + l.failed, 0),
    seconds: loopSeconds,
    rate: ok / loopSeconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    latencies,
    errors,
    window,
  };
}

const reject = (res: { status: number; text: string }) =>
  Promise.reject(new Error(`HTTP ${res.status} ${res.text.slice(0, 80)}`));

/**
 * Handover's exchange: codes are pre-issued through the host API before each timed segment. A code lives 30 s, so
 * when the expected count cannot be issued within ISSUE_BUDGET_S the 10 s window is cut into segments, each with a
 * batch of its own; their counts and CPU are summed.
 */
async function handoverExchange(target: Target) {
  const r = get(target);
  const issueBatch = async (n: number) => {
    const { codes, ms } = await preIssueCodes(r.pool, r.sessions, n, CONCURRENCY);
    issueRate[target] = (n / ms) * 1000;
    return codes;
  };
  const drain = (codes: string[]): Iteration => {
    let i = 0;
    return async () => {
      if (i >= codes.length) return null;
      const res = await exchange(r.pool, codes[i++]);
      return res.status === 200 || reject(res);
    };
  };
  const warm = await issueBatch(Math.ceil((estimate[target] * WARMUP_MS * 1.3) / 1000) + CONCURRENCY);
  const w0 = await closedLoop({ concurrency: CONCURRENCY, warmupMs: 0, durationMs: WARMUP_MS, iteration: drain(warm) });
  if (w0.ok > 0) estimate[target] = w0.rate;
  const need = (estimate[target] * MEASURE_MS * 1.25) / 1000;
  const segments = Math.max(1, Math.ceil(need / ((issueRate[target] ?? 1000) * ISSUE_BUDGET_S)));
  const loops: LoopResult[] = [];
  for (let k = 0; k < segments; k++) {
    const segMs = MEASURE_MS / segments;
    const codes = await issueBatch(Math.ceil((estimate[target] * segMs * 1.25) / 1000) + CONCURRENCY);
    const l = await timed(target, { warmupMs: 0, durationMs: segMs, iteration: drain(codes) });
    loops.push(l);
    if (l.ok > 0) estimate[target] = l.rate;
  }
  return { result: mergeLoops(loops), extra: { segments, issuePerSecond: round(issueRate[target] ?? 0) } };
}

/** Handover's full handover per iteration: issue a code (host API) → exchange it (vendor) → GET /me. */
async function handoverHandover(target: Target) {
  const r = get(target);
  const result = await timed(target, {
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
    iteration: async (loop) => {
      const code = await issueCode(r.pool, r.sessions[loop % r.sessions.length]);
      const x = await exchange(r.pool, code);
      if (x.status !== 200) return reject(x);
      const m = await me(r.pool, accessToken(x));
      return m.status === 200 || reject(m);
    },
  });
  return { result, extra: {} };
}

/** The peer's token endpoint, with codes pre-minted through its own models. */
async function peerExchange(target: Target) {
  const r = get(target);
  const n = Math.ceil((estimate[target] * (WARMUP_MS + MEASURE_MS) * 1.4) / 1000) + CONCURRENCY;
  const mintStarted = performance.now();
  const res = await fetch(`${(r.stack as PeerStack).controlUrl}/mint?n=${n}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`peer mint: HTTP ${res.status} ${await res.text()}`);
  const codes = (await res.json()) as string[];
  const mintMs = performance.now() - mintStarted;
  let i = 0;
  const result = await timed(target, {
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
    iteration: async () => {
      if (i >= codes.length) return null;
      const x = await call(r.pool, 'POST', '/token', {
        headers: { authorization: PEER_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=authorization_code&code=${codes[i++]}&redirect_uri=${PEER_REDIRECT}`,
      });
      return x.status === 200 || reject(x);
    },
  });
  if (result.ok > 0) estimate[target] = result.rate;
  // Outside the window: empty the peer's store, so minted codes do not pile up in its memory run after run.
  await fetch(`${(r.stack as PeerStack).controlUrl}/reset`, { method: 'POST' }).then((x) => x.arrayBuffer());
  return { result, extra: { minted: n, mintMs: round(mintMs) } };
}

type PhaseFn = (target: Target) => Promise<{ result: LoopResult; extra: Record<string, unknown> }>;
const PHASES: Record<Target, Partial<Record<Phase, PhaseFn>>> = {
  distributed: { exchange: handoverExchange, handover: handoverHandover },
  embedded: { exchange: handoverExchange, handover: handoverHandover },
  'peer-memory': { exchange: peerExchange },
  'peer-cluster': { exchange: peerExchange },
};

function record(
  target: Target,
  phase: Phase,
  roundNo: number,
  attempt: number,
  r: LoopResult,
  extra: object,
): RunRecord {
  const w = r.window as WindowResult;
  const perReq = (us: number) => (r.ok > 0 ? round(us / r.ok) : NaN);
  const perReqAll = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, perReq(v)]));
  const serversUs = Object.values(w.cpuUs).reduce((s, v) => s + v, 0);
  const servicesUs = (USED_SERVICES[target] ?? []).reduce((s, k) => s + (w.serviceUs[k] ?? 0), 0);
  const discardReason =
    w.outsideCores > OUTSIDE_LIMIT
      ? `outside CPU ${w.outsideCores.toFixed(2)} cores > ${OUTSIDE_LIMIT}`
      : r.failed > 0
        ? `${r.failed} failed requests`
        : undefined;
  return {
    bench: 'handover',
    runId,
    ts: timestamp(),
    round: roundNo,
    attempt,
    target,
    phase,
    concurrency: CONCURRENCY,
    accepted: discardReason === undefined,
    discardReason,
    ok: r.ok,
    failed: r.failed,
    errors: r.errors,
    seconds: round(r.seconds, 3),
    rate: round(r.rate, 1),
    p50Ms: round(r.p50, 2),
    p99Ms: round(r.p99, 2),
    cpuUsPerReq: perReqAll(w.cpuUs),
    serversUsPerReq: perReq(serversUs),
    servicesUsPerReq: perReqAll(w.serviceUs),
    boxUsPerReq: perReq(serversUs + servicesUs),
    loadgenUsPerReq: perReq(w.loadgenUs),
    serverCores: round(serversUs / 1e6 / w.seconds, 2),
    rssMb: w.rssMb,
    procs: w.procs,
    outsideCores: round(w.outsideCores, 3),
    outsideRawCores: round(w.outsideRawCores, 3),
    kernelCores: round(w.kernelCores, 3),
    softirqCores: round(w.softirqCores, 3),
    idleStacksCores: round(w.idleStacksCores, 3),
    outsideTop: w.outsideTop,
    ...extra,
  };
}

let firstStartRssMb = NaN;

/** `0`: Handover embedded on one event loop (HANDOVER_GATEWAY_THREAD); the default is `1`, as the launcher's. */
const GATEWAY_THREAD = process.env.BENCH_GATEWAY_THREAD === '0' ? '0' : '1';

/**
 * Handover embedded, started twice on one data directory: PGlite's first start (initdb) peaks at ~800 MB RSS and
 * keeps much of it, while every later start of a deployment does not. The load runs on the second start; the first
 * start's RSS is reported apart.
 */
async function startEmbeddedRestarted(): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'handover-bench-'));
  const env = { HANDOVER_GATEWAY_THREAD: GATEWAY_THREAD };
  const first = await startEmbedded({ dataDir, env });
  firstStartRssMb = rssMb(first.processes[0].pid);
  await first.stop();
  const second = await startEmbedded({ dataDir, env });
  return {
    ...second,
    stop: async () => {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function start(target: Target): Promise<void> {
  const t0 = Date.now();
  const stack =
    target === 'distributed'
      ? await startDistributed()
      : target === 'embedded'
        ? await startEmbeddedRestarted()
        : await startPeer(target === 'peer-memory' ? 'memory' : 'cluster');
  const p = pool(stack.baseUrl, CONCURRENCY);
  const sessions: string[] = [];
  if (!target.startsWith('peer-')) for (let i = 0; i < CONCURRENCY; i++) sessions.push(await createSession(p));
  running[target] = { stack, pool: p, sessions };
  log(`${target} ready in ${Date.now() - t0} ms (${JSON.stringify(stack.groups)})`);
}

async function stopRunning(): Promise<void> {
  for (const [name, r] of Object.entries(running)) {
    await r.pool.close().catch(() => undefined);
    await r.stack.stop().catch((err: Error) => log(`stopping ${name}: ${err.message}`));
    delete running[name as Target];
  }
}

function summarize(runs: RunRecord[]): string {
  const ok = runs.filter((r) => r.accepted);
  const of = (t: Target, ph: Phase) => ok.filter((r) => r.target === t && r.phase === ph);
  const col = (t: Target, ph: Phase, f: (r: RunRecord) => number) => of(t, ph).map(f);
  const procNames = (t: Target) => [...new Set(of(t, 'exchange').flatMap((r) => Object.keys(r.cpuUsPerReq)))];
  const perProc = (t: Target, ph: Phase) =>
    procNames(t)
      .map((p) => `${p} ${mr(col(t, ph, (r) => r.cpuUsPerReq[p]))}`)
      .join(', ');
  const rss = (t: Target) =>
    procNames(t)
      .map((p) => {
        const x = median(col(t, 'exchange', (r) => r.rssMb[p])).toFixed(0);
        // A group of several processes (the peer's cluster): each one's peak too, from the last accepted run.
        const each = of(t, 'exchange').at(-1)?.procs[p] ?? [];
        const detail = each.length > 1 ? ` (${each.map((e) => e.rssMb.toFixed(0)).join(' + ')})` : '';
        return PHASES[t].handover
          ? `${p} ${x} / ${median(col(t, 'handover', (r) => r.rssMb[p])).toFixed(0)}`
          : `${p} ${x}${detail}`;
      })
      .join(', ');
  const present = TARGETS.filter((t) => of(t, 'exchange').length > 0);
  if (present.length === 0) return `### bench:handover, ${runId}: no accepted run (see the discard reasons above)\n`;
  const table = markdownTable(
    [
      'target',
      'runs',
      'exchanges/s',
      'handovers/s',
      'exchange p50 / p99 ms',
      'CPU µs per exchange, per process',
      'µs per exchange, whole box',
      'peak RSS MB (exchange / handover)',
    ],
    present.map((t) => [
      LABEL[t],
      String(of(t, 'exchange').length),
      mr(col(t, 'exchange', (r) => r.rate)),
      PHASES[t].handover ? mr(col(t, 'handover', (r) => r.rate)) : '–',
      `${mr(
        col(t, 'exchange', (r) => r.p50Ms),
        1,
      )} / ${mr(
        col(t, 'exchange', (r) => r.p99Ms),
        1,
      )}`,
      perProc(t, 'exchange'),
      mr(col(t, 'exchange', (r) => r.boxUsPerReq)),
      rss(t),
    ]),
  );
  const handoverLines = (['distributed', 'embedded'] as const)
    .filter((t) => of(t, 'handover').length > 0)
    .map(
      (t) =>
        `- ${LABEL[t]}, per handover (issue → exchange → /me): CPU µs ${perProc(t, 'handover')}; whole box ` +
        `${mr(col(t, 'handover', (r) => r.boxUsPerReq))} µs; p50 / p99 ${mr(
          col(t, 'handover', (r) => r.p50Ms),
          1,
        )} / ` +
        `${mr(
          col(t, 'handover', (r) => r.p99Ms),
          1,
        )} ms.`,
    );

  const peers = (['peer-memory', 'peer-cluster'] as const).filter((p) => of(p, 'exchange').length > 0);
  const faster = [...peers].sort(
    (a, b) => median(col(b, 'exchange', (r) => r.rate)) - median(col(a, 'exchange', (r) => r.rate)),
  )[0];
  // Ratios per round, against the same round's peer run.
  const ratios = (t: Target, ph: Phase, peer: Target) =>
    of(t, ph).flatMap((r) => {
      const p = of(peer, 'exchange').find((x) => x.round === r.round);
      return p ? [r.rate / p.rate] : [];
    });
  const goals: Array<[string, Target, Phase, string, number]> = [
    ['exchange, distributed', 'distributed', 'exchange', '≥ 1.5 (done when ≥ 1.0)', 1.0],
    ['exchange, embedded', 'embedded', 'exchange', '≥ 2.5 (done when ≥ 2.0)', 2.0],
    ['full handover, distributed', 'distributed', 'handover', '≥ 1.0 (done when ≥ 0.7)', 0.7],
    ['full handover, embedded', 'embedded', 'handover', '–', 0],
  ];
  const ratioTable = markdownTable(
    [
      'Handover ÷ peer exchanges/s, same round',
      ...peers.map((p) => `vs ${LABEL[p]}`),
      'headline: vs faster peer',
      'target',
    ],
    goals
      .filter(([, t, ph]) => of(t, ph).length > 0)
      .map(([name, t, ph, goal, floor]) => {
        const headline = faster ? ratios(t, ph, faster) : [];
        const m = median(headline);
        const mark = floor > 0 && Number.isFinite(m) ? (m >= floor ? ' ✓' : ' ✗') : '';
        return [name, ...peers.map((p) => mr(ratios(t, ph, p), 2)), `**${mr(headline, 2)}**${mark}`, goal];
      }),
  );
  const discarded = runs.filter((r) => !r.accepted);
  const p99 = median(col('distributed', 'exchange', (r) => r.p99Ms));
  const m = machine();
  const b = buildInfo();
  return [
    `### bench:handover, ${runId.slice(0, 10)} (run ${runId})`,
    '',
    `Build: ${b.commit}${b.dirty ? ' with uncommitted changes' : ''}, dist/ built ${b.builtAt}. ` +
      `Machine: ${m.cpus} × ${m.model}, ${m.memGb} GB, Node ${m.node}, Linux ${m.kernel}; the load generator on the same ` +
      `cores. ${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up + ${MEASURE_MS / 1000} s per run; median (min–max) of the accepted runs.`,
    '',
    table,
    '',
    ...handoverLines,
    '',
    ratioTable,
    '',
    `- Faster peer configuration: ${faster ? LABEL[faster] : 'none measured'}.`,
    ...(TARGETS.includes('embedded')
      ? [
          `- Handover embedded ran with HANDOVER_GATEWAY_THREAD=${GATEWAY_THREAD} (BENCH_GATEWAY_THREAD): the gateway ` +
            (GATEWAY_THREAD === '1' ? 'on a worker thread of its own.' : 'on the one event loop of the five apps.'),
        ]
      : []),
    ...(Number.isFinite(firstStartRssMb)
      ? [
          `- Handover embedded is measured on its second start on one data directory; its first start (PGlite's ` +
            `initdb) stood at ${firstStartRssMb.toFixed(0)} MB RSS when ready, before any load.`,
        ]
      : []),
    ...(Number.isFinite(p99)
      ? [`- p99 of the distributed exchange at ${CONCURRENCY} in flight: ${p99.toFixed(1)} ms (target < 25 ms).`]
      : []),
    `- Runs discarded: ${discarded.length}${discarded.length ? ` (${discarded.map((r) => `${r.target}/${r.phase} r${r.round}: ${r.discardReason}`).join('; ')})` : ''}.`,
    `- Outside CPU in the accepted runs: median ${median(ok.map((r) => r.outsideCores)).toFixed(3)} cores, ` +
      `max ${Math.max(0, ...ok.map((r) => r.outsideCores)).toFixed(3)}; the load generator used ` +
      `${mr(ok.map((r) => r.loadgenUsPerReq))} µs per request.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers(stopRunning);
  log(
    `run ${runId}: ${RUNS} rounds of ${TARGETS.join(', ')}, ${CONCURRENCY} in flight, ${WARMUP_MS} + ${MEASURE_MS} ms`,
  );
  const runs: RunRecord[] = [];
  const m = machine();
  const build = buildInfo();
  try {
    for (const t of TARGETS) await start(t);
    const plan = TARGETS.flatMap((t) => (Object.keys(PHASES[t]) as Phase[]).map((phase) => ({ target: t, phase })));
    /** Seconds one run of each target/phase took (the last one), to budget retries within the deadline. */
    const took = new Map<string, number>();
    const guess = (k: string) => took.get(k) ?? 30;
    for (let roundNo = 1; roundNo <= RUNS; roundNo++) {
      for (const [i, { target, phase }] of plan.entries()) {
        const fn = PHASES[target][phase] as PhaseFn;
        const key = `${target}/${phase}`;
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const t0 = Date.now();
          const { result, extra } = await fn(target);
          took.set(key, (Date.now() - t0) / 1000);
          const rec = record(target, phase, roundNo, attempt, result, extra);
          runs.push(rec);
          appendResult('handover', { ...rec, machine: m, build });
          log(
            `r${roundNo} ${target} ${phase}: ${rec.rate}/s, p50 ${rec.p50Ms} p99 ${rec.p99Ms} ms, box ${rec.boxUsPerReq} µs/req, ` +
              `outside ${rec.outsideCores} cores${rec.accepted ? '' : ` — discarded: ${rec.discardReason}`}`,
          );
          if (rec.accepted) break;
          // Retry only if the runs still planned (first attempts) fit in the time left after it.
          const still =
            plan.slice(i + 1).reduce((s, x) => s + guess(`${x.target}/${x.phase}`), 0) +
            (RUNS - roundNo) * plan.reduce((s, x) => s + guess(`${x.target}/${x.phase}`), 0);
          if (Date.now() + (guess(key) + still) * 1000 > DEADLINE) {
            log(`no time left to retry ${key}`);
            break;
          }
        }
      }
    }
  } finally {
    await stopRunning();
    await stopAll();
  }
  const text = summarize(runs);
  // A run on one event loop keeps its own summary, so the default configuration's stays the latest one.
  writeResultFile(GATEWAY_THREAD === '0' ? 'handover.one-loop.latest.md' : 'handover.latest.md', text);
  appendResult('handover', {
    bench: 'handover',
    runId,
    kind: 'summary',
    ts: timestamp(),
    machine: m,
    build,
    summary: text,
  });
  process.stdout.write(`\n${text}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:handover failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stopRunning().catch(() => undefined);
  await stopAll();
  process.exit(1);
});
