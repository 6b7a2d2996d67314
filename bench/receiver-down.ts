// `npm run bench:receiver-down`: the vendors' receivers go down a third of the way into a logout fan-out and stay down
// for BENCH_DOWN_S seconds, then come back on the same ports. Figures: delivered, lost, the time from the receivers'
// return until the last delivery, and whether every delivered webhook-id is the id in the delivery log (the same id
// on every attempt). Handover distributed, with a retry schedule compressed so that it spans the outage:
// WEBHOOK_RETRY_SCHEDULE (default here `1s,5s,15s,30s,1m,2m,5m,10m`, ~19 min in all).
//
// Environment: BENCH_DOWN_S (60; the SPEC's case is 600), BENCH_DOWN_LOGOUTS (3000), BENCH_DOWN_ENDPOINTS (3),
// WEBHOOK_RETRY_SCHEDULE.
import type { Pool } from 'undici';
import { WebhookReceiver } from '#testing';
import { call, pool } from './lib/load.js';
import { installExitHandlers, sleep, stopAll, warnIfStaleBuild } from './lib/proc.js';
import { appendResult, buildInfo, markdownTable, timestamp, writeResultFile } from './lib/results.js';
import { machine } from './lib/sample.js';
import { startDistributed } from './lib/stacks.js';
import { inFlight, logout, sessionHandedTo, vendorWithReceiver, type BenchVendor } from './lib/webhooks.js';

const DOWN_MS = Number(process.env.BENCH_DOWN_S ?? 60) * 1000;
const LOGOUTS = Number(process.env.BENCH_DOWN_LOGOUTS ?? 3000);
const ENDPOINTS = Number(process.env.BENCH_DOWN_ENDPOINTS ?? 3);
const SCHEDULE = process.env.WEBHOOK_RETRY_SCHEDULE ?? '1s,5s,15s,30s,1m,2m,5m,10m';
const runId = timestamp();
const began = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:receiver-down ${((Date.now() - began) / 1000).toFixed(0)}s] ${msg}\n`);

/** Every message id of an endpoint's delivery log. */
async function loggedIds(p: Pool, endpointId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const q = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call(p, 'GET', `/admin/tenants/demo/webhooks/${endpointId}/messages?${q}`, {
      headers: { authorization: 'Bearer demo-admin-key' },
    });
    if (res.status !== 200) throw new Error(`delivery log: HTTP ${res.status} ${res.text}`);
    const page = JSON.parse(res.text) as { messages: Array<{ id: string }>; next_cursor: string | null };
    for (const m of page.messages) ids.add(m.id);
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

async function main(): Promise<void> {
  warnIfStaleBuild();
  installExitHandlers(stopAll);
  const stack = await startDistributed({ appEnv: { webhooks: { WEBHOOK_RETRY_SCHEDULE: SCHEDULE } } });
  const p = pool(stack.baseUrl, 68);
  try {
    const vendors: BenchVendor[] = [];
    for (let i = 0; i < ENDPOINTS; i++) vendors.push(await vendorWithReceiver(p));
    const ports = vendors.map((v) => Number(new URL(v.receiver.url).port));
    const clientIds = vendors.map((v) => v.clientId);
    log(`handing ${LOGOUTS} sessions to ${ENDPOINTS} vendors`);
    const sids = await inFlight(LOGOUTS, 64, () => sessionHandedTo(p, clientIds));
    const expected = LOGOUTS * ENDPOINTS;

    let downAt = 0;
    const fanOut = inFlight(LOGOUTS, 64, async (i) => {
      await logout(p, sids[i]);
      if (i === Math.floor(LOGOUTS / 3) && downAt === 0) {
        downAt = Date.now();
        log(`receivers down after ${i} logouts, for ${DOWN_MS / 1000} s`);
        for (const v of vendors) await v.receiver.close();
      }
    });
    await fanOut;
    const before = vendors.map((v) => v.receiver);
    await sleep(Math.max(0, downAt + DOWN_MS - Date.now()));
    const receivers = await Promise.all(
      vendors.map((v, i) => WebhookReceiver.start({ port: ports[i], secrets: () => [v.secret] })),
    );
    const upAt = Date.now();
    log('receivers back');
    const accepted = () => vendors.map((_, i) => new Set([...before[i].acceptedIds(), ...receivers[i].acceptedIds()]));
    const total = () => accepted().reduce((s, ids) => s + ids.size, 0);
    const spanMs = SCHEDULE.split(',').length * 10 * 60_000;
    while (total() < expected && Date.now() - upAt < spanMs) await sleep(250);
    const drainedMs = Date.now() - upAt;
    let lastDelivery = upAt;
    for (const r of receivers) for (const d of r.deliveries) lastDelivery = Math.max(lastDelivery, d.receivedAt);

    let sameIds = true;
    const ids = accepted();
    for (const [i, v] of vendors.entries()) {
      const logged = await loggedIds(p, v.endpointId);
      if (logged.size !== ids[i].size || [...ids[i]].some((id) => !logged.has(id))) sameIds = false;
    }
    const unverified = [...before, ...receivers].reduce(
      (s, r) => s + r.deliveries.filter((d) => !d.verified).length,
      0,
    );
    for (const r of receivers) await r.close();
    const figures = {
      downSeconds: DOWN_MS / 1000,
      logouts: LOGOUTS,
      endpoints: ENDPOINTS,
      schedule: SCHEDULE,
      expected,
      delivered: total(),
      lost: expected - total(),
      unverified,
      sameIdsAsLog: sameIds,
      secondsFromReturnToLastDelivery: Math.round((lastDelivery - upAt) / 100) / 10,
      waitedSeconds: Math.round(drainedMs / 1000),
    };
    appendResult('receiver-down', { run: runId, build: buildInfo(), machine: machine(), ...figures });
    const table = markdownTable(
      ['figure', 'value'],
      Object.entries(figures).map(([k, v]) => [k, String(v)]),
    );
    const text = `# bench:receiver-down, ${runId}\n\nHandover distributed; receivers down ${DOWN_MS / 1000} s from a third into the fan-out.\n\n${table}\n`;
    writeResultFile('receiver-down.latest.md', text);
    process.stdout.write(text);
  } finally {
    await p.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
