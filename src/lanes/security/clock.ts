/** Injected wherever validity is decided, so tests (and audits replaying an instant) control time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and for replaying decisions at a past instant. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string | number = '2030-01-01T00:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
  }

  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }

  advanceHours(hours: number): void {
    this.current += hours * 3_600_000;
  }
}
