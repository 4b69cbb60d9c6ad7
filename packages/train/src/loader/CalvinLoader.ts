/**
 * A data loader that keeps a trainer fed from a CALVIN split (reference/robovlms.md §8.5): each epoch visits every
 * window item once in a seeded shuffled order, cut into batches (the remainder dropped, as the reference's
 * sampler does), with the next batches prefetched while the trainer works on the current one.
 *
 * Decoding (npz inflate, image copies, augmentation) can run in worker threads. Batches are deterministic under
 * the seed whatever the worker count: batch b of epoch e always holds the same items, and each item's crop offsets
 * come from a seed derived from (seed, epoch, item), never from a shared stream. Memory stays bounded: the split
 * is read frame by frame and at most `prefetch` batches (or one per worker) are in flight.
 *
 * @since 0.1.0
 */
import { makeWorkerPool, type WorkerPool } from "@robovla/sdk"
import { Effect, type Scope } from "effect"
import { CalvinSplit } from "../data/CalvinDataset.ts"
import { TrainError } from "../TrainError.ts"
import { deriveSeed, permutation } from "../windows/Random.ts"
import { type BatchOptions, buildBatch, type WindowBatch } from "../windows/WindowBatch.ts"
import { WindowIndex, type WindowOptions } from "../windows/WindowIndex.ts"

/** @since 0.1.0 @category models */
export interface LoaderOptions extends WindowOptions, BatchOptions {
  /** Split folder (`training/` or `validation/`). */
  readonly dir: string
  readonly batchSize: number
  /** Seeds the order and the augmentation (default 0). */
  readonly seed?: number
  /** Default true. */
  readonly shuffle?: boolean
  /** Drop the last incomplete batch (default true, like the reference). */
  readonly dropLast?: boolean
  /** Batches decoded ahead of the consumer (default 2). */
  readonly prefetch?: number
  /** Worker threads for decoding; 0 (default) decodes on the calling thread. */
  readonly workers?: number
}

/** What a loader worker gets at start (its pool setup). @since 0.1.0 @category models */
export interface LoaderWorkerData {
  readonly dir: string
  readonly window: WindowOptions
  readonly batch: BatchOptions
}

/**
 * A loader worker's answer to one planned batch: the batch, or the `TrainError` it met as data (so its reason and
 * file survive the thread boundary). @since 0.1.0 @category models
 */
export type LoaderAnswer =
  | { readonly batch: WindowBatch }
  | { readonly error: { readonly reason: TrainError["reason"]; readonly message: string; readonly file?: string } }

/** One planned batch: its items and their augmentation seeds. @since 0.1.0 @category models */
export interface BatchPlan {
  readonly items: Int32Array
  readonly seeds: Uint32Array | undefined
}

const windowOptionsOf = (o: LoaderOptions): WindowOptions => ({
  windowSize: o.windowSize,
  fwdPredNextN: o.fwdPredNextN,
  ...(o.sampling !== undefined ? { sampling: o.sampling } : {}),
  ...(o.windowSample !== undefined ? { windowSample: o.windowSample } : {}),
  ...(o.leftPad !== undefined ? { leftPad: o.leftPad } : {})
})

const batchOptionsOf = (o: LoaderOptions): BatchOptions => ({
  ...(o.actionKey !== undefined ? { actionKey: o.actionKey } : {}),
  ...(o.images !== undefined ? { images: o.images } : {}),
  ...(o.cameras !== undefined ? { cameras: o.cameras } : {}),
  ...(o.augment !== undefined ? { augment: o.augment } : {}),
  ...(o.normalize !== undefined ? { normalize: o.normalize } : {})
})

/**
 * @since 0.1.0
 * @category constructors
 */
export class CalvinLoader {
  /** The SDK's worker pool, one thread per worker, all with the same setup (the split and the batch options). */
  private readonly pool: WorkerPool<LoaderWorkerData, BatchPlan, LoaderAnswer> | undefined
  private readonly workerSetup: LoaderWorkerData

  private constructor(
    readonly options: LoaderOptions,
    readonly split: CalvinSplit,
    readonly index: WindowIndex
  ) {
    const workers = options.workers ?? 0
    this.workerSetup = { dir: options.dir, window: windowOptionsOf(options), batch: batchOptionsOf(options) }
    this.pool = workers > 0 ? makeWorkerPool(new URL("./LoaderWorker.ts", import.meta.url), workers) : undefined
  }

  /** Opens the split and indexes its windows (reads only the small index files). Call `close()` when done. */
  static open(options: LoaderOptions): CalvinLoader {
    const { batchSize, workers = 0, prefetch = 2 } = options
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new TrainError({ reason: "InvalidInput", message: `batchSize must be a positive integer, got ${batchSize}` })
    if (!(Number.isInteger(workers) && workers >= 0)) throw new TrainError({ reason: "InvalidInput", message: `workers must be a non-negative integer, got ${workers}` })
    if (!(Number.isInteger(prefetch) && prefetch >= 0)) throw new TrainError({ reason: "InvalidInput", message: `prefetch must be a non-negative integer, got ${prefetch}` })
    const split = CalvinSplit.open(options.dir)
    const index = new WindowIndex(split.annotations, windowOptionsOf(options))
    return new CalvinLoader(options, split, index)
  }

  /** The loader as a scoped resource: workers are stopped when the scope closes. */
  static make(options: LoaderOptions): Effect.Effect<CalvinLoader, TrainError, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.try({ try: () => CalvinLoader.open(options), catch: (cause) => (cause instanceof TrainError ? cause : new TrainError({ reason: "InvalidInput", message: String(cause), cause })) }),
      (loader) => Effect.promise(() => loader.close())
    )
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    const n = this.index.size / this.options.batchSize
    return (this.options.dropLast ?? true) ? Math.floor(n) : Math.ceil(n)
  }

  /** The item order of an epoch (a seeded permutation, or 0…size − 1 without shuffling). */
  order(epoch: number): Uint32Array {
    const size = this.index.size
    if (this.options.shuffle === false) return Uint32Array.from({ length: size }, (_, i) => i)
    return permutation(size, deriveSeed(this.options.seed ?? 0, epoch))
  }

  /** Items and augmentation seeds of batch b of an epoch. */
  plan(epoch: number, batch: number, order = this.order(epoch)): BatchPlan {
    const { batchSize } = this.options
    const start = batch * batchSize
    const items = Int32Array.from(order.subarray(start, Math.min(start + batchSize, order.length)))
    const augmenting = this.options.augment !== undefined && this.options.augment !== false
    const seed = this.options.seed ?? 0
    return { items, seeds: augmenting ? Uint32Array.from(items, (item) => deriveSeed(seed, epoch, item, 0xa11)) : undefined }
  }

  /** Decodes one planned batch (in a worker when there are workers). */
  load(plan: BatchPlan): Promise<WindowBatch> {
    if (this.pool !== undefined) {
      return this.pool.run(this.workerSetup, plan).then(
        (answer) => {
          if ("error" in answer) throw new TrainError({ ...answer.error })
          return answer.batch
        },
        (cause: unknown) => {
          throw new TrainError({ reason: "Interrupted", message: `loader worker stopped: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
        }
      )
    }
    // Yield to the event loop first so prefetching never starves the consumer's own callbacks.
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        try {
          resolve(buildBatch(this.split, this.index, plan.items, batchOptionsOf(this.options), plan.seeds))
        } catch (error) {
          reject(error)
        }
      })
    )
  }

  /** The batches of one epoch, in order, with up to `prefetch` (at least one per worker) decoded ahead. */
  async *epoch(epoch: number): AsyncGenerator<WindowBatch> {
    const order = this.order(epoch)
    const total = this.batchesPerEpoch
    const depth = Math.max(1, this.options.prefetch ?? 2, this.options.workers ?? 0)
    const pending: Array<Promise<WindowBatch>> = []
    let next = 0
    const enqueue = () => {
      const promise = this.load(this.plan(epoch, next++, order))
      // A consumer that stops early must not leave unhandled rejections behind.
      promise.catch(() => undefined)
      pending.push(promise)
    }
    while (next < total && pending.length < depth) enqueue()
    for (let b = 0; b < total; b++) {
      const batch = await pending.shift()!
      if (next < total) enqueue()
      yield batch
    }
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close()
  }
}
