import { canDecode, decodeBitmap, decodeGrey, type DecodeKind, type GreyFrame } from "./frameDecode.js";
import type { PageMessage, WorkerMessage } from "./frameProtocol.js";
import { FrameStore, frameUrl, type FrameStoreOptions } from "./frameStore.js";

export { frameUrl, parseFrameBatch } from "./frameStore.js";
export type { GreyFrame } from "./frameDecode.js";

/** The decoded frame type the canvas viewport draws. */
export type FrameImage = ImageBitmap;

/** What the loader needs of a Worker (a fake one in tests). */
export interface WorkerLike {
  postMessage(message: PageMessage, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (ev: MessageEvent<WorkerMessage>) => void): void;
  addEventListener(type: "error" | "messageerror", listener: (ev: Event) => void): void;
  terminate(): void;
}

export interface FrameLoaderOptions extends FrameStoreOptions {
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
  /** Frames decoded ahead of the scrubbing direction (and a third as many behind). Default 8. */
  decodeAhead?: number;
  /** Look-ahead decodes at once (the shown frame never waits for them). Default 2. */
  decodeConcurrency?: number;
  /** Decoder of this thread (tests); default createImageBitmap. */
  decode?: (blob: Blob) => Promise<FrameImage>;
  decodeGrey?: (blob: Blob) => Promise<GreyFrame>;
  /**
   * Where downloads and decodes run: a factory of the frame worker, or null for this thread.
   * Default: the frame worker when the browser has Workers and no `fetchImpl`/`decode` is
   * given; this thread otherwise, and whenever the worker fails to start.
   */
  worker?: (() => WorkerLike | null) | null;
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

/** Frames delivered (batched) by a backend: bytes, and failures with their reason. */
type Sink = (frames: ReadonlyArray<readonly [number, Blob]>, failed: ReadonlyArray<readonly [number, string]>) => void;

/** Where downloading and decoding happen. */
interface Backend {
  readonly kind: "worker" | "main";
  want(n: number): void;
  put(n: number, blob: Blob): void;
  focus(n: number): void;
  start(): void;
  stop(): void;
  decode(blob: Blob, kind: DecodeKind): Promise<ImageBitmap | GreyFrame>;
}

/** Frames reach the page at most once per this many ms (a wanted frame or a failure at once). */
const BATCH_MS = 16;

/** On this thread: the same FrameStore the worker runs, its arrivals batched alike. */
class LocalBackend implements Backend {
  readonly kind = "main";
  private readonly store: FrameStore;
  private readonly wanted = new Set<number>();
  private frames: Array<[number, Blob]> = [];
  private failed: Array<[number, string]> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    template: string,
    frameCount: number,
    options: FrameStoreOptions,
    private readonly sink: Sink,
    private readonly local: (blob: Blob, kind: DecodeKind) => Promise<ImageBitmap | GreyFrame>,
  ) {
    this.store = new FrameStore(template, frameCount, options);
    this.store.onStored = (n, blob) => {
      this.frames.push([n, blob]);
      this.queue(n, false);
    };
    this.store.onFailed = (n, message) => {
      this.failed.push([n, message]);
      this.queue(n, true);
    };
  }

  private queue(n: number, now: boolean): void {
    if (now || this.wanted.delete(n)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const [frames, failed] = [this.frames, this.failed];
    this.frames = [];
    this.failed = [];
    if (frames.length || failed.length) this.sink(frames, failed);
  }

  want(n: number): void {
    this.wanted.add(n);
    this.store.want(n);
  }

  put(n: number, blob: Blob): void {
    this.store.put(n, blob);
  }

  focus(n: number): void {
    this.store.setFocus(n);
  }

  start(): void {
    this.store.start();
  }

  stop(): void {
    this.store.stop();
  }

  decode(blob: Blob, kind: DecodeKind): Promise<ImageBitmap | GreyFrame> {
    return this.local(blob, kind);
  }
}

/** The worker is gone (failed to start, crashed): the loader carries on on this thread. */
class WorkerLost extends Error {}

/** In the frame worker (frameWorker.ts): downloads and decodes never touch this thread. */
class WorkerBackend implements Backend {
  readonly kind = "worker";
  private readonly jobs = new Map<number, { resolve: (v: ImageBitmap | GreyFrame) => void; reject: (e: unknown) => void; blob: Blob; kind: DecodeKind }>();
  private nextId = 1;
  private lost = false;
  /** Until the worker's script has loaded, decodes run here (the first frame never waits). */
  private ready = false;

  constructor(
    private readonly worker: WorkerLike,
    init: PageMessage,
    sink: Sink,
    private readonly local: (blob: Blob, kind: DecodeKind) => Promise<ImageBitmap | GreyFrame>,
    private readonly onLost: () => void,
  ) {
    worker.addEventListener("message", (ev) => {
      const m = ev.data;
      if (m.t === "frames") sink(m.frames, m.failed);
      else if (m.t === "decoded") this.decoded(m);
      else if (m.t === "ready") this.ready = true;
    });
    const fail = () => this.fail();
    worker.addEventListener("error", fail);
    worker.addEventListener("messageerror", fail);
    this.post(init);
  }

  private post(message: PageMessage): void {
    if (this.lost) return;
    try {
      this.worker.postMessage(message);
    } catch {
      this.fail();
    }
  }

  private decoded(m: Extract<WorkerMessage, { t: "decoded" }>): void {
    const job = this.jobs.get(m.id);
    if (!job) return;
    this.jobs.delete(m.id);
    // The worker cannot decode this kind (no OffscreenCanvas there): this thread does.
    if (m.unsupported) this.local(job.blob, job.kind).then(job.resolve, job.reject);
    else if (m.bitmap) job.resolve(m.bitmap);
    else if (m.grey) job.resolve(m.grey);
    else job.reject(new Error(m.error ?? "decode failed"));
  }

  private fail(): void {
    if (this.lost) return;
    this.lost = true;
    this.worker.terminate();
    for (const job of this.jobs.values()) job.reject(new WorkerLost());
    this.jobs.clear();
    this.onLost();
  }

  want(n: number): void {
    this.post({ t: "want", n });
  }

  put(n: number, blob: Blob): void {
    this.post({ t: "put", n, blob });
  }

  focus(n: number): void {
    this.post({ t: "focus", n });
  }

  start(): void {
    this.post({ t: "start" });
  }

  stop(): void {
    this.post({ t: "stop" });
  }

  decode(blob: Blob, kind: DecodeKind): Promise<ImageBitmap | GreyFrame> {
    if (this.lost) return Promise.reject(new WorkerLost());
    if (!this.ready) return this.local(blob, kind);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.jobs.set(id, { resolve, reject, blob, kind });
      this.post({ t: "decode", id, blob, kind });
    });
  }
}

function startFrameWorker(): WorkerLike | null {
  if (typeof Worker === "undefined") return null;
  return new Worker(new URL("./frameWorker.ts", import.meta.url), { type: "module", name: "corelab-frames" });
}

function decodeHere(blob: Blob, kind: DecodeKind): Promise<ImageBitmap | GreyFrame> {
  if (!canDecode(kind)) return Promise.reject(new Error(`this browser cannot decode frames (${kind})`));
  return kind === "bitmap" ? decodeBitmap(blob) : decodeGrey(blob);
}

/**
 * Loads frames with an in-memory cache: the requested frame first, then a background download
 * of the rest, nearest to the shown frame first; every frame's encoded bytes are kept (so any
 * frame shows without the network), decoded frames only around the cursor within a memory
 * budget, decoded ahead of the scrubbing direction. Downloads and decodes run in the frame
 * worker when the browser can, else on this thread (same code, same order).
 */
export class FrameLoader {
  private readonly encoded = new Map<number, Blob>();
  private readonly decoded = new Map<number, FrameImage>();
  private readonly decoding = new Map<number, Promise<FrameImage>>();
  private readonly waiters = new Map<number, Array<{ resolve: (b: Blob) => void; reject: (e: unknown) => void }>>();
  private readonly failed = new Set<number>();
  /** Frames fetched elsewhere, on their way (see `adopt`). */
  private readonly adopting = new Map<number, Promise<Blob | null>>();
  private focus = 0;
  private direction = 1;
  private started = false;
  private aheadActive = 0;
  private readonly capacity: number;
  private readonly budgetBytes: number;
  private decodedBytes = 0;
  /** Bytes of the last decoded frame (sizes the look-ahead to the budget). */
  private frameBytes = 0;
  private readonly ahead: number;
  private readonly decodeConcurrency: number;
  private readonly local: (blob: Blob, kind: DecodeKind) => Promise<ImageBitmap | GreyFrame>;
  private backend: Backend;
  /** Frames decoded ahead of the cursor as bitmaps (off for viewports with their own cache). */
  decodeAheadEnabled = true;
  /** Called once per frame when its bytes arrive (first time only), in batches. */
  onFrameCached: (n: number) => void = () => {};
  /** Called when the number of downloaded or failed frames changed (once per batch). */
  onProgress: (loaded: number, total: number, failed: number) => void = () => {};
  /** Resolves once every frame's encoded bytes are in memory (never, if one keeps failing). */
  readonly complete: Promise<void>;
  private onComplete: () => void = () => {};

  constructor(
    private readonly template: string,
    readonly frameCount: number,
    private readonly options: FrameLoaderOptions = {},
  ) {
    this.capacity = Math.max(4, options.decodedCapacity ?? 64);
    this.budgetBytes = Math.max(0, options.decodedBudgetBytes ?? 384 * 1024 * 1024);
    this.ahead = Math.max(0, options.decodeAhead ?? 8);
    this.decodeConcurrency = Math.max(1, options.decodeConcurrency ?? 2);
    const { decode, decodeGrey: grey } = options;
    this.local = (blob, kind) => (kind === "bitmap" && decode ? decode(blob) : kind === "grey" && grey ? grey(blob) : decodeHere(blob, kind));
    const injected = options.fetchImpl !== undefined || decode !== undefined;
    const factory = options.worker === undefined ? (injected ? null : startFrameWorker) : options.worker;
    this.complete = new Promise<void>((resolve) => (this.onComplete = resolve));
    this.backend = this.workerBackend(factory) ?? this.localBackend();
  }

  private localBackend(): Backend {
    return new LocalBackend(this.template, this.frameCount, this.options, this.sink, this.local);
  }

  private workerBackend(factory: (() => WorkerLike | null) | null): Backend | null {
    if (!factory) return null;
    let worker: WorkerLike | null;
    try {
      worker = factory();
    } catch (err) {
      console.warn("viewer: frame worker unavailable, loading frames on the page's thread:", err);
      return null;
    }
    if (!worker) return null;
    const o = this.options;
    const init: PageMessage = {
      t: "init",
      template: this.template,
      frameCount: this.frameCount,
      concurrency: o.concurrency ?? 6,
      batchUrlTemplate: o.batchUrlTemplate ?? null,
      batchSize: o.batchSize ?? 64,
    };
    return new WorkerBackend(worker, init, this.sink, this.local, () => this.workerLost());
  }

  /** The worker failed: the same work continues here, without downloading a frame twice. */
  private workerLost(): void {
    console.warn("viewer: the frame worker failed; loading frames on the page's thread");
    this.backend = this.localBackend();
    for (const [n, blob] of this.encoded) this.backend.put(n, blob);
    this.backend.focus(this.focus);
    if (this.started) this.backend.start();
    for (const n of this.waiters.keys()) this.backend.want(n);
  }

  /** "worker" or "main": where frames are downloaded and decoded. */
  get decoderKind(): string {
    return this.backend.kind;
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

  /**
   * Bytes of frame `n` obtained elsewhere (frame 0 fetched while the page was still loading the
   * read): not downloaded again. A promise resolving to null means "download it after all".
   */
  adopt(n: number, source: Blob | Promise<Blob | null>): void {
    if (n < 0 || n >= this.frameCount || this.encoded.has(n)) return;
    if (source instanceof Promise) {
      this.adopting.set(n, source);
      const settle = (blob: Blob | null) => {
        this.adopting.delete(n);
        if (blob) this.adopt(n, blob);
        else if (this.waiters.has(n)) this.backend.want(n);
      };
      source.then(settle, () => settle(null));
      return;
    }
    this.backend.put(n, source);
    this.sink([[n, source]], []);
  }

  /** A decoded frame obtained elsewhere (frame 0, decoded while the page loaded the read). */
  adoptDecoded(n: number, image: FrameImage): void {
    if (n >= 0 && n < this.frameCount && !this.decoded.has(n)) this.remember(n, image);
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
        .then((blob) => this.decode(blob, "bitmap") as Promise<FrameImage>)
        .then((image) => {
          this.remember(n, image);
          return image;
        })
        .finally(() => this.decoding.delete(n));
      this.decoding.set(n, job);
    }
    return job;
  }

  /** Grey levels of frame `n` (for a viewport with its own image cache; not kept here). */
  grey(n: number): Promise<GreyFrame> {
    return this.blob(n).then((blob) => this.decode(blob, "grey") as Promise<GreyFrame>);
  }

  private decode(blob: Blob, kind: DecodeKind): Promise<ImageBitmap | GreyFrame> {
    return this.backend.decode(blob, kind).catch((err: unknown) => {
      if (err instanceof WorkerLost) return this.backend.decode(blob, kind);
      throw err;
    });
  }

  /** The encoded bytes of frame `n`, downloaded first when needed. */
  blob(n: number): Promise<Blob> {
    const cached = this.encoded.get(n);
    if (cached) return Promise.resolve(cached);
    if (!Number.isInteger(n) || n < 0 || n >= this.frameCount) {
      return Promise.reject(new FrameLoadError(n, `frame ${n} is outside 0…${this.frameCount - 1}`));
    }
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(n);
      if (list) list.push({ resolve, reject });
      else {
        this.waiters.set(n, [{ resolve, reject }]);
        if (!this.adopting.has(n)) this.backend.want(n);
      }
    });
  }

  /** Prefetch order follows the shown frame; neighbours are decoded ahead of scrubbing. */
  setFocus(n: number): void {
    if (n !== this.focus) this.direction = n > this.focus ? 1 : -1;
    this.focus = n;
    this.backend.focus(n);
    this.pumpDecodes();
  }

  /** Starts downloading every frame not yet cached in the background. */
  startPrefetch(): void {
    this.started = true;
    this.backend.start();
  }

  stop(): void {
    this.started = false;
    this.backend.stop();
  }

  /** Frames to have decoded around the cursor: ahead of the scrubbing direction first. */
  lookAhead(): number[] {
    const fit = this.frameBytes > 0 ? Math.floor(this.budgetBytes / this.frameBytes) : this.capacity;
    const size = Math.max(0, Math.min(this.ahead + Math.ceil(this.ahead / 3), this.capacity, fit) - 1);
    const behind = Math.min(Math.ceil(this.ahead / 3), Math.floor(size / 4));
    const out: number[] = [];
    for (let i = 1; out.length < size && i <= size; i++) {
      const next = this.focus + this.direction * i;
      const prev = this.focus - this.direction * i;
      if (next >= 0 && next < this.frameCount) out.push(next);
      if (i <= behind && out.length < size && prev >= 0 && prev < this.frameCount) out.push(prev);
    }
    return out;
  }

  private pumpDecodes(): void {
    if (!this.decodeAheadEnabled || this.ahead === 0) return;
    while (this.aheadActive < this.decodeConcurrency) {
      const n = this.lookAhead().find((m) => this.encoded.has(m) && !this.decoded.has(m) && !this.decoding.has(m));
      if (n === undefined) return;
      this.aheadActive++;
      this.get(n)
        .catch(() => undefined)
        .finally(() => {
          this.aheadActive--;
          this.pumpDecodes();
        });
    }
  }

  private readonly sink: Sink = (frames, failed) => {
    for (const [n, blob] of frames) {
      if (this.encoded.has(n)) continue;
      this.encoded.set(n, blob);
      this.failed.delete(n);
      const list = this.waiters.get(n);
      this.waiters.delete(n);
      for (const w of list ?? []) w.resolve(blob);
      this.onFrameCached(n);
    }
    for (const [n, message] of failed) {
      if (this.encoded.has(n)) continue;
      this.failed.add(n);
      const list = this.waiters.get(n);
      this.waiters.delete(n);
      for (const w of list ?? []) w.reject(new FrameLoadError(n, message));
    }
    if (this.isComplete) this.onComplete();
    this.onProgress(this.encoded.size, this.frameCount, this.failed.size);
    this.pumpDecodes();
  };

  /** Bytes held by the decoded frames in memory now (see `decodedBudgetBytes`). */
  get decodedByteCount(): number {
    return this.decodedBytes;
  }

  private touch(n: number, image: FrameImage): void {
    this.decoded.delete(n);
    this.decoded.set(n, image);
  }

  private remember(n: number, image: FrameImage): void {
    const bytes = bitmapBytes(image);
    if (bytes > 0) this.frameBytes = bytes;
    if (!this.decoded.has(n)) this.decodedBytes += bytes;
    this.touch(n, image);
    while (this.decoded.size > this.capacity || (this.decodedBytes > this.budgetBytes && this.decoded.size > 1)) {
      // Least recently used first (Map keeps insertion order); never the shown frame. Bitmaps
      // are left to the garbage collector rather than close()d: the viewport may still draw one.
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

/**
 * Frame 0's bytes, fetched early (before the read and the pullback have loaded, and before the
 * frame worker has started): handed to the loader with `adopt(0, …)`. Null on any failure (the
 * loader then downloads it and reports the reason). The request waits for `after` to settle: the
 * page's poster of frame 0, whose bytes then answer it from the HTTP cache.
 */
export async function fetchFirstFrame(
  template: string,
  fetchImpl: typeof fetch = (url, init) => fetch(url, init),
  after: Promise<unknown> = Promise.resolve(),
): Promise<Blob | null> {
  await after.catch(() => undefined);
  try {
    const response = await fetchImpl(frameUrl(template, 0), { credentials: "same-origin" });
    const type = response.headers.get("Content-Type") ?? "";
    return response.ok && type.startsWith("image/") ? await response.blob() : null;
  } catch {
    return null;
  }
}
