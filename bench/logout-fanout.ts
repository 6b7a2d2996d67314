// `npm run bench:logout-fanout`: 10,000 logouts × 3 vendor endpoints against Handover distributed. Each session is
// handed to three vendors (a code issued for each, before the timed window); then the host logs all of them out, 64
// in flight, and three local receivers verify every delivery with the `standardwebhooks` library as vendors would.
//
// Figures per round: logouts/s (host API), webhooks/s (verified, distinct webhook-ids, from the first logout to the
// last delivery), lag p50/p99 (a delivery's arrival minus its logout call's return), duplicates (a webhook-id seen
// twice), lost (expected minus distinct delivered after a grace period), unverified, CPU and peak RSS per process.
//
// Environment: BENCH_FANOUT_LOGOUTS (10000), BENCH_FANOUT_ENDPOINTS (3), BENCH_FANOUT_ROUNDS (3),
// BENCH_FANOUT_CONCURRENCY (64), BENCH_FANOUT_GRACE_S (120), BENCH_FANOUT_PROFILE=1 (`--cpu-prof` on the gateway, token
// and webhooks apps; their top costs over the timed windows go to bench/results/logout-fanout.profile.md).
import { join } from 'node:path';
import { summarizeProfile } from './lib/cpuprofile.js';
import { pool, percentile } from './lib/load.js';
import { installExitHandlers, ROOT, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, median, mr, timestamp, writeResultFile } from './lib/results.js';
import { machine, round, servicePids, Window, type WindowResult } from './lib/sample.js';
import { startDistributed, type Stack } from './lib/stacks.js';
import { handleOf, inFlight, logout, sessionHandedTo, vendorWithReceiver, type BenchVendor } from './lib/webhooks.js';

const LOGOUTS = Number(process.env.BENCH_FANOUT_LOGOUTS ?? 10_000);
const ENDPOINTS = Number(process.env.BENCH_FANOUT_ENDPOINTS ?? 3);
const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_FANOUT_CONCURRENCY ?? 64);
const GRACE_MS = Number(process.env.BENCH_FANOUT_GRACE_S ?? 120) * 1000;
const PROFILE = process.env.BENCH_FANOUT_PROFILE === '1';
const PROFILED = ['gateway', 'token', 'webhooks'] as const;
const PROFILE_DIR = join(ROOT, 'bench/results/profiles');
/** The timed windows, in the clock of V8's profile timestamps (CLOCK_MONOTONIC µs). */
const windows: Array<[number, number]> = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const runId = timestamp();
const began = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:logout-fanout ${((Date.now() - began) / 1000).toFixed(0)}s] ${msg}\n`);

interface Round {
  logoutsPerSec: number;
  webhooksPerSec: number;
  lagP50Ms: number;
  lagP99Ms: number;
  delivered: number;
  expected: number;
  duplicates: number;
  lost: number;
  unverified: number;
  seconds: number;
  cpuUsPerWebhook: Record<string, number>;
  rssMb: Record<string, number>;
  /** Deliveries the webhooks app started for messages handed over by its ingest, and for messages it claimed. */
  started: Record<'handoff' | 'claim', number>;
}

/** The webhooks app's `handover_webhook_messages_started_total`, by `via`, from its /metrics. */
async function deliveriesStarted(stack: Stack): Promise<Record<'handoff' | 'claim', number>> {
  const webhooks = stack.processes.find((p) => p.name === 'webhooks');
  const text = await (await fetch(`http://127.0.0.1:${webhooks?.port}/metrics`)).text();
  const count = (via: string) =>
    Number(new RegExp(`^handover_webhook_messages_started_total\\{via="${via}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { handoff: count('handoff'), claim: count('claim') };
}

async function runRound(stack: Stack, n: number): Promise<Round> {
  const p = pool(stack.baseUrl, CONCURRENCY + 4);
  const vendors: BenchVendor[] = [];
  for (let i = 0; i < ENDPOINTS; i++) vendors.push(await vendorWithReceiver(p));
  log(`round ${n}: handing ${LOGOUTS} sessions to ${ENDPOINTS} vendors`);
  const clientIds = vendors.map((v) => v.clientId);
  const sids = await inFlight(LOGOUTS, CONCURRENCY, () => sessionHandedTo(p, clientIds));
  const expected = LOGOUTS * ENDPOINTS;

  const returnedAt = new Map<string, number>();
  const startedBefore = await deliveriesStarted(stack);
  const window = new Window(stack.groups, { services: servicePids() });
  window.start();
  const t0 = Date.now();
  const windowStart = monotonicUs();
  log(`round ${n}: ${LOGOUTS} logouts, ${CONCURRENCY} in flight`);
  await inFlight(LOGOUTS, CONCURRENCY, async (i) => {
    await logout(p, sids[i]);
    returnedAt.set(handleOf(sids[i]), Date.now());
  });
  const logoutsDone = Date.now();
  const deadline = logoutsDone + GRACE_MS;
  const delivered = () => vendors.reduce((s, v) => s + v.receiver.acceptedIds().size, 0);
  while (delivered() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const w: WindowResult = window.stop();
  windows.push([windowStart, monotonicUs()]);
  const startedAfter = await deliveriesStarted(stack);

  const lags: number[] = [];
  let last = t0;
  let requests = 0;
  let unverified = 0;
  for (const v of vendors) {
    const seen = new Set<string>();
    for (const d of v.receiver.deliveries) {
      requests++;
      if (!d.verified) unverified++;
      if (!d.verified || d.webhookId === undefined || seen.has(d.webhookId)) continue;
      seen.add(d.webhookId);
      last = Math.max(last, d.receivedAt);
      const handle = (JSON.parse(d.rawBody) as { data: { session_id: string } }).data.session_id;
      const returned = returnedAt.get(handle);
      if (returned !== undefined) lags.push(Math.max(0, d.receivedAt - returned));
    }
  }
  lags.sort((a, b) => a - b);
  const got = delivered();
  const seconds = (last - t0) / 1000;
  for (const v of vendors) await v.receiver.close();
  await p.close();
  return {
    logoutsPerSec: round1(LOGOUTS / ((logoutsDone - t0) / 1000)),
    webhooksPerSec: round1(got / seconds),
    lagP50Ms: percentile(lags, 0.5),
    lagP99Ms: percentile(lags, 0.99),
    delivered: got,
    expected,
    duplicates: requests - got - unverified,
    lost: expected - got,
    unverified,
    seconds: round1(seconds),
    cpuUsPerWebhook: Object.fromEntries(
      Object.entries({ ...w.cpuUs, ...w.serviceUs, loadgen: w.loadgenUs }).map(([k, us]) => [k, round(us / got)]),
    ),
    rssMb: w.rssMb,
    started: {
      handoff: startedAfter.handoff - startedBefore.handoff,
      claim: startedAfter.claim - startedBefore.claim,
    },
  };
}

const round1 = (x: number) => round(x, 1);

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers(stopAll);
  const nodeArgs = Object.fromEntries(
    PROFILED.map((app) => [
      app,
      PROFILE
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${PROFILE_DIR}`,
            `--cpu-prof-name=fanout-${app}.cpuprofile`,
            '--cpu-prof-interval=500',
          ]
        : [],
    ]),
  );
  const stack = await startDistributed({ nodeArgs });
  const rounds: Round[] = [];
  try {
    for (let n = 1; n <= ROUNDS; n++) {
      const r = await runRound(stack, n);
      log(
        `round ${n}: ${r.webhooksPerSec} webhooks/s, lag p99 ${r.lagP99Ms} ms, ${r.lost} lost, ${r.duplicates} duplicates`,
      );
      rounds.push(r);
    }
  } finally {
    await stack.stop();
  }
  const record = { run: runId, build: buildInfo(), machine: machine(), logouts: LOGOUTS, endpoints: ENDPOINTS, rounds };
  appendResult('logout-fanout', record);
  const pick = (f: (r: Round) => number) => rounds.map(f);
  const procs = Object.keys(rounds[0]?.rssMb ?? {});
  const table = markdownTable(
    ['figure', `median (range) of ${rounds.length} rounds`],
    [
      ['verified webhooks/s', mr(pick((r) => r.webhooksPerSec))],
      ['logouts/s (host API)', mr(pick((r) => r.logoutsPerSec))],
      ['lag p50, ms', mr(pick((r) => r.lagP50Ms))],
      ['lag p99, ms', mr(pick((r) => r.lagP99Ms))],
      ['delivered / expected', `${median(pick((r) => r.delivered))} / ${rounds[0]?.expected}`],
      ['lost', mr(pick((r) => r.lost))],
      ['duplicates', mr(pick((r) => r.duplicates))],
      ['unverified', mr(pick((r) => r.unverified))],
      ['deliveries started by hand-off from the ingest', mr(pick((r) => r.started.handoff))],
      ['deliveries started by a claim', mr(pick((r) => r.started.claim))],
      ...procs.map((name) => [`peak RSS ${name}, MB`, mr(pick((r) => r.rssMb[name]))]),
      ...Object.keys(rounds[0]?.cpuUsPerWebhook ?? {}).map((name) => [
        `CPU µs per webhook, ${name}`,
        mr(pick((r) => r.cpuUsPerWebhook[name])),
      ]),
    ],
  );
  const text = `# bench:logout-fanout, ${runId}\n\n${LOGOUTS} logouts × ${ENDPOINTS} endpoints, ${CONCURRENCY} logouts in flight, Handover distributed (one replica per app), every delivery verified with standardwebhooks.\n\n${table}\n`;
  writeResultFile('logout-fanout.latest.md', text);
  process.stdout.write(text);
  if (PROFILE) writeProfileSummary();
}

/** Top costs per profiled app over the (first) timed window. */
function writeProfileSummary(): void {
  const [from, to] = windows[0];
  const parts = PROFILED.map((app) => {
    const s = summarizeProfile(join(PROFILE_DIR, `fanout-${app}.cpuprofile`), from, to, 25);
    const list = (r: Array<{ name: string; pct: number }>) => r.map((x) => `- ${x.pct} % ${x.name}`).join('\n');
    return `## ${app} (busy ${s.busyShare} % of the window)\n\nBy area:\n${list(s.byArea)}\n\nSelf:\n${list(s.self)}\n\nInclusive:\n${list(s.inclusive)}\n`;
  });
  writeResultFile('logout-fanout.profile.md', `# bench:logout-fanout profile, ${runId}\n\n${parts.join('\n')}`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
