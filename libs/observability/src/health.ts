import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { metricsExposition } from './metrics.js';

/** A readiness probe of one dependency: resolves when it answers, throws when it does not. */
export type HealthCheck = () => Promise<void>;

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

const CHECK_TIMEOUT_MS = 1000;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'up' | 'down'>;
}

/** Runs the app's dependency checks in parallel, each with a deadline, so readiness itself never hangs. */
export class HealthService {
  private shuttingDown = false;

  constructor(private readonly checks: Record<string, HealthCheck>) {}

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, check]) => [name, (await passes(check)) ? 'up' : 'down'] as const),
    );
    const checks = Object.fromEntries(entries) as Record<string, 'up' | 'down'>;
    return { ready: !this.shuttingDown && entries.every(([, state]) => state === 'up'), checks };
  }
}

async function passes(check: HealthCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health/live` says the process runs; `/health/ready` and `/health` say whether it can serve (its NATS, Redis
 * and database answer), 503 with the failing checks otherwise; `/metrics` is the Prometheus exposition.
 */
@Controller()
export class OpsController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Get('health/live')
  @Header('cache-control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  @Get(['health', 'health/ready'])
  @Header('cache-control', 'no-store')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await this.health.readiness();
    if (report.ready) return { status: 'ok', checks: report.checks };
    const down = Object.entries(report.checks)
      .filter(([, state]) => state === 'down')
      .map(([name]) => name);
    reply.status(503).header('retry-after', '5');
    return {
      error: 'temporarily_unavailable',
      error_description: down.length ? `not ready: ${down.join(', ')} unavailable` : 'shutting down',
      checks: report.checks,
    };
  }

  @Get('metrics')
  @HttpCode(200)
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    const { contentType, text } = await metricsExposition();
    reply.header('content-type', contentType);
    return text;
  }
}
