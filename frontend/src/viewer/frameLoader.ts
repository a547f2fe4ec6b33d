/** The decoded frame type the viewport draws. */
export type FrameImage = ImageBitmap;

export interface FrameLoaderOptions {
  /** Parallel background downloads. */
  concurrency?: number;
  /**
   * Decoded frames kept in memory. Encoded JPEG/PNG bytes of every frame are kept (small);
   * decoded bitmaps (rows × columns × 4 bytes each) are kept only for the most recent ones.
   */
  decodedCapacity?: number;
  /**
   * Memory budget for decoded frames, in bytes (width × height × 4 per bitmap): a long
   * pullback of large frames keeps fewer decoded frames than `decodedCapacity` allows, so
   * memory stays bounded whatever the frame size. Default 384 MiB (96 frames of 1024²).
   */
  decodedBudgetBytes?: number;
  fetchImpl?: (url: string, init?: RequestInit) => Promise<Response>;
  decode?: (blob: Blob) => Promise<FrameImage>;
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

/** Splits a batched-frames body into per-frame blobs (format above). Throws on a malformed body. */
export function parseFrameBatch(buffer: ArrayBuffer, contentType: string): Map<number, Blob> {
  const view = new DataView(buffer);
  const out = new Map<number, Blob>();
  let offset = 0;
  while (offset < buffer.byteLength) {
    if (offset + 8 > buffer.byteLength) throw new Error("truncated frame batch header");
    const index = view.getUint32(offset);
    const length = view.getUint32(offset + 4);
    offset += 8;
    if (offset + length > buffer.byteLength) throw new Error("truncated frame batch body");
    out.set(index, new Blob([buffer.slice(offset, offset + length)], { type: contentType }));
    offset += length;
  }
  return out;
}

export class FrameLoadError extends Error {
  constructor(
    readonly frame: number,
    message: string,
  ) {
    super(message);
    this.name = "FrameLoadError";
  }
}

/** Expands "/api/v1/pullbacks/2/frames/{n}" for frame `n` (0-based). */
export function frameUrl(template: string, n: number): string {
  return template.split("{n}").join(String(n));
}

/**
 * Loads frames from the frame endpoint with an in-memory cache: the requested frame first,
 * then a background prefetch of the rest, nearest to the shown frame first, with limited
 * concurrency.
 */
export class FrameLoader {
  private readonly encoded = new Map<number, Blob>();
  private readonly decoded = new Map<number, FrameImage>();
  private readonly fetching = new Map<number, Promise<Blob>>();
  private readonly decoding = new Map<number, Promise<FrameImage>>();
  private readonly pending = new Set<number>();
  private readonly failed = new Set<number>();
  private focus = 0;
  private workers = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly capacity: number;
  private readonly budgetBytes: number;
  private decodedBytes = 0;
  private readonly fetchImpl: (url: string, init?: RequestInit) => Promise<Response>;
  private readonly decode: (blob: Blob) => Promise<FrameImage>;
  private batchTemplate: string | null;
  private readonly batchSize: number;
  /** Called once per frame when its bytes arrive (first time only). */
  onFrameCached: (n: number) => void = () => {};
  /** Called whenever the number of downloaded frames changes. */
  onProgress: (loaded: number, total: number, failed: number) => void = () => {};

  constructor(
    private readonly template: string,
    readonly frameCount: number,
    options: FrameLoaderOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 6);
    this.capacity = Math.max(4, options.decodedCapacity ?? 64);
    this.budgetBytes = Math.max(0, options.decodedBudgetBytes ?? 384 * 1024 * 1024);
    this.fetchImpl = options.fetchImpl ?? ((url, init) => fetch(url, init));
    this.decode = options.decode ?? ((blob) => createImageBitmap(blob));
    this.batchTemplate = options.batchUrlTemplate ?? null;
    this.batchSize = Math.max(1, options.batchSize ?? 32);
    this.concurrency = this.batchTemplate ? Math.min(this.concurrency, options.concurrency ?? 3) : this.concurrency;
  }

  /** The encoded bytes of frame `n` if downloaded. */
  encodedBlob(n: number): Blob | undefined {
    return this.encoded.get(n);
  }

  get isComplete(): boolean {
    return this.encoded.size >= this.frameCount;
  }

  get loadedCount(): number {
    return this.encoded.size;
  }

  /** The decoded frame if it is in memory now (for synchronous redraws). */
  peek(n: number): FrameImage | undefined {
    return this.decoded.get(n);
  }

  /** The decoded frame, downloading and decoding it if needed. */
  get(n: number): Promise<FrameImage> {
    const hit = this.decoded.get(n);
    if (hit) {
      this.touch(n, hit);
      return Promise.resolve(hit);
    }
    let job = this.decoding.get(n);
    if (!job) {
      job = this.blob(n)
        .then((blob) => this.decode(blob))
        .then((image) => {
          this.remember(n, image);
          return image;
        })
        .finally(() => this.decoding.delete(n));
      this.decoding.set(n, job);
    }
    return job;
  }

  /** Prefetch order follows the shown frame; also decodes its neighbours ahead of scrubbing. */
  setFocus(n: number): void {
    this.focus = n;
    for (const d of [1, -1, 2, -2]) {
      const m = n + d;
      if (m >= 0 && m < this.frameCount && this.encoded.has(m) && !this.decoded.has(m)) {
        this.get(m).catch(() => undefined);
      }
    }
  }

  /** Starts downloading every frame not yet cached in the background. */
  startPrefetch(): void {
    for (let n = 0; n < this.frameCount; n++) {
      if (!this.encoded.has(n)) this.pending.add(n);
    }
    while (this.workers < this.concurrency && this.pending.size > 0) {
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
      while (!this.stopped) {
        const n = this.nextPending();
        if (n === null) return;
        if (this.batchTemplate) {
          const run = this.takeRun(n);
          if (await this.fetchBatch(run)) continue;
          // The batch failed: put its frames back and continue one by one.
          for (const m of run) if (!this.encoded.has(m)) this.pending.add(m);
          continue;
        }
        try {
          await this.blob(n);
        } catch {
          // Shown again (with its reason) if the reader navigates to it.
        }
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
      }
    }
    if (best !== null) this.pending.delete(best);
    return best;
  }

  /** `n` plus the following pending frames (up to a batch), removed from the queue. */
  private takeRun(n: number): number[] {
    const run = [n];
    for (let m = n + 1; run.length < this.batchSize && this.pending.has(m); m++) {
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
    const url = template.split("{start}").join(String(start)).split("{count}").join(String(run.length));
    try {
      const response = await this.fetchImpl(url, { credentials: "same-origin" });
      const type = response.headers.get("X-Frame-Content-Type") ?? "";
      if (!response.ok || !type.startsWith("image/")) throw new Error(`HTTP ${response.status}`);
      const frames = parseFrameBatch(await response.arrayBuffer(), type);
      for (const [index, blob] of frames) {
        if (index < 0 || index >= this.frameCount || this.encoded.has(index)) continue;
        this.store(index, blob);
      }
      return true;
    } catch {
      this.batchTemplate = null;
      return false;
    }
  }

  private store(n: number, blob: Blob): void {
    this.encoded.set(n, blob);
    this.pending.delete(n);
    this.failed.delete(n);
    this.onFrameCached(n);
    this.onProgress(this.encoded.size, this.frameCount, this.failed.size);
  }

  private blob(n: number): Promise<Blob> {
    const cached = this.encoded.get(n);
    if (cached) return Promise.resolve(cached);
    let job = this.fetching.get(n);
    if (!job) {
      this.pending.delete(n);
      job = this.download(n).finally(() => this.fetching.delete(n));
      this.fetching.set(n, job);
    }
    return job;
  }

  private async download(n: number): Promise<Blob> {
    if (!Number.isInteger(n) || n < 0 || n >= this.frameCount) {
      throw new FrameLoadError(n, `frame ${n} is outside 0…${this.frameCount - 1}`);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(frameUrl(this.template, n), { credentials: "same-origin" });
    } catch (err) {
      this.markFailed(n);
      throw new FrameLoadError(n, `frame ${n}: network error (${err instanceof Error ? err.message : String(err)})`);
    }
    const type = response.headers.get("Content-Type") ?? "";
    if (!response.ok || !type.startsWith("image/")) {
      this.markFailed(n);
      throw new FrameLoadError(n, `frame ${n}: HTTP ${response.status}${type.startsWith("image/") ? "" : ` (${type || "no content type"})`}`);
    }
    const blob = await response.blob();
    if (!this.encoded.has(n)) this.store(n, blob);
    return this.encoded.get(n)!;
  }

  private markFailed(n: number): void {
    this.failed.add(n);
    this.onProgress(this.encoded.size, this.frameCount, this.failed.size);
  }

  /** Bytes held by the decoded frames in memory now (see `decodedBudgetBytes`). */
  get decodedByteCount(): number {
    return this.decodedBytes;
  }

  private touch(n: number, image: FrameImage): void {
    this.decoded.delete(n);
    this.decoded.set(n, image);
  }

  private remember(n: number, image: FrameImage): void {
    if (!this.decoded.has(n)) this.decodedBytes += bitmapBytes(image);
    this.touch(n, image);
    while (this.decoded.size > this.capacity || (this.decodedBytes > this.budgetBytes && this.decoded.size > 1)) {
      // Oldest first (Map keeps insertion order); never evict the shown frame. Bitmaps are
      // left to the garbage collector rather than close()d: the viewport may still draw one.
      const oldest = [...this.decoded.keys()].find((k) => k !== this.focus);
      if (oldest === undefined) break;
      this.decodedBytes -= bitmapBytes(this.decoded.get(oldest)!);
      this.decoded.delete(oldest);
    }
  }
}

/** Memory of one decoded frame: RGBA, 4 bytes per pixel (0 when the size is unknown). */
function bitmapBytes(image: FrameImage): number {
  const width = Number((image as { width?: number }).width ?? 0);
  const height = Number((image as { height?: number }).height ?? 0);
  return Number.isFinite(width * height) ? Math.max(0, width * height * 4) : 0;
}
