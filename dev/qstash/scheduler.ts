/** setTimeout fires immediately for delays above this (about 24.8 days), so longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One pending timer per key, so a message can be rescheduled or cancelled by id. */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  at(key: string, atMs: number, run: () => void): void {
    this.cancel(key);
    const wait = Math.max(0, atMs - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        if (wait > MAX_TIMER_MS) this.at(key, atMs, run);
        else run();
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timers.set(key, timer);
  }

  cancel(key: string): boolean {
    const timer = this.timers.get(key);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(key);
    return true;
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
