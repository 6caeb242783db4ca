// A clock the tests can move forward, so expiry rules (token TTLs, code lifetimes, scroll ids)
// are testable without sleeping. Only "what time is it" is shifted; real timers still run in real time.

export interface Clock {
  now(): number;
  /** Shift the sandbox's notion of now by ms (cumulative). */
  advance(ms: number): void;
  /** Current shift in ms; exposed so control endpoints can report it. */
  offset(): number;
  reset(): void;
}

export function createClock(base: () => number = Date.now): Clock {
  let shift = 0;
  return {
    now: () => base() + shift,
    advance(ms) {
      shift += ms;
    },
    offset: () => shift,
    reset() {
      shift = 0;
    },
  };
}
