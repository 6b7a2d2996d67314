// Closed-loop load generator on undici: N iterations in flight, a warm-up, then a timed window. 127.0.0.1 only.
import { Pool } from 'undici';
import type { WindowResult } from './sample.js';

/** An HTTP/1.1 keep-alive pool to one local origin; refuses any other host. */
export function pool(origin: string, connections: number): Pool {
  const url = new URL(origin);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
    throw new Error(`benchmarks send traffic to 127.0.0.1 only, not ${url.hostname}`);
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
}

export interface Reply {
  status: number;
  text: string;
}

/** One request; the body is read in full (as text) and returned with the status. */
export async function call(
  p: Pool,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  { headers, body }: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const res = await p.request({ method, path, headers, body });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The `q` quantile of ascending `sorted` (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * One iteration of a loop: resolves `true` (success), `false` (failure, counted), or `null` when there is nothing
 * left to do (e.g. no pre-issued code left): that loop stops. A rejection is a failure, its message counted.
 */
export type Iteration = (loop: number) => Promise<boolean | null>;

export interface LoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  iteration: Iteration;
  onMeasureStart?: () => void;
  onMeasureEnd?: () => WindowResult;
}

export interface LoopResult {
  ok: number;
  failed: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  /** Latencies of the successful iterations in the window, ms, ascending. */
  latencies: number[];
  errors: Record<string, number>;
  window: WindowResult | undefined;
}

/**
 * Runs `iteration` in `concurrency` closed loops: each loop starts its next iteration when the previous one ends.
 * The first `warmupMs` are not counted; then `onMeasureStart()` is called, iterations that end within the next
 * `durationMs` are counted (with their latency), and `onMeasureEnd()` is called at the end of the window. When
 * every loop has stopped early (nothing left to do), the window ends at the last completion.
 */
export async function closedLoop(o: LoopOptions): Promise<LoopResult> {
  let phase: 'warmup' | 'measure' | 'done' = o.warmupMs > 0 ? 'warmup' : 'measure';
  let measureStart = phase === 'measure' ? performance.now() : Infinity;
  let measureEnd = Infinity;
  let ok = 0;
  let failed = 0;
  let lastEnd = 0;
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let window: WindowResult | undefined;

  const endWindow = (at: number) => {
    if (phase === 'done') return;
    phase = 'done';
    measureEnd = at;
    window = o.onMeasureEnd?.();
  };
  const beginWindow = () => {
    if (phase !== 'warmup') return;
    measureStart = performance.now();
    phase = 'measure';
    o.onMeasureStart?.();
  };
  if (phase === 'measure') o.onMeasureStart?.();
  const warmupTimer = o.warmupMs > 0 ? setTimeout(beginWindow, o.warmupMs) : undefined;
  const endTimer = setTimeout(() => {
    if (phase === 'measure') endWindow(performance.now());
  }, o.warmupMs + o.durationMs);

  const loop = async (n: number) => {
    while (phase !== 'done') {
      const t0 = performance.now();
      let result: boolean | null;
      try {
        result = await o.iteration(n);
      } catch (err) {
        result = false;
        const key = String(err instanceof Error ? err.message : err).slice(0, 120);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      if (result === null) return;
      const t1 = performance.now();
      // Counted when it ends inside the window (a closed loop's throughput is its completions per second).
      if (phase === 'measure' && t1 >= measureStart) {
        if (result) {
          ok++;
          latencies.push(t1 - t0);
        } else failed++;
        lastEnd = t1;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, n) => loop(n)));
  // Every loop stopped before the window's end (nothing left to do): the window ends at the last completion.
  if ((phase as string) !== 'done') {
    beginWindow();
    endWindow(Math.max(lastEnd, measureStart));
  }
  clearTimeout(warmupTimer);
  clearTimeout(endTimer);
  latencies.sort((a, b) => a - b);
  const seconds = (measureEnd - measureStart) / 1000;
  return {
    ok,
    failed,
    seconds,
    rate: ok / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    latencies,
    errors: Object.fromEntries(errors),
    window,
  };
}
