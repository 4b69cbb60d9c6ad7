/**
 * @robovla/train: CALVIN-format datasets (read, write, collect), training windows, statistics.
 *
 * @since 0.1.0
 */
export * as CalvinDataset from "./data/CalvinDataset.ts"
export * as NdArray from "./data/NdArray.ts"
export * as Npy from "./data/Npy.ts"
export * as Pickle from "./data/Pickle.ts"
export * as SentenceEncoder from "./data/SentenceEncoder.ts"
export * as Statistics from "./data/Statistics.ts"
export { TrainError } from "./TrainError.ts"
export * as Windows from "./windows/index.ts"
export * as Loader from "./loader/index.ts"
export { CalvinLoader } from "./loader/CalvinLoader.ts"
export * as Collect from "./collect/index.ts"
export * as Vl from "./vl/index.ts"
