/** Settings the gateway's controllers read (injected; never `process.env`). */
export class GatewayOptions {
  constructor(
    /** Public base URL without a trailing slash, e.g. `http://localhost:3000`. */
    readonly publicBaseUrl: string,
    /** What the home page says about how this instance runs. */
    readonly mode: 'embedded' | 'distributed',
    /** Serve the demo of SPEC §8 (the Demo Bank and the demo vendor's plugin) under `/demo`. */
    readonly demo = false,
  ) {}

  issuer(tenantSlug: string): string {
    return `${this.publicBaseUrl}/t/${tenantSlug}`;
  }
}
