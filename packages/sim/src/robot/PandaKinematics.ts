/**
 * Franka Panda kinematics in plain TypeScript: forward kinematics of the TCP, its geometric Jacobian and a damped
 * least-squares IK with a null-space pull toward the rest posture.
 *
 * Why not MuJoCo's own `mj_jacSite`: IK iterates on hypothetical joint values, and doing that in MuJoCo would
 * overwrite the live `qpos`. The chain here is the same one the MJCF is generated from (`PANDA_CHAIN`), and a test
 * checks the two agree. All work arrays are preallocated in an `IkWorkspace`; the solver allocates nothing.
 *
 * @since 0.1.0
 */

/** Robot base position in the world (§2.1), identity orientation. @since 0.1.0 @category constants */
export const PANDA_BASE: readonly [number, number, number] = [-0.34, -0.46, 0.24]

/**
 * Body frames link1 … link7 relative to their parent (public Panda kinematics, MuJoCo Menagerie convention):
 * position and unit quaternion (w, x, y, z). Every arm joint turns about its body's local z.
 *
 * @since 0.1.0
 * @category constants
 */
export const PANDA_CHAIN: ReadonlyArray<{ readonly pos: readonly [number, number, number]; readonly quat: readonly [number, number, number, number] }> = [
  { pos: [0, 0, 0.333], quat: [1, 0, 0, 0] },
  { pos: [0, 0, 0], quat: [Math.SQRT1_2, -Math.SQRT1_2, 0, 0] },
  { pos: [0, -0.316, 0], quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] },
  { pos: [0.0825, 0, 0], quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] },
  { pos: [-0.0825, 0.384, 0], quat: [Math.SQRT1_2, -Math.SQRT1_2, 0, 0] },
  { pos: [0, 0, 0], quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] },
  { pos: [0.088, 0, 0], quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] }
]

/** Hand relative to link7: flange +0.107 along z, yaw −45°. @since 0.1.0 @category constants */
export const PANDA_HAND = { pos: [0, 0, 0.107] as const, quat: [Math.cos(-Math.PI / 8), 0, 0, Math.sin(-Math.PI / 8)] as const }
/** TCP: hand + 0.14 along hand z, no rotation (CALVIN's longer fingers). @since 0.1.0 @category constants */
export const TCP_OFFSET = 0.14
/** Finger joints sit this far along hand z. @since 0.1.0 @category constants */
export const FINGER_Z = 0.0584

/** Neutral joints q0 (§2.1). @since 0.1.0 @category constants */
export const Q0: ReadonlyArray<number> = [-1.21779206, 1.03987646, 2.11978261, -2.34205014, -0.87015947, 1.64119353, 0.55344866]
/** Joint clip limits used after IK (§2.1). @since 0.1.0 @category constants */
export const Q_LOWER: ReadonlyArray<number> = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]
/** @since 0.1.0 @category constants */
export const Q_UPPER: ReadonlyArray<number> = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]

/** Rotation matrix (row-major 3×3) of a unit quaternion (w, x, y, z). @since 0.1.0 @category math */
export const quatToMat = (q: ArrayLike<number>, out: Float64Array, o = 0): void => {
  const w = q[0]!, x = q[1]!, y = q[2]!, z = q[3]!
  out[o] = 1 - 2 * (y * y + z * z)
  out[o + 1] = 2 * (x * y - w * z)
  out[o + 2] = 2 * (x * z + w * y)
  out[o + 3] = 2 * (x * y + w * z)
  out[o + 4] = 1 - 2 * (x * x + z * z)
  out[o + 5] = 2 * (y * z - w * x)
  out[o + 6] = 2 * (x * z - w * y)
  out[o + 7] = 2 * (y * z + w * x)
  out[o + 8] = 1 - 2 * (x * x + y * y)
}

/**
 * Euler (roll, pitch, yaw) of a row-major rotation matrix, PyBullet convention R = Rz(yaw)·Ry(pitch)·Rx(roll).
 *
 * @since 0.1.0
 * @category math
 */
export const matToEuler = (r: ArrayLike<number>, out: Float64Array | number[], o = 0, ro = 0): void => {
  const r20 = r[ro + 6]!
  const sp = Math.max(-1, Math.min(1, -r20))
  out[o] = Math.atan2(r[ro + 7]!, r[ro + 8]!)
  out[o + 1] = Math.asin(sp)
  out[o + 2] = Math.atan2(r[ro + 3]!, r[ro]!)
}

/** Row-major rotation matrix of Euler (roll, pitch, yaw), R = Rz·Ry·Rx. @since 0.1.0 @category math */
export const eulerToMat = (roll: number, pitch: number, yaw: number, out: Float64Array, o = 0): void => {
  const cr = Math.cos(roll), sr = Math.sin(roll)
  const cp = Math.cos(pitch), sp = Math.sin(pitch)
  const cy = Math.cos(yaw), sy = Math.sin(yaw)
  out[o] = cy * cp
  out[o + 1] = cy * sp * sr - sy * cr
  out[o + 2] = cy * sp * cr + sy * sr
  out[o + 3] = sy * cp
  out[o + 4] = sy * sp * sr + cy * cr
  out[o + 5] = sy * sp * cr - cy * sr
  out[o + 6] = -sp
  out[o + 7] = cp * sr
  out[o + 8] = cp * cr
}

/** Quaternion (w, x, y, z) of Euler (roll, pitch, yaw), R = Rz·Ry·Rx. @since 0.1.0 @category math */
export const eulerToQuat = (roll: number, pitch: number, yaw: number): [number, number, number, number] => {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2)
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2)
  const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2)
  return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]
}

/** Preallocated buffers for FK / IK; one per PlayTable. @since 0.1.0 @category models */
export interface IkWorkspace {
  /** Joint origins (7×3) and axes (7×3) in world, filled by `forwardKinematics`. */
  readonly origins: Float64Array
  readonly axes: Float64Array
  /** TCP position (3) and rotation (row-major 3×3). */
  readonly tcpPos: Float64Array
  readonly tcpRot: Float64Array
  readonly jac: Float64Array // 6×7
  readonly q: Float64Array // 7
  readonly err: Float64Array // 6
  readonly a: Float64Array // 6×6
  readonly y: Float64Array // 6
  readonly dq: Float64Array // 7
  readonly tmpR: Float64Array // 9
  readonly tmpR2: Float64Array // 9
  readonly chainR: Float64Array // 7×9 fixed rotations of the chain
  readonly handR: Float64Array // 9
}

/** @since 0.1.0 @category constructors */
export const makeIkWorkspace = (): IkWorkspace => {
  const chainR = new Float64Array(63)
  PANDA_CHAIN.forEach((link, i) => quatToMat(link.quat, chainR, i * 9))
  const handR = new Float64Array(9)
  quatToMat(PANDA_HAND.quat, handR)
  return {
    origins: new Float64Array(21),
    axes: new Float64Array(21),
    tcpPos: new Float64Array(3),
    tcpRot: new Float64Array(9),
    jac: new Float64Array(42),
    q: new Float64Array(7),
    err: new Float64Array(6),
    a: new Float64Array(36),
    y: new Float64Array(6),
    dq: new Float64Array(7),
    tmpR: new Float64Array(9),
    tmpR2: new Float64Array(9),
    chainR,
    handR
  }
}

/** out = a·b for row-major 3×3 matrices at offsets (out may not alias a or b). */
const mul3 = (a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array): void => {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[ao + i * 3]! * b[bo + j]! + a[ao + i * 3 + 1]! * b[bo + 3 + j]! + a[ao + i * 3 + 2]! * b[bo + 6 + j]!
    }
  }
}

/**
 * Forward kinematics of joints q (7): fills the workspace's joint origins/axes, TCP position and rotation.
 *
 * @since 0.1.0
 * @category kinematics
 */
export const forwardKinematics = (ws: IkWorkspace, q: ArrayLike<number>): void => {
  const R = ws.tcpRot
  const p = ws.tcpPos
  R.fill(0)
  R[0] = R[4] = R[8] = 1
  p[0] = PANDA_BASE[0]
  p[1] = PANDA_BASE[1]
  p[2] = PANDA_BASE[2]
  const t = ws.tmpR
  const t2 = ws.tmpR2
  for (let i = 0; i < 7; i++) {
    const link = PANDA_CHAIN[i]!
    // p += R·pos ; R = R·Rfixed·Rz(q)
    const lx = link.pos[0], ly = link.pos[1], lz = link.pos[2]
    const px = p[0]! + R[0]! * lx + R[1]! * ly + R[2]! * lz
    const py = p[1]! + R[3]! * lx + R[4]! * ly + R[5]! * lz
    const pz = p[2]! + R[6]! * lx + R[7]! * ly + R[8]! * lz
    p[0] = px
    p[1] = py
    p[2] = pz
    mul3(R, 0, ws.chainR, i * 9, t)
    ws.origins[i * 3] = px
    ws.origins[i * 3 + 1] = py
    ws.origins[i * 3 + 2] = pz
    ws.axes[i * 3] = t[2]!
    ws.axes[i * 3 + 1] = t[5]!
    ws.axes[i * 3 + 2] = t[8]!
    const c = Math.cos(q[i]!), s = Math.sin(q[i]!)
    for (let r = 0; r < 3; r++) {
      const a0 = t[r * 3]!, a1 = t[r * 3 + 1]!
      R[r * 3] = a0 * c + a1 * s
      R[r * 3 + 1] = -a0 * s + a1 * c
      R[r * 3 + 2] = t[r * 3 + 2]!
    }
  }
  // hand
  const hz = PANDA_HAND.pos[2]
  p[0] = p[0]! + R[2]! * hz
  p[1] = p[1]! + R[5]! * hz
  p[2] = p[2]! + R[8]! * hz
  mul3(R, 0, ws.handR, 0, t2)
  R.set(t2)
  p[0] = p[0]! + R[2]! * TCP_OFFSET
  p[1] = p[1]! + R[5]! * TCP_OFFSET
  p[2] = p[2]! + R[8]! * TCP_OFFSET
}

/** Geometric Jacobian (6×7, rows: linear xyz, angular xyz) of the TCP; call after `forwardKinematics`. */
const jacobian = (ws: IkWorkspace): void => {
  const J = ws.jac
  const p = ws.tcpPos
  for (let i = 0; i < 7; i++) {
    const ax = ws.axes[i * 3]!, ay = ws.axes[i * 3 + 1]!, az = ws.axes[i * 3 + 2]!
    const rx = p[0]! - ws.origins[i * 3]!, ry = p[1]! - ws.origins[i * 3 + 1]!, rz = p[2]! - ws.origins[i * 3 + 2]!
    J[i] = ay * rz - az * ry
    J[7 + i] = az * rx - ax * rz
    J[14 + i] = ax * ry - ay * rx
    J[21 + i] = ax
    J[28 + i] = ay
    J[35 + i] = az
  }
}

/** Solve the 6×6 SPD system a·x = y in place (Cholesky); x is written to y. */
const cholSolve6 = (a: Float64Array, y: Float64Array): void => {
  const n = 6
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!
    d = Math.sqrt(Math.max(d, 1e-12))
    a[j * n + j] = d
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!
      a[i * n + j] = s / d
    }
  }
  for (let i = 0; i < n; i++) {
    let s = y[i]!
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * y[k]!
    y[i] = s / a[i * n + i]!
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * y[k]!
    y[i] = s / a[i * n + i]!
  }
}

/** IK settings: damping λ, null-space gain toward q0, iterations, step clamp. @since 0.1.0 @category models */
export interface IkOptions {
  readonly iterations: number
  readonly damping: number
  readonly nullGain: number
  readonly maxStep: number
}

/** @since 0.1.0 @category constants */
export const DEFAULT_IK: IkOptions = { iterations: 12, damping: 0.01, nullGain: 0.2, maxStep: 0.3 }

/**
 * Damped least-squares IK on the TCP toward (targetPos, targetRot row-major 3×3), starting from `qStart`,
 * pulling the null space toward `Q0`, clipping to the joint limits. Writes the solution to `out` (7).
 * Returns the final position error norm (m).
 *
 * @since 0.1.0
 * @category kinematics
 */
export const solveIk = (
  ws: IkWorkspace,
  qStart: ArrayLike<number>,
  targetPos: ArrayLike<number>,
  targetRot: ArrayLike<number>,
  out: Float64Array,
  options: IkOptions = DEFAULT_IK
): number => {
  const q = ws.q
  for (let i = 0; i < 7; i++) q[i] = qStart[i]!
  const J = ws.jac, e = ws.err, A = ws.a, y = ws.y, dq = ws.dq
  const lam2 = options.damping * options.damping
  let posErr = Infinity
  for (let it = 0; it <= options.iterations; it++) {
    forwardKinematics(ws, q)
    const R = ws.tcpRot
    e[0] = targetPos[0]! - ws.tcpPos[0]!
    e[1] = targetPos[1]! - ws.tcpPos[1]!
    e[2] = targetPos[2]! - ws.tcpPos[2]!
    posErr = Math.hypot(e[0], e[1], e[2])
    // orientation error: 0.5 Σ_k (R_k × Rt_k) over columns k
    let ox = 0, oy = 0, oz = 0
    for (let k = 0; k < 3; k++) {
      const ax = R[k]!, ay = R[3 + k]!, az = R[6 + k]!
      const bx = targetRot[k]!, by = targetRot[3 + k]!, bz = targetRot[6 + k]!
      ox += ay * bz - az * by
      oy += az * bx - ax * bz
      oz += ax * by - ay * bx
    }
    e[3] = 0.5 * ox
    e[4] = 0.5 * oy
    e[5] = 0.5 * oz
    if (it === options.iterations) break
    jacobian(ws)
    // A = J Jᵀ + λ² I ; y = e
    for (let r = 0; r < 6; r++) {
      for (let c = r; c < 6; c++) {
        let s = 0
        for (let k = 0; k < 7; k++) s += J[r * 7 + k]! * J[c * 7 + k]!
        A[r * 6 + c] = s
        A[c * 6 + r] = s
      }
      A[r * 6 + r] = A[r * 6 + r]! + lam2
      y[r] = e[r]!
    }
    cholSolve6(A, y)
    // dq = Jᵀ y + (I − J⁺J) k (q0 − q), with J⁺ ≈ Jᵀ (JJᵀ+λ²)⁻¹
    let maxAbs = 0
    for (let k = 0; k < 7; k++) {
      let s = 0
      for (let r = 0; r < 6; r++) s += J[r * 7 + k]! * y[r]!
      dq[k] = s
    }
    // null-space term: z = k (q0 − q); dq += z − J⁺ (J z)
    const g = options.nullGain
    for (let r = 0; r < 6; r++) {
      let s = 0
      for (let k = 0; k < 7; k++) s += J[r * 7 + k]! * g * (Q0[k]! - q[k]!)
      y[r] = s
    }
    for (let r = 0; r < 6; r++) {
      for (let c = r; c < 6; c++) {
        let s = 0
        for (let k = 0; k < 7; k++) s += J[r * 7 + k]! * J[c * 7 + k]!
        A[r * 6 + c] = s
        A[c * 6 + r] = s
      }
      A[r * 6 + r] = A[r * 6 + r]! + lam2
    }
    cholSolve6(A, y)
    for (let k = 0; k < 7; k++) {
      let s = 0
      for (let r = 0; r < 6; r++) s += J[r * 7 + k]! * y[r]!
      dq[k] = dq[k]! + g * (Q0[k]! - q[k]!) - s
      maxAbs = Math.max(maxAbs, Math.abs(dq[k]!))
    }
    const scale = maxAbs > options.maxStep ? options.maxStep / maxAbs : 1
    for (let k = 0; k < 7; k++) {
      q[k] = Math.min(Q_UPPER[k]!, Math.max(Q_LOWER[k]!, q[k]! + scale * dq[k]!))
    }
  }
  for (let i = 0; i < 7; i++) out[i] = q[i]!
  return posErr
}
