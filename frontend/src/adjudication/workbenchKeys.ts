import type { Tool } from "../tools/tool.js";
import type { ToolName } from "../tools/toolSet.js";
import * as shell from "../ui/shell.js";
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
