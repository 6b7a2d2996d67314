import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

/** A configuration problem found at start: names every bad or missing variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** A configured service that cannot be reached at start (never a silent fallback to embedded mode). */
export class StartupError extends Error {
  constructor(
    readonly dependency: string,
    readonly variable: string,
    readonly target: string,
    cause: unknown,
  ) {
    super(`cannot reach ${dependency} at ${target} (${variable}): ${describeCause(cause)}`, { cause });
    this.name = 'StartupError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeCause(cause.errors[0]);
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code} ${cause.message}`
      : cause.message || String(code);
  }
  return String(cause);
}

function problemsOf(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => Object.values(e.constraints ?? {}).map((message) => `${e.property}: ${message}`));
}

/**
 * Validates environment variables once, at start, into a typed object: `envClass` declares each variable with
 * class-validator decorators and its default as a property initialiser. Variables the class does not declare
 * are ignored (the environment holds much else).
 */
export function loadEnv<T extends object>(envClass: new () => T, env: NodeJS.ProcessEnv): T {
  const defaults = new envClass() as Record<string, unknown>;
  // A required variable (`NATS_URL!: string`) has no initialiser, so it is not a key of `defaults`; its
  // validation decorators declare it.
  const declared = new Set([
    ...Object.keys(defaults),
    ...getMetadataStorage()
      .getTargetValidationMetadatas(envClass, '', true, false)
      .map((m) => m.propertyName),
  ]);
  const provided: Record<string, unknown> = {};
  for (const key of declared) {
    const value = env[key];
    if (value !== undefined && value !== '') provided[key] = value;
  }
  const instance = plainToInstance(envClass, { ...defaults, ...provided });
  const errors = validateSync(instance as object, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) throw new ConfigError(problemsOf(errors));
  return instance;
}

/** Prints a start-up failure plainly and exits non-zero; used by every entry point. */
export function exitOnStartupFailure(err: unknown, app: string): never {
  const message =
    err instanceof ConfigError || err instanceof StartupError ? err.message : ((err as Error)?.stack ?? String(err));
  process.stderr.write(`${JSON.stringify({ level: 'fatal', app, msg: `${app} failed to start: ${message}` })}\n`);
  process.stderr.write(`handover ${app}: failed to start: ${message}\n`);
  process.exit(1);
}

/** Runs `fn`, failing with a `StartupError` naming the dependency when it throws or exceeds `timeoutMs`. */
export async function reachOrFail<T>(
  dependency: string,
  variable: string,
  target: string,
  fn: () => Promise<T>,
  timeoutMs = 5000,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (err) {
    throw new StartupError(dependency, variable, redact(target), err);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops credentials from a URL before it is printed. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
