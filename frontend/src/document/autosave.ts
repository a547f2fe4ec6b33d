import type { DocumentStore } from "./store.js";
import type { AnnotationDocument } from "./types.js";

export type SaveFn = (version: number, annotations: AnnotationDocument) => Promise<{ version: number }>;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AutosaveOptions {
  /** Quiet time after the last edit before saving, ms. */
  delayMs?: number;
  /** Wait before retrying a transient failure (network, 5xx), ms. */
  retryMs?: number;
  timers?: Timers;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Saves the store's document after a quiet period and on demand (frame change),
 * one request at a time. A 409 stops autosaving until the user resolves the conflict;
 * a 400 waits for the next edit; network/5xx failures retry after `retryMs`.
 */
export class Autosaver {
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private flushAfterInFlight = false;
  private readonly delayMs: number;
  private readonly retryMs: number;
  private readonly timers: Timers;
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(
    private readonly store: DocumentStore,
    private readonly save: SaveFn,
    options: AutosaveOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 800;
    this.retryMs = options.retryMs ?? 5000;
    this.timers = options.timers ?? defaultTimers;
    this.unsubscribe = store.subscribe((event) => {
      if (event.type === "document" && event.reason !== "load") this.schedule(this.delayMs);
    });
  }

  /** Whether a save is in flight or scheduled. */
  get pending(): boolean {
    return this.inFlight !== null || this.timer !== null;
  }

  /** Saves now (or right after the request in flight). Resolves when that save has settled. */
  flush(): Promise<void> {
    this.cancelTimer();
    if (this.inFlight) {
      this.flushAfterInFlight = true;
      return this.inFlight;
    }
    const payload = this.store.beginSave();
    if (!payload) return Promise.resolve();
    this.inFlight = this.save(payload.version, payload.annotations)
      .then(
        (response) => this.store.saveSucceeded(payload, response.version),
        (error: unknown) => this.store.saveFailed(payload, error),
      )
      .finally(() => {
        this.inFlight = null;
        this.afterSettled();
      });
    return this.inFlight;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.unsubscribe();
  }

  private afterSettled(): void {
    if (this.disposed) return;
    const state = this.store.saveState;
    if (state.kind === "conflict") return;
    if (state.kind === "error") {
      if (state.retryable) this.schedule(this.retryMs);
      return;
    }
    const flushNow = this.flushAfterInFlight;
    this.flushAfterInFlight = false;
    if (this.store.dirty) {
      if (flushNow) void this.flush();
      else this.schedule(this.delayMs);
    }
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
