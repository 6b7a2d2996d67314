/**
 * The demo vendor's webhook secret (SPEC §8): fixed, so the embedded demo's own receiver at `<base>/demo/webhooks`
 * verifies what the dispatcher signs. `whsec_` + base64 of the 32 ASCII bytes `handover-demo-webhook-secret-32b`.
 * A demo value: never use it for a real endpoint.
 */
export const DEMO_WEBHOOK_SECRET = 'whsec_aGFuZG92ZXItZGVtby13ZWJob29rLXNlY3JldC0zMmI=';
