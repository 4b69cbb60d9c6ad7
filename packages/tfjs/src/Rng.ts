/**
 * The kit's weight init draws from the SDK's one seeded generator (`makeRng` over `mulberry32`), so every init
 * is reproducible from the `seed` config field alone, on every backend, without touching tfjs' global random
 * state. Re-exported here for the kit's building blocks.
 *
 * @since 0.1.0
 */
export { makeRng } from "@robovla/sdk"
export type { Rng } from "@robovla/sdk"
