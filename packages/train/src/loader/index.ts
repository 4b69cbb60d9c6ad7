/**
 * The training data loader.
 *
 * @since 0.1.0
 */
export * from "./CalvinLoader.ts"
