/** A settable clock in epoch seconds: real time plus an offset that tests move. */
export class Clock {
  private offset = 0;

  now(): number {
    return Math.floor(Date.now() / 1000) + this.offset;
  }

  set(epochSeconds: number): void {
    this.offset = epochSeconds - Math.floor(Date.now() / 1000);
  }

  advance(seconds: number): void {
    this.offset += seconds;
  }

  reset(): void {
    this.offset = 0;
  }
}
