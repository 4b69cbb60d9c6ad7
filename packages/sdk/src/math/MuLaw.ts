/**
 * μ-law companding of actions (RoboVLMs `use_mu_law`, μ = 255; off in CALVIN): y = sign(x)·ln(1 + μ|x|)/ln(1 + μ)
 * on every dim but the last (the gripper is kept). It stretches small values, which dominate relative actions.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category constants */
export const MU_LAW_MU = 255

/**
 * @since 0.1.0
 * @category companding
 */
export const muLawEncode = (x: ArrayLike<number>, mu = MU_LAW_MU): Array<number> => {
  const out = Array.from(x)
  const denominator = Math.log(1 + mu)
  for (let i = 0; i < out.length - 1; i++) {
    const v = out[i]!
    out[i] = (Math.sign(v) * Math.log(1 + mu * Math.abs(v))) / denominator
  }
  return out
}

/**
 * Inverse: x = sign(y)·((1 + μ)^|y| − 1)/μ, gripper kept.
 *
 * @since 0.1.0
 * @category companding
 */
export const muLawDecode = (y: ArrayLike<number>, mu = MU_LAW_MU): Array<number> => {
  const out = Array.from(y)
  const logBase = Math.log(1 + mu)
  for (let i = 0; i < out.length - 1; i++) {
    const v = out[i]!
    out[i] = (Math.sign(v) * (Math.exp(Math.abs(v) * logBase) - 1)) / mu
  }
  return out
}
