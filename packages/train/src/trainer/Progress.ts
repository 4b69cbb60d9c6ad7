/**
 * The training progress event, emitted through `onProgress` after each step (the `robovla train` command prints
 * it; the library prints nothing).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category models */
export interface TrainProgress {
  readonly step: number
  readonly totalSteps: number
  readonly epoch: number
  readonly stepsPerSecond: number
  readonly samplesPerSecond: number
  /** Exponential moving average of the training loss. */
  readonly runningLoss: number
  readonly lr: number
  readonly lastValLoss?: number | undefined
}
