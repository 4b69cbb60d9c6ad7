/**
 * Every case of every key of ../shared/conformance/robovlms-golden.json (outputs of the RoboVLMs / calvin_env
 * reference), compared at the tolerances its README and `meta` state. A key with zero compared cases fails.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import {
  ActionTokenizer,
  chunkedEpisodeWindows,
  denormalizeAction,
  eulerXyzToMatrix,
  matrixToEulerXyz,
  muLawDecode,
  muLawEncode,
  normalizeAction,
  tcpToWorldFrame,
  toRelativeAction,
  worldToTcpFrame
} from "../../src/math/index.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
const goldenPath = path.resolve(repoRoot, "../shared/conformance/robovlms-golden.json")
const exists = fs.existsSync(goldenPath)
if (!exists) console.warn(`[golden] SKIPPED: ${goldenPath} not found (the shared conformance data sits beside the repo)`)

// Tolerances from the conformance README / meta.
const TOL = {
  euler: 1e-9,
  tcpAngle: 1e-4, // the reference runs in float32
  tcpPosition: 1e-5,
  normalize: 1e-9,
  tokenValue: 1e-9,
  relative: 1e-9,
  muLaw: 1e-9
}

type Vec = ReadonlyArray<number>
interface Golden {
  readonly meta: Record<string, unknown>
  readonly cases: {
    readonly euler_xyz_to_matrix: ReadonlyArray<{ euler: Vec; matrix: Vec; euler_back: Vec }>
    readonly world_to_tcp_frame: ReadonlyArray<{
      action_world: Vec
      robot_obs: Vec
      action_tcp: Vec
      action_world_roundtrip: Vec
    }>
    readonly normalize_action_pm065: ReadonlyArray<{ raw: Vec; normalized: Vec; unnormalized_keep_gripper: Vec }>
    readonly action_tokenizer_256: {
      vocab_size: number
      special_tokens_count: number
      offset: number
      n_bins: number
      items: ReadonlyArray<{ action: Vec; token_ids: Vec; decoded: Vec }>
    }
    readonly calvin_to_relative_action: ReadonlyArray<{ robot_obs: Vec; absolute_action: Vec; rel_action: Vec }>
    readonly chunked_episode_windows: ReadonlyArray<{
      traj_len: number
      window_size: number
      fwd_pred_next_n: number
      window_sample: "sliding" | "range"
      left_pad: boolean
      indices: ReadonlyArray<Vec>
      mask: ReadonlyArray<ReadonlyArray<number | boolean>>
    }>
    readonly mu_law_255: ReadonlyArray<{ x: Vec; y: Vec; x_back: Vec }>
  }
}

const golden: Golden | undefined = exists ? JSON.parse(fs.readFileSync(goldenPath, "utf8")) : undefined
const compared: Record<string, number> = {}
const count = (key: string) => {
  compared[key] = (compared[key] ?? 0) + 1
}

/** Largest |a − b| over two equal-length vectors (fails on a length mismatch). */
const maxAbsDiff = (a: Vec, b: Vec): number => {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}

const expectClose = (actual: Vec, expected: Vec, tol: number, label: string) => {
  const diff = maxAbsDiff(actual, expected)
  if (!(diff <= tol)) {
    throw new Error(`${label}: max |diff| ${diff} > ${tol}\n  got      ${actual.join(", ")}\n  expected ${expected.join(", ")}`)
  }
}

describe.skipIf(!exists)("RoboVLMs golden conformance", () => {
  // describe.skipIf still collects this body: without the shared data there are no cases (and no tests).
  const cases = golden?.cases ?? ({} as Golden["cases"])

  afterAll(() => {
    console.log("[golden] cases compared per key:")
    console.table(Object.keys(cases).map((key) => ({ key, compared: compared[key] ?? 0 })))
  })

  it("euler_xyz_to_matrix: Euler XYZ → matrix and back (1e-9)", () => {
    cases.euler_xyz_to_matrix.forEach((c, i) => {
      expectClose(eulerXyzToMatrix(c.euler), c.matrix, TOL.euler, `case ${i} matrix`)
      expectClose(matrixToEulerXyz(c.matrix), c.euler_back, TOL.euler, `case ${i} euler_back`)
      count("euler_xyz_to_matrix")
    })
  })

  it("world_to_tcp_frame: world → TCP and the inverse (float32 reference: 1e-5 pos, 1e-4 angles)", () => {
    cases.world_to_tcp_frame.forEach((c, i) => {
      const tcp = worldToTcpFrame(c.action_world, c.robot_obs)
      expectClose(tcp.slice(0, 3), c.action_tcp.slice(0, 3), TOL.tcpPosition, `case ${i} tcp position`)
      expectClose(tcp.slice(3), c.action_tcp.slice(3), TOL.tcpAngle, `case ${i} tcp orientation+gripper`)
      // The reference's inverse applied to its own TCP action...
      const back = tcpToWorldFrame(c.action_tcp, c.robot_obs)
      expectClose(back.slice(0, 3), c.action_world_roundtrip.slice(0, 3), TOL.tcpPosition, `case ${i} roundtrip position`)
      expectClose(back.slice(3), c.action_world_roundtrip.slice(3), TOL.tcpAngle, `case ${i} roundtrip orientation`)
      // ...and ours inverts ours (float64: far tighter than the float32 reference).
      expectClose(tcpToWorldFrame(tcp, c.robot_obs), c.action_world, 1e-9, `case ${i} exact inverse`)
      count("world_to_tcp_frame")
    })
  })

  it("normalize_action_pm065: clip ±0.65 → [−1, 1], gripper kept, and the inverse (1e-9)", () => {
    cases.normalize_action_pm065.forEach((c, i) => {
      const normalized = normalizeAction(c.raw, -0.65, 0.65)
      expectClose(normalized, c.normalized, TOL.normalize, `case ${i} normalized`)
      expectClose(denormalizeAction(c.normalized, -0.65, 0.65), c.unnormalized_keep_gripper, TOL.normalize, `case ${i} inverse`)
      count("normalize_action_pm065")
    })
  })

  it("action_tokenizer_256: exact ids, bin-centre values (1e-9)", () => {
    const t = cases.action_tokenizer_256
    const tokenizer = new ActionTokenizer({
      vocabSize: t.vocab_size,
      specialTokensCount: t.special_tokens_count,
      offset: t.offset,
      nBins: t.n_bins
    })
    expect(tokenizer.binCenters.length).toBe(t.n_bins - 1)
    t.items.forEach((c, i) => {
      const ids = tokenizer.encode(c.action)
      expect(ids, `case ${i} ids`).toEqual(c.token_ids)
      expectClose(tokenizer.decode(c.token_ids), c.decoded, TOL.tokenValue, `case ${i} decoded`)
      for (const id of ids) expect(tokenizer.isActionToken(id)).toBe(true)
      count("action_tokenizer_256")
    })
  })

  it("calvin_to_relative_action: ×50 position, ×20 wrapped orientation, clipped (1e-9)", () => {
    cases.calvin_to_relative_action.forEach((c, i) => {
      expectClose(toRelativeAction(c.absolute_action, c.robot_obs), c.rel_action, TOL.relative, `case ${i}`)
      count("calvin_to_relative_action")
    })
  })

  it("chunked_episode_windows: indices and masks (exact)", () => {
    cases.chunked_episode_windows.forEach((c) => {
      const got = chunkedEpisodeWindows({
        trajLen: c.traj_len,
        windowSize: c.window_size,
        fwdPredNextN: c.fwd_pred_next_n,
        windowSample: c.window_sample,
        leftPad: c.left_pad
      })
      expect(got.indices).toEqual(c.indices)
      expect(got.mask).toEqual(c.mask.map((row) => row.map((m) => (m === true || m === 1 ? 1 : 0))))
      count("chunked_episode_windows")
    })
  })

  it("mu_law_255: companding and its inverse, gripper kept (1e-9)", () => {
    cases.mu_law_255.forEach((c, i) => {
      expectClose(muLawEncode(c.x, 255), c.y, TOL.muLaw, `case ${i} encode`)
      expectClose(muLawDecode(c.y, 255), c.x_back, TOL.muLaw, `case ${i} decode`)
      count("mu_law_255")
    })
  })

  it("compared every key of the golden file, each at least once", () => {
    const keys = Object.keys(cases)
    expect(keys.length).toBeGreaterThanOrEqual(7)
    for (const key of keys) {
      const c = (cases as Record<string, unknown>)[key]
      const expected = Array.isArray(c) ? c.length : (c as { items: Array<unknown> }).items.length
      expect(compared[key] ?? 0, `cases compared for ${key}`).toBeGreaterThan(0)
      expect(compared[key], `every case of ${key}`).toBe(expected)
    }
  })
})
