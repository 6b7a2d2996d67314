/** Settings the gateway's controllers read (injected; never `process.env`). */
export class GatewayOptions {
  constructor(
    /** Public base URL without a trailing slash, e.g. `http://localhost:3000`. */
    readonly publicBaseUrl: string,
    /** What the home page says about how this instance runs. */
    readonly mode: 'embedded' | 'distributed',
  ) {}

  issuer(tenantSlug: string): string {
    return `${this.publicBaseUrl}/t/${tenantSlug}`;
  }
}
