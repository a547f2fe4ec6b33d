import type { Timers } from "../src/document/autosave.js";

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Manual timers for the autosaver: nothing fires until `advance`. */
export class FakeTimers implements Timers {
  now = 0;
  private nextId = 1;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }

  get pendingCount(): number {
    return this.queue.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let nextId: number | null = null;
      let nextAt = Infinity;
      for (const [id, t] of this.queue) {
        if (t.at <= until && t.at < nextAt) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId === null) break;
      const timer = this.queue.get(nextId)!;
      this.queue.delete(nextId);
      this.now = timer.at;
      timer.fn();
    }
    this.now = until;
  }
}

/** A promise whose settlement the test controls. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
