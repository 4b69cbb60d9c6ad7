/**
 * The MLP head (RoboVLMs' `FCDecoder`, reference/robovlms.md §6): every window position is read out on its own.
 *
 *   [LRN] (B, T, latent, D) → flatten latent·D → Linear(→ latent·D/2) → ReLU → Linear(→ H·latent)
 *     → arm MLP (widths…, N·6, tanh) and gripper MLP (widths…, N logits)
 *
 * Linear layers get Xavier-uniform weights and zero bias. The stepper is stateless (one-position windows).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { HeadDimensions, SdkError } from "@robovla/sdk"
import { makeRng, PolicyHead } from "@robovla/sdk"
import type { HeadTensors, TfPolicyHead } from "@robovla/tfjs"
import { acquireParameters, continuousLoss, makeActionMlps, makeReluStack, makeTfHead, statelessStepper } from "@robovla/tfjs"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { MlpConfig } from "./MlpConfig.ts"

/**
 * Builds the head's variables in the Scope (disposed when it closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config: MlpConfig, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope> =
  Effect.fn("MlpHead.make")(function*(config: MlpConfig, dimensions: HeadDimensions) {
    yield* PolicyHead.checkDimensions("mlp", dimensions)
    const { chunkSize, inputSize, latent } = dimensions
    const tokenFeatures = latent * inputSize
    const hidden = config.hidden_size * latent
    const { built, parameters } = yield* acquireParameters("mlp", (parameters) => {
      const rng = makeRng(config.seed)
      const init = { kind: "xavier" } as const
      const body = makeReluStack(parameters, rng, "fc", [tokenFeatures, Math.max(1, Math.floor(tokenFeatures / 2)), hidden], init)
      const mlps = makeActionMlps(parameters, rng, { inputSize: hidden, widths: config.mlp_widths, chunkSize, init })
      return { body, mlps }
    })
    const predictTensors = (lrn: tf.Tensor4D): HeadTensors => {
      const [batch, time] = lrn.shape
      return built.mlps.apply(built.body.apply(tf.reshape(lrn, [batch * time, tokenFeatures])), batch, time)
    }
    return yield* makeTfHead({
      name: "mlp",
      kind: "continuous",
      dimensions,
      parameters,
      predictTensors,
      loss: (output, labels, mask) => continuousLoss(output, labels, mask, config.arm_gripper_loss_ratio),
      stepper: () => statelessStepper(predictTensors)
    })
  })
