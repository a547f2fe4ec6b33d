import type { OverlayContext } from "./tool.js";

/** A small label with a dark halo so it stays readable on bright and dark tissue. */
export function overlayText(g: OverlayContext, text: string, x: number, y: number, colour: string): void {
  g.save();
  g.font = "600 12px system-ui, sans-serif";
  g.lineWidth = 3;
  g.strokeStyle = "rgba(0, 0, 0, 0.8)";
  g.fillStyle = colour;
  g.strokeText(text, x, y);
  g.fillText(text, x, y);
  g.restore();
}
