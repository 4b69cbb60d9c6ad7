/**
 * Cached features for frozen parts (issue 12, item 3). When the vision tower (and projector) is frozen, its output
 * per frame and camera never changes, so it is computed once and stored beside the dataset; when the whole backbone
 * and [LRN] are frozen (head-only training, or an inference-only backbone such as ONNX), the [LRN] hidden state of
 * every (annotation, frame) is cached instead and the head trains without running the backbone at all.
 *
 * Layout: `<split>/.features/<kind>-<key>/` with `meta.json` and raw little-endian float32 files
 * (`static.f32`, `gripper.f32` or `lrn.f32`, shape views × rows × tokens × D). The key is the SHA-256 of
 * everything the features depend on: the backbone's weights (or, for a backbone without `weights()`, its name and
 * config), the preprocessing, the cameras, [LRN] and the tokenizer's ids (lrn kind), and the augmentation views.
 * A folder is written under a temp name and renamed when complete, so a killed build leaves no half cache.
 *
 * Augmentation with the cache: **cached shifted views**. View 0 is the unshifted image; views 1…V−1 are random
 * shifts (replicate pad 10 static / 4 gripper, offsets in {1…2p}, the loader's augmentation) with seeds derived
 * from (seed, frame, view). Training picks a view per (epoch, item, frame); validation always reads view 0.
 * With V = 1 (default) cached training runs without augmentation. Features are computed through the backbone
 * contract (`encodeImages`, `embedTokens`, `forward`, the SDK assembly's layout), so any backbone can be cached.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Assembly, type BackboneService, type FloatTensor } from "@robovla/sdk"
import { Effect } from "effect"
import type { CalvinSplit } from "../data/CalvinDataset.ts"
import { TrainError } from "../TrainError.ts"
import { drawShift, GRIPPER_SHIFT_PAD, shiftChwInPlace, STATIC_SHIFT_PAD } from "../windows/Augment.ts"
import { deriveSeed, Rng } from "../windows/Random.ts"

/** @since 0.1.0 @category models */
export type CacheKind = "images" | "lrn"

/** @since 0.1.0 @category models */
export interface CacheOptions {
  readonly kind: CacheKind
  readonly views: number
  readonly seed: number
  readonly useGripperCamera: boolean
  /** lrn kind: [LRN] copies and the trained [LRN] vector the features were computed with. */
  readonly latent: number
  readonly actionToken: Float32Array
  /** Frames encoded per backbone call while building. */
  readonly chunk?: number
  readonly onProgress?: (done: number, total: number) => void
  /** Aborting it stops the build after the current chunk (TrainError "Interrupted"; nothing half-built is kept). */
  readonly signal?: AbortSignal | undefined
}

/** A loaded cache. @since 0.1.0 @category models */
export interface FeatureCache {
  readonly kind: CacheKind
  readonly dir: string
  readonly views: number
  /** Tokens per row (n for images, latent for lrn) and width D. */
  readonly tokens: number
  readonly width: number
  /** images: sorted frame ids (row = position); lrn: per annotation its first row (rows = end − start + 1). */
  readonly frames: Int32Array
  readonly annotationRows: Int32Array
  readonly static?: Float32Array
  readonly gripper?: Float32Array
  readonly lrn?: Float32Array
  /** Row of a frame (images) or of (annotation, frame) (lrn). */
  readonly row: (frame: number, annotation: number) => number
  readonly rows: number
  readonly built: boolean
  readonly seconds: number
}

const hashWeights = (backbone: BackboneService, hash: crypto.Hash): void => {
  const weights = backbone.weights?.()
  if (weights === undefined) {
    hash.update(`backbone:${backbone.name}:${backbone.hiddenSize}:${backbone.imageTokens}`)
    return
  }
  for (const name of Object.keys(weights).sort()) {
    const w = weights[name]!
    hash.update(name).update(JSON.stringify(w.shape)).update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength))
  }
}

/**
 * The cache key: SHA-256 over everything the cached features depend on (first 16 hex digits).
 *
 * @since 0.1.0
 * @category keys
 */
export const cacheKey = (backbone: BackboneService, backboneConfig: unknown, split: CalvinSplit, options: CacheOptions): string => {
  const hash = crypto.createHash("sha256")
  hash.update(`robovla.features/v1:${options.kind}:views=${options.views}:seed=${options.seed}:hand=${options.useGripperCamera}`)
  hash.update(JSON.stringify(backbone.imagePreprocessing)).update(JSON.stringify(backboneConfig ?? null))
  hashWeights(backbone, hash)
  if (options.kind === "lrn") {
    hash.update(`latent=${options.latent}`).update(new Uint8Array(options.actionToken.buffer, options.actionToken.byteOffset, options.actionToken.byteLength))
    const instructions = [...new Set(split.annotations.map((a) => a.instruction))].sort()
    hash.update(JSON.stringify(instructions.map((i) => [...backbone.tokenizer.encode(i)])))
    hash.update(JSON.stringify(split.annotations.map((a) => [a.start, a.end])))
  }
  return hash.digest("hex").slice(0, 16)
}

const preprocessFrames = (split: CalvinSplit, ids: ReadonlyArray<number>, camera: "static" | "gripper", backbone: BackboneService, view: number, seed: number): FloatTensor<"B 3 S S"> => {
  const p = backbone.imagePreprocessing
  const per = 3 * p.size * p.size
  const out = new Float32Array(ids.length * per)
  const key = camera === "static" ? "rgb_static" : "rgb_gripper"
  ids.forEach((id, i) => {
    const image = split.frame(id, [key])[key]
    if (image === undefined || image.shape.length !== 3) throw new TrainError({ reason: "CorruptFile", message: `${split.dir}: frame ${id} has no ${key}` })
    Assembly.preprocessImageInto({ data: image.data as Uint8Array, height: image.shape[0]!, width: image.shape[1]! }, p, out, i * per, `${key}@${id}`)
    if (view > 0) {
      const pad = camera === "static" ? STATIC_SHIFT_PAD : GRIPPER_SHIFT_PAD
      shiftChwInPlace(out, i * per, 3, p.size, p.size, pad, drawShift(new Rng(deriveSeed(seed, id, view, camera === "static" ? 1 : 2)), pad))
    }
  })
  return { data: out, shape: [ids.length, 3, p.size, p.size] }
}

const run = <A>(effect: Effect.Effect<A, unknown>): Promise<A> => Effect.runPromise(effect)

/**
 * Opens the cache for `split` (building it first when absent).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openFeatureCache = async (
  split: CalvinSplit,
  backbone: BackboneService,
  backboneConfig: unknown,
  options: CacheOptions
): Promise<FeatureCache> => {
  const key = cacheKey(backbone, backboneConfig, split, options)
  const root = path.join(split.dir, ".features")
  const dir = path.join(root, `${options.kind}-${key}`)
  const started = performance.now()
  let built = false
  if (!fs.existsSync(path.join(dir, "meta.json"))) {
    await buildCache(split, backbone, options, dir)
    built = true
  }
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as {
    tokens: number; width: number; views: number; rows: number; files: Record<string, number>
  }
  const readF32 = (name: string): Float32Array => {
    const file = path.join(dir, name)
    const bytes = fs.readFileSync(file)
    if (bytes.length !== meta.files[name]) throw new TrainError({ reason: "CorruptFile", message: `feature cache ${file} has ${bytes.length} bytes, meta.json says ${meta.files[name]}`, file })
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
  }
  // Small files come back as views into Node's shared buffer pool: copy exactly the file's bytes.
  const frameBytes = fs.readFileSync(path.join(dir, "frames.i32"))
  const frames = new Int32Array(frameBytes.buffer.slice(frameBytes.byteOffset, frameBytes.byteOffset + frameBytes.length))
  const annotationRows = Int32Array.from(split.annotations.reduce<Array<number>>((acc, a, k) => {
    acc.push(k === 0 ? 0 : acc[k - 1]! + (split.annotations[k - 1]!.end - split.annotations[k - 1]!.start + 1))
    return acc
  }, []))
  const row = options.kind === "images"
    ? (frame: number) => {
      let lo = 0
      let hi = frames.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        if (frames[mid] === frame) return mid
        if (frames[mid]! < frame) lo = mid + 1
        else hi = mid - 1
      }
      throw new TrainError({ reason: "InvalidInput", message: `frame ${frame} is not in the feature cache ${dir}` })
    }
    : (frame: number, annotation: number) => annotationRows[annotation]! + frame - split.annotations[annotation]!.start
  return {
    kind: options.kind,
    dir,
    views: meta.views,
    tokens: meta.tokens,
    width: meta.width,
    frames,
    annotationRows,
    ...(options.kind === "images" ? { static: readF32("static.f32") } : { lrn: readF32("lrn.f32") }),
    ...(options.kind === "images" && options.useGripperCamera ? { gripper: readF32("gripper.f32") } : {}),
    row,
    rows: meta.rows,
    built,
    seconds: (performance.now() - started) / 1000
  }
}

/**
 * Between chunks: lets the event loop run (a build is a chain of resolved promises, which would otherwise starve
 * signal handlers: Ctrl-C went unheard for minutes), then stops if the caller aborted.
 */
const betweenChunks = async (signal: AbortSignal | undefined, tmp: string, what: string): Promise<void> => {
  await new Promise<void>((resolve) => setImmediate(resolve))
  if (signal?.aborted === true) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new TrainError({ reason: "Interrupted", message: `stopped while caching ${what}; nothing of it was kept, and the next run builds it again` })
  }
}

const buildCache = async (split: CalvinSplit, backbone: BackboneService, options: CacheOptions, dir: string): Promise<void> => {
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  const chunk = options.chunk ?? 16
  const d = backbone.hiddenSize
  const n = backbone.imageTokens
  const files: Record<string, number> = {}
  if (options.kind === "images") {
    const ids = new Set<number>()
    for (const a of split.annotations) for (let f = a.start; f <= a.end; f++) ids.add(f)
    const frames = Int32Array.from([...ids].sort((a, b) => a - b))
    fs.writeFileSync(path.join(tmp, "frames.i32"), new Uint8Array(frames.buffer))
    const cameras: Array<"static" | "gripper"> = options.useGripperCamera ? ["static", "gripper"] : ["static"]
    const total = cameras.length * options.views * frames.length
    let done = 0
    for (const camera of cameras) {
      const file = `${camera}.f32`
      const fd = fs.openSync(path.join(tmp, file), "w")
      let position = 0
      for (let view = 0; view < options.views; view++) {
        for (let i = 0; i < frames.length; i += chunk) {
          const ids = Array.from(frames.subarray(i, i + chunk))
          const tokens = await run(backbone.encodeImages(preprocessFrames(split, ids, camera, backbone, view, options.seed)))
          fs.writeSync(fd, new Uint8Array(tokens.data.buffer, tokens.data.byteOffset, tokens.data.byteLength), 0, tokens.data.byteLength, position)
          position += tokens.data.byteLength
          done += ids.length
          options.onProgress?.(done, total)
          await betweenChunks(options.signal, tmp, `image features of ${split.dir}`)
        }
      }
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      files[file] = position
    }
    fs.writeFileSync(path.join(tmp, "meta.json"), JSON.stringify({ kind: "images", tokens: n, width: d, views: options.views, rows: frames.length, files }))
  } else {
    const rows = split.annotations.reduce((s, a) => s + a.end - a.start + 1, 0)
    fs.writeFileSync(path.join(tmp, "frames.i32"), new Uint8Array(0))
    const fd = fs.openSync(path.join(tmp, "lrn.f32"), "w")
    let position = 0
    const total = options.views * rows
    let done = 0
    const layoutOptions = { imageTokens: n, gripperCamera: options.useGripperCamera, latent: options.latent }
    for (let view = 0; view < options.views; view++) {
      for (const annotation of split.annotations) {
        const ids = backbone.tokenizer.encode(annotation.instruction)
        const layout = Assembly.frameLayout(ids, backbone.tokenizer, layoutOptions)
        const text = await run(backbone.embedTokens({ data: Int32Array.from(ids), shape: [1, ids.length] }))
        for (let f = annotation.start; f <= annotation.end; f += chunk) {
          const frameIds = Array.from({ length: Math.min(chunk, annotation.end - f + 1) }, (_, i) => f + i)
          const staticTokens = await run(backbone.encodeImages(preprocessFrames(split, frameIds, "static", backbone, view, options.seed)))
          const gripperTokens = options.useGripperCamera ? await run(backbone.encodeImages(preprocessFrames(split, frameIds, "gripper", backbone, view, options.seed))) : undefined
          const groups = frameIds.map((_, i) =>
            Assembly.buildFrameGroup(layout, {
              textEmbeds: text.data,
              staticTokens: staticTokens.data.subarray(i * n * d, (i + 1) * n * d),
              gripperTokens: gripperTokens?.data.subarray(i * n * d, (i + 1) * n * d),
              actionToken: options.actionToken
            }, d)
          )
          const packed = Assembly.packRows(groups.map((g) => [g]), d)
          const hidden = await run(backbone.forward(packed.inputsEmbeds, packed.attentionMask))
          for (let i = 0; i < frameIds.length; i++) {
            const lrn = Assembly.gatherRows(hidden, i, packed.lrnPositions[i]!.flat())
            fs.writeSync(fd, new Uint8Array(lrn.buffer, lrn.byteOffset, lrn.byteLength), 0, lrn.byteLength, position)
            position += lrn.byteLength
          }
          done += frameIds.length
          options.onProgress?.(done, total)
          await betweenChunks(options.signal, tmp, `[LRN] features of ${split.dir}`)
        }
      }
    }
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    files["lrn.f32"] = position
    fs.writeFileSync(path.join(tmp, "meta.json"), JSON.stringify({ kind: "lrn", tokens: options.latent, width: d, views: options.views, rows, files }))
  }
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(tmp, dir)
}

/**
 * Copies cached rows into a (count, tokens, D) buffer: `rows[i]` is the row, `views[i]` the view.
 *
 * @since 0.1.0
 * @category reading
 */
export const gatherCached = (cache: FeatureCache, source: Float32Array, rows: ArrayLike<number>, views: ArrayLike<number>): Float32Array => {
  const per = cache.tokens * cache.width
  const out = new Float32Array(rows.length * per)
  for (let i = 0; i < rows.length; i++) {
    const at = (views[i]! * cache.rows + rows[i]!) * per
    out.set(source.subarray(at, at + per), i * per)
  }
  return out
}
