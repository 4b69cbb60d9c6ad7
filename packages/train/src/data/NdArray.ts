/**
 * A minimal n-dimensional array: a typed array (or, for object arrays, a JS array) with numpy's dtype string
 * and shape. This is what `.npy` files and pickled numpy arrays decode to.
 *
 * @since 0.1.0
 */
import { Tensor } from "@robovla/sdk"

/**
 * The numpy dtypes CALVIN files use, in numpy's `descr` spelling (little-endian), from the SDK's dtype table.
 *
 * @since 0.1.0
 * @category models
 */
export type NumericDtype = Tensor.NumpyDtype

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

/** The SDK's dtype table entry of each numpy dtype. */
const ENTRY = Object.fromEntries(
  Object.values(Tensor.DTYPES).flatMap((d) => (d.numpy === undefined ? [] : [[d.numpy, d]]))
) as Record<NumericDtype, (typeof Tensor.DTYPES)[Tensor.Dtype]>

/** Bytes per element of each dtype. @since 0.1.0 @category constants */
export const DTYPE_SIZE: Readonly<Record<NumericDtype, number>> = Object.fromEntries(
  Object.entries(ENTRY).map(([numpy, d]) => [numpy, d.bytes])
) as Record<NumericDtype, number>

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
  return new ENTRY[dtype].array(copy.buffer)
}

/** The raw little-endian bytes of a typed array (a view, no copy). @since 0.1.0 @category utils */
export const bytesOf = (data: NumericData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

/** Numbers out of any numeric array (int64 converted with Number). @since 0.1.0 @category utils */
export const toNumbers = (array: NdArray): Array<number> => Array.from(array.data as ArrayLike<number | bigint>, Number)

/** The dtype that holds a typed array. @since 0.1.0 @category utils */
export const dtypeOf = (data: NumericData): NumericDtype => Tensor.DTYPES[Tensor.dtypeOfArray(data) ?? "uint64"].numpy!

/** @since 0.1.0 @category constructors */
export const ndarray = <D extends NumericData>(data: D, shape?: ReadonlyArray<number>, dtype?: NumericDtype): NdArray<D> => ({
  dtype: dtype ?? dtypeOf(data),
  shape: shape ?? [data.length],
  data
})
