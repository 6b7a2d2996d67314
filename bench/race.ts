// `npm run bench:race`: 1,000 trials of 64 concurrent exchanges of one code against Handover distributed. Each trial
// issues a code through the host API, then sends 64 exchanges of it at once over 64 connections. A trial with more
// than one 200 is a double spend (must be 0). The winner's token must die (RFC 6749 §4.1.2: a code used twice
// revokes what it yielded): its state is read with GET /me right after its trial and again after all trials.
//
// The token app runs with its default failed-grant throttle: losing a race for (or reusing) a code it issued is not
// counted as a guess, so the trials never meet a 429.
//
// BENCH_RACE_TARGET=peer-memory | peer-cluster runs the same trials against the peer (codes pre-minted, no token
// state), and peer-cluster-upstream against the peer with the upstream example Redis adapter's non-atomic consume,
// to show what the atomic one prevents.
//
// Environment: BENCH_RACE_TRIALS (1000), BENCH_RACE_CONCURRENCY (64), BENCH_RACE_TARGET (distributed).
import { accessToken, createSession, exchange, issueCode, me } from './lib/handover-api.js';
import type { Pool } from 'undici';
import { call, pool, type Reply } from './lib/load.js';
import { installExitHandlers, sleep, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, timestamp, writeResultFile } from './lib/results.js';
import { machine, round } from './lib/sample.js';
import { startDistributed, startPeer, type Stack } from './lib/stacks.js';

const TRIALS = Number(process.env.BENCH_RACE_TRIALS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_RACE_CONCURRENCY ?? 64);
const TARGETS = ['distributed', 'peer-memory', 'peer-cluster', 'peer-cluster-upstream'] as const;
const TARGET = (process.env.BENCH_RACE_TARGET ?? 'distributed') as (typeof TARGETS)[number];
if (!TARGETS.includes(TARGET)) throw new Error(`BENCH_RACE_TARGET must be one of ${TARGETS.join(', ')}`);
const runId = timestamp();
const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:race ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);

const count = (map: Map<number, number>, key: number) => map.set(key, (map.get(key) ?? 0) + 1);
const show = (m: Map<number, number>) =>
  [...m]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');

interface RaceTarget {
  stack: Stack;
  /** A fresh code (Handover: issued through the host API per trial; the peer: pre-minted). */
  nextCode(): Promise<string>;
  exchange(code: string): Promise<Reply>;
  /** The winner's token, used: the status of `GET /me` (Handover only). */
  tokenState?(token: string): Promise<number>;
}

const PEER_BASIC = `Basic ${Buffer.from('bench-vendor:bench-vendor-secret').toString('base64')}`;
const PEER_REDIRECT = encodeURIComponent('http://127.0.0.1/bench/plugin');

async function startTarget(): Promise<RaceTarget> {
  if (TARGET === 'distributed') {
    const stack = await startDistributed();
    current.stack = stack;
    const pl = (current.pool = pool(stack.baseUrl, CONCURRENCY + 4));
    const sid = await createSession(pl);
    return {
      stack,
      nextCode: () => issueCode(pl, sid),
      exchange: (code) => exchange(pl, code),
      tokenState: async (token) => (await me(pl, token)).status,
    };
  }
  const stack = await startPeer(TARGET === 'peer-memory' ? 'memory' : 'cluster', {
    consume: TARGET === 'peer-cluster-upstream' ? 'upstream' : 'atomic',
  });
  current.stack = stack;
  const pl = (current.pool = pool(stack.baseUrl, CONCURRENCY + 4));
  // One grant per code: a reused code makes the peer revoke its whole grant, which must not reach other trials' codes.
  const res = await fetch(`${stack.controlUrl}/mint?n=${TRIALS}&accounts=${TRIALS}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`peer mint: HTTP ${res.status}`);
  const codes = (await res.json()) as string[];
  return {
    stack,
    nextCode: async () => codes.shift() ?? Promise.reject(new Error('no code left')),
    exchange: (code) =>
      call(pl, 'POST', '/token', {
        headers: { authorization: PEER_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=authorization_code&code=${code}&redirect_uri=${PEER_REDIRECT}`,
      }),
  };
}

const current: { stack?: Stack; pool?: Pool } = {};

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers(async () => current.stack?.stop());
  const target = await startTarget();
  const p = current.pool as Pool;
  log(`${TARGET} ready (${JSON.stringify(target.stack.groups)})`);
  try {
    /** 200s per trial → trials. */
    const wins = new Map<number, number>();
    const statuses = new Map<number, number>();
    const rightAfter = new Map<number, number>();
    const winners: string[] = [];
    const doubles: Array<{ trial: number; wins: number }> = [];
    const raceStarted = Date.now();
    for (let t = 0; t < TRIALS; t++) {
      const code = await target.nextCode();
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => target.exchange(code)));
      const won = results.filter((r) => r.status === 200);
      for (const r of results) count(statuses, r.status);
      count(wins, won.length);
      if (won.length > 1) doubles.push({ trial: t, wins: won.length });
      if (won.length > 0 && target.tokenState) {
        const token = accessToken(won[0]);
        winners.push(token);
        count(rightAfter, await target.tokenState(token));
      }
      if ((t + 1) % 100 === 0) log(`${t + 1} trials; 200s per trial → trials: ${show(wins)}`);
    }
    const raceSeconds = (Date.now() - raceStarted) / 1000;
    // Revocation reaches every gateway replica within about a second (SPEC "Targets"): read the tokens again.
    const afterAll = new Map<number, number>();
    if (target.tokenState) {
      await sleep(1500);
      for (const token of winners) count(afterAll, await target.tokenState(token));
    }
    const doubleSpends = [...wins].filter(([n]) => n > 1).reduce((s, [, trials]) => s + trials, 0);
    const rec = {
      bench: 'race',
      runId,
      ts: timestamp(),
      machine: machine(),
      build: buildInfo(),
      target: TARGET,
      trials: TRIALS,
      concurrency: CONCURRENCY,
      trialsWithMoreThanOne200: doubleSpends,
      trialsWithExactlyOne200: wins.get(1) ?? 0,
      trialsWithNo200: wins.get(0) ?? 0,
      winsPerTrial: Object.fromEntries(wins),
      doubles: doubles.slice(0, 20),
      statuses: Object.fromEntries(statuses),
      winnerMeRightAfter: Object.fromEntries(rightAfter),
      winnerMeAfterAll: Object.fromEntries(afterAll),
      exchangesPerSecond: round((TRIALS * CONCURRENCY) / raceSeconds),
      seconds: round((Date.now() - started) / 1000, 1),
    };
    appendResult('race', rec);
    const text = [
      `### bench:race, ${runId.slice(0, 10)}: ${TARGET} (run ${runId})`,
      '',
      markdownTable(
        [
          'trials × concurrent exchanges of one code',
          'trials with > one 200',
          'exactly one 200',
          'no 200',
          'all answers',
          "winner's token, GET /me right after its trial",
          'after all trials (+1.5 s)',
        ],
        [
          [
            `${TRIALS} × ${CONCURRENCY}`,
            `**${doubleSpends}**`,
            String(rec.trialsWithExactlyOne200),
            String(rec.trialsWithNo200),
            show(statuses),
            target.tokenState ? show(rightAfter) : 'n/a',
            target.tokenState ? show(afterAll) : 'n/a',
          ],
        ],
      ),
      '',
    ].join('\n');
    writeResultFile(`race.${TARGET}.latest.md`, text);
    process.stdout.write(`\n${text}\n`);
    if (doubleSpends > 0 && TARGET !== 'peer-cluster-upstream') process.exitCode = 1;
  } finally {
    await p.close().catch(() => undefined);
    await target.stack.stop();
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:race failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
