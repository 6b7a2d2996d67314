/**
 * End-to-end harness: starts Handover from the built `dist/` as real processes, black box over HTTP.
 *
 * `E2E_MODE` (set by the jest project's setup file) picks the topology of `startStack()`:
 *  - `embedded`: one `node dist/launcher/embedded.js` with a temporary data directory and a free PORT;
 *  - `distributed`: the five apps as separate processes against the machine's NATS, Redis and PostgreSQL,
 *    using this run's database (see libs/testing's global setup), and a key and subject prefix of their own
 *    per stack, so stacks of one run never hear each other.
 *
 * The harness does not build: run `npm run build` first (scripts/test.mjs does).
 */
import { describe, expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentTestRun, freePort } from '#testing';

export type E2EMode = 'embedded' | 'distributed';
export type AppName = 'gateway' | 'token' | 'identity' | 'user-data' | 'webhooks';

export const BACK_END_APPS = ['user-data', 'token', 'identity', 'webhooks'] as const satisfies readonly AppName[];

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Default deadline for a stack to become ready (five Node processes on two busy cores take a while). */
const READY_TIMEOUT_MS = 60_000;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL (the apps' own shutdown timeout is 10 s). */
const STOP_GRACE_MS = 12_000;
/** Captured output kept per process (the tail, which is where the reason for an exit is). */
const MAX_CAPTURE = 256 * 1024;

export function e2eMode(): E2EMode {
  const mode = process.env.E2E_MODE;
  if (mode !== 'embedded' && mode !== 'distributed')
    throw new Error('E2E_MODE is not set: run through the jest projects e2e-embedded or e2e-distributed');
  return mode;
}

/**
 * `describe` for tests that exist only in one mode. In the other mode the block is not registered at all (not
 * reported as skipped): both modes always run, so a skip count would only hide real skips.
 */
export function onlyIn(mode: E2EMode): (name: string, fn: () => void) => void {
  return e2eMode() === mode ? (name, fn) => describe(name, fn) : () => undefined;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One spawned process: its pid, what it printed, and how it ended. */
export class ManagedProcess {
  private stdoutText = '';
  private stderrText = '';
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;
  readonly startedAt = Date.now();
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;

  constructor(
    readonly name: string,
    readonly script: string,
    readonly env: Record<string, string>,
    /** The HTTP port it serves on (the gateway's PORT, a back-end's OPS_PORT, embedded's PORT), if any. */
    readonly port?: number,
  ) {
    const path = join(ROOT, script);
    if (!existsSync(path)) throw new Error(`${path} does not exist: run \`npm run build\` before the e2e tests`);
    this.child = spawn(process.execPath, [path], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText = (this.stdoutText + chunk).slice(-MAX_CAPTURE);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-MAX_CAPTURE);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.stderrText += `\n[harness] spawn failed: ${err.message}\n`;
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
      // 'close' (not 'exit'): the output pipes are drained by then, so the captured stderr is complete.
      this.child.once('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get url(): string {
    if (this.port === undefined) throw new Error(`${this.name} serves no HTTP port`);
    return `http://127.0.0.1:${this.port}`;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Everything it printed, for failure messages. */
  output(): string {
    return `--- ${this.name} (pid ${this.pid}) stderr ---\n${this.stderrText}\n--- ${this.name} stdout ---\n${this.stdoutText}`;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running && this.pid !== undefined) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL (by pid). Returns how it ended and how long that took. */
  async stop(graceMs = STOP_GRACE_MS): Promise<ExitInfo & { ms: number; killed: boolean }> {
    const started = Date.now();
    if (!this.running) return { ...(await this.exited), ms: 0, killed: false };
    this.kill('SIGTERM');
    const ended = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (ended) return { ...ended, ms: Date.now() - started, killed: false };
    this.kill('SIGKILL');
    return { ...(await this.exited), ms: Date.now() - started, killed: true };
  }

  /** Waits for the exit, failing (with the output) if it takes longer than `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo & { ms: number }> {
    const ended = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
    if (!ended) {
      await this.stop(1000);
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.output()}`);
    }
    return { ...ended, ms: Date.now() - this.startedAt };
  }
}

/**
 * The environment of a child process: only what Node needs (PATH, HOME, locale), never the test runner's own
 * (its NODE_OPTIONS, or any HANDOVER_* / NATS_URL a developer exported), plus `vars`.
 */
export function childEnv(vars: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) env[key] = value;
  return env;
}

/** The script of one app in distributed mode. */
export function appScript(app: AppName): string {
  return `dist/apps/${app}/src/main.js`;
}

/** This run's secret key: random per run (derived from the run's random database name), fixed within it. */
export function runSecretKey(): string {
  return createHash('sha256').update(`handover-e2e:${currentTestRun().databaseName}`).digest('base64url');
}

/**
 * A complete, valid distributed-mode environment for any app, against this run's database and services, with
 * a subject and key prefix of its own (unless given). Callers override single variables to break them.
 */
export function distributedEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const run = currentTestRun();
  const suffix = randomBytes(3).toString('hex');
  return childEnv({
    LOG_LEVEL: 'warn',
    NATS_URL: run.natsUrl,
    REDIS_URL: run.redisUrl,
    DATABASE_URL: run.databaseUrl,
    HANDOVER_SECRET_KEY: runSecretKey(),
    HANDOVER_SUBJECT_PREFIX: `${run.subjectPrefix}_${suffix}`,
    HANDOVER_REDIS_PREFIX: `${run.redisPrefix}${suffix}:`,
    OPS_PORT: '0',
    PORT: '0',
    ...overrides,
  });
}

/** Spawns one distributed app by itself (for start-up failure tests); nothing waits for it to be ready. */
export function spawnApp(app: AppName, env: Record<string, string>, port?: number): ManagedProcess {
  return new ManagedProcess(app, appScript(app), env, port);
}

export type StopResult = ExitInfo & { name: string; ms: number; killed: boolean };

export interface StackOptions {
  /** Distributed: gateway replicas, each on its own port (default 1). */
  gatewayReplicas?: number;
  /** Distributed: the apps to start (default all five); e.g. `['gateway']` for a gateway with no back-ends. */
  apps?: readonly AppName[];
  /** Extra environment for every process of the stack. */
  env?: Record<string, string>;
  /** Embedded: the data directory (default a fresh temporary one, removed by `stop()` unless given). */
  dataDir?: string;
  /** Deadline for readiness. */
  readyTimeoutMs?: number;
  /**
   * Distributed: a PostgreSQL database of the stack's own (created beside the run's, dropped by `stop()`)
   * instead of the run's shared one, e.g. so that the demo seed carries this stack's base URL.
   */
  ownDatabase?: boolean;
}

export interface Stack {
  mode: E2EMode;
  /** The first gateway's base URL (also the public base URL, so issuers are `<baseUrl>/t/{tenant}`). */
  baseUrl: string;
  /** Every gateway replica's base URL (one in embedded mode). */
  baseUrls: string[];
  /** The current processes (new ones after `restart()`). */
  readonly processes: ManagedProcess[];
  /** The data directory (embedded). */
  dataDir?: string;
  /** Milliseconds from the (latest) spawn until every process answered `/health/ready` 200. */
  readonly readyAfterMs: number;
  process(name: string): ManagedProcess;
  /** SIGTERM every process (gateways first), SIGKILL after a grace period; reports each one's exit. */
  stop(): Promise<StopResult[]>;
  /**
   * Stops the processes, then starts the same ones on the same ports, data directory and prefixes; `between`
   * (optional) runs while everything is stopped (e.g. to write to embedded's PGlite files, see `seedDatabase`).
   */
  restart(between?: () => Promise<void>): Promise<StopResult[]>;
  /**
   * Ends one process (`SIGKILL`: a crash; `SIGTERM`: a clean stop), runs `between` while it is down, then starts
   * it again with the same environment and port and waits until it is ready. Returns the old process's exit.
   */
  restartProcess(name: string, signal: 'SIGKILL' | 'SIGTERM', between?: () => Promise<void>): Promise<StopResult>;
}

interface PlannedProcess {
  name: string;
  script: string;
  env: Record<string, string>;
  port: number;
}

/** Starts the stack of the current E2E_MODE and waits until every process is ready. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const mode = e2eMode();
  const plan = mode === 'embedded' ? await planEmbedded(options) : await planDistributed(options);
  const ownsDataDir = mode === 'embedded' && options.dataDir === undefined;
  let processes: ManagedProcess[] = [];
  let readyAfterMs = 0;

  const stopProcesses = async () => {
    // Gateways first, so nothing new reaches the back-ends while they drain.
    const isEdge = (p: ManagedProcess) => p.name.startsWith('gateway') || p.name === 'embedded';
    const results: StopResult[] = [];
    for (const group of [processes.filter(isEdge), processes.filter((p) => !isEdge(p))])
      results.push(...(await Promise.all(group.map(async (p) => ({ name: p.name, ...(await p.stop()) })))));
    return results;
  };

  const launch = async () => {
    const started = Date.now();
    processes = plan.processes.map((p) => new ManagedProcess(p.name, p.script, p.env, p.port));
    try {
      await Promise.all(processes.map((p) => waitUntilReady(p, processes, options.readyTimeoutMs ?? READY_TIMEOUT_MS)));
    } catch (err) {
      await stopProcesses();
      throw err;
    }
    readyAfterMs = Date.now() - started;
  };

  try {
    await launch();
  } catch (err) {
    if (ownsDataDir && plan.dataDir) rmSync(plan.dataDir, { recursive: true, force: true });
    await plan.dropDatabase?.();
    throw err;
  }

  return {
    mode,
    baseUrl: plan.baseUrls[0],
    baseUrls: plan.baseUrls,
    get processes() {
      return processes;
    },
    dataDir: plan.dataDir,
    get readyAfterMs() {
      return readyAfterMs;
    },
    process(name) {
      const found = processes.find((p) => p.name === name);
      if (!found) throw new Error(`no process ${name} in this stack (${processes.map((p) => p.name).join(', ')})`);
      return found;
    },
    async stop() {
      const results = await stopProcesses();
      if (ownsDataDir && plan.dataDir) rmSync(plan.dataDir, { recursive: true, force: true });
      await plan.dropDatabase?.();
      return results;
    },
    async restart(between?: () => Promise<void>) {
      const results = await stopProcesses();
      await between?.();
      await launch();
      return results;
    },
    async restartProcess(name, signal, between) {
      const index = processes.findIndex((p) => p.name === name);
      const planned = plan.processes.find((p) => p.name === name);
      if (index < 0 || !planned) throw new Error(`no process ${name} in this stack`);
      const old = processes[index];
      const started = Date.now();
      if (signal === 'SIGKILL') old.kill('SIGKILL');
      const ended = signal === 'SIGKILL' ? { ...(await old.exited), killed: true } : await old.stop();
      const result: StopResult = { name, ...ended, ms: Date.now() - started };
      await between?.();
      const fresh = new ManagedProcess(planned.name, planned.script, planned.env, planned.port);
      processes = processes.map((p, i) => (i === index ? fresh : p));
      await waitUntilReady(fresh, processes, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
      return result;
    },
  };
}

interface Plan {
  processes: PlannedProcess[];
  baseUrls: string[];
  dataDir: string | undefined;
  /** Drops the stack's own database (`ownDatabase`), once. */
  dropDatabase?: () => Promise<void>;
}

async function planEmbedded(options: StackOptions): Promise<Plan> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'handover-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = childEnv({
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    HANDOVER_DATA_DIR: dataDir,
    HANDOVER_DEMO: '1',
    ...options.env,
  });
  const processes: PlannedProcess[] = [{ name: 'embedded', script: 'dist/launcher/embedded.js', env, port }];
  return { processes, baseUrls: [baseUrl], dataDir };
}

async function planDistributed(options: StackOptions): Promise<Plan> {
  const apps = options.apps ?? ['gateway', ...BACK_END_APPS];
  const replicas = apps.includes('gateway') ? (options.gatewayReplicas ?? 1) : 0;
  const gatewayPorts = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  // Replicas sit behind one public URL in production; here the first replica's URL stands for it.
  const baseUrl = gatewayPorts.length > 0 ? `http://127.0.0.1:${gatewayPorts[0]}` : 'http://127.0.0.1:3000';
  const own = options.ownDatabase ? await createOwnDatabase() : undefined;
  const shared = distributedEnv({
    PUBLIC_BASE_URL: baseUrl,
    ...(own ? { DATABASE_URL: own.url } : {}),
    ...options.env,
  });
  const processes: PlannedProcess[] = [];
  for (const app of BACK_END_APPS) {
    if (!apps.includes(app)) continue;
    const port = await freePort();
    const env = {
      ...shared,
      OPS_PORT: String(port),
      ...(app === 'user-data' || app === 'webhooks' ? { HANDOVER_DEMO: '1' } : {}),
    };
    processes.push({ name: app, script: appScript(app), env, port });
  }
  gatewayPorts.forEach((port, i) => {
    processes.push({
      name: replicas > 1 ? `gateway-${i + 1}` : 'gateway',
      script: appScript('gateway'),
      // `shared` holds the stack's REDIS_URL and HANDOVER_REDIS_PREFIX: every gateway reads the sessions and the
      // revocation index the token app of this stack writes, under the same prefix.
      env: { ...shared, PORT: String(port), HOST: '127.0.0.1' },
      port,
    });
  });
  return {
    processes,
    baseUrls: gatewayPorts.map((p) => `http://127.0.0.1:${p}`),
    dataDir: undefined,
    dropDatabase: own?.drop,
  };
}

/** A fresh, empty database beside the run's (same server and credentials), and a way to drop it. */
async function createOwnDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const run = currentTestRun();
  const name = `${run.databaseName}_${randomBytes(4).toString('hex')}`;
  const url = new URL(run.databaseUrl);
  url.pathname = `/${name}`;
  const admin = async (sql: string) => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: run.databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Polls `/health/ready` until 200; fails early, with every process's output, when one of them exits. */
function waitUntilReady(target: ManagedProcess, all: ManagedProcess[], timeoutMs: number): Promise<void> {
  return waitFor200(`${target.url}/health/ready`, all, timeoutMs);
}

/**
 * Polls `url` until it answers 200. Fails early, with the output of `watched`, when one of those processes
 * exits, and when `timeoutMs` passes.
 */
export async function waitFor200(url: string, watched: ManagedProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const describeAll = () => watched.map((p) => p.output()).join('\n');
  let last = 'no answer';
  while (Date.now() < deadline) {
    const dead = watched.find((p) => !p.running);
    if (dead) {
      const info = await dead.exited;
      throw new Error(
        `${dead.name} exited (${info.signal ?? `code ${info.code}`}) while waiting for ${url}\n${describeAll()}`,
      );
    }
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
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${describeAll()}`);
}

/** Resolves after `ms`; the timer does not keep the test process alive (it is raced against exits). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON, otherwise undefined. */
  json: unknown;
  ms: number;
}

/** One request with a deadline (a hang fails the test instead of the suite), body read and parsed. */
export async function http(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<HttpResult & { body: Record<string, unknown> }> {
  const started = Date.now();
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, text, json, body, ms: Date.now() - started };
}

/**
 * Asserts an error answer: the status, a JSON body of exactly `{ error, error_description }` (no `retry_after`,
 * no stack, no other member) with the expected code and a non-empty description, `cache-control: no-store`,
 * and `Retry-After` on a 503.
 */
export function expectError(
  res: Pick<HttpResult, 'status' | 'headers' | 'json' | 'text'>,
  status: number,
  code: string,
) {
  const context = `HTTP ${res.status} ${res.text.slice(0, 300)}`;
  expect({ status: res.status, context }).toEqual({ status, context });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.json).toEqual({ error: code, error_description: expect.any(String) });
  expect(Object.keys(res.json as object).sort()).toEqual(['error', 'error_description']);
  expect(((res.json as { error_description: string }).error_description ?? '').length).toBeGreaterThan(0);
  if (status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
}

/**
 * What is wrong with an error answer of any status (for fuzzing), or undefined: it must be JSON of exactly
 * `{ error, error_description }`, with `cache-control: no-store`.
 */
export function errorShapeProblem(res: {
  status: number;
  contentType: string;
  cacheControl: string;
  text: string;
}): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    return `HTTP ${res.status}: body is not JSON: ${res.text.slice(0, 200)}`;
  }
  if (!/^application\/json\b/.test(res.contentType)) return `HTTP ${res.status}: content-type ${res.contentType}`;
  if (res.cacheControl !== 'no-store') return `HTTP ${res.status}: cache-control ${res.cacheControl}`;
  const keys = typeof json === 'object' && json !== null ? Object.keys(json).sort() : [];
  if (keys.join() !== 'error,error_description')
    return `HTTP ${res.status}: error body has keys [${keys.join(', ')}]: ${res.text.slice(0, 200)}`;
  return undefined;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type RawResult =
  | { kind: 'response'; status: number; contentType: string; cacheControl: string; text: string; ms: number }
  | { kind: 'closed'; error: string; ms: number }
  | { kind: 'timeout'; ms: number };

/**
 * A request through `node:http`, which (unlike fetch) sends any method token and path as given. A connection
 * the server closes without an answer is reported as `closed`; one that does not answer in time as `timeout`.
 */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 10_000): Promise<RawResult> {
  const started = Date.now();
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: RawResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      done({ kind: 'timeout', ms: Date.now() - started });
      outgoing.destroy();
    }, timeoutMs);
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        // Node sends DELETE and OPTIONS bodies without framing unless told their length.
        headers:
          req.body === undefined
            ? req.headers
            : { 'content-length': String(Buffer.byteLength(req.body)), ...req.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => done({ kind: 'closed', error: err.message, ms: Date.now() - started }));
        res.on('end', () =>
          done({
            kind: 'response',
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            cacheControl: String(res.headers['cache-control'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
            ms: Date.now() - started,
          }),
        );
      },
    );
    outgoing.on('error', (err) => done({ kind: 'closed', error: err.message, ms: Date.now() - started }));
    outgoing.end(req.body);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding fixtures straight into a stack's database (until an admin API can create vendors, tenants and users)

/** A database session on the stack's PostgreSQL (PGlite in embedded mode); `$1`-style parameters. */
export interface SeedDb {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * The stack's secret key, as its processes use it: HANDOVER_SECRET_KEY of the environment (distributed mode, or
 * embedded when given), else the key embedded mode generated in `<data dir>/secret.key` on its first start.
 * Seeded secrets are hashed with it: `new SecretHasher(decodeSecretKey(stackSecretKey(stack))).hash(secret)`.
 */
export function stackSecretKey(stack: Stack): string {
  const fromEnv = stack.processes[0]?.env.HANDOVER_SECRET_KEY;
  if (fromEnv) return fromEnv;
  if (!stack.dataDir) throw new Error('this stack has neither HANDOVER_SECRET_KEY nor a data directory');
  return readFileSync(join(stack.dataDir, 'secret.key'), 'utf8').trim();
}

/**
 * Runs `seed` against the stack's durable database and returns what it returns, so a test can add what the demo
 * seed lacks (more vendors, users, tenants). The tables are those of the apps' migrations (e.g. `user_data.vendors`).
 *  - distributed: the stack's PostgreSQL database (its DATABASE_URL), while the stack runs. Unless the stack has
 *    `ownDatabase`, every stack of the run shares it, so seed unique names (client ids, slugs, logins). Vendors
 *    and tenants are cached by the apps once looked up: seed before the first use.
 *  - embedded: PGlite files admit one process at a time, so the launcher is stopped, the data directory's
 *    database opened here, `seed` run, and the launcher started again on the same port and data directory.
 *    Everything only in memory (sessions, codes, caches) is gone afterwards: seed first.
 */
export async function seedDatabase<T>(stack: Stack, seed: (db: SeedDb) => Promise<T>): Promise<T> {
  if (stack.mode === 'distributed') {
    const { default: pg } = await import('pg');
    // The stack's own DATABASE_URL (the run's database, or its own with `ownDatabase`).
    const url = stack.processes.find((p) => p.env.DATABASE_URL)?.env.DATABASE_URL ?? currentTestRun().databaseUrl;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await seed({
        query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
      });
    } finally {
      await client.end();
    }
  }
  if (!stack.dataDir) throw new Error('an embedded stack without a data directory cannot be seeded');
  const dataDir = join(stack.dataDir, 'pglite');
  let result: { value: T } | undefined;
  await stack.restart(async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(dataDir);
    try {
      result = {
        value: await seed({
          query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
        }),
      };
    } finally {
      await db.close();
    }
  });
  if (!result) throw new Error('seed did not run');
  return result.value;
}
