/**
 * The cameras' shading model, shared by the ray-cast reference and the rasteriser so both draw the same colours:
 * geom rgba × (ambient + diffuse · Lambert toward one key light), a checker floor, a faint wood grain on the table,
 * and a grey-blue background where nothing is hit.
 *
 * @since 0.1.0
 */

/** How a hit is coloured beyond its rgba: plain, checker floor, or wood grain. @since 0.1.0 @category models */
export const enum Surface {
  Plain = 0,
  Floor = 1,
  Wood = 2
}

/** Per-geom surface kinds, indexed by geom id (set by the PlayTable from geom names). @since 0.1.0 @category models */
export type SurfaceTable = Uint8Array

/** Unit direction toward the key light. @since 0.1.0 @category constants */
export const LIGHT: readonly [number, number, number] = (() => {
  const l = [0.35, -0.55, 1]
  const n = Math.hypot(l[0]!, l[1]!, l[2]!)
  return [l[0]! / n, l[1]! / n, l[2]! / n] as const
})()
/** @since 0.1.0 @category constants */
export const AMBIENT = 0.42
/** @since 0.1.0 @category constants */
export const DIFFUSE = 0.62
/** @since 0.1.0 @category constants */
export const BACKGROUND: readonly [number, number, number] = [178, 190, 204]

/** sin by a 4096-entry table with linear interpolation (error < 3e-7, far below one colour level; ~10× Math.sin). */
const SIN_STEPS = 4096
const SIN_TABLE = (() => {
  const t = new Float64Array(SIN_STEPS + 1)
  for (let i = 0; i <= SIN_STEPS; i++) t[i] = Math.sin((2 * Math.PI * i) / SIN_STEPS)
  return t
})()
const SIN_SCALE = SIN_STEPS / (2 * Math.PI)

/** @since 0.1.0 @category shading */
export const tableSin = (x: number): number => {
  const u = x * SIN_SCALE
  const f = Math.floor(u)
  const i = f & (SIN_STEPS - 1) // two's complement wraps negative turns too
  const a = SIN_TABLE[i]!
  return a + (u - f) * (SIN_TABLE[i + 1]! - a)
}

/**
 * The factor a textured surface multiplies the Lambert shade by at world point (px, py, pz): a 0.5 m checker on the
 * floor, a grain along x on wood, 1 for plain geoms.
 *
 * @since 0.1.0
 * @category shading
 */
export const surfaceFactor = (surface: number, px: number, py: number, pz: number): number => {
  if (surface === Surface.Floor) return ((Math.floor(px * 2) + Math.floor(py * 2)) & 1) === 0 ? 1 : 0.82
  if (surface === Surface.Wood) return 0.95 + 0.05 * tableSin(px * 260 + tableSin(py * 35 + pz * 20) * 2.5)
  return 1
}
