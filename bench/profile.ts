// `npm run bench:profile`: Handover distributed with `--cpu-prof` on the gateway and the token app, under the
// exchange load (codes pre-issued) and then the full handover load (issue → exchange → /me), 64 in flight, 10 s
// each. Prints, per app and per load, the self time by area and the top functions by self and inclusive time,
// counting only the samples inside each timed window. Profiles stay in bench/results/profiles/ (not committed).
//
// Environment: BENCH_CONCURRENCY (64), BENCH_MEASURE_MS (10000), BENCH_PROFILE_TOP (15),
// BENCH_PROFILE_TARGET (`distributed`, or `embedded`: the one process of the embedded mode).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { accessToken, createSession, exchange, issueCode, me, preIssueCodes } from './lib/handover-api.js';
import { closedLoop, pool, type Iteration } from './lib/load.js';
import { installExitHandlers, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, RESULTS_DIR, timestamp, writeResultFile } from './lib/results.js';
import { machine, round, Window } from './lib/sample.js';
import { startDistributed, startEmbedded, type AppName, type Stack } from './lib/stacks.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 15);
const TARGET = process.env.BENCH_PROFILE_TARGET === 'embedded' ? 'embedded' : 'distributed';
const PROFILED: Array<AppName | 'embedded'> = TARGET === 'embedded' ? ['embedded'] : ['gateway', 'token'];
const runId = timestamp();
const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:profile ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
/** CLOCK_MONOTONIC in µs, the clock of the profiles' timestamps. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Load {
  rate: number;
  failed: number;
  p99Ms: number;
  cpuUsPerReq: Record<string, number>;
  from: number;
  to: number;
}

async function main(): Promise<void> {
  warnIfStaleBuild();
  const dir = join(RESULTS_DIR, 'profiles', runId.replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const flags = (app: AppName | 'embedded') => [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    `--cpu-prof-name=${app}.cpuprofile`,
    '--cpu-prof-interval=500',
  ];
  const current: { stack?: Stack } = {};
  installExitHandlers(async () => current.stack?.stop());
  const stack =
    TARGET === 'embedded'
      ? await startEmbedded({ nodeArgs: flags('embedded') })
      : await startDistributed({ nodeArgs: Object.fromEntries(PROFILED.map((app) => [app, flags(app)])) });
  current.stack = stack;
  log(`${TARGET} stack ready, profiling ${PROFILED.join(' and ')} into ${dir}`);
  const p = pool(stack.baseUrl, CONCURRENCY);
  const loads: Record<string, Load> = {};
  try {
    const sessions: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) sessions.push(await createSession(p));
    const drain = (codes: string[]): Iteration => {
      let i = 0;
      return async () => (i < codes.length ? (await exchange(p, codes[i++])).status === 200 : null);
    };
    // Warm up on a first batch; size the measured batch from the warm-up rate (codes live 30 s).
    const warm = await preIssueCodes(p, sessions, 6000, CONCURRENCY);
    const w0 = await closedLoop({
      concurrency: CONCURRENCY,
      warmupMs: 0,
      durationMs: 2000,
      iteration: drain(warm.codes),
    });
    const issuable = Math.floor((warm.codes.length / warm.ms) * 15_000);
    const batch = await preIssueCodes(p, sessions, Math.min(Math.ceil(w0.rate * (MEASURE_MS / 1000) * 1.25), issuable));
    const handover: Iteration = async (loop) => {
      const x = await exchange(p, await issueCode(p, sessions[loop]));
      return x.status === 200 && (await me(p, accessToken(x))).status === 200;
    };
    const phases: Array<[string, Iteration, number]> = [
      ['exchange', drain(batch.codes), 0],
      ['handover', handover, 2000],
    ];
    for (const [phase, iteration, warmupMs] of phases) {
      const win = new Window(stack.groups);
      let from = 0;
      let to = 0;
      const r = await closedLoop({
        concurrency: CONCURRENCY,
        warmupMs,
        durationMs: MEASURE_MS,
        iteration,
        onMeasureStart: () => {
          from = nowUs();
          win.start();
        },
        onMeasureEnd: () => {
          to = nowUs();
          return win.stop();
        },
      });
      const cpu = Object.fromEntries(
        Object.entries(r.window?.cpuUs ?? {}).map(([k, v]) => [k, round(v / Math.max(1, r.ok))]),
      );
      loads[phase] = { rate: round(r.rate, 1), failed: r.failed, p99Ms: round(r.p99, 1), cpuUsPerReq: cpu, from, to };
      log(`${phase} under the profiler: ${loads[phase].rate}/s, ${r.failed} failed, CPU µs/req ${JSON.stringify(cpu)}`);
    }
  } finally {
    await p.close().catch(() => undefined);
    await stack.stop(); // SIGTERM: the apps exit cleanly, which writes the profiles
    await stopAll();
  }
  const build = buildInfo();
  const sections = [
    `### bench:profile, ${runId.slice(0, 10)} (run ${runId})`,
    '',
    `Build ${build.commit}${build.dirty ? ' with uncommitted changes' : ''}, dist/ built ${build.builtAt}. ` +
      `Handover ${TARGET}, ${CONCURRENCY} in flight, ${MEASURE_MS / 1000} s per load, --cpu-prof (500 µs) on ` +
      `${PROFILED.join(' and ')}; percentages are of the busy samples inside the window. Rates are under the ` +
      'profiler (lower than bench:handover).',
    '',
  ];
  const summaries: Record<string, ProfileSummary> = {};
  for (const [phase, load] of Object.entries(loads)) {
    for (const app of PROFILED) {
      const s = summarizeProfile(join(dir, `${app}.cpuprofile`), load.from, load.to, TOP);
      summaries[`${phase}/${app}`] = s;
      sections.push(
        `#### ${phase}: ${app} (${load.rate}/s; ${app} ${load.cpuUsPerReq[app]} µs CPU per request, busy in ${s.busyShare} % of samples)`,
        '',
        `By area (self time): ${s.byArea.map((a) => `${a.name} ${a.pct} %`).join(', ')}`,
        '',
        markdownTable(
          ['self %', 'function (self time)', 'inclusive %', 'function (inclusive time)'],
          s.self.map((f, i) => [
            String(f.pct),
            `\`${f.name}\``,
            String(s.inclusive[i]?.pct ?? ''),
            s.inclusive[i] ? `\`${s.inclusive[i].name}\`` : '',
          ]),
        ),
        '',
      );
    }
  }
  const text = sections.join('\n');
  writeResultFile(TARGET === 'embedded' ? 'profile.embedded.latest.md' : 'profile.latest.md', text);
  appendResult('profile', {
    bench: 'profile',
    runId,
    ts: timestamp(),
    machine: machine(),
    build: buildInfo(),
    loads,
    summaries,
    dir,
  });
  process.stdout.write(`\n${text}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
