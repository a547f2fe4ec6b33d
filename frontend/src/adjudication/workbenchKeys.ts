import type { DocumentStore } from "../document/store.js";
import type { Tool } from "../tools/tool.js";
import type { ToolName } from "../tools/toolSet.js";
import type { HelpOverlay } from "../ui/helpOverlay.js";
import * as shell from "../ui/shell.js";
import type { FrameViewer } from "../viewer/frameViewer.js";
import { LAYER_IDS, LAYER_SPECS, type LayerId } from "./layers.js";

/** What the workbench's own keys act on. */
export interface WorkbenchKeyHost {
  /** The tool drawing on the own layer, or null. */
  currentTool(): Tool | null;
  /** Points the tools' coordinates at the pane showing the own layer. */
  targetOwnPane(): void;
  /** True when "my annotation" is started and may be edited. */
  canEditOwn(): boolean;
  selectTool(name: ToolName | null): void;
  isVisible(id: LayerId): boolean;
  setVisible(id: LayerId, visible: boolean): void;
  toggleLayout(): void;
}

/** The workbench keys: the active tool first, then tool keys, layer keys 1–3 and V (layout). */
export function workbenchPageKey(key: string, host: WorkbenchKeyHost): boolean {
  const tool = host.currentTool();
  if (tool) {
    host.targetOwnPane();
    if (tool.onKeyDown(key)) return true;
  }
  const toolKey = shell.toolForKey(key);
  const layer = LAYER_IDS.find((id) => LAYER_SPECS[id].key === key);
  if (toolKey && host.canEditOwn()) host.selectTool(toolKey[0]);
  else if (layer) host.setVisible(layer, !host.isVisible(layer));
  else if (key === "v" || key === "V") host.toggleLayout();
  else return false;
  return true;
}

/** What the workbench's key handling needs beyond its own keys. */
export interface WorkbenchKeyContext extends WorkbenchKeyHost {
  readonly help: HelpOverlay;
  readonly slider: HTMLInputElement;
  readonly root: HTMLElement;
  /** The own layer's store (undo and redo act on it). */
  readonly ownStore: DocumentStore;
  /** The first pane's viewer: zoom and pan are linked across panes (PaneSet). */
  firstViewer(): FrameViewer | undefined;
  resetImage(): void;
  frame(): number;
  readonly frameCount: number;
  goTo(frame: number): void;
}

/** Keys act when the viewer (or nothing in particular) has the focus: never inside the form. */
export function workbenchKeyHooks(c: WorkbenchKeyContext): shell.KeyHooks {
  return {
    help: c.help,
    slider: c.slider,
    ownsKey: (ev) =>
      ev.target === document.body || ev.target === document.documentElement || ev.target === null || (ev.target instanceof Node && c.root.contains(ev.target)),
    undo: () => c.ownStore.undo(),
    redo: () => c.ownStore.redo(),
    zoom: (d) => (d > 0 ? c.firstViewer()?.zoomIn() : c.firstViewer()?.zoomOut()),
    resetView: () => {
      c.firstViewer()?.resetView();
      c.resetImage();
    },
    step: (d) => c.goTo(c.frame() + d),
    goTo: (f) => c.goTo(f),
    lastFrame: () => c.frameCount - 1,
    pageKey: (key) => workbenchPageKey(key, c),
  };
}
