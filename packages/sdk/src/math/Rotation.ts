/**
 * Euler angles ↔ rotation matrices in the convention RoboVLMs' TCP-frame code uses: "XYZ", i.e.
 * R(a, b, c) = Rx(a)·Ry(b)·Rz(c) with right-handed elementary rotations (reference/robovlms.md §1.3).
 * Note that CALVIN's own helpers compose Rz·Ry·Rx (scipy "xyz"); these are not those.
 *
 * Matrices are row-major 3×3 as 9 numbers: `m[3 * row + col]`.
 *
 * @since 0.1.0
 */

/** A row-major 3×3 matrix. @since 0.1.0 @category models */
export type Matrix3 = ReadonlyArray<number>

/**
 * R = Rx(e[0])·Ry(e[1])·Rz(e[2]).
 *
 * @since 0.1.0
 * @category rotations
 */
export const eulerXyzToMatrix = (euler: ArrayLike<number>): Array<number> => {
  const ca = Math.cos(euler[0]!), sa = Math.sin(euler[0]!)
  const cb = Math.cos(euler[1]!), sb = Math.sin(euler[1]!)
  const cc = Math.cos(euler[2]!), sc = Math.sin(euler[2]!)
  return [
    cb * cc, -cb * sc, sb,
    sa * sb * cc + ca * sc, -sa * sb * sc + ca * cc, -sa * cb,
    -ca * sb * cc + sa * sc, ca * sb * sc + sa * cc, ca * cb
  ]
}

/**
 * Inverse of {@link eulerXyzToMatrix}: b = asin(R02) ∈ [−π/2, π/2], a = atan2(−R12, R22), c = atan2(−R01, R00).
 * R02 is clamped to [−1, 1] so that rounding never yields NaN (the reference falls back to a quaternion
 * round-trip in that case; clamping gives the same angles).
 *
 * @since 0.1.0
 * @category rotations
 */
export const matrixToEulerXyz = (m: ArrayLike<number>): [number, number, number] => {
  const r02 = Math.min(1, Math.max(-1, m[2]!))
  return [Math.atan2(-m[5]!, m[8]!), Math.asin(r02), Math.atan2(-m[1]!, m[0]!)]
}

/**
 * Product of two 3×3 matrices, a·b.
 *
 * @since 0.1.0
 * @category matrices
 */
export const matMul3 = (a: ArrayLike<number>, b: ArrayLike<number>): Array<number> => {
  const out = new Array<number>(9)
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[3 * i + j] = a[3 * i]! * b[j]! + a[3 * i + 1]! * b[3 + j]! + a[3 * i + 2]! * b[6 + j]!
    }
  }
  return out
}

/**
 * Transpose of a 3×3 matrix (the inverse of a rotation).
 *
 * @since 0.1.0
 * @category matrices
 */
export const transpose3 = (m: ArrayLike<number>): Array<number> => [
  m[0]!, m[3]!, m[6]!,
  m[1]!, m[4]!, m[7]!,
  m[2]!, m[5]!, m[8]!
]

/**
 * m·v for a 3×3 matrix and a 3-vector.
 *
 * @since 0.1.0
 * @category matrices
 */
export const matVec3 = (m: ArrayLike<number>, v: ArrayLike<number>): [number, number, number] => [
  m[0]! * v[0]! + m[1]! * v[1]! + m[2]! * v[2]!,
  m[3]! * v[0]! + m[4]! * v[1]! + m[5]! * v[2]!,
  m[6]! * v[0]! + m[7]! * v[1]! + m[8]! * v[2]!
]

/**
 * Wraps an angle into [−π, π] the way the reference does: one step of ±2π (inputs lie within (−3π, 3π)).
 *
 * @since 0.1.0
 * @category angles
 */
export const wrapAngleOnce = (angle: number): number =>
  angle < -Math.PI ? angle + 2 * Math.PI : angle > Math.PI ? angle - 2 * Math.PI : angle
