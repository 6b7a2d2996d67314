/**
 * Tells listeners that the bus connection came back after an outage (NATS in distributed mode; the in-process
 * bus never drops). Broadcast events sent meanwhile were lost to this replica, so state fed by them is reloaded.
 */
export class BusReconnects {
  constructor(private readonly subscribe: (listener: () => void) => void = () => undefined) {}

  onReconnect(listener: () => void): void {
    this.subscribe(listener);
  }
}
