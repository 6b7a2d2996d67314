// Results: one JSON line per run appended to bench/results/<name>.jsonl, and the small statistics the tables need.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './proc.js';

export const RESULTS_DIR = join(ROOT, 'bench/results');

export function appendResult(name: string, record: object): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(join(RESULTS_DIR, `${name}.jsonl`), `${JSON.stringify(record)}\n`);
}

export function writeResultFile(file: string, text: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, file), text);
}

const finite = (values: Array<number | null | undefined>): number[] =>
  values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

export function median(values: Array<number | null | undefined>): number {
  const v = finite(values).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** `median (min–max)` with `digits` decimals; just the value when there is one. */
export function mr(values: Array<number | null | undefined>, digits = 0): string {
  const v = finite(values);
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
  if (v.length <= 1) return fmt(median(v));
  return `${fmt(median(v))} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function timestamp(): string {
  return new Date().toISOString();
}

/** What was measured: the commit, whether apps/, libs/ or launcher/ differ from it, and when dist/ was built. */
export function buildInfo(): { commit: string; dirty: boolean; builtAt: string } {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  let builtAt = '';
  try {
    builtAt = statSync(join(ROOT, 'dist/apps/token/src/main.js')).mtime.toISOString();
  } catch {
    // not built
  }
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--', 'apps', 'libs', 'launcher') !== '',
    builtAt,
  };
}
