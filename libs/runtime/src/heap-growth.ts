import { setFlagsFromString } from 'node:v8';

/**
 * Lets V8's old generation grow to 2 × its live size before a major collection, instead of up to 4 ×. Under load
 * part of each request's objects outlive two young-generation collections and are promoted, to die in the old
 * generation: the gateway's NATS replies (~4–6 MB/s at 5,000 exchanges/s), a webhook waiting in the stream
 * consumer and the ready queue. With V8's own factor the gateway reached 240–260 MB and the webhooks app ~300 MB
 * before collecting them; with 2 × they stay near 190–200 MB, within the noise in CPU (bench/README.md "RSS").
 * Called by each app's entry point, not left to the command line, so every way of starting an app has it.
 */
export function boundOldGenerationGrowth(): void {
  setFlagsFromString('--heap-growing-percent=100');
}
