import {
  Enums,
  RenderingEngine,
  cache,
  imageLoader,
  init,
  isCornerstoneInitialized,
  metaData,
  setUseCPURendering,
  utilities,
  type Types,
} from "@cornerstonejs/core";
import type { PointPx } from "../../geometry/types.js";
import type { FrameLoader } from "../../viewer/frameLoader.js";
import type { PointScreen } from "../transform.js";
import type { ViewportAdapter } from "../viewport.js";
import { nextTask } from "./load.js";

/** Image ids look like "corelab:<pullback>:<frame>"; nothing else reaches Cornerstone. */
const SCHEME = "corelab";

export interface CornerstonePullback {
  id: number;
  rows: number;
  columns: number;
  n_frames: number;
  /** [row, column] mm per pixel, or null: then the viewport runs in pixels (1 mm = 1 px). */
  pixel_spacing_mm: readonly [number, number] | null;
  frame_spacing_mm: number | null;
}

function imageId(pullback: number, frame: number): string {
  return `${SCHEME}:${pullback}:${frame}`;
}

function parseImageId(id: string): { pullback: number; frame: number } | null {
  const [scheme, p, f] = id.split(":");
  if (scheme !== SCHEME || p === undefined || f === undefined) return null;
  return { pullback: Number(p), frame: Number(f) };
}

let initialised: Promise<void> | null = null;
/** Rendering engines need unique ids; two viewports may be created within one millisecond. */
let engineCount = 0;

/**
 * Cornerstone's CPU path (canvas 2D) when WebGL is a software rasteriser (SwiftShader, as in
 * headless Chromium with --disable-gpu) or missing: measured faster there (README, benchmark).
 * `?render=gpu` / `?render=cpu` override the guess.
 */
function useCpuRendering(): boolean {
  const forced = new URLSearchParams(window.location.search).get("render");
  if (forced === "cpu") return true;
  if (forced === "gpu") return false;
  const gl = document.createElement("canvas").getContext("webgl2");
  if (!gl) return true;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(renderer);
}

/**
 * Starts Cornerstone. For the GPU path, init() probes the GPU's texture formats (WebGL
 * contexts, shaders, read-backs); the CPU path needs none of that, and on a software rasteriser
 * the probe is 0.06–0.1 s of main thread in one call: setUseCPURendering(true) is Cornerstone's
 * own switch to the CPU path, and starts it without the probe. Should a version need init()
 * after all, it is called.
 */
function startCornerstone(cpu: boolean): void {
  if (cpu) setUseCPURendering(true, false);
  if (!isCornerstoneInitialized()) {
    // init() returned a promise in earlier majors; its result is not needed here.
    init({ rendering: { useCPURendering: cpu }, debug: {} });
  }
}

/** Whether the running viewport renders on the CPU (for the status line and the benchmark). */
export let cpuRendering = false;
const registered = new Map<number, { loader: FrameLoader; pullback: CornerstonePullback }>();

/**
 * Cornerstone image loader fed by our FrameLoader (per-frame JPEG endpoint + background prefetch,
 * one cache of encoded bytes): no DICOM codec in the browser, no second download.
 */
function loadImage(id: string): Types.IImageLoadObject {
  const parsed = parseImageId(id);
  const entry = parsed ? registered.get(parsed.pullback) : undefined;
  if (!parsed || !entry) return { promise: Promise.reject(new Error(`unknown image id ${id}`)) };
  const { loader, pullback } = entry;
  // Decoded to grey levels in the frame worker (transferred, not copied): no pixel work here.
  const promise = loader.grey(parsed.frame).then(({ pixels }) => {
    const [rowMm, colMm] = pullback.pixel_spacing_mm ?? [1, 1];
    const image = {
      imageId: id,
      minPixelValue: 0,
      maxPixelValue: 255,
      slope: 1,
      intercept: 0,
      windowCenter: 127.5,
      windowWidth: 256,
      voiLUTFunction: Enums.VOILUTFunctionType.LINEAR,
      getPixelData: () => pixels,
      getCanvas: () => {
        throw new Error("getCanvas is not used by the GPU path");
      },
      rows: pullback.rows,
      columns: pullback.columns,
      height: pullback.rows,
      width: pullback.columns,
      color: false,
      rgba: false,
      numberOfComponents: 1,
      columnPixelSpacing: colMm,
      rowPixelSpacing: rowMm,
      invert: false,
      photometricInterpretation: "MONOCHROME2",
      sizeInBytes: pixels.byteLength,
      dataType: "Uint8Array",
      // ensureVoxelManager (imageLoader) deletes imageFrame.pixelData: it must exist.
      imageFrame: {},
    };
    return image as unknown as Types.IImage;
  });
  return { promise: promise };
}

/**
 * Metadata from the pullback row only (SPEC §3 calibration from the server): pixel spacing is
 * ours, never Cornerstone's guess. Frames are stacked along z at the frame spacing.
 */
function provider(type: string, id: string): unknown {
  const parsed = parseImageId(id);
  const entry = parsed ? registered.get(parsed.pullback) : undefined;
  if (!parsed || !entry) return undefined;
  const p = entry.pullback;
  const [rowMm, colMm] = p.pixel_spacing_mm ?? [1, 1];
  switch (type) {
    case "imagePixelModule":
      return {
        samplesPerPixel: 1,
        photometricInterpretation: "MONOCHROME2",
        rows: p.rows,
        columns: p.columns,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        pixelRepresentation: 0,
      };
    case "imagePlaneModule":
      return {
        frameOfReferenceUID: `corelab-${p.id}`,
        rows: p.rows,
        columns: p.columns,
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        rowCosines: [1, 0, 0],
        columnCosines: [0, 1, 0],
        imagePositionPatient: [0, 0, parsed.frame * (p.frame_spacing_mm ?? 1)],
        pixelSpacing: [rowMm, colMm],
        rowPixelSpacing: rowMm,
        columnPixelSpacing: colMm,
        sliceThickness: p.frame_spacing_mm ?? 1,
        usingDefaultValues: p.pixel_spacing_mm === null,
      };
    case "calibratedPixelSpacing":
      return p.pixel_spacing_mm ? { rowPixelSpacing: rowMm, columnPixelSpacing: colMm, type: "User" } : undefined;
    case "generalSeriesModule":
      return { modality: "IVOCT", seriesInstanceUID: `corelab-${p.id}` };
    case "voiLutModule":
      return { windowCenter: [127.5], windowWidth: [256] };
    case "modalityLutModule":
      return { rescaleSlope: 1, rescaleIntercept: 0 };
    default:
      return undefined;
  }
}

/**
 * Cross-section viewport drawn by Cornerstone3D (a StackViewport, WebGL), behind our
 * ViewportAdapter: frames come through a custom image loader from our FrameLoader, calibration
 * through our metadata provider, and the annotation overlay stays our canvas on top (tools edit
 * the SPEC §4 document, never Cornerstone annotation state). Image ⇄ screen goes through
 * `utilities.imageToWorldCoords` / `worldToImageCoords` and the viewport's canvas ⇄ world.
 */
export class CornerstoneViewport implements ViewportAdapter {
  readonly kind: string = "cornerstone";
  readonly element: HTMLDivElement;
  readonly overlayCanvas: HTMLCanvasElement;
  drawOverlay: (g: CanvasRenderingContext2D) => void = () => {};
  onFramePainted: (frame: number) => void = () => {};
  paintedFrame = -1;
  private readonly engine: RenderingEngine;
  private readonly viewport: Types.IStackViewport;
  private readonly imageIds: string[];
  private readonly csElement: HTMLDivElement;
  private readonly resizeObserver: ResizeObserver;
  private frame = 0;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private overlayRequested = false;
  /** Frame 0 is in the viewport: renders from then on show a frame. */
  private stackSet = false;

  /**
   * Starts Cornerstone and shows frame 0, in steps of one main-thread task each (our WebGL check;
   * Cornerstone's start; the rendering engine and the stack; the first render), so none is a
   * long task; it resolves a task after the first render, so the page's own start-up work does
   * not join it.
   */
  static async create(parent: HTMLElement, pullback: CornerstonePullback, loader: FrameLoader): Promise<CornerstoneViewport> {
    initialised ??= (async () => {
      performance.mark("viewer:cs-gl-check");
      cpuRendering = useCpuRendering();
      await nextTask();
      performance.mark("viewer:cs-init");
      startCornerstone(cpuRendering);
      imageLoader.registerImageLoader(SCHEME, loadImage);
      metaData.addProvider(provider, 10000);
      // Decoded grey frames are rows × columns bytes; keep a whole pullback when it fits in 1 GB.
      cache.setMaxCacheSize(Math.max(cache.getMaxCacheSize(), 1024 * 1024 * 1024));
      await nextTask();
    })();
    await initialised;
    performance.mark("viewer:cs-ready");
    registered.set(pullback.id, { loader, pullback });
    // Cornerstone keeps its own decoded-image cache (warmUp): no RGBA look-ahead in the loader.
    loader.decodeAheadEnabled = false;
    performance.mark("viewer:cs-engine");
    const view = new CornerstoneViewport(parent, pullback);
    Object.defineProperty(view, "kind", { value: cpuRendering ? "cornerstone-cpu" : "cornerstone-webgl" });
    await view.viewport.setStack(view.imageIds, 0);
    view.stackSet = true;
    // (Renders before the stack is set, e.g. on the first resize, draw the background only.)
    const rendered = new Promise<void>((resolve) => view.csElement.addEventListener(Enums.Events.IMAGE_RENDERED, () => resolve(), { once: true }));
    view.viewport.render();
    await rendered;
    performance.mark("viewer:cs-rendered");
    await nextTask();
    return view;
  }

  private constructor(
    parent: HTMLElement,
    private readonly pullback: CornerstonePullback,
  ) {
    this.element = document.createElement("div");
    this.element.className = "vw-viewport";
    this.csElement = document.createElement("div");
    this.csElement.className = "vw-cornerstone";
    this.csElement.setAttribute("aria-hidden", "true");
    this.csElement.addEventListener("contextmenu", (ev) => ev.preventDefault());
    this.overlayCanvas = document.createElement("canvas");
    this.overlayCanvas.className = "vw-overlay";
    this.overlayCanvas.tabIndex = 0;
    this.overlayCanvas.setAttribute("role", "img");
    this.overlayCanvas.setAttribute("aria-label", "OCT frame viewer");
    this.element.append(this.csElement, this.overlayCanvas);
    parent.append(this.element);
    this.imageIds = Array.from({ length: pullback.n_frames }, (_, n) => imageId(pullback.id, n));
    this.engine = new RenderingEngine(`corelab-${pullback.id}-${Date.now()}-${++engineCount}`);
    this.engine.enableElement({
      viewportId: "cross-section",
      type: Enums.ViewportType.STACK,
      element: this.csElement,
      defaultOptions: { background: [0, 0, 0] as Types.Point3 },
    });
    this.viewport = this.engine.getViewport<Types.IStackViewport>("cross-section");
    this.csElement.addEventListener(Enums.Events.IMAGE_RENDERED, () => {
      if (this.stackSet) {
        const index = this.viewport.getCurrentImageIdIndex();
        this.paintedFrame = index;
        this.onFramePainted(index);
      }
      this.renderOverlay();
    });
    this.csElement.addEventListener(Enums.Events.CAMERA_MODIFIED, () => this.requestRender());
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.element);
    this.resize();
  }

  private currentImageId(): string {
    return this.imageIds[this.frame]!;
  }

  screenToImage(p: PointScreen): [number, number] {
    const world = this.viewport.canvasToWorld([p[0], p[1]]);
    const image = utilities.worldToImageCoords(this.currentImageId(), world);
    return image ? [image[0], image[1]] : [Number.NaN, Number.NaN];
  }

  imageToScreen(p: PointPx): [number, number] {
    const world = utilities.imageToWorldCoords(this.currentImageId(), [p[0], p[1]]);
    if (!world) return [Number.NaN, Number.NaN];
    const canvas = this.viewport.worldToCanvas(world);
    return [canvas[0], canvas[1]];
  }

  containsImagePoint(p: PointPx): boolean {
    return p[0] >= 0 && p[1] >= 0 && p[0] < this.pullback.columns && p[1] < this.pullback.rows;
  }

  /**
   * Cornerstone supersedes a pending load itself (as its StackScrollTool relies on), so every
   * request goes straight through; the render happens on Cornerstone's next animation frame.
   */
  showFrame(n: number): void {
    this.frame = n;
    this.viewport.setImageIdIndex(n).catch((err: unknown) => console.warn(`viewer: frame ${n} failed`, err));
  }

  /**
   * Loads every frame into Cornerstone's image cache (decoded grey pixels), nearest to the shown
   * frame first, two at a time, so scrubbing never waits for a decode.
   */
  async warmUp(current: () => number): Promise<void> {
    const left = new Set(this.imageIds.keys());
    const worker = async (): Promise<void> => {
      while (left.size > 0) {
        const focus = current();
        let best = -1;
        let bestDistance = Infinity;
        for (const n of left) {
          const d = Math.abs(n - focus);
          if (d < bestDistance) {
            best = n;
            bestDistance = d;
          }
        }
        left.delete(best);
        try {
          await imageLoader.loadAndCacheImage(this.imageIds[best]!);
        } catch {
          // Shown with its reason if the reader goes to that frame.
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }

  zoom(factor: number, anchor?: PointScreen): void {
    const camera = this.viewport.getCamera();
    if (!camera.parallelScale || !camera.focalPoint || !camera.position) return;
    const at: Types.Point2 = anchor ? [anchor[0], anchor[1]] : [this.width / 2, this.height / 2];
    const before = this.viewport.canvasToWorld(at);
    this.viewport.setCamera({ parallelScale: camera.parallelScale / factor });
    const after = this.viewport.canvasToWorld(at);
    this.shiftCamera([before[0] - after[0], before[1] - after[1], 0]);
  }

  pan(dx: number, dy: number): void {
    const a = this.viewport.canvasToWorld([0, 0]);
    const b = this.viewport.canvasToWorld([dx, dy]);
    this.shiftCamera([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
  }

  private shiftCamera(d: Types.Point3): void {
    const { focalPoint, position } = this.viewport.getCamera();
    if (!focalPoint || !position) return;
    this.viewport.setCamera({
      focalPoint: [focalPoint[0] + d[0], focalPoint[1] + d[1], focalPoint[2] + d[2]],
      position: [position[0] + d[0], position[1] + d[1], position[2] + d[2]],
    });
    this.viewport.render();
  }

  reset(): void {
    this.viewport.resetCamera();
    this.viewport.render();
  }

  /** Brightness shifts the window centre, contrast narrows the window (VOI on the GPU). */
  setBrightnessContrast(brightness: number, contrast: number): void {
    const width = 256 / contrast;
    const center = 127.5 - (brightness - 1) * 127.5;
    this.viewport.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    this.viewport.render();
  }

  requestRender(): void {
    if (this.overlayRequested) return;
    this.overlayRequested = true;
    requestAnimationFrame(() => {
      this.overlayRequested = false;
      this.renderOverlay();
    });
  }

  private renderOverlay(): void {
    const g = this.overlayCanvas.getContext("2d");
    if (!g) return;
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, this.width, this.height);
    this.drawOverlay(g);
  }

  private resize(): void {
    const rect = this.element.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    const dpr = window.devicePixelRatio || 1;
    if (width === this.width && height === this.height && dpr === this.dpr) return;
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    this.overlayCanvas.width = Math.round(width * dpr);
    this.overlayCanvas.height = Math.round(height * dpr);
    this.engine.resize(true, true);
    this.renderOverlay();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.engine.destroy();
    registered.delete(this.pullback.id);
    this.element.remove();
  }
}
