/** Messages between the page (frameLoader.ts) and the frame worker (frameWorker.ts). */
import type { DecodeKind, GreyFrame } from "./frameDecode.js";

export type PageMessage =
  | { t: "init"; template: string; frameCount: number; concurrency: number; batchUrlTemplate: string | null; batchSize: number }
  /** Download frame `n` ahead of the queue and send it at once. */
  | { t: "want"; n: number }
  /** Bytes the page already has (the worker must not download them again). */
  | { t: "put"; n: number; blob: Blob }
  | { t: "focus"; n: number }
  | { t: "start" }
  | { t: "stop" }
  | { t: "decode"; id: number; blob: Blob; kind: DecodeKind };

export type WorkerMessage =
  | { t: "ready" }
  /** Frames downloaded since the last message, and frames that failed (with the reason). */
  | { t: "frames"; frames: Array<[number, Blob]>; failed: Array<[number, string]> }
  | { t: "decoded"; id: number; bitmap?: ImageBitmap; grey?: GreyFrame; error?: string; unsupported?: boolean };
