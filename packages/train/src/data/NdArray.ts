/**
 * A minimal n-dimensional array: a typed array (or, for object arrays, a JS array) with numpy's dtype string
 * and shape. This is what `.npy` files and pickled numpy arrays decode to.
 *
 * @since 0.1.0
 */

/**
 * The numpy dtypes CALVIN files use, in numpy's `descr` spelling (little-endian).
 *
 * @since 0.1.0
 * @category models
 */
export type NumericDtype = "<f4" | "<f8" | "|u1" | "|i1" | "<i2" | "<u2" | "<i4" | "<u4" | "<i8" | "<u8" | "|b1" | "<f2"

/** @since 0.1.0 @category models */
export type NumericData =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

/** @since 0.1.0 @category models */
export interface NdArray<D extends NumericData = NumericData> {
  readonly dtype: NumericDtype
  readonly shape: ReadonlyArray<number>
  readonly data: D
}

/** An object array (`|O`): elements are already-unpickled JS values. @since 0.1.0 @category models */
export interface ObjectArray {
  readonly dtype: "|O"
  readonly shape: ReadonlyArray<number>
  readonly data: ReadonlyArray<unknown>
}

/** @since 0.1.0 @category models */
export const isNdArray = (value: unknown): value is NdArray =>
  typeof value === "object" && value !== null && "dtype" in value && "shape" in value && "data" in value &&
  ArrayBuffer.isView((value as { data: unknown }).data)

/** Bytes per element of each dtype. @since 0.1.0 @category constants */
export const DTYPE_SIZE: Readonly<Record<NumericDtype, number>> = {
  "<f4": 4,
  "<f8": 8,
  "|u1": 1,
  "|i1": 1,
  "<i2": 2,
  "<u2": 2,
  "<i4": 4,
  "<u4": 4,
  "<i8": 8,
  "<u8": 8,
  "|b1": 1,
  "<f2": 2
}

/** @since 0.1.0 @category utils */
export const sizeOfShape = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/** Normalises numpy descr spellings (`<u1` → `|u1`, `=f4` → `<f4` on little-endian hosts); undefined if unsupported. @since 0.1.0 @category utils */
export const normaliseDescr = (descr: string): NumericDtype | "|O" | undefined => {
  if (/^[|<>=]?O\d*$/.test(descr)) return "|O"
  const kind = descr.slice(1)
  const order = descr[0]
  if (order === ">") return undefined
  if (kind === "u1" || kind === "i1" || kind === "b1") return `|${kind}` as NumericDtype
  const candidate = `<${kind}`
  return candidate in DTYPE_SIZE ? (candidate as NumericDtype) : undefined
}

/** Copies little-endian bytes into a fresh, aligned typed array of the dtype. @since 0.1.0 @category constructors */
export const typedFromBytes = (dtype: NumericDtype, bytes: Uint8Array): NumericData => {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  const buffer = copy.buffer
  switch (dtype) {
    case "<f4":
      return new Float32Array(buffer)
    case "<f8":
      return new Float64Array(buffer)
    case "|u1":
    case "|b1":
      return copy
    case "|i1":
      return new Int8Array(buffer)
    case "<i2":
      return new Int16Array(buffer)
    case "<u2":
    case "<f2":
      return new Uint16Array(buffer)
    case "<i4":
      return new Int32Array(buffer)
    case "<u4":
      return new Uint32Array(buffer)
    case "<i8":
      return new BigInt64Array(buffer)
    case "<u8":
      return new BigUint64Array(buffer)
  }
}

/** The raw little-endian bytes of a typed array (a view, no copy). @since 0.1.0 @category utils */
export const bytesOf = (data: NumericData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

/** Numbers out of any numeric array (int64 converted with Number). @since 0.1.0 @category utils */
export const toNumbers = (array: NdArray): Array<number> => Array.from(array.data as ArrayLike<number | bigint>, Number)

/** The dtype that holds a typed array. @since 0.1.0 @category utils */
export const dtypeOf = (data: NumericData): NumericDtype => {
  if (data instanceof Float32Array) return "<f4"
  if (data instanceof Float64Array) return "<f8"
  if (data instanceof Uint8Array) return "|u1"
  if (data instanceof Int8Array) return "|i1"
  if (data instanceof Int16Array) return "<i2"
  if (data instanceof Uint16Array) return "<u2"
  if (data instanceof Int32Array) return "<i4"
  if (data instanceof Uint32Array) return "<u4"
  if (data instanceof BigInt64Array) return "<i8"
  return "<u8"
}

/** @since 0.1.0 @category constructors */
export const ndarray = <D extends NumericData>(data: D, shape?: ReadonlyArray<number>, dtype?: NumericDtype): NdArray<D> => ({
  dtype: dtype ?? dtypeOf(data),
  shape: shape ?? [data.length],
  data
})
