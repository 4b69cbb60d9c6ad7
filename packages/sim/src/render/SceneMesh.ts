/**
 * The triangles of a MuJoCo model's geoms, built once per model for the rasteriser: every primitive (plane, sphere,
 * capsule, ellipsoid, cylinder, box) and mesh becomes a triangle list in its geom's local frame, wound so that
 * normals point out (the rasteriser culls back faces). A frame then only poses them with `geom_xpos`/`geom_xmat`.
 *
 * Round surfaces get a polyhedron that contains the true surface (circumscribed, at most ~`ROUND_TOLERANCE` per
 * ring segment away from it): the rasteriser only uses it to find the pixels the geom may cover, then intersects
 * each pixel's ray with the true shape (`Shape`) and drops the pixels it misses, so silhouettes, depth and normals
 * are the ray-caster's, not the facets'. Heightfields and SDF geoms are not rendered (the play table has none).
 *
 * @since 0.1.0
 */
import type { MjModel } from "@mujoco/mujoco"

/**
 * The true surface behind a geom's triangles. Round geoms are re-intersected exactly per pixel (depth and normal as
 * `mj_ray` computes them); flat ones need nothing more than their triangles.
 *
 * @since 0.1.0
 * @category models
 */
export const enum Shape {
  /** Boxes, planes, meshes: the triangles are the surface. */
  Flat = 0,
  /** Sphere (half-length 0) or capsule: radius size[0], half-length size[1]. */
  Capsule = 1,
  /** Cylinder: radius size[0], half-height size[1], flat caps. */
  Cylinder = 2,
  /** Ellipsoid with radii size[0..2]. */
  Ellipsoid = 3
}

/** MuJoCo's mjtGeom values used here. */
const GEOM_PLANE = 0
const GEOM_SPHERE = 2
const GEOM_CAPSULE = 3
const GEOM_ELLIPSOID = 4
const GEOM_CYLINDER = 5
const GEOM_BOX = 6
const GEOM_MESH = 7

/** Radial gap (m) per ring segment that sets how finely round surfaces are tessellated. @since 0.1.0 @category constants */
export const ROUND_TOLERANCE = 0.0005
/** Half-extent (m) of the quad that stands in for an infinite plane (size 0). */
const INFINITE_PLANE = 100

/**
 * Triangles of all rendered geoms, in geom-local coordinates. Geom `g` owns vertices `[vertStart[g], vertStart[g+1])`
 * and triangles `[triStart[g], triStart[g+1])`; triangle indices point into the global vertex array.
 *
 * @since 0.1.0
 * @category models
 */
export interface SceneMesh {
  readonly ngeom: number
  /** Local vertex coordinates, 3 per vertex. */
  readonly verts: Float64Array
  /** Vertex indices, 3 per triangle, counter-clockwise seen from outside. */
  readonly tris: Int32Array
  /** Outward unit normal of each triangle (local frame), 3 per triangle. */
  readonly triNormals: Float64Array
  readonly vertStart: Int32Array
  readonly triStart: Int32Array
  /** The exact surface per geom (`Shape`). */
  readonly shape: Uint8Array
  /** 1 for the triangles of a round geom (their pixels are re-intersected exactly). */
  readonly triRound: Uint8Array
  /** Radius of a sphere about the geom origin that holds all its vertices (for frustum culling). */
  readonly bound: Float64Array
}

/** Growable builder for one geom's vertices and triangles. */
class Builder {
  verts: Array<number> = []
  tris: Array<number> = []
  round: Array<number> = []
  vertex(x: number, y: number, z: number): number {
    this.verts.push(x, y, z)
    return this.verts.length / 3 - 1
  }
  /** Adds a triangle oriented to face away from the geom origin (every shape here is convex about it). */
  tri(a: number, b: number, c: number, round: boolean): void {
    const v = this.verts
    const ax = v[a * 3]!, ay = v[a * 3 + 1]!, az = v[a * 3 + 2]!
    const ux = v[b * 3]! - ax, uy = v[b * 3 + 1]! - ay, uz = v[b * 3 + 2]! - az
    const wx = v[c * 3]! - ax, wy = v[c * 3 + 1]! - ay, wz = v[c * 3 + 2]! - az
    const nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx
    if (nx * nx + ny * ny + nz * nz < 1e-24) return // degenerate (a lathe pole)
    const cx = ax + v[b * 3]! + v[c * 3]!, cy = ay + v[b * 3 + 1]! + v[c * 3 + 1]!, cz = az + v[b * 3 + 2]! + v[c * 3 + 2]!
    if (nx * cx + ny * cy + nz * cz < 0) this.tris.push(a, c, b)
    else this.tris.push(a, b, c)
    this.round.push(round ? 1 : 0)
  }
  quad(a: number, b: number, c: number, d: number, round: boolean): void {
    this.tri(a, b, c, round)
    this.tri(a, c, d, round)
  }
}

/** Segments around a circle of radius r: an inscribed n-gon would stay within ROUND_TOLERANCE of it. */
const segmentsFor = (r: number): number => {
  if (r <= ROUND_TOLERANCE) return 8
  const n = Math.ceil(Math.PI / Math.acos(Math.max(-1, 1 - ROUND_TOLERANCE / r)))
  return Math.min(96, Math.max(8, n))
}

/**
 * Vertex radius scale that makes the polyhedron contain the surface: a ring of n edges is tangent to its circle at
 * 1/cos(π/n); a lathe face spans at most one step 2π/n in longitude and latitude, so its plane stays outside the
 * sphere when the vertices sit at 1/cos(2π/n).
 */
const ringScale = (n: number): number => 1 / Math.cos(Math.PI / n)
const latheScale = (n: number): number => 1 / Math.cos((2 * Math.PI) / n)

/**
 * A surface of revolution about z from a (ρ, z) profile (bottom to top): rings of `n` vertices, quads between rings.
 * Rings of radius 0 collapse to one pole vertex.
 */
const lathe = (b: Builder, profile: ReadonlyArray<readonly [number, number]>, n: number, round: boolean): Array<Array<number>> => {
  const rings: Array<Array<number>> = []
  for (const [rho, z] of profile) {
    const ring: Array<number> = []
    if (rho === 0) {
      const p = b.vertex(0, 0, z)
      for (let k = 0; k < n; k++) ring.push(p)
    } else {
      for (let k = 0; k < n; k++) {
        const phi = (2 * Math.PI * k) / n
        ring.push(b.vertex(rho * Math.cos(phi), rho * Math.sin(phi), z))
      }
    }
    rings.push(ring)
  }
  for (let r = 0; r + 1 < rings.length; r++) {
    const lo = rings[r]!, hi = rings[r + 1]!
    for (let k = 0; k < n; k++) b.quad(lo[k]!, lo[(k + 1) % n]!, hi[(k + 1) % n]!, hi[k]!, round)
  }
  return rings
}

/** A flat disc (cylinder cap) as a fan over an existing ring. */
const cap = (b: Builder, ring: ReadonlyArray<number>, z: number): void => {
  const c = b.vertex(0, 0, z)
  for (let k = 0; k < ring.length; k++) b.tri(c, ring[k]!, ring[(k + 1) % ring.length]!, true)
}

/** A hemisphere profile of radius r centred at z0 (up: from the equator to the pole). */
const hemisphere = (r: number, z0: number, up: boolean, rings: number): Array<[number, number]> => {
  const out: Array<[number, number]> = []
  for (let i = 0; i <= rings; i++) {
    const theta = (Math.PI / 2) * (i / rings)
    const rho = i === rings ? 0 : r * Math.cos(theta)
    out.push([rho, z0 + (up ? 1 : -1) * r * Math.sin(theta)])
  }
  return up ? out : out.reverse()
}

const boxMesh = (b: Builder, sx: number, sy: number, sz: number): void => {
  const v: Array<number> = []
  for (let i = 0; i < 8; i++) v.push(b.vertex(i & 1 ? sx : -sx, i & 2 ? sy : -sy, i & 4 ? sz : -sz))
  const faces = [
    [0, 2, 6, 4], [1, 3, 7, 5], // ∓x
    [0, 1, 5, 4], [2, 3, 7, 6], // ∓y
    [0, 1, 3, 2], [4, 5, 7, 6] //  ∓z
  ]
  for (const [a, c, d, e] of faces) b.quad(v[a!]!, v[c!]!, v[d!]!, v[e!]!, false)
}

/**
 * Triangulate every geom of `model` (call once per model; the result is immutable and can be shared by cameras).
 *
 * @since 0.1.0
 * @category constructors
 */
export const buildSceneMesh = (model: MjModel): SceneMesh => {
  const ngeom = model.ngeom
  const types = model.geom_type as Int32Array
  const sizes = model.geom_size as Float64Array
  const dataIds = model.geom_dataid as Int32Array
  const verts: Array<number> = []
  const tris: Array<number> = []
  const triRound: Array<number> = []
  const vertStart = new Int32Array(ngeom + 1)
  const triStart = new Int32Array(ngeom + 1)
  const shape = new Uint8Array(ngeom)
  const bound = new Float64Array(ngeom)
  for (let g = 0; g < ngeom; g++) {
    vertStart[g] = verts.length / 3
    triStart[g] = tris.length / 3
    const b = new Builder()
    const s0 = sizes[g * 3]!, s1 = sizes[g * 3 + 1]!, s2 = sizes[g * 3 + 2]!
    switch (types[g]) {
      case GEOM_PLANE: {
        // one-sided (+z), like mj_ray's plane: rays from below never hit it
        const hx = s0 > 0 ? s0 : INFINITE_PLANE, hy = s1 > 0 ? s1 : INFINITE_PLANE
        b.quad(b.vertex(-hx, -hy, 0), b.vertex(hx, -hy, 0), b.vertex(hx, hy, 0), b.vertex(-hx, hy, 0), false)
        // the builder orients faces away from the origin, which a plane through it does not define: force +z
        for (let t = 0; t < b.tris.length; t += 3) {
          const [p, q, r] = [b.tris[t]!, b.tris[t + 1]!, b.tris[t + 2]!]
          const v = b.verts
          const nz = (v[q * 3]! - v[p * 3]!) * (v[r * 3 + 1]! - v[p * 3 + 1]!) - (v[q * 3 + 1]! - v[p * 3 + 1]!) * (v[r * 3]! - v[p * 3]!)
          if (nz < 0) {
            b.tris[t + 1] = r
            b.tris[t + 2] = q
          }
        }
        break
      }
      case GEOM_SPHERE:
      case GEOM_CAPSULE: {
        const r = s0
        const h = types[g] === GEOM_CAPSULE ? s1 : 0
        const n = segmentsFor(r)
        const rr = r * latheScale(n)
        const rings = Math.max(4, Math.ceil(n / 4))
        const profile = [...hemisphere(rr, -h, false, rings), ...hemisphere(rr, h, true, rings).slice(h > 0 ? 0 : 1)]
        lathe(b, profile, n, true)
        shape[g] = Shape.Capsule
        break
      }
      case GEOM_ELLIPSOID: {
        const n = segmentsFor(Math.max(s0, s1, s2))
        const k = latheScale(n)
        const rings = Math.max(4, Math.ceil(n / 4))
        const profile = [...hemisphere(1, 0, false, rings), ...hemisphere(1, 0, true, rings).slice(1)]
        lathe(b, profile, n, true)
        for (let i = 0; i < b.verts.length; i += 3) {
          b.verts[i] = b.verts[i]! * s0 * k
          b.verts[i + 1] = b.verts[i + 1]! * s1 * k
          b.verts[i + 2] = b.verts[i + 2]! * s2 * k
        }
        shape[g] = Shape.Ellipsoid
        break
      }
      case GEOM_CYLINDER: {
        const n = segmentsFor(s0)
        const rr = s0 * ringScale(n)
        const [bottom, top] = lathe(b, [[rr, -s1], [rr, s1]], n, true)
        cap(b, bottom!, -s1)
        cap(b, top!, s1)
        shape[g] = Shape.Cylinder
        break
      }
      case GEOM_BOX:
        boxMesh(b, s0, s1, s2)
        break
      case GEOM_MESH: {
        const mesh = dataIds[g]!
        const mv = model.mesh_vert as Float32Array
        const mf = model.mesh_face as Int32Array
        const vadr = (model.mesh_vertadr as Int32Array)[mesh]!
        const vnum = (model.mesh_vertnum as Int32Array)[mesh]!
        const fadr = (model.mesh_faceadr as Int32Array)[mesh]!
        const fnum = (model.mesh_facenum as Int32Array)[mesh]!
        for (let i = 0; i < vnum; i++) b.vertex(mv[(vadr + i) * 3]!, mv[(vadr + i) * 3 + 1]!, mv[(vadr + i) * 3 + 2]!)
        // MuJoCo's faces are wound counter-clockwise seen from outside: keep them as they are (no convexity assumed)
        for (let f = 0; f < fnum; f++) {
          b.tris.push(mf[(fadr + f) * 3]!, mf[(fadr + f) * 3 + 1]!, mf[(fadr + f) * 3 + 2]!)
          b.round.push(0)
        }
        break
      }
      default:
        break // heightfields, SDFs: not rendered
    }
    const base = verts.length / 3
    let r2 = 0
    for (let i = 0; i < b.verts.length; i += 3) {
      const x = b.verts[i]!, y = b.verts[i + 1]!, z = b.verts[i + 2]!
      verts.push(x, y, z)
      r2 = Math.max(r2, x * x + y * y + z * z)
    }
    bound[g] = Math.sqrt(r2)
    for (const t of b.tris) tris.push(t + base)
    triRound.push(...b.round)
  }
  vertStart[ngeom] = verts.length / 3
  triStart[ngeom] = tris.length / 3
  const V = Float64Array.from(verts)
  const T = Int32Array.from(tris)
  const N = new Float64Array(T.length)
  for (let t = 0; t < T.length; t += 3) {
    const a = T[t]! * 3, b = T[t + 1]! * 3, c = T[t + 2]! * 3
    const ux = V[b]! - V[a]!, uy = V[b + 1]! - V[a + 1]!, uz = V[b + 2]! - V[a + 2]!
    const wx = V[c]! - V[a]!, wy = V[c + 1]! - V[a + 1]!, wz = V[c + 2]! - V[a + 2]!
    const nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx
    const l = Math.hypot(nx, ny, nz) || 1
    N[t] = nx / l
    N[t + 1] = ny / l
    N[t + 2] = nz / l
  }
  return {
    ngeom,
    verts: V,
    tris: T,
    triNormals: N,
    vertStart,
    triStart,
    shape,
    triRound: Uint8Array.from(triRound),
    bound
  }
}
