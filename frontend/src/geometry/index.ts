export type { PointPx, PixelSpacingMm } from "./types.js";
export { polygonAreaPx2 } from "./polygonAreaPx2.js";
export { polygonCentroidPx } from "./polygonCentroidPx.js";
export { areaMm2 } from "./areaMm2.js";
export { angleDeg } from "./angleDeg.js";
export { polygonSelfIntersects } from "./polygonSelfIntersects.js";
