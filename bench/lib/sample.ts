// /proc sampling: CPU time per process tree (children included), RSS, and the CPU used by everything else on the
// machine during a measurement window (to discard runs disturbed by other work on the shared cores).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
/** Microseconds per clock tick of /proc/<pid>/stat. */
const US_PER_TICK = 1e6 / CLK_TCK;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** utime + stime + cutime + cstime (children it has reaped), in ticks. */
  withChildren: number;
  /** Start time, to tell a reused PID apart. */
  start: string;
}
type Snapshot = Map<number, ProcStat>;

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid 4, utime 14, stime 15, cutime 16, cstime 17, starttime 22.
  const own = Number(f[11]) + Number(f[12]);
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    ppid: Number(f[1]),
    own,
    withChildren: own + Number(f[13]) + Number(f[14]),
    start: f[19],
  };
}

/** The machine's task time from /proc/stat (user + nice + system) and its irq + softirq time, in ticks. */
function machineTicks(): { tasks: number; softirq: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return { tasks: f[0] + f[1] + f[2], softirq: f[5] + f[6] };
}

/** Every process on the machine right now. */
export function snapshot(): Snapshot {
  const all: Snapshot = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.set(s.pid, s);
  }
  return all;
}

/** `root` and all its descendants in `snap`. */
export function tree(snap: Snapshot, root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const s of snap.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (!snap.has(pid) || out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Kernel threads (children of kthreadd): loopback network work partly lands in ksoftirqd under load. */
const isKernel = (s: ProcStat) => s.pid === 2 || s.ppid === 2;

export type ServicePids = Partial<Record<'nats' | 'redis' | 'postgres', number>>;

/** PIDs of the machine's services a benchmark uses (never started or stopped by it): NATS, Redis, PostgreSQL. */
export function servicePids(snap: Snapshot = snapshot()): ServicePids {
  const out: ServicePids = {};
  for (const s of snap.values()) {
    if (s.comm === 'nats-server') out.nats ??= s.pid;
    if (s.comm === 'redis-server') out.redis ??= s.pid;
    // The postmaster: the postgres process whose parent is not postgres.
    if (s.comm === 'postgres' && snap.get(s.ppid)?.comm !== 'postgres') out.postgres ??= s.pid;
  }
  return out;
}

/** A process's resident set now, MB. */
export function rssMb(pid: number): number {
  return round(rssKb(pid) / 1024, 1);
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Ticks used over the window by `pids` (children they reaped included); a PID new in `end` counts in full. */
function ticksBetween(start: Snapshot, end: Snapshot, pids: Iterable<number>, field: 'own' | 'withChildren'): number {
  let ticks = 0;
  for (const pid of pids) {
    const e = end.get(pid);
    if (!e) continue;
    const s = start.get(pid);
    ticks += s && s.start === e.start ? e[field] - s[field] : e[field];
  }
  return ticks;
}

export interface WindowResult {
  seconds: number;
  /** CPU µs per group (the root process and its descendants, children they reaped included). */
  cpuUs: Record<string, number>;
  /** Peak RSS per group (sum over its processes), MB. */
  rssMb: Record<string, number>;
  /** Each group's processes at the end, with their own peak RSS. */
  procs: Record<string, Array<{ pid: number; rssMb: number }>>;
  /** CPU µs of the machine's services over the window. */
  serviceUs: Record<string, number>;
  /** CPU µs of this process (the load generator). */
  loadgenUs: number;
  /** Cores used by everything else: other users' processes (the figure runs are discarded on). */
  outsideCores: number;
  /** The same before clamping at 0 (slightly negative when tick accounting and per-task times disagree). */
  outsideRawCores: number;
  /** Cores used by kernel threads, and by irq + softirq (partly our own loopback traffic). */
  kernelCores: number;
  softirqCores: number;
  /** Cores used by processes the benchmark started but does not measure in this window. */
  idleStacksCores: number;
  outsideTop: Array<{ pid: number; comm: string; cores: number }>;
}

/**
 * A measurement window over named groups of processes (each a root PID, measured with its descendants), the
 * machine's services, and everything else. `start()` takes the first snapshot and samples RSS every `rssEveryMs`;
 * `stop()` returns the figures. The outside CPU is the machine's task time (/proc/stat, which also holds processes
 * that started and ended within the window) less every process we know of, counted by own time only (a parent
 * reaping a child that ran long before the window would otherwise add that child's whole life to it).
 */
export class Window {
  private t0 = 0n;
  private snap0: Snapshot = new Map();
  private machine0 = { tasks: 0, softirq: 0 };
  private self0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private rssMax: Record<string, number> = {};
  private rssProcMax: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly groups: Record<string, number>,
    private readonly options: { services?: ServicePids; idle?: number[]; rssEveryMs?: number } = {},
  ) {}

  start(): void {
    this.t0 = process.hrtime.bigint();
    this.machine0 = machineTicks();
    this.snap0 = snapshot();
    this.self0 = process.cpuUsage();
    this.rssMax = {};
    this.rssProcMax = {};
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), this.options.rssEveryMs ?? 500);
    this.timer.unref();
  }

  private sampleRss(): void {
    const snap = snapshot();
    for (const [name, root] of Object.entries(this.groups)) {
      let sum = 0;
      for (const pid of tree(snap, root)) {
        const kb = rssKb(pid);
        sum += kb;
        const key = `${name}:${pid}`;
        this.rssProcMax[key] = Math.max(this.rssProcMax[key] ?? 0, kb);
      }
      this.rssMax[name] = Math.max(this.rssMax[name] ?? 0, sum);
    }
  }

  stop(): WindowResult {
    clearInterval(this.timer);
    this.sampleRss();
    const snap1 = snapshot();
    const machine1 = machineTicks();
    const self = process.cpuUsage(this.self0);
    const seconds = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const ours = new Set<number>([process.pid]);
    const both = (root: number) => new Set([...tree(this.snap0, root), ...tree(snap1, root)]);

    const cpuUs: Record<string, number> = {};
    const procs: WindowResult['procs'] = {};
    for (const [name, root] of Object.entries(this.groups)) {
      const pids = both(root);
      for (const pid of pids) ours.add(pid);
      cpuUs[name] = ticksBetween(this.snap0, snap1, pids, 'withChildren') * US_PER_TICK;
      procs[name] = [...tree(snap1, root)].map((pid) => ({
        pid,
        rssMb: round((this.rssProcMax[`${name}:${pid}`] ?? 0) / 1024, 1),
      }));
    }
    const serviceUs: Record<string, number> = {};
    for (const [name, root] of Object.entries(this.options.services ?? servicePids(this.snap0))) {
      const pids = both(root);
      for (const pid of pids) ours.add(pid);
      serviceUs[name] = ticksBetween(this.snap0, snap1, pids, 'withChildren') * US_PER_TICK;
    }
    let idleTicks = 0;
    for (const root of this.options.idle ?? []) {
      const pids = [...both(root)].filter((pid) => !ours.has(pid));
      for (const pid of pids) ours.add(pid);
      idleTicks += ticksBetween(this.snap0, snap1, pids, 'own');
    }

    let oursTicks = 0;
    let kernelTicks = 0;
    const outsideTop: WindowResult['outsideTop'] = [];
    for (const e of snap1.values()) {
      const own = ticksBetween(this.snap0, snap1, [e.pid], 'own');
      if (own <= 0) continue;
      if (ours.has(e.pid)) oursTicks += own;
      else if (isKernel(e)) kernelTicks += own;
      else outsideTop.push({ pid: e.pid, comm: e.comm, cores: round((own * US_PER_TICK) / 1e6 / seconds, 3) });
    }
    outsideTop.sort((a, b) => b.cores - a.cores);
    const cores = (ticks: number) => (ticks * US_PER_TICK) / 1e6 / seconds;
    const machineTicksUsed = machine1.tasks + machine1.softirq - this.machine0.tasks - this.machine0.softirq;
    const outsideRaw = cores(machineTicksUsed - oursTicks - kernelTicks);
    return {
      seconds,
      cpuUs,
      rssMb: Object.fromEntries(Object.entries(this.rssMax).map(([k, v]) => [k, round(v / 1024, 1)])),
      procs,
      serviceUs,
      loadgenUs: self.user + self.system,
      // Per-task times may or may not hold the irq/softirq time spent on their behalf (loopback traffic), so the
      // machine's total counts it too: at worst the figure errs on the side of discarding a run.
      outsideCores: Math.max(0, outsideRaw),
      outsideRawCores: outsideRaw,
      kernelCores: cores(kernelTicks),
      softirqCores: cores(machine1.softirq - this.machine0.softirq),
      idleStacksCores: cores(idleTicks),
      outsideTop: outsideTop.slice(0, 3),
    };
  }
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface MachineInfo {
  cpus: number;
  model: string;
  memGb: number;
  node: string;
  kernel: string;
}

/** What this machine is, for the results. */
export function machine(): MachineInfo {
  const c = cpus();
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    cpus: c.length,
    model: c[0]?.model ?? 'unknown',
    memGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel,
  };
}
