/**
 * A GL-free pinhole camera: one `mj_multiRay` call per frame (all rays share the eye point), then per-pixel
 * colour from the hit geom's rgba, Lambert shading from the hit normal MuJoCo returns, a checker floor, a faint
 * wood grain on the table and a sky-grey background. Depth is eye-space z in metres (CALVIN's linearised depth).
 *
 * Ray directions are precomputed in the camera frame; a frame only rotates them and shades. All buffers
 * (including the WASM out-buffers) are allocated once and freed by `dispose()`.
 *
 * @since 0.1.0
 */
import type { DoubleBuffer, IntBuffer, MainModule, MjData, MjModel } from "@mujoco/mujoco"
import { AMBIENT, BACKGROUND, DIFFUSE, LIGHT, Surface, surfaceFactor, type SurfaceTable } from "./Shading.ts"

/** Camera intrinsics. @since 0.1.0 @category models */
export interface CameraSpec {
  readonly width: number
  readonly height: number
  /** Vertical field of view (degrees). */
  readonly fovy: number
  readonly near: number
  readonly far: number
}

/** CALVIN's static camera: 200×200, fovy 10°, near 0.01, far 10 (§3.3). @since 0.1.0 @category constants */
export const STATIC_CAMERA: CameraSpec = { width: 200, height: 200, fovy: 10, near: 0.01, far: 10 }
/** CALVIN's gripper camera: 84×84, fovy 75°, near 0.01, far 2 (§3.3). @since 0.1.0 @category constants */
export const GRIPPER_CAMERA: CameraSpec = { width: 84, height: 84, fovy: 75, near: 0.01, far: 2 }

/** Static camera pose (§3.3): eye, look-at, up hint (orthogonalised like PyBullet). @since 0.1.0 @category constants */
export const STATIC_POSE = {
  eye: [2.871459, -2.166602, 2.55516] as const,
  target: [-0.026242, -0.030233, 0.392] as const,
  up: [0.40414, 0.226298, 0.886262] as const
}

export { Surface, type SurfaceTable } from "./Shading.ts"

/**
 * One camera bound to a model/data pair.
 *
 * @since 0.1.0
 * @category models
 */
export class RayCamera {
  readonly spec: CameraSpec
  private readonly n: number
  private readonly camDirs: Float64Array
  private readonly cosToAxis: Float64Array
  private readonly worldDirs: Float64Array
  private readonly eye = [0, 0, 0]
  private readonly geomId: IntBuffer
  private readonly dist: DoubleBuffer
  private readonly normal: DoubleBuffer
  private readonly bvhSaved: Float64Array
  private disposed = false

  constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    spec: CameraSpec,
    private readonly surfaces: SurfaceTable
  ) {
    this.spec = spec
    const { width: W, height: H } = spec
    this.n = W * H
    this.camDirs = new Float64Array(this.n * 3)
    this.cosToAxis = new Float64Array(this.n)
    this.worldDirs = new Float64Array(this.n * 3)
    const focal = H / 2 / Math.tan((spec.fovy * Math.PI) / 360)
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const k = i * W + j
        const x = (j + 0.5 - W / 2) / focal
        const y = (H / 2 - (i + 0.5)) / focal
        const len = Math.hypot(x, y, 1)
        this.camDirs[k * 3] = x / len
        this.camDirs[k * 3 + 1] = y / len
        this.camDirs[k * 3 + 2] = 1 / len // along forward
        this.cosToAxis[k] = 1 / len
      }
    }
    this.geomId = new mj.IntBuffer(this.n)
    this.dist = new mj.DoubleBuffer(this.n)
    this.normal = new mj.DoubleBuffer(this.n * 3)
    this.bvhSaved = new Float64Array(model.nbody * 6)
  }

  /**
   * Render from `eye` with orthonormal `right`, `up`, `forward` (world). Writes RGB (H×W×3), depth (H×W, m) and/or
   * the hit geom id per pixel (−1 where nothing is hit), each when given.
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
    const { n, camDirs, worldDirs } = this
    const rx = right[0]!, ry = right[1]!, rz = right[2]!
    const ux = up[0]!, uy = up[1]!, uz = up[2]!
    const fx = forward[0]!, fy = forward[1]!, fz = forward[2]!
    for (let k = 0; k < n; k++) {
      const a = camDirs[k * 3]!, b = camDirs[k * 3 + 1]!, c = camDirs[k * 3 + 2]!
      worldDirs[k * 3] = a * rx + b * ux + c * fx
      worldDirs[k * 3 + 1] = a * ry + b * uy + c * fy
      worldDirs[k * 3 + 2] = a * rz + b * uz + c * fz
    }
    this.eye[0] = eye[0]!
    this.eye[1] = eye[1]!
    this.eye[2] = eye[2]!
    // mj_multiRay culls a body by a sphere centred at xipos plus its AABB's centre offset, without rotating that
    // offset, so rays missed parts of rotated links (the arm showed holes). For the call, each body's root box is
    // replaced by one centred on xipos that holds the true sphere in any rotation (radius |offset| + half-diagonal);
    // the boxes are restored right after (collision uses them).
    const adr = this.model.body_bvhadr as Int32Array
    const aabb = this.model.bvh_aabb as Float64Array
    const saved = this.bvhSaved
    for (let b = 0; b < adr.length; b++) {
      const a = adr[b]!
      if (a < 0) continue
      for (let c = 0; c < 6; c++) saved[b * 6 + c] = aabb[a * 6 + c]!
      const radius = Math.hypot(aabb[a * 6]!, aabb[a * 6 + 1]!, aabb[a * 6 + 2]!) + Math.hypot(aabb[a * 6 + 3]!, aabb[a * 6 + 4]!, aabb[a * 6 + 5]!)
      for (let c = 0; c < 3; c++) {
        aabb[a * 6 + c] = 0
        aabb[a * 6 + 3 + c] = radius / Math.sqrt(3)
      }
    }
    try {
      this.castRays(worldDirs)
    } finally {
      // fresh views: the call may have grown WASM memory, which detaches older ones
      const adrNow = this.model.body_bvhadr as Int32Array
      const aabbNow = this.model.bvh_aabb as Float64Array
      for (let b = 0; b < adrNow.length; b++) {
        const a = adrNow[b]!
        if (a >= 0) for (let c = 0; c < 6; c++) aabbNow[a * 6 + c] = saved[b * 6 + c]!
      }
    }
    const hitIds = this.geomId.GetView() as Int32Array
    const dist = this.dist.GetView() as Float64Array
    const nrm = this.normal.GetView() as Float64Array
    const far = this.spec.far
    if (ids !== undefined) {
      for (let k = 0; k < n; k++) ids[k] = dist[k]! < 0 ? -1 : hitIds[k]!
    }
    if (depth !== undefined) {
      const cos = this.cosToAxis
      for (let k = 0; k < n; k++) {
        const g = hitIds[k]!
        depth[k] = g < 0 || dist[k]! < 0 ? far : Math.min(far, dist[k]! * cos[k]!)
      }
    }
    if (rgb === undefined) return
    const colors = this.model.geom_rgba as Float32Array
    const surfaces = this.surfaces
    const ex = eye[0]!, ey = eye[1]!, ez = eye[2]!
    for (let k = 0; k < n; k++) {
      const g = hitIds[k]!
      const o = k * 3
      if (g < 0 || dist[k]! < 0) {
        rgb[o] = BACKGROUND[0]
        rgb[o + 1] = BACKGROUND[1]
        rgb[o + 2] = BACKGROUND[2]
        continue
      }
      let nx = nrm[o]!, ny = nrm[o + 1]!, nz = nrm[o + 2]!
      const dx = worldDirs[o]!, dy = worldDirs[o + 1]!, dz = worldDirs[o + 2]!
      if (nx * dx + ny * dy + nz * dz > 0) {
        nx = -nx
        ny = -ny
        nz = -nz
      }
      const lambert = Math.max(0, nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2])
      let shade = AMBIENT + DIFFUSE * lambert
      let r = colors[g * 4]!, gg = colors[g * 4 + 1]!, b = colors[g * 4 + 2]!
      const surface = surfaces[g]!
      if (surface !== Surface.Plain) {
        const t = dist[k]!
        shade *= surfaceFactor(surface, ex + t * dx, ey + t * dy, ez + t * dz)
      }
      r = Math.min(1, r * shade)
      gg = Math.min(1, gg * shade)
      b = Math.min(1, b * shade)
      rgb[o] = Math.round(r * 255)
      rgb[o + 1] = Math.round(gg * 255)
      rgb[o + 2] = Math.round(b * 255)
    }
  }

  /** One `mj_multiRay` over all pixels (no group filter, static geoms included, no body excluded). */
  private castRays(dirs: Float64Array): void {
    this.mj.mj_multiRay(
      this.model,
      this.data,
      this.eye,
      dirs as unknown as Array<number>,
      null as unknown as Array<number>,
      true,
      -1,
      this.geomId,
      this.dist,
      this.normal,
      this.n,
      this.spec.far
    )
  }

  /** Frees the WASM buffers; safe to call twice. @since 0.1.0 */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.geomId.delete()
    this.dist.delete()
    this.normal.delete()
  }
}

/**
 * Orthonormal camera axes from eye, look-at and an up hint (the hint is orthogonalised, as PyBullet does).
 *
 * @since 0.1.0
 * @category math
 */
export const lookAt = (
  eye: ArrayLike<number>,
  target: ArrayLike<number>,
  upHint: ArrayLike<number>
): { right: [number, number, number]; up: [number, number, number]; forward: [number, number, number] } => {
  const f = norm([target[0]! - eye[0]!, target[1]! - eye[1]!, target[2]! - eye[2]!])
  const r = norm(cross(f, [upHint[0]!, upHint[1]!, upHint[2]!]))
  const u = cross(r, f)
  return { right: r, up: u, forward: f }
}

const cross = (a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] => [
  a[1]! * b[2]! - a[2]! * b[1]!,
  a[2]! * b[0]! - a[0]! * b[2]!,
  a[0]! * b[1]! - a[1]! * b[0]!
]
const norm = (a: [number, number, number]): [number, number, number] => {
  const l = Math.hypot(a[0], a[1], a[2])
  return [a[0] / l, a[1] / l, a[2] / l]
}
