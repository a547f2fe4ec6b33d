/** A point in image pixels of one frame: [x = column, y = row], origin top-left, y down (SPEC §3). */
export type PointPx = readonly [number, number];

/** Pixel spacing in millimetres per pixel, DICOM order: [row spacing (along y), column spacing (along x)]. */
export type PixelSpacingMm = readonly [number, number];
