const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `250ms`, `5s`, `30m`, `2h`, `5d`: one duration as env variables write it. */
export const DURATION_PATTERN = /^(\d{1,9})(ms|s|m|h|d)$/;

/** A comma-separated list of durations (`5s,5m,30m`), 1 to 20 of them. */
export const DURATION_LIST_PATTERN = /^\d{1,9}(?:ms|s|m|h|d)(?:,\d{1,9}(?:ms|s|m|h|d)){0,19}$/;

/** Milliseconds of a duration matching DURATION_PATTERN; throws on anything else. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 500ms, 5s, 30m, 2h, 5d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export function parseDurationList(text: string): number[] {
  return text.split(',').map(parseDuration);
}
