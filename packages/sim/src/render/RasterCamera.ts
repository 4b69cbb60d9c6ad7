/**
 * A GL-free rasterising pinhole camera that draws the same pictures as the ray-cast reference (`RayCamera`):
 * the triangles of `SceneMesh` are posed from MuJoCo's `geom_xpos`/`geom_xmat`, culled (geom bounding spheres
 * against the frustum, back faces), clipped at a near plane and scan-converted into a z-buffer of 1/z.
 *
 * Sampling follows the ray-caster exactly: pixel (i, j) covers the ray through its centre, (j + ½, i + ½), and a
 * triangle covers a pixel when that centre lies inside it; 1/z is evaluated from the triangle's plane (exact, no
 * vertex interpolation), so flat faces give the ray-caster's depth to rounding. A second pass shades each pixel like
 * the ray-caster: flat triangles use their normal; pixels of round geoms (spheres, capsules, cylinders, ellipsoids)
 * intersect their ray with the true primitive for exact depth and the analytic normal; then Lambert, the floor
 * checker and the wood grain of `Shading.ts`.
 *
 * Geoms are excluded as `mj_multiRay` excludes them with no group filter: invisible ones (alpha 0, or a material with
 * alpha 0) and those whose bounding sphere lies beyond the camera's far distance (MuJoCo's ray cutoff). Sites are
 * never drawn. Everything is preallocated; a frame allocates nothing.
 *
 * @since 0.1.0
 */
import type { MjData, MjModel } from "@mujoco/mujoco"
import type { CameraSpec } from "./RayCamera.ts"
import type { SceneMesh } from "./SceneMesh.ts"
import { AMBIENT, BACKGROUND, DIFFUSE, LIGHT, Surface, type SurfaceTable, tableSin } from "./Shading.ts"

/** Near clipping distance (m, eye-space z). The ray-caster has none; nothing in the scene comes this close. */
const NEAR = 1e-3

/**
 * One rasterising camera bound to a model/data pair and the model's `SceneMesh`.
 *
 * @since 0.1.0
 * @category models
 */
export class RasterCamera {
  readonly spec: CameraSpec
  private readonly W: number
  private readonly H: number
  private readonly focal: number
  /** 1/z of the nearest triangle per pixel (0: nothing). */
  private readonly invZ: Float64Array
  /** Nearest triangle per pixel (−1: nothing). */
  private readonly triAt: Int32Array
  /** Camera-space vertices (x, y, z) and their screen positions (sx, sy), for the geoms posed this frame. */
  private readonly camVerts: Float64Array
  private readonly screen: Float64Array
  /** Per triangle: Lambert shade (flat ones) computed when drawn; its geom. */
  private readonly triShade: Float64Array
  private readonly triGeom: Int32Array
  /** Per geom: camera-from-local rotation (9, row-major) and origin in camera space (3). */
  private readonly pose: Float64Array
  /** Per geom: the light direction and the eye in geom-local coordinates (for analytic normals). */
  private readonly localLight: Float64Array
  private readonly localEye: Float64Array
  /** Scratch polygon for near-plane clipping: up to 4 vertices × (x, y, z). */
  private readonly clip = new Float64Array(12)
  private readonly clipScreen = new Float64Array(8)
  /** The normal of the last exact hit. */
  private readonly hit = new Float64Array(3)
  /** Geoms welded to the world (drawn once per camera pose) and the others (drawn every frame). */
  private readonly staticGeoms: Int32Array
  private readonly movingGeoms: Int32Array
  /** The static layer: its z-buffer, triangles, which geoms were visible, and the camera pose it was drawn for. */
  private readonly layerInvZ: Float64Array
  private readonly layerTriAt: Int32Array
  private readonly layerVisible: Uint8Array
  private readonly visibleScratch: Uint8Array
  private readonly cameraKey = new Float64Array(12).fill(NaN)
  private layerValid = false
  /** The shaded static layer: exact 1/z and colour per pixel, and the static geoms' colours it was shaded with. */
  private readonly layerExact: Float64Array
  private readonly layerRgb: Uint8Array
  private readonly layerColours: Float32Array
  private layerShaded = false
  /** Texture factor per pixel, valid while the pixel shows the same geom at the same depth from the same pose. */
  private readonly texGeom: Int32Array
  private readonly texInvZ: Float64Array
  private readonly texFactor: Float64Array

  constructor(
    private readonly model: MjModel,
    private readonly data: MjData,
    spec: CameraSpec,
    private readonly surfaces: SurfaceTable,
    private readonly mesh: SceneMesh
  ) {
    this.spec = spec
    this.W = spec.width
    this.H = spec.height
    this.focal = spec.height / 2 / Math.tan((spec.fovy * Math.PI) / 360)
    const n = spec.width * spec.height
    this.invZ = new Float64Array(n)
    this.triAt = new Int32Array(n)
    this.layerExact = new Float64Array(n)
    this.layerRgb = new Uint8Array(n * 3)
    this.layerColours = new Float32Array(mesh.ngeom * 3)
    this.layerInvZ = new Float64Array(n)
    this.layerTriAt = new Int32Array(n)
    this.texGeom = new Int32Array(n).fill(-1)
    this.texInvZ = new Float64Array(n)
    this.texFactor = new Float64Array(n)
    this.layerVisible = new Uint8Array(mesh.ngeom)
    this.visibleScratch = new Uint8Array(mesh.ngeom)
    const bodyOf = model.geom_bodyid as Int32Array
    const weld = model.body_weldid as Int32Array
    const fixed: Array<number> = []
    const moving: Array<number> = []
    for (let g = 0; g < mesh.ngeom; g++) (weld[bodyOf[g]!] === 0 ? fixed : moving).push(g)
    this.staticGeoms = Int32Array.from(fixed)
    this.movingGeoms = Int32Array.from(moving)
    const nv = mesh.verts.length / 3
    const nt = mesh.tris.length / 3
    this.camVerts = new Float64Array(nv * 3)
    this.screen = new Float64Array(nv * 2)
    this.triShade = new Float64Array(nt)
    this.triGeom = new Int32Array(nt)
    for (let g = 0; g < mesh.ngeom; g++) this.triGeom.fill(g, mesh.triStart[g]!, mesh.triStart[g + 1]!)
    this.pose = new Float64Array(mesh.ngeom * 12)
    this.localLight = new Float64Array(mesh.ngeom * 3)
    this.localEye = new Float64Array(mesh.ngeom * 3)
  }

  /**
   * Render from `eye` with orthonormal `right`, `up`, `forward` (world). Writes RGB (H×W×3), depth (H×W, eye-space
   * z in m, `far` where nothing is hit) and/or the geom id per pixel (−1: nothing), each when given.
   *
   * @since 0.1.0
   */
  render(
    eye: ArrayLike<number>,
    right: ArrayLike<number>,
    up: ArrayLike<number>,
    forward: ArrayLike<number>,
    rgb: Uint8Array | undefined,
    depth: Float32Array | undefined,
    ids?: Int32Array
  ): void {
    const useLayer = this.rasterise(eye, right, up, forward)
    this.pass(eye, right, up, forward, rgb, useLayer)
    const { W, H, invZ, triAt, triGeom } = this
    const n = W * H
    const far = this.spec.far
    if (ids !== undefined) {
      for (let k = 0; k < n; k++) {
        const t = triAt[k]!
        ids[k] = t < 0 ? -1 : triGeom[t]!
      }
    }
    if (depth !== undefined) {
      for (let k = 0; k < n; k++) {
        const w = invZ[k]!
        depth[k] = w > 0 ? Math.min(far, 1 / w) : far
      }
    }
  }

  /**
   * Per pixel: the exact depth and, with `rgb`, the colour. Pixels of round geoms intersect their ray with the true
   * shape (as `mj_ray` does) for exact depth and the analytic normal; a ray that misses it (a sliver the facets
   * cover but the shape does not) keeps the facet's depth and normal. Flat pixels take their triangle's shade. With
   * `useLayer`, pixels that still show the shaded static layer copy its depth and colour.
   */
  private pass(
    eye: ArrayLike<number>,
    right: ArrayLike<number>,
    up: ArrayLike<number>,
    forward: ArrayLike<number>,
    rgb: Uint8Array | undefined,
    useLayer: boolean
  ): void {
    const { W, H, focal, invZ, triAt, triGeom, triShade, pose, localLight, localEye, mesh, hit, texGeom, texInvZ, texFactor } = this
    const { layerTriAt, layerExact, layerRgb } = this
    const triRound = mesh.triRound
    const triNormals = mesh.triNormals
    const shapes = mesh.shape
    const sizes = this.model.geom_size as Float64Array
    const colors = this.model.geom_rgba as Float32Array
    const surfaces = this.surfaces
    const ex = eye[0]!, ey = eye[1]!, ez = eye[2]!
    const rx = right[0]!, ry = right[1]!, rz = right[2]!
    const ux = up[0]!, uy = up[1]!, uz = up[2]!
    const fx = forward[0]!, fy = forward[1]!, fz = forward[2]!
    const cx = W / 2, cy = H / 2
    const wantRgb = rgb !== undefined
    for (let i = 0; i < H; i++) {
      const y = (cy - (i + 0.5)) / focal
      for (let j = 0; j < W; j++) {
        const k = i * W + j
        const o = k * 3
        const t = triAt[k]!
        if (useLayer && t === layerTriAt[k]) {
          invZ[k] = layerExact[k]!
          if (wantRgb) {
            rgb[o] = layerRgb[o]!
            rgb[o + 1] = layerRgb[o + 1]!
            rgb[o + 2] = layerRgb[o + 2]!
          }
          continue
        }
        if (t < 0) {
          if (wantRgb) {
            rgb[o] = BACKGROUND[0]
            rgb[o + 1] = BACKGROUND[1]
            rgb[o + 2] = BACKGROUND[2]
          }
          continue
        }
        const g = triGeom[t]!
        let shade: number
        if (triRound[t] === 0) {
          if (!wantRgb) continue
          shade = triShade[t]!
        } else {
          const x = (j + 0.5 - cx) / focal
          const p = g * 12
          // the ray in the geom frame: origin e (the eye), direction Mᵀ (x, y, 1); its parameter is eye-space z
          const dx = pose[p]! * x + pose[p + 3]! * y + pose[p + 6]!
          const dy = pose[p + 1]! * x + pose[p + 4]! * y + pose[p + 7]!
          const dz = pose[p + 2]! * x + pose[p + 5]! * y + pose[p + 8]!
          const e = g * 3
          const lex = localEye[e]!, ley = localEye[e + 1]!, lez = localEye[e + 2]!
          const s0 = sizes[g * 3]!, s1 = sizes[g * 3 + 1]!
          const shape = shapes[g]!
          const z = shape === 1
            ? rayCapsule(lex, ley, lez, dx, dy, dz, s0, s1, hit)
            : shape === 2
              ? rayCylinder(lex, ley, lez, dx, dy, dz, s0, s1, hit)
              : rayEllipsoid(lex, ley, lez, dx, dy, dz, s0, s1, sizes[g * 3 + 2]!, hit)
          let nx: number, ny: number, nz: number
          if (z > 0) {
            invZ[k] = 1 / z
            nx = hit[0]!
            ny = hit[1]!
            nz = hit[2]!
          } else {
            nx = triNormals[t * 3]!
            ny = triNormals[t * 3 + 1]!
            nz = triNormals[t * 3 + 2]!
          }
          if (!wantRgb) continue
          // face the ray, as the ray-caster does
          if (nx * dx + ny * dy + nz * dz > 0) {
            nx = -nx
            ny = -ny
            nz = -nz
          }
          const lambert = (nx * localLight[e]! + ny * localLight[e + 1]! + nz * localLight[e + 2]!) / Math.sqrt(nx * nx + ny * ny + nz * nz)
          shade = AMBIENT + DIFFUSE * (lambert > 0 ? lambert : 0)
        }
        const surface = surfaces[g]!
        if (surface !== Surface.Plain) {
          const w = invZ[k]!
          if (texGeom[k] === g && texInvZ[k] === w) {
            shade *= texFactor[k]!
          } else {
            // the hit point in the world, for the floor checker and the wood grain (`surfaceFactor`, inlined)
            const z = 1 / w
            const x = (j + 0.5 - cx) / focal
            const px = ex + z * (x * rx + y * ux + fx), py = ey + z * (x * ry + y * uy + fy)
            const factor = surface === Surface.Floor
              ? (((Math.floor(px * 2) + Math.floor(py * 2)) & 1) === 0 ? 1 : 0.82)
              : 0.95 + 0.05 * tableSin(px * 260 + tableSin(py * 35 + (ez + z * (x * rz + y * uz + fz)) * 20) * 2.5)
            texGeom[k] = g
            texInvZ[k] = w
            texFactor[k] = factor
            shade *= factor
          }
        }
        // Math.round of a non-negative value, without the call
        const r = colors[g * 4]! * shade, gg = colors[g * 4 + 1]! * shade, b = colors[g * 4 + 2]! * shade
        rgb![o] = ((r < 1 ? r : 1) * 255 + 0.5) | 0
        rgb![o + 1] = ((gg < 1 ? gg : 1) * 255 + 0.5) | 0
        rgb![o + 2] = ((b < 1 ? b : 1) * 255 + 0.5) | 0
      }
    }
  }

  /**
   * Fills `invZ` and `triAt` for the current MuJoCo poses; returns whether the shaded static layer applies.
   *
   * Geoms welded to the world never move, so while the camera stays put (the static camera) their z-buffer is drawn
   * once and copied each frame; once the camera has held still for a frame, that layer is also shaded once (exact
   * depth and colour per pixel), and pixels no moving geom covers just copy it. The layer is redrawn when the camera
   * moves or a static geom's visibility changes, and reshaded when a static geom's colour changes (the lights).
   */
  private rasterise(eye: ArrayLike<number>, right: ArrayLike<number>, up: ArrayLike<number>, forward: ArrayLike<number>): boolean {
    const { invZ, triAt, cameraKey } = this
    let moved = false
    for (let c = 0; c < 3; c++) {
      if (cameraKey[c] !== eye[c] || cameraKey[3 + c] !== right[c] || cameraKey[6 + c] !== up[c] || cameraKey[9 + c] !== forward[c]) moved = true
      cameraKey[c] = eye[c]!
      cameraKey[3 + c] = right[c]!
      cameraKey[6 + c] = up[c]!
      cameraKey[9 + c] = forward[c]!
    }
    const visible = this.visibleNow()
    const rgba = this.model.geom_rgba as Float32Array
    let redraw = moved || !this.layerValid
    let recolour = false
    for (let q = 0; q < this.staticGeoms.length; q++) {
      const g = this.staticGeoms[q]!
      if (this.layerVisible[g] !== visible[g]) redraw = true
      for (let c = 0; c < 3; c++) {
        if (this.layerColours[g * 3 + c] !== rgba[g * 4 + c]) {
          recolour = true
          this.layerColours[g * 3 + c] = rgba[g * 4 + c]!
        }
      }
    }
    if (redraw) {
      invZ.fill(0)
      triAt.fill(-1)
      this.draw(this.staticGeoms, eye, right, up, forward)
      this.layerInvZ.set(invZ)
      this.layerTriAt.set(triAt)
      this.layerVisible.set(visible)
      this.layerValid = true
      this.layerShaded = false
      this.texGeom.fill(-1)
    } else {
      invZ.set(this.layerInvZ)
      triAt.set(this.layerTriAt)
      if (recolour) this.layerShaded = false
      // shade the static layer once the camera has held still for a frame (a moving camera would redo it each time)
      if (!this.layerShaded) {
        this.pass(eye, right, up, forward, this.layerRgb, false)
        this.layerExact.set(invZ)
        invZ.set(this.layerInvZ) // back to the facets' 1/z for the depth test
        this.layerShaded = true
      }
    }
    this.draw(this.movingGeoms, eye, right, up, forward)
    return this.layerShaded
  }

  /** 1 per geom that mj_ray would consider (not invisible by alpha or material). */
  private visibleNow(): Uint8Array {
    const rgba = this.model.geom_rgba as Float32Array
    const matId = this.model.geom_matid as Int32Array
    const matRgba = this.model.mat_rgba as Float32Array
    const out = this.visibleScratch
    for (let g = 0; g < out.length; g++) {
      const mat = matId[g]!
      out[g] = (mat < 0 ? rgba[g * 4 + 3] === 0 : matRgba[mat * 4 + 3] === 0) ? 0 : 1
    }
    return out
  }

  /** Poses, culls and scan-converts the listed geoms into the z-buffer. */
  private draw(geoms: Int32Array, eye: ArrayLike<number>, right: ArrayLike<number>, up: ArrayLike<number>, forward: ArrayLike<number>): void {
    const { model, data, mesh, W, H, focal, camVerts, screen, pose, localLight, localEye, triShade } = this
    const visible = this.visibleScratch
    const xpos = data.geom_xpos as Float64Array
    const xmat = data.geom_xmat as Float64Array
    const rbound = model.geom_rbound as Float64Array
    const { verts, tris, triNormals, vertStart, triStart, bound } = mesh
    const ex = eye[0]!, ey = eye[1]!, ez = eye[2]!
    const rx = right[0]!, ry = right[1]!, rz = right[2]!
    const ux = up[0]!, uy = up[1]!, uz = up[2]!
    const fx = forward[0]!, fy = forward[1]!, fz = forward[2]!
    // light in camera coordinates
    const Lx = LIGHT[0] * rx + LIGHT[1] * ry + LIGHT[2] * rz
    const Ly = LIGHT[0] * ux + LIGHT[1] * uy + LIGHT[2] * uz
    const Lz = LIGHT[0] * fx + LIGHT[1] * fy + LIGHT[2] * fz
    const cutoff = this.spec.far
    const cx = W / 2, cy = H / 2
    // frustum side planes through the eye: |x| ≤ tx·z, |y| ≤ ty·z (normalised for sphere tests)
    const tx = cx / focal, ty = cy / focal
    const nxLen = Math.sqrt(1 + tx * tx), nyLen = Math.sqrt(1 + ty * ty)
    const clip = this.clip, clipScreen = this.clipScreen
    for (let q = 0; q < geoms.length; q++) {
      const g = geoms[q]!
      const t0 = triStart[g]!, t1 = triStart[g + 1]!
      if (t0 === t1) continue
      // mj_ray's exclusions (no group filter): invisible geoms and materials
      if (visible[g] === 0) continue
      const px = xpos[g * 3]!, py = xpos[g * 3 + 1]!, pz = xpos[g * 3 + 2]!
      const dx = px - ex, dy = py - ey, dz = pz - ez
      // mj_multiRay's cutoff: geoms whose bounding sphere starts beyond it are skipped
      if (Math.sqrt(dx * dx + dy * dy + dz * dz) > cutoff + rbound[g]!) continue
      const ox = dx * rx + dy * ry + dz * rz
      const oy = dx * ux + dy * uy + dz * uz
      const oz = dx * fx + dy * fy + dz * fz
      const R = bound[g]!
      if (oz + R < NEAR) continue
      if ((ox - tx * oz) / nxLen > R || (-ox - tx * oz) / nxLen > R) continue
      if ((oy - ty * oz) / nyLen > R || (-oy - ty * oz) / nyLen > R) continue
      // M = camera-from-world · world-from-local (xmat is row-major world-from-local)
      const X = g * 9
      const x0 = xmat[X]!, x1 = xmat[X + 1]!, x2 = xmat[X + 2]!
      const x3 = xmat[X + 3]!, x4 = xmat[X + 4]!, x5 = xmat[X + 5]!
      const x6 = xmat[X + 6]!, x7 = xmat[X + 7]!, x8 = xmat[X + 8]!
      const m0 = rx * x0 + ry * x3 + rz * x6, m1 = rx * x1 + ry * x4 + rz * x7, m2 = rx * x2 + ry * x5 + rz * x8
      const m3 = ux * x0 + uy * x3 + uz * x6, m4 = ux * x1 + uy * x4 + uz * x7, m5 = ux * x2 + uy * x5 + uz * x8
      const m6 = fx * x0 + fy * x3 + fz * x6, m7 = fx * x1 + fy * x4 + fz * x7, m8 = fx * x2 + fy * x5 + fz * x8
      const P = g * 12
      pose[P] = m0; pose[P + 1] = m1; pose[P + 2] = m2
      pose[P + 3] = m3; pose[P + 4] = m4; pose[P + 5] = m5
      pose[P + 6] = m6; pose[P + 7] = m7; pose[P + 8] = m8
      pose[P + 9] = ox; pose[P + 10] = oy; pose[P + 11] = oz
      // light and eye in the geom frame (Mᵀ L, Mᵀ (0 − o))
      const E = g * 3
      localLight[E] = m0 * Lx + m3 * Ly + m6 * Lz
      localLight[E + 1] = m1 * Lx + m4 * Ly + m7 * Lz
      localLight[E + 2] = m2 * Lx + m5 * Ly + m8 * Lz
      localEye[E] = -(m0 * ox + m3 * oy + m6 * oz)
      localEye[E + 1] = -(m1 * ox + m4 * oy + m7 * oz)
      localEye[E + 2] = -(m2 * ox + m5 * oy + m8 * oz)
      const v0 = vertStart[g]!, v1 = vertStart[g + 1]!
      for (let v = v0; v < v1; v++) {
        const a = verts[v * 3]!, b = verts[v * 3 + 1]!, c = verts[v * 3 + 2]!
        const vx = m0 * a + m1 * b + m2 * c + ox
        const vy = m3 * a + m4 * b + m5 * c + oy
        const vz = m6 * a + m7 * b + m8 * c + oz
        camVerts[v * 3] = vx
        camVerts[v * 3 + 1] = vy
        camVerts[v * 3 + 2] = vz
        if (vz >= NEAR) {
          screen[v * 2] = cx + (focal * vx) / vz
          screen[v * 2 + 1] = cy - (focal * vy) / vz
        }
      }
      // round geoms test their exact surface depth per pixel, so where two of them (or one and a flat geom) meet,
      // the nearer true surface wins, not the nearer facet
      const exact = mesh.shape[g] === 0 ? -1 : g
      for (let t = t0; t < t1; t++) {
        const ia = tris[t * 3]!, ib = tris[t * 3 + 1]!, ic = tris[t * 3 + 2]!
        const ax = camVerts[ia * 3]!, ay = camVerts[ia * 3 + 1]!, az = camVerts[ia * 3 + 2]!
        const ln0 = triNormals[t * 3]!, ln1 = triNormals[t * 3 + 1]!, ln2 = triNormals[t * 3 + 2]!
        const nx = m0 * ln0 + m1 * ln1 + m2 * ln2
        const ny = m3 * ln0 + m4 * ln1 + m5 * ln2
        const nz = m6 * ln0 + m7 * ln1 + m8 * ln2
        // back face (or edge-on): the eye is not in front of the triangle's plane
        const kPlane = nx * ax + ny * ay + nz * az
        if (kPlane >= 0) continue
        // 1/z over the screen from the plane n·p = k: 1/z = (nx·x + ny·y + nz) / k with x = (sx − cx)/f, y = (cy − sy)/f
        const pa = nx / (focal * kPlane)
        const pb = -ny / (focal * kPlane)
        const pc = (nz - (nx * cx) / focal + (ny * cy) / focal) / kPlane
        const lambert = nx * Lx + ny * Ly + nz * Lz
        triShade[t] = AMBIENT + DIFFUSE * (lambert > 0 ? lambert : 0)
        const bz = camVerts[ib * 3 + 2]!, cz = camVerts[ic * 3 + 2]!
        if (az >= NEAR && bz >= NEAR && cz >= NEAR) {
          this.fill(screen[ia * 2]!, screen[ia * 2 + 1]!, screen[ib * 2]!, screen[ib * 2 + 1]!, screen[ic * 2]!, screen[ic * 2 + 1]!, pa, pb, pc, t, exact)
          continue
        }
        if (az < NEAR && bz < NEAR && cz < NEAR) continue
        // clip the polygon against z = NEAR (Sutherland–Hodgman), then fan it out
        let m = 0
        for (let e = 0; e < 3; e++) {
          const p = e === 0 ? ia : e === 1 ? ib : ic
          const q = e === 0 ? ib : e === 1 ? ic : ia
          const pz2 = camVerts[p * 3 + 2]!, qz2 = camVerts[q * 3 + 2]!
          if (pz2 >= NEAR) {
            clip[m * 3] = camVerts[p * 3]!
            clip[m * 3 + 1] = camVerts[p * 3 + 1]!
            clip[m * 3 + 2] = pz2
            m++
          }
          if (pz2 >= NEAR !== qz2 >= NEAR) {
            const s = (NEAR - pz2) / (qz2 - pz2)
            clip[m * 3] = camVerts[p * 3]! + s * (camVerts[q * 3]! - camVerts[p * 3]!)
            clip[m * 3 + 1] = camVerts[p * 3 + 1]! + s * (camVerts[q * 3 + 1]! - camVerts[p * 3 + 1]!)
            clip[m * 3 + 2] = NEAR
            m++
          }
        }
        for (let q = 0; q < m; q++) {
          clipScreen[q * 2] = cx + (focal * clip[q * 3]!) / clip[q * 3 + 2]!
          clipScreen[q * 2 + 1] = cy - (focal * clip[q * 3 + 1]!) / clip[q * 3 + 2]!
        }
        for (let q = 1; q + 1 < m; q++) {
          this.fill(clipScreen[0]!, clipScreen[1]!, clipScreen[q * 2]!, clipScreen[q * 2 + 1]!, clipScreen[q * 2 + 2]!, clipScreen[q * 2 + 3]!, pa, pb, pc, t, exact)
        }
      }
    }
  }

  /**
   * Scan-converts one screen triangle: every pixel whose centre lies inside (edges inclusive) and whose 1/z
   * (a·sx + b·sy + c) is larger than the buffer's gets triangle `t`.
   */
  private fill(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, a: number, b: number, c: number, t: number, exact: number): void {
    const W = this.W, H = this.H
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    if (area === 0) return
    const s = area > 0 ? 1 : -1
    // edge e (p → q): E(x, y) = A x + B y + C ≥ 0 inside; A, B, C negate exactly for the reversed edge of a neighbour
    const A0 = s * (y0 - y1), B0 = s * (x1 - x0), C0 = s * (x0 * y1 - x1 * y0)
    const A1 = s * (y1 - y2), B1 = s * (x2 - x1), C1 = s * (x1 * y2 - x2 * y1)
    const A2 = s * (y2 - y0), B2 = s * (x0 - x2), C2 = s * (x2 * y0 - x0 * y2)
    let ymin = y0 < y1 ? y0 : y1
    if (y2 < ymin) ymin = y2
    let ymax = y0 > y1 ? y0 : y1
    if (y2 > ymax) ymax = y2
    let iStart = Math.ceil(ymin - 0.5)
    let iEnd = Math.floor(ymax - 0.5)
    if (iStart < 0) iStart = 0
    if (iEnd > H - 1) iEnd = H - 1
    if (iStart > iEnd) return
    let xmin = x0 < x1 ? x0 : x1
    if (x2 < xmin) xmin = x2
    let xmax = x0 > x1 ? x0 : x1
    if (x2 > xmax) xmax = x2
    let jMin = Math.ceil(xmin - 0.5)
    let jMax = Math.floor(xmax - 0.5)
    if (jMin < 0) jMin = 0
    if (jMax > W - 1) jMax = W - 1
    if (jMin > jMax) return
    const invZ = this.invZ, triAt = this.triAt
    for (let i = iStart; i <= iEnd; i++) {
      const yc = i + 0.5
      let lo = jMin, hi = jMax
      // each edge bounds the span from one side: A x ≥ −(B y + C)
      const r0 = -(B0 * yc + C0), r1 = -(B1 * yc + C1), r2 = -(B2 * yc + C2)
      if (A0 > 0) { const j = Math.ceil(r0 / A0 - 0.5); if (j > lo) lo = j } else if (A0 < 0) { const j = Math.floor(r0 / A0 - 0.5); if (j < hi) hi = j } else if (r0 > 0) continue
      if (A1 > 0) { const j = Math.ceil(r1 / A1 - 0.5); if (j > lo) lo = j } else if (A1 < 0) { const j = Math.floor(r1 / A1 - 0.5); if (j < hi) hi = j } else if (r1 > 0) continue
      if (A2 > 0) { const j = Math.ceil(r2 / A2 - 0.5); if (j > lo) lo = j } else if (A2 < 0) { const j = Math.floor(r2 / A2 - 0.5); if (j < hi) hi = j } else if (r2 > 0) continue
      if (lo > hi) continue
      const row = i * W
      if (exact >= 0) {
        this.spanExact(row, lo, hi, yc, t, exact)
        continue
      }
      let w = a * (lo + 0.5) + b * yc + c
      for (let j = lo; j <= hi; j++) {
        const k = row + j
        if (w > invZ[k]!) {
          invZ[k] = w
          triAt[k] = t
        }
        w += a
      }
    }
  }

  /**
   * One span of a round geom's triangle: each pixel's 1/z is that of the ray's hit on the true primitive; pixels
   * whose ray misses it (the facets circumscribe the primitive) are left to whatever lies behind.
   */
  private spanExact(row: number, lo: number, hi: number, yc: number, t: number, g: number): void {
    const { focal, invZ, triAt, pose, localEye, hit } = this
    const sizes = this.model.geom_size as Float64Array
    const shape = this.mesh.shape[g]!
    const cx = this.W / 2
    const y = (this.H / 2 - yc) / focal
    const p = g * 12
    const e = g * 3
    const lex = localEye[e]!, ley = localEye[e + 1]!, lez = localEye[e + 2]!
    const s0 = sizes[g * 3]!, s1 = sizes[g * 3 + 1]!, s2 = sizes[g * 3 + 2]!
    // the ray direction in the geom frame is Mᵀ (x, y, 1): linear in x along the row
    const kx = pose[p]!, ky = pose[p + 1]!, kz = pose[p + 2]!
    const bx = pose[p + 3]! * y + pose[p + 6]!, by = pose[p + 4]! * y + pose[p + 7]!, bz = pose[p + 5]! * y + pose[p + 8]!
    for (let j = lo; j <= hi; j++) {
      const x = (j + 0.5 - cx) / focal
      const dx = kx * x + bx, dy = ky * x + by, dz = kz * x + bz
      const z = shape === 1
        ? rayCapsule(lex, ley, lez, dx, dy, dz, s0, s1, hit)
        : shape === 2
          ? rayCylinder(lex, ley, lez, dx, dy, dz, s0, s1, hit)
          : rayEllipsoid(lex, ley, lez, dx, dy, dz, s0, s1, s2, hit)
      if (!(z > 0)) continue
      const w = 1 / z
      const k = row + j
      if (w > invZ[k]!) {
        invZ[k] = w
        triAt[k] = t
      }
    }
  }

  /** Nothing to free (plain typed arrays); present for symmetry with `RayCamera`. @since 0.1.0 */
  dispose(): void {}
}

/**
 * Smallest root x ≥ 0 of a·x² + 2b·x + c = 0 (as MuJoCo's `ray_quad`: the near root, else the far one), or −1.
 * Writes both roots to `roots`.
 */
const quad = (a: number, b: number, c: number, roots: Float64Array): number => {
  const det = b * b - a * c
  if (det < 1e-15) {
    roots[0] = -1
    roots[1] = -1
    return -1
  }
  const sq = Math.sqrt(det)
  roots[0] = (-b - sq) / a
  roots[1] = (-b + sq) / a
  return roots[0]! >= 0 ? roots[0]! : roots[1]! >= 0 ? roots[1]! : -1
}
const roots = new Float64Array(2)

/** `mj_ray`'s capsule (a sphere when h = 0) in its frame: ray parameter of the nearest hit, outward normal → n. */
const rayCapsule = (px: number, py: number, pz: number, vx: number, vy: number, vz: number, r: number, h: number, n: Float64Array): number => {
  let x = -1
  let cz = 0
  const a2 = vx * vx + vy * vy
  if (h > 0 && a2 > 1e-15) {
    const sol = quad(a2, vx * px + vy * py, px * px + py * py - r * r, roots)
    if (sol >= 0 && Math.abs(pz + sol * vz) <= h) {
      x = sol
      cz = pz + sol * vz // normal along the radius at this height
    }
  }
  const a = a2 + vz * vz
  for (let side = -1; side <= 1; side += 2) {
    const dz = pz - side * h
    quad(a, vx * px + vy * py + vz * dz, px * px + py * py + dz * dz - r * r, roots)
    for (let q = 0; q < 2; q++) {
      const xx = roots[q]!
      if (xx >= 0 && (side > 0 ? pz + xx * vz >= h : pz + xx * vz <= -h) && (x < 0 || xx < x)) {
        x = xx
        cz = side * h
      }
    }
  }
  if (x >= 0) {
    n[0] = px + x * vx
    n[1] = py + x * vy
    n[2] = pz + x * vz - cz
  }
  return x
}

/** `mj_ray`'s cylinder in its frame (flat caps, round side). */
const rayCylinder = (px: number, py: number, pz: number, vx: number, vy: number, vz: number, r: number, h: number, n: Float64Array): number => {
  let x = -1
  if (Math.abs(vz) > 1e-15) {
    for (let side = -1; side <= 1; side += 2) {
      const sol = (side * h - pz) / vz
      if (sol >= 0) {
        const p0 = px + sol * vx, p1 = py + sol * vy
        if (p0 * p0 + p1 * p1 <= r * r && (x < 0 || sol < x)) {
          x = sol
          n[0] = 0
          n[1] = 0
          n[2] = side
        }
      }
    }
  }
  const a = vx * vx + vy * vy
  if (a > 1e-15) {
    const sol = quad(a, vx * px + vy * py, px * px + py * py - r * r, roots)
    if (sol >= 0 && Math.abs(pz + sol * vz) <= h && (x < 0 || sol < x)) {
      x = sol
      n[0] = px + sol * vx
      n[1] = py + sol * vy
      n[2] = 0
    }
  }
  return x
}

/** `mj_ray`'s ellipsoid in its frame. */
const rayEllipsoid = (px: number, py: number, pz: number, vx: number, vy: number, vz: number, s0: number, s1: number, s2: number, n: Float64Array): number => {
  const i0 = 1 / (s0 * s0), i1 = 1 / (s1 * s1), i2 = 1 / (s2 * s2)
  const x = quad(i0 * vx * vx + i1 * vy * vy + i2 * vz * vz, i0 * vx * px + i1 * vy * py + i2 * vz * pz, i0 * px * px + i1 * py * py + i2 * pz * pz - 1, roots)
  if (x >= 0) {
    n[0] = (px + x * vx) * i0
    n[1] = (py + x * vy) * i1
    n[2] = (pz + x * vz) * i2
  }
  return x
}
