/**
 * The download side of the frame loader, the same code in the frame worker and (when no worker
 * can run) on the page's thread: the wanted frame first, then every other frame, nearest to the
 * shown frame first, with limited concurrency; one request per frame or batched requests.
 */

/** Expands "/api/v1/pullbacks/2/frames/{n}" for frame `n` (0-based). */
export function frameUrl(template: string, n: number): string {
  return template.split("{n}").join(String(n));
}

/**
 * Splits a batched-frames body into per-frame blobs (format below). Each frame is a slice of the
 * body's Blob, not a copy of its bytes: making a Blob of bytes copies them once more and hands
 * them to the browser, 40 ms of the frame worker's time per batch of 64 frames of 100 KB.
 * Rejects a malformed body.
 */
export async function parseFrameBatch(body: Blob, contentType: string): Promise<Map<number, Blob>> {
  const buffer = await body.arrayBuffer();
  const view = new DataView(buffer);
  const out = new Map<number, Blob>();
  let offset = 0;
  while (offset < buffer.byteLength) {
    if (offset + 8 > buffer.byteLength) throw new Error("truncated frame batch header");
    const index = view.getUint32(offset);
    const length = view.getUint32(offset + 4);
    offset += 8;
    if (offset + length > buffer.byteLength) throw new Error("truncated frame batch body");
    out.set(index, body.slice(offset, offset + length, contentType));
    offset += length;
  }
  return out;
}

export interface FrameStoreOptions {
  /** Parallel background downloads (a browser opens 6 connections per host over HTTP/1.1). */
  concurrency?: number;
  fetchImpl?: (url: string, init?: RequestInit) => Promise<Response>;
  /**
   * Batched frames endpoint with "{start}" and "{count}", e.g.
   * "/api/v1/pullbacks/2/frames/?start={start}&count={count}" (body: per frame a 4-byte
   * big-endian index, a 4-byte big-endian length, the bytes). Without it, or when a batch
   * fails, the background prefetch falls back to one request per frame.
   */
  batchUrlTemplate?: string | null;
  /** Frames per batch request (the server caps it; 64 by default there). */
  batchSize?: number;
}

/** Downloads frames; reports each frame's bytes (or why they failed) exactly once per attempt. */
export class FrameStore {
  private readonly stored = new Set<number>();
  private readonly fetching = new Set<number>();
  /** Wanted downloads in flight: they take a place of the background pool. */
  private wantedInFlight = 0;
  private readonly pending = new Set<number>();
  private focus = 0;
  private workers = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly fetchImpl: (url: string, init?: RequestInit) => Promise<Response>;
  private batchTemplate: string | null;
  private readonly batchSize: number;
  /** A frame's bytes arrived. */
  onStored: (n: number, blob: Blob) => void = () => {};
  /** A frame could not be downloaded (message for the reader). */
  onFailed: (n: number, message: string) => void = () => {};

  constructor(
    private readonly template: string,
    readonly frameCount: number,
    options: FrameStoreOptions = {},
  ) {
    this.batchTemplate = options.batchUrlTemplate ?? null;
    const concurrency = options.concurrency ?? 6;
    // A batch is megabytes: at most one per connection a browser opens to a host (6).
    this.concurrency = Math.max(1, this.batchTemplate ? Math.min(concurrency, 6) : concurrency);
    this.fetchImpl = options.fetchImpl ?? ((url, init) => fetch(url, init));
    this.batchSize = Math.max(1, options.batchSize ?? 64);
  }

  has(n: number): boolean {
    return this.stored.has(n);
  }

  /** Bytes obtained elsewhere (e.g. frame 0 fetched before the loader existed). */
  put(n: number, blob: Blob): void {
    if (n < 0 || n >= this.frameCount || this.stored.has(n)) return;
    this.store(n, blob);
  }

  /** Downloads frame `n` now, ahead of the background queue (no-op when stored or on its way). */
  want(n: number): void {
    if (this.stored.has(n) || this.fetching.has(n)) return;
    if (!Number.isInteger(n) || n < 0 || n >= this.frameCount) {
      this.onFailed(n, `frame ${n} is outside 0…${this.frameCount - 1}`);
      return;
    }
    this.wantedInFlight++;
    void this.download(n, "high").finally(() => {
      this.wantedInFlight--;
      this.pump();
    });
  }

  /** The background queue serves the frames nearest to `n` first. */
  setFocus(n: number): void {
    this.focus = n;
  }

  /** Starts downloading every frame not yet stored in the background. */
  start(): void {
    this.stopped = false;
    for (let n = 0; n < this.frameCount; n++) {
      if (!this.stored.has(n) && !this.fetching.has(n)) this.pending.add(n);
    }
    this.pump();
  }

  /** Background downloads on every place of the pool a wanted frame does not take. */
  private pump(): void {
    while (!this.stopped && this.workers + this.wantedInFlight < this.concurrency && this.pending.size > 0) {
      this.workers++;
      void this.worker();
    }
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  private async worker(): Promise<void> {
    try {
      while (!this.stopped && this.workers + this.wantedInFlight <= this.concurrency) {
        const n = this.nextPending();
        if (n === null) return;
        if (this.batchTemplate) {
          const run = this.takeRun(n);
          if (await this.fetchBatch(run)) continue;
          // The batch failed: put its frames back and continue one by one.
          for (const m of run) if (!this.stored.has(m)) this.pending.add(m);
          continue;
        }
        await this.download(n, "low");
      }
    } finally {
      this.workers--;
    }
  }

  private nextPending(): number | null {
    let best: number | null = null;
    let bestDistance = Infinity;
    for (const n of this.pending) {
      const d = Math.abs(n - this.focus);
      if (d < bestDistance) {
        best = n;
        bestDistance = d;
        if (d === 0) break;
      }
    }
    if (best !== null) this.pending.delete(best);
    return best;
  }

  /**
   * The whole aligned block of `batchSize` frames that holds `n` (it starts at a multiple of
   * `batchSize`), its pending frames removed from the queue. Every viewer asks for the same
   * blocks, so a reverse proxy can send each as a file; frames of the block held already
   * are skipped when it arrives.
   */
  private takeRun(n: number): number[] {
    const start = n - (n % this.batchSize);
    const run: number[] = [];
    for (let m = start; m < Math.min(start + this.batchSize, this.frameCount); m++) {
      this.pending.delete(m);
      run.push(m);
    }
    return run;
  }

  /** @returns false when the batch endpoint failed (batching is then switched off). */
  private async fetchBatch(run: number[]): Promise<boolean> {
    const template = this.batchTemplate;
    if (!template) return false;
    const start = run[0]!;
    const url = template.split("{start}").join(String(start)).split("{count}").join(String(this.batchSize));
    try {
      const response = await this.fetchImpl(url, { credentials: "same-origin", priority: "low" });
      const type = response.headers.get("X-Frame-Content-Type") ?? "";
      if (!response.ok || !type.startsWith("image/")) throw new Error(`HTTP ${response.status}`);
      const frames = await parseFrameBatch(await response.blob(), type);
      for (const [index, blob] of frames) {
        if (index < 0 || index >= this.frameCount || this.stored.has(index)) continue;
        this.store(index, blob);
      }
      return true;
    } catch {
      this.batchTemplate = null;
      return false;
    }
  }

  private store(n: number, blob: Blob): void {
    this.stored.add(n);
    this.pending.delete(n);
    this.onStored(n, blob);
  }

  /** `priority`: the browser serves a wanted frame before the background ones it holds back. */
  private async download(n: number, priority: RequestPriority): Promise<void> {
    if (this.stored.has(n) || this.fetching.has(n)) return;
    this.fetching.add(n);
    this.pending.delete(n);
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(frameUrl(this.template, n), { credentials: "same-origin", priority });
      } catch (err) {
        this.onFailed(n, `frame ${n}: network error (${err instanceof Error ? err.message : String(err)})`);
        return;
      }
      const type = response.headers.get("Content-Type") ?? "";
      if (!response.ok || !type.startsWith("image/")) {
        this.onFailed(n, `frame ${n}: HTTP ${response.status}${type.startsWith("image/") ? "" : ` (${type || "no content type"})`}`);
        return;
      }
      const blob = await response.blob();
      if (!this.stored.has(n)) this.store(n, blob);
    } catch (err) {
      this.onFailed(n, `frame ${n}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.fetching.delete(n);
    }
  }
}
