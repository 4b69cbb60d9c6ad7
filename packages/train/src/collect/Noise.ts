/**
 * Who moves the robot while the expert labels: the seam between the action a frame is labelled with (always the
 * expert's, at the state actually visited) and the action that is executed.
 *
 * - `cleanDriver`: the expert's own action (plain behaviour cloning data).
 * - `DartNoise`: the expert's action plus seeded Gaussian noise on the six arm dims (DART, Laskey et al. 2017), so
 *   the recorded states drift off the expert's path the way a learned policy's would, while every label still says
 *   how the expert recovers from there. The gripper command is never perturbed (a flipped gripper drops the block
 *   and ends the subtask instead of teaching a recovery).
 * - A DAgger round would be one more driver: a trained policy acts, the expert labels (see the README).
 *
 * Noise units are those of the relative action, clipped to [−1, 1] after the noise is added: σ = 0.1 is 2 mm of
 * position and 5 mrad of orientation per 30 Hz step (1 unit = 2 cm / 0.05 rad). The noise is i.i.d. per step and
 * dimension and derives only from the attempt's seed, so the dry and the recorded pass of an episode execute the
 * same actions and a resumed run repeats them.
 *
 * @since 0.1.0
 */
import { Rng } from "../windows/Random.ts"

/** Maps the expert's clean action at step t to the action executed. @since 0.1.0 @category models */
export interface ActionDriver {
  readonly execute: (clean: ReadonlyArray<number>) => ReadonlyArray<number>
  /** True when the executed action may differ from the clean one (the label then needs a look-ahead step). */
  readonly perturbs: boolean
}

/** Executes the expert's action unchanged. @since 0.1.0 @category constructors */
export const cleanDriver: ActionDriver = { execute: (clean) => clean, perturbs: false }

const clip1 = (x: number): number => (x > 1 ? 1 : x < -1 ? -1 : x)

/**
 * Seeded Gaussian noise on the arm dims of a relative action (7-D: xyz, Euler xyz, gripper).
 *
 * @since 0.1.0
 * @category constructors
 */
export class DartNoise implements ActionDriver {
  readonly perturbs: boolean
  private readonly rng: Rng
  private spare: number | undefined

  constructor(
    /** σ in relative-action units. */
    readonly scale: number,
    seed: number
  ) {
    if (!(Number.isFinite(scale) && scale >= 0)) throw new RangeError(`noise scale must be a finite number ≥ 0, got ${scale}`)
    this.perturbs = scale > 0
    this.rng = new Rng(seed)
  }

  /** A standard normal draw (Box–Muller, both values used). */
  gaussian(): number {
    if (this.spare !== undefined) {
      const z = this.spare
      this.spare = undefined
      return z
    }
    const u = 1 - this.rng.next() // (0, 1]: log never sees 0
    const v = this.rng.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  execute(clean: ReadonlyArray<number>): ReadonlyArray<number> {
    if (!this.perturbs) return clean
    const out = new Array<number>(clean.length)
    for (let d = 0; d < clean.length; d++) out[d] = d < 6 ? clip1(clean[d]! + this.scale * this.gaussian()) : clean[d]!
    return out
  }
}

/** The driver of one attempt: noise when σ > 0, else the clean expert. @since 0.1.0 @category constructors */
export const driverFor = (scale: number, seed: number): ActionDriver => (scale > 0 ? new DartNoise(scale, seed) : cleanDriver)
