/**
 * Training windows over CALVIN splits: item index, batch assembly, random-shift augmentation, seeded randomness.
 *
 * @since 0.1.0
 */
export * from "./Augment.ts"
export * from "./Random.ts"
export * from "./WindowBatch.ts"
export * from "./WindowIndex.ts"
