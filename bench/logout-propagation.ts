// `npm run bench:logout-propagation`: how soon after a logout call returns is the session's access token refused on
// every gateway replica (SPEC: p99 ≤ 1 s, and no successful data-API call after it is refused). Handover distributed
// with two gateway replicas. Each trial: session → code → token (through replica 1), `/me` 200 on both replicas,
// logout through replica 1, then `/me` on both replicas in a tight loop until each answers 401. Trials run 8 at a
// time, so revocations arrive while other tokens are in use.
//
// Environment: BENCH_PROP_TRIALS (500), BENCH_PROP_CONCURRENCY (8).
import { accessToken, exchange, issueCode, me } from './lib/handover-api.js';
import { percentile, pool } from './lib/load.js';
import { installExitHandlers, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, timestamp, writeResultFile } from './lib/results.js';
import { machine } from './lib/sample.js';
import { startDistributed } from './lib/stacks.js';
import { inFlight, logout, sessionHandedTo } from './lib/webhooks.js';

const TRIALS = Number(process.env.BENCH_PROP_TRIALS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_PROP_CONCURRENCY ?? 8);
const runId = timestamp();
const began = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:logout-propagation ${((Date.now() - began) / 1000).toFixed(0)}s] ${msg}\n`);

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers(stopAll);
  const stack = await startDistributed({ gatewayReplicas: 2 });
  const [a, b] = (stack.baseUrls ?? []).map((url) => pool(url, CONCURRENCY * 2 + 4));
  const propagation: number[] = [];
  let acceptedAfterRefusal = 0;
  let acceptedAfterReturn = 0;
  try {
    log(`${TRIALS} trials, ${CONCURRENCY} at a time, two gateway replicas`);
    await inFlight(TRIALS, CONCURRENCY, async () => {
      const sid = await sessionHandedTo(a, []);
      const res = await exchange(a, await issueCode(a, sid));
      if (res.status !== 200) throw new Error(`exchange: HTTP ${res.status} ${res.text}`);
      const token = accessToken(res);
      for (const replica of [a, b]) {
        const before = await me(replica, token);
        if (before.status !== 200) throw new Error(`/me before logout: HTTP ${before.status}`);
      }
      await logout(a, sid);
      const returned = performance.now();
      const refusedAfter = await Promise.all(
        [a, b].map(async (replica) => {
          for (;;) {
            const r = await me(replica, token);
            if (r.status === 401) return performance.now() - returned;
            if (r.status === 200) acceptedAfterReturn++;
            else throw new Error(`/me after logout: HTTP ${r.status}`);
            if (performance.now() - returned > 10_000) throw new Error('token still accepted 10 s after logout');
          }
        }),
      );
      propagation.push(Math.max(...refusedAfter));
      // Once refused, never accepted again.
      for (const replica of [a, b]) if ((await me(replica, token)).status === 200) acceptedAfterRefusal++;
    });
  } finally {
    await Promise.all([a?.close(), b?.close()]);
    await stack.stop();
  }
  propagation.sort((x, y) => x - y);
  const figures = {
    trials: TRIALS,
    p50Ms: percentile(propagation, 0.5),
    p99Ms: percentile(propagation, 0.99),
    maxMs: propagation[propagation.length - 1],
    acceptedAfterReturn,
    acceptedAfterRefusal,
  };
  appendResult('logout-propagation', { run: runId, build: buildInfo(), machine: machine(), ...figures });
  const f = (x: number) => x.toFixed(2);
  const table = markdownTable(
    ['figure', 'value'],
    [
      ['trials', String(TRIALS)],
      ['refused on both replicas after the logout returned: p50, ms', f(figures.p50Ms)],
      ['p99, ms', f(figures.p99Ms)],
      ['max, ms', f(figures.maxMs)],
      ['`/me` 200s between the logout returning and the refusal', String(acceptedAfterReturn)],
      ['`/me` 200s after a replica had refused the token', String(acceptedAfterRefusal)],
    ],
  );
  const text = `# bench:logout-propagation, ${runId}\n\nHandover distributed, two gateway replicas, ${CONCURRENCY} trials at a time.\n\n${table}\n`;
  writeResultFile('logout-propagation.latest.md', text);
  process.stdout.write(text);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
