import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from '#http-edge';
import type { BusBinding } from '#messaging';
import { HealthService, type Logger } from '#observability';

export interface AppSpec {
  /** The app's name, which is also its NATS queue group. */
  name: string;
  module: Type | DynamicModule;
  bus: BusBinding;
  logger: Logger;
  /** HTTP port to listen on (the gateway's edge, or a back-end app's ops port); none in embedded back-ends. */
  port?: number;
  host?: string;
  bodyLimit?: number;
  accessLog?: boolean;
  /** Extra HTTP set-up before listening (the gateway's OpenAPI document, for example). */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
}

export interface RunningApp {
  name: string;
  app: INestApplication;
  /** The port actually bound (useful with port 0). */
  port?: number;
  close(): Promise<void>;
}

/**
 * Starts one of the five apps: its Nest module behind Fastify, its bus handlers on the given transport (NATS
 * queue group or the in-process broker), and its HTTP listener when it has a port.
 */
export async function runApp(spec: AppSpec): Promise<RunningApp> {
  const app = await createHttpApp(spec.module, {
    app: spec.name,
    logger: spec.logger,
    bodyLimit: spec.bodyLimit ?? 64 * 1024,
    accessLog: spec.accessLog,
  });
  // The bus handlers inherit the app's global error filter, which speaks both HTTP and RPC.
  app.connectMicroservice({ strategy: spec.bus.createServer(spec.name) }, { inheritAppConfig: true });
  await spec.configure?.(app);
  await app.startAllMicroservices();
  let port: number | undefined;
  if (spec.port !== undefined) {
    await app.listen(spec.port, spec.host ?? '0.0.0.0');
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : spec.port;
  } else {
    await app.init();
  }
  // Not `app.get`: for a token it cannot find, Nest's application proxy exits the process (abortOnError)
  // instead of throwing, and an app may have no HealthService (a test module, for one).
  let health: HealthService | undefined;
  try {
    health = app.get(ModuleRef).get(HealthService, { strict: false });
  } catch {
    health = undefined;
  }
  return {
    name: spec.name,
    app,
    port,
    async close() {
      health?.markShuttingDown();
      await app.close();
    },
  };
}
