import { describe, expect, it } from "vitest"
import { arraySplitSizes, fnv1_32, NumpyRandomState, pyhashFnv1_32 } from "../../src/chains/NumpyRandom.ts"

/** Reference outputs computed once with numpy 2.4.6's legacy `np.random` (RandomState is frozen across versions). */
const NUMPY = {"u32": null, "sample": [0.9296160928171479, 0.3163755545817859, 0.18391881167709445, 0.2045602785530397, 0.5677250290816866], "perm": [2, 20, 1, 9, 13, 5, 21, 17, 30, 18, 31, 11, 0, 12, 29, 15, 16, 33, 6, 27, 24, 10, 26, 8, 28, 14, 32, 7, 23, 19, 3, 22, 25, 4], "choice": [[11, 20, 25, 17, 2], [22, 13, 21, 33, 16], [2, 16, 23, 22, 9]], "shuffle": [642, 762, 909, 199, 586, 797, 652, 755, 416, 498, 514, 456, 881, 530, 180, 449, 752, 809, 266, 58], "big": [0.0976320289940138, 0.9123828453026218, 0.78903530185164], "uniform": [1.2219931710897396, 1.8707323061773764, 1.2067191553394263, 1.9186109079379214], "byarray": [0.6098612722867289, 0.8866970434146851, 0.47633673750662764], "shuffle2": [1, 0, 0.6822305116872287], "split": [6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]}

describe("NumpyRandomState (numpy legacy MT19937)", () => {
  it("random_sample after seed(int)", () => {
    const rs = new NumpyRandomState(12345)
    expect(Array.from({ length: 5 }, () => rs.randomSample())).toEqual(NUMPY.sample)
    const big = new NumpyRandomState(4294967295)
    expect(Array.from({ length: 3 }, () => big.randomSample())).toEqual(NUMPY.big)
  })
  it("seed by array", () => {
    const rs = new NumpyRandomState(0)
    rs.seedByArray([1, 2, 3])
    expect(Array.from({ length: 3 }, () => rs.randomSample())).toEqual(NUMPY.byarray)
  })
  it("uniform", () => {
    const rs = new NumpyRandomState(5)
    expect(Array.from({ length: 4 }, () => rs.uniform(1, 2))).toEqual(NUMPY.uniform)
  })
  it("permutation, choice without replacement, shuffle", () => {
    expect(new NumpyRandomState(7).permutation(34)).toEqual(NUMPY.perm)
    const rs = new NumpyRandomState(0)
    expect(Array.from({ length: 3 }, () => rs.choiceWithoutReplacement(34, 5))).toEqual(NUMPY.choice)
    const list = Array.from({ length: 1000 }, (_, i) => i)
    new NumpyRandomState(3).shuffle(list)
    expect(list.slice(0, 20)).toEqual(NUMPY.shuffle)
    const two = [0, 1]
    const r9 = new NumpyRandomState(9)
    r9.shuffle(two)
    expect([...two, r9.uniform(0.5, 1)]).toEqual(NUMPY.shuffle2)
  })
  it("array_split sizes", () => {
    expect(arraySplitSizes(1000, 192)).toEqual(NUMPY.split)
  })
  it("rejects seeds numpy rejects", () => {
    expect(() => new NumpyRandomState(-1)).toThrow(RangeError)
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(RangeError)
  })
})

describe("FNV-1 32", () => {
  it("matches pyhash's documented values (seed 0)", () => {
    const utf8 = (s: string) => new TextEncoder().encode(s)
    expect(fnv1_32(utf8("hello world"))).toBe(2805756500)
    expect(fnv1_32(utf8("hello "))).toBe(406904344)
    expect(fnv1_32(utf8("world"), 406904344)).toBe(2805756500)
  })
  it("hashes Python str as UTF-16-LE", () => {
    // FNV-1(seed 0) of "hello world".encode("utf-16-le"), computed in Python.
    expect(pyhashFnv1_32("hello world")).toBe(3799943344)
  })
})
