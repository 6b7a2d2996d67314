/** The gateway's clock, injectable so tests move time instead of sleeping. */
export class Clock {
  now(): number {
    return Date.now();
  }
}
