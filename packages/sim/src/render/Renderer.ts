/**
 * Which renderer draws a PlayTable's cameras: the rasteriser (default, ~10× faster) or the ray-cast reference
 * (`mj_multiRay` per pixel), plus the shape both share.
 *
 * @since 0.1.0
 */

/** `raster`: `RasterCamera` (default); `raycast`: `RayCamera`, the reference the rasteriser is tested against. @since 0.1.0 @category models */
export type RendererKind = "raster" | "raycast"

/** What PlayTable needs from a camera. @since 0.1.0 @category models */
export interface FrameRenderer {
  render(
    eye: ArrayLike<number>,
    right: ArrayLike<number>,
    up: ArrayLike<number>,
    forward: ArrayLike<number>,
    rgb: Uint8Array | undefined,
    depth: Float32Array | undefined,
    ids?: Int32Array
  ): void
  dispose(): void
}

/** The environment variable that picks the default renderer (`raster` or `raycast`). @since 0.1.0 @category constants */
export const RENDERER_ENV = "ROBOVLA_RENDERER"

/**
 * The renderer to use: the explicit choice, else `ROBOVLA_RENDERER`, else `raster`. Returns an error message for an
 * unknown value (the caller raises its own typed error).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveRenderer = (explicit: RendererKind | undefined): RendererKind | { readonly invalid: string } => {
  const value = explicit ?? (typeof process !== "undefined" ? process.env[RENDERER_ENV] : undefined) ?? "raster"
  if (value === "raster" || value === "raycast") return value
  return { invalid: `renderer must be "raster" or "raycast" (option or ${RENDERER_ENV}), got ${JSON.stringify(value)}` }
}
