// Reads a V8 `.cpuprofile` (node --cpu-prof) and summarises the samples taken within a time window: self time by
// area (package, Node internals, our apps and libs), the top functions by self time, and by inclusive time.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a Node internal module, one of our apps or libs, or V8 itself. */
export function areaOf({ url, functionName }: CallFrame): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node:${m ? m[1].replace(/\.js$/, '') : url}`;
  }
  const ours = /dist\/(apps\/[^/]+|libs\/[^/]+|launcher)\//.exec(url);
  return ours ? ours[1] : url.replace(/^file:\/\//, '');
}

/** Dispatch frames that sit under almost everything: left out of the inclusive list, which would only show them. */
const GENERIC = new Set([
  'processTicksAndRejections',
  'runMicrotasks',
  'emit',
  'callbackTrampoline',
  'runInAsyncScope',
  'listOnTimeout',
  'processTimers',
  'onStreamRead',
  'addChunk',
  'readableAddChunkPushByteMode',
  'Readable.push',
  'emitBeforeScript',
  'emitAfterScript',
]);

function frameKey(frame: CallFrame): string {
  const file = frame.url ? frame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/') : '';
  return `${frame.functionName || '(anonymous)'} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

export interface Ranked {
  name: string;
  pct: number;
}
export interface ProfileSummary {
  busySamples: number;
  idleSamples: number;
  /** Busy samples as a share of all samples in the window, %. */
  busyShare: number;
  byArea: Ranked[];
  self: Ranked[];
  inclusive: Ranked[];
}

/**
 * Summarises `path` over [fromUs, toUs] (CLOCK_MONOTONIC microseconds: the clock of `process.hrtime` and of V8's
 * profile timestamps on Linux). Idle samples are counted apart; percentages are of the busy samples.
 */
export function summarizeProfile(path: string, fromUs: number, toUs: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byArea = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let t = profile.startTime;
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const node = nodes.get(profile.samples[i]);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle++;
      continue;
    }
    busy++;
    bump(self, frameKey(node.callFrame));
    bump(byArea, areaOf(node.callFrame));
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id)?.callFrame;
      if (!frame || frame.functionName === '(root)') break;
      if (GENERIC.has(frame.functionName) || frame.functionName.startsWith('(')) continue;
      const k = frameKey(frame);
      if (!seen.has(k)) {
        seen.add(k);
        bump(inclusive, k);
      }
    }
  }
  const pct = (n: number) => Math.round((1000 * n) / Math.max(1, busy)) / 10;
  const ranked = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, n]) => ({ name, pct: pct(n) }));
  return {
    busySamples: busy,
    idleSamples: idle,
    busyShare: Math.round((1000 * busy) / Math.max(1, busy + idle)) / 10,
    byArea: ranked(byArea),
    self: ranked(self),
    inclusive: ranked(inclusive),
  };
}
