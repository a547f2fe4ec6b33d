/**
 * The frame worker (a dedicated Web Worker, same origin, started by frameLoader.ts): downloads
 * the pullback's frames and decodes them off the page's thread, so neither the network nor the
 * JPEG decoder ever blocks input or painting. Frames reach the page in batches (one message per
 * ~16 ms, at once for a frame the page waits for); decoded frames are transferred, not copied.
 */
import { canDecode, decodeBitmap, decodeGrey, type DecodeKind } from "./frameDecode.js";
import { FrameStore, type FrameStoreOptions } from "./frameStore.js";
import type { PageMessage, WorkerMessage } from "./frameProtocol.js";

interface WorkerScope {
  onmessage: ((ev: MessageEvent<PageMessage>) => void) | null;
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

const BATCH_MS = 16;
let store: FrameStore | null = null;
const wanted = new Set<number>();
let frames: Array<[number, Blob]> = [];
let failed: Array<[number, string]> = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function flush(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  if (frames.length === 0 && failed.length === 0) return;
  scope.postMessage({ t: "frames", frames, failed });
  frames = [];
  failed = [];
}

function queue(n: number, now: boolean): void {
  if (now || wanted.has(n)) {
    wanted.delete(n);
    flush();
  } else flushTimer ??= setTimeout(flush, BATCH_MS);
}

async function decode(id: number, blob: Blob, kind: DecodeKind): Promise<void> {
  if (!canDecode(kind)) {
    scope.postMessage({ t: "decoded", id, unsupported: true });
    return;
  }
  try {
    if (kind === "bitmap") {
      const bitmap = await decodeBitmap(blob);
      scope.postMessage({ t: "decoded", id, bitmap }, [bitmap]);
    } else {
      const grey = await decodeGrey(blob);
      scope.postMessage({ t: "decoded", id, grey }, [grey.pixels.buffer]);
    }
  } catch (err) {
    scope.postMessage({ t: "decoded", id, error: err instanceof Error ? err.message : String(err) });
  }
}

scope.onmessage = (ev) => {
  const m = ev.data;
  switch (m.t) {
    case "init": {
      const options: FrameStoreOptions = { concurrency: m.concurrency, batchUrlTemplate: m.batchUrlTemplate, batchSize: m.batchSize };
      store = new FrameStore(m.template, m.frameCount, options);
      store.onStored = (n, blob) => {
        frames.push([n, blob]);
        queue(n, false);
      };
      store.onFailed = (n, message) => {
        failed.push([n, message]);
        queue(n, true);
      };
      return;
    }
    case "want":
      wanted.add(m.n);
      if (store?.has(m.n)) flush();
      else store?.want(m.n);
      return;
    case "put":
      store?.put(m.n, m.blob);
      return;
    case "focus":
      store?.setFocus(m.n);
      return;
    case "start":
      store?.start();
      return;
    case "stop":
      store?.stop();
      return;
    case "decode":
      void decode(m.id, m.blob, m.kind);
      return;
  }
};
scope.postMessage({ t: "ready" });
