/**
 * Config of the discrete head. `{}` decodes to RoboVLMs' tokenizer defaults (256 bins over [−1, 1]).
 *
 * @since 0.1.0
 */
import { PositiveInt, withDefault } from "@robovla/sdk"
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category schemas
 */
export const DiscreteConfig = Schema.Struct({
  /** Bin edges of the action tokenizer (`n_bin`); the head predicts one logit per bin index. */
  bins: PositiveInt.check(Schema.isGreaterThanOrEqualTo(3)).pipe(withDefault(256)),
  /** Tokenizer range; must contain 0 so the gripper's sign is decodable. */
  min_action: Schema.Finite.check(Schema.isLessThan(0)).pipe(withDefault(-1)),
  max_action: Schema.Finite.check(Schema.isGreaterThan(0)).pipe(withDefault(1)),
  seed: Schema.Int.pipe(withDefault(123))
})

/**
 * @since 0.1.0
 * @category models
 */
export type DiscreteConfig = typeof DiscreteConfig.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultDiscreteConfig: DiscreteConfig = Schema.decodeUnknownSync(DiscreteConfig)({})
