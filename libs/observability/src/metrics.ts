import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  register,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

/**
 * Prometheus metrics. One registry per process (per thread: prom-client is a module of each V8 isolate): in
 * embedded mode the apps share it (their metrics carry an `app` label), so every metric is created once and looked
 * up after. With the embedded gateway thread, `/metrics` merges the two threads' registries (`mergeMetricsFrom`).
 */
let defaultsCollected = false;

export function metricsRegistry(): Registry {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register });
    defaultsCollected = true;
  }
  return register;
}

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** This thread's registry as JSON, for the thread that serves `/metrics` (`mergeMetricsFrom`). */
export function metricsSnapshot(): Promise<MetricsSnapshot> {
  return metricsRegistry().getMetricsAsJSON();
}

let otherThread: (() => Promise<MetricsSnapshot>) | undefined;

/**
 * Embedded mode serves `/metrics` from its gateway worker thread, while the back-end apps count on the main
 * thread: the exposition then merges the main thread's registry (with the process-wide defaults) and this
 * thread's own `handover_*` metrics, summing series both hold (prom-client's aggregation).
 */
export function mergeMetricsFrom(source: () => Promise<MetricsSnapshot>): void {
  otherThread = source;
}

/** The Prometheus exposition of this process. */
export async function metricsExposition(): Promise<{ contentType: string; text: string }> {
  const registry = metricsRegistry();
  if (!otherThread) return { contentType: registry.contentType, text: await registry.metrics() };
  const own = (await registry.getMetricsAsJSON()).filter((metric) => metric.name.startsWith('handover_'));
  const merged = AggregatorRegistry.aggregate([await otherThread(), own]);
  return { contentType: merged.contentType, text: await merged.metrics() };
}

function getOrCreate<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return getOrCreate(name, () => new Counter({ name, help, labelNames, registers: [register] }));
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  return getOrCreate(name, () => new Gauge({ name, help, labelNames, registers: [register] }));
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
): Histogram<L> {
  return getOrCreate(name, () => new Histogram({ name, help, labelNames, buckets, registers: [register] }));
}

export const httpRequestDuration = () =>
  histogram('handover_http_request_duration_seconds', 'HTTP requests served, by route and status', [
    'app',
    'method',
    'route',
    'status',
  ] as const);

export const busRequestDuration = () =>
  histogram('handover_bus_request_duration_seconds', 'Requests sent over the bus, by subject and outcome', [
    'subject',
    'outcome',
  ] as const);
