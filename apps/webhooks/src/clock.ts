/** The webhooks app's clock, injectable so unit tests fix time instead of sleeping. */
export class Clock {
  now(): number {
    return Date.now();
  }
}
