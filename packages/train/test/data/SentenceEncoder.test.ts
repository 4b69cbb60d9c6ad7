/**
 * The project's sentence encoder (robovla-hash-384/v1) and the CALVIN language files it fills: deterministic,
 * unit length, paraphrases closer than other tasks; `language.emb` (N, 1, 384) and `embeddings.npy` written by
 * the split writer and read back here and by numpy when python3 has it.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DEFAULT_INSTRUCTIONS } from "@robovla/sim"
import { describe, expect, it } from "vitest"
import { CalvinSplitWriter } from "../../src/data/CalvinDataset.ts"
import { parseNpy } from "../../src/data/Npy.ts"
import { EMBEDDING_SIZE, encodeSentence, encodeSentences, normalizeSentence, SENTENCE_ENCODER } from "../../src/data/SentenceEncoder.ts"

const pythonWithNumpy = (() => {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
if (!pythonWithNumpy) console.warn("[train] python3 with numpy not found: the numpy check of the language files is skipped")

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0)

describe(SENTENCE_ENCODER, () => {
  it("is deterministic, unit length, 384 wide, and pinned to its definition", () => {
    const a = encodeSentence("Open the drawer!")
    expect(a).toHaveLength(EMBEDDING_SIZE)
    expect(Array.from(encodeSentence("Open the drawer!"))).toEqual(Array.from(a))
    expect(Math.sqrt(cosine(a, a))).toBeCloseTo(1, 6)
    // Normalisation makes case and punctuation irrelevant.
    expect(normalizeSentence("  Open, the DRAWER! ")).toBe("open the drawer")
    expect(Array.from(encodeSentence("open the drawer"))).toEqual(Array.from(a))
    expect(Array.from(encodeSentence(""))).toEqual(new Array(EMBEDDING_SIZE).fill(0))
    // Golden values: a change of the algorithm changes these (and would silently change every dataset).
    const nonZero = Array.from(a).map((v, i) => [i, v] as const).filter(([, v]) => v !== 0)
    expect(nonZero.length).toBeGreaterThan(10)
    expect(nonZero.slice(0, 3).map(([i, v]) => [i, Number(v.toFixed(5))])).toEqual([[17, -0.47471], [51, -0.11868], [73, 0.11868]])
  })

  it("puts paraphrases of a task closer than other tasks' instructions", () => {
    const drawer = encodeSentence("pull the handle to open the drawer")
    expect(cosine(drawer, encodeSentence("open the drawer"))).toBeGreaterThan(cosine(drawer, encodeSentence("push the blue block to the left")))
    expect(cosine(drawer, encodeSentence("open the drawer"))).toBeGreaterThan(cosine(drawer, encodeSentence("turn off the led light")))
  })

  it("encodeSentences gives CALVIN's (N, 1, 384) float32", () => {
    const emb = encodeSentences(["open the drawer", "lift the red block"])
    expect(emb.shape).toEqual([2, 1, EMBEDDING_SIZE])
    expect(emb.data).toBeInstanceOf(Float32Array)
    expect(Array.from(emb.data.subarray(EMBEDDING_SIZE))).toEqual(Array.from(encodeSentence("lift the red block")))
  })
})

describe("language embeddings in a written split", () => {
  it("auto_lang_ann.npy carries language.emb and embeddings.npy holds every evaluation instruction", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-lang-emb-"))
    const writer = new CalvinSplitWriter(dir)
    writer.addSegment(0, 99)
    writer.annotate({ start: 40, end: 99, task: "open_drawer", instruction: "pull the handle to open the drawer" })
    writer.annotate({ start: 0, end: 39, task: "lift_red_block_table", instruction: "grasp and lift the red block" })
    writer.finish()

    const ann = parseNpy(fs.readFileSync(path.join(dir, "lang_annotations", "auto_lang_ann.npy"))) as unknown as { data: Array<any> }
    const language = ann.data[0].language
    expect(language.ann).toEqual(["grasp and lift the red block", "pull the handle to open the drawer"]) // sorted by start
    expect(language.emb.shape).toEqual([2, 1, EMBEDDING_SIZE])
    expect(Array.from((language.emb.data as Float32Array).subarray(0, EMBEDDING_SIZE))).toEqual(Array.from(encodeSentence("grasp and lift the red block")))

    const evalFile = parseNpy(fs.readFileSync(path.join(dir, "lang_annotations", "embeddings.npy"))) as unknown as { data: Array<any> }
    const byTask = evalFile.data[0] as Record<string, { emb: { shape: Array<number>; data: Float32Array }; ann: Array<string> }>
    expect(Object.keys(byTask).sort()).toEqual(Object.keys(DEFAULT_INSTRUCTIONS).sort())
    for (const [task, { emb, ann: strings }] of Object.entries(byTask)) {
      expect(strings).toEqual([DEFAULT_INSTRUCTIONS[task as keyof typeof DEFAULT_INSTRUCTIONS].eval])
      expect(emb.shape).toEqual([1, 1, EMBEDDING_SIZE])
      expect(Array.from(emb.data)).toEqual(Array.from(encodeSentence(strings[0]!)))
    }

    if (pythonWithNumpy) {
      const out = execFileSync("python3", ["-c", `
import numpy as np, sys
d = sys.argv[1]
a = np.load(d + "/lang_annotations/auto_lang_ann.npy", allow_pickle=True).item()
e = np.load(d + "/lang_annotations/embeddings.npy", allow_pickle=True).item()
emb = a["language"]["emb"]
print(emb.shape, emb.dtype, round(float(np.linalg.norm(emb[1, 0])), 5), len(e), e["open_drawer"]["emb"].shape, e["open_drawer"]["ann"][0])
`, dir], { encoding: "utf8" })
      expect(out.trim()).toBe(`(2, 1, 384) float32 1.0 ${Object.keys(DEFAULT_INSTRUCTIONS).length} (1, 1, 384) ${DEFAULT_INSTRUCTIONS.open_drawer.eval}`)
    }
  })
})
