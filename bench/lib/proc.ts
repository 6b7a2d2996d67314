// Processes a benchmark starts: spawned by path, watched, stopped by PID (SIGTERM, then SIGKILL), never by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench/lib/proc.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const MAX_CAPTURE = 64 * 1024;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Ports below the kernel's ephemeral range, so an outgoing connection cannot take one before its server binds it.
export { freePort } from '#testing';

export type Env = Record<string, string>;

/**
 * Only what Node needs from our own environment (never NODE_OPTIONS or a developer's HANDOVER_* / NATS_URL),
 * plus `vars`.
 */
export function childEnv(vars: Record<string, string | number | undefined>): Env {
  const env: Env = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[key] = String(value);
  return env;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every process this benchmark started and has not seen exit, so an interrupted run still cleans up. */
const live = new Set<Managed>();

export interface ManagedOptions {
  env: Env;
  args?: string[];
  nodeArgs?: string[];
  /** The HTTP port it serves on, if any. */
  port?: number;
}

/** One Node process started by a benchmark. */
export class Managed {
  readonly pid: number;
  readonly port: number | undefined;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;
  private captured = '';

  constructor(
    readonly name: string,
    script: string,
    { env, args = [], nodeArgs = [], port }: ManagedOptions,
  ) {
    const path = join(ROOT, script);
    if (!existsSync(path)) throw new Error(`${path} does not exist: run \`npm run build\` first`);
    this.port = port;
    this.child = spawn(process.execPath, [...nodeArgs, path, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.child.pid;
    const keep = (chunk: string) => {
      this.captured = (this.captured + chunk).slice(-MAX_CAPTURE);
    };
    this.child.stdout?.setEncoding('utf8').on('data', keep);
    this.child.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.captured += `\n[bench] spawn failed: ${err.message}\n`;
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    live.add(this);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What it printed (the tail). */
  get output(): string {
    return this.captured;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM by PID, SIGKILL after `graceMs`. */
  async stop(graceMs = 12_000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    const ended = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (ended) return ended;
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** Stops every process still running that a benchmark started (by their PIDs), for exits and interrupts. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5000)));
}

let handlersInstalled = false;
/** On SIGINT/SIGTERM of the benchmark itself, run `cleanup` and stop what it started before exiting. */
export function installExitHandlers(cleanup: () => Promise<unknown> = async () => undefined): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (sig: string) => {
    process.stderr.write(`\n[bench] ${sig}: stopping what this benchmark started\n`);
    void Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .then(stopAll)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Polls `url` until it answers 200; fails (with the output of `watched`) when one of them exits, or on timeout. */
export async function waitFor200(url: string, watched: Managed[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const dead = watched.find((p) => !p.running);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${url}:\n${dead.output}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  const outputs = watched.map((p) => `--- ${p.name}\n${p.output}`).join('\n');
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${outputs}`);
}

/** Warns when a source file is newer than the build the benchmark will run (a stale dist/ measures old code). */
export function warnIfStaleBuild(): void {
  const built = join(ROOT, 'dist/apps/token/src/main.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first');
  const builtAt = statSync(built).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name)) {
        if (statSync(path).mtimeMs > builtAt + 1000) newer.push(path.slice(ROOT.length));
      }
    }
  };
  for (const dir of ['apps', 'libs', 'launcher']) walk(join(ROOT, dir));
  if (newer.length > 0)
    process.stderr.write(
      `[bench] warning: ${newer.length} source file(s) newer than dist/ (e.g. ${newer[0]}): run \`npm run build\`\n`,
    );
}
