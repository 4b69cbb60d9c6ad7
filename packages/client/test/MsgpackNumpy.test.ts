import { describe, expect, it } from "vitest"
import { ClientError } from "../src/ClientError.ts"
import { decode, encode, NdArray } from "../src/MsgpackNumpy.ts"

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

describe("MsgpackNumpy", () => {
  it("encodes an ndarray exactly as Python msgpack packs openpi's dict (bin keys, str dtype)", () => {
    const bytes = encode(NdArray.fromUint8(new Uint8Array([1, 2, 3]), [3]))
    // fixmap(4), bin8 "__ndarray__", true, bin8 "data", bin8 3 bytes, bin8 "dtype", fixstr "|u1", bin8 "shape", fixarray [3]
    expect([...bytes]).toEqual([
      0x84, 0xc4, 11, ...ascii("__ndarray__"), 0xc3,
      0xc4, 4, ...ascii("data"), 0xc4, 3, 1, 2, 3,
      0xc4, 5, ...ascii("dtype"), 0xa3, ...ascii("|u1"),
      0xc4, 5, ...ascii("shape"), 0x91, 3
    ])
  })

  it("decodes what a Python client sends: str keys outside, bin keys in arrays, float64 scalars", () => {
    const state = new Float32Array([0.5, -1.25])
    const data = new Uint8Array(state.buffer)
    const bytes = new Uint8Array([
      0x83,
      0xb1, ...ascii("observation/state"),
      0x84, 0xc4, 11, ...ascii("__ndarray__"), 0xc3, 0xc4, 4, ...ascii("data"), 0xc4, 8, ...data,
      0xc4, 5, ...ascii("dtype"), 0xa3, ...ascii("<f4"), 0xc4, 5, ...ascii("shape"), 0x91, 2,
      0xa6, ...ascii("prompt"), 0xa4, ...ascii("push"),
      0xa4, ...ascii("gain"), 0x83, 0xc4, 13, ...ascii("__npgeneric__"), 0xc3, 0xc4, 4, ...ascii("data"), 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
      0xc4, 5, ...ascii("dtype"), 0xa3, ...ascii("<f8")
    ])
    const value = decode(bytes) as Record<string, unknown>
    expect(value["prompt"]).toBe("push")
    expect(value["gain"]).toBe(1.5)
    const arr = value["observation/state"] as NdArray
    expect(arr).toBeInstanceOf(NdArray)
    expect(arr.shape).toEqual([2])
    expect(arr.toNumbers()).toEqual([0.5, -1.25])
  })

  it("round-trips nested values and every numeric width", () => {
    const value = { a: [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -32, -33, -(2 ** 31), 1.5, -2.25e10], s: "é".repeat(40), n: null, t: true, f: false, b: new Uint8Array(300) }
    expect(decode(encode(value))).toEqual(value)
    const arr = NdArray.fromFloat64(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3])
    const back = decode(encode({ arr })) as { arr: NdArray }
    expect(back.arr.shape).toEqual([2, 3])
    expect(back.arr.toNumbers()).toEqual([1, 2, 3, 4, 5, 6])
  })

  it("reads big-endian and integer dtypes", () => {
    const big = new NdArray(new Uint8Array([0x3f, 0x80, 0, 0]), ">f4", [1])
    expect(big.toNumbers()).toEqual([1])
    expect(new NdArray(new Uint8Array([0xff, 0xff]), "<i2", [1]).toNumbers()).toEqual([-1])
  })

  const hostile: Array<[string, Array<number>]> = [
    ["empty", []],
    ["truncated str", [0xa5, 0x61]],
    ["truncated bin32", [0xc6, 0xff, 0xff, 0xff, 0xff, 0]],
    ["array length lie", [0xdd, 0x7f, 0xff, 0xff, 0xff]],
    ["map length lie", [0xdf, 0x7f, 0xff, 0xff, 0xff]],
    ["extension type", [0xd4, 0x01, 0x00]],
    ["trailing bytes", [0xc0, 0xc0]],
    ["map with array key", [0x81, 0x90, 0xc0]],
    ["deep nesting", new Array(100).fill(0x91).concat([0xc0])],
    ["ndarray size mismatch", [0x84, 0xab, ...ascii("__ndarray__"), 0xc3, 0xa4, ...ascii("data"), 0xc4, 1, 0, 0xa5, ...ascii("dtype"), 0xa3, ...ascii("<f4"), 0xa5, ...ascii("shape"), 0x91, 1]],
    ["object dtype", [0x84, 0xab, ...ascii("__ndarray__"), 0xc3, 0xa4, ...ascii("data"), 0xc4, 0, 0xa5, ...ascii("dtype"), 0xa3, ...ascii("|O8"), 0xa5, ...ascii("shape"), 0x91, 0]],
    ["invalid utf-8", [0xa2, 0xff, 0xfe]],
    ["invalid utf-8 in a str8 map key", [0x81, 0xd9, 2, 0xff, 0xfe, 0xc0]],
    ["invalid utf-8 in a bin map key", [0x81, 0xc4, 2, 0xff, 0xfe, 0xc0]],
    ["timestamp extension", [0xd6, 0xff, 0, 0, 0, 0]],
    ["zero-length extension", [0xc7, 0, 5]],
    ["__proto__ key", [0x81, 0xa9, ...ascii("__proto__"), 0xc0]],
    ["nesting deeper than the limit inside a map", [0x81, 0xa1, 0x61, ...new Array(40).fill(0x91), 0xc0]]
  ]
  for (const [name, bytes] of hostile) {
    it(`rejects hostile input: ${name}`, () => {
      expect(() => decode(new Uint8Array(bytes))).toThrow(ClientError)
    })
  }

  it("refuses a million nested arrays from their headers, before building any", () => {
    const bytes = new Uint8Array(1_000_000).fill(0x91)
    expect(() => decode(bytes)).toThrow(/nested deeper than 32/)
  })

  it("gives map values null prototypes (a key named like an Object method is plain data)", () => {
    const value = decode(encode({ toString: 1, constructor: "x" })) as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(null)
    expect(value["toString"]).toBe(1)
  })
})
