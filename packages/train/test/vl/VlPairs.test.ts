import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { INITIAL_STATES, NEUTRAL_ROBOT_OBS, PlayTable, sceneObsForState } from "@robovla/sim"
import { TrainError } from "../../src/TrainError.ts"
import { Rng } from "../../src/windows/Random.ts"
import { captionFacts, makeCaption, makeQuestions, normalizeAnswer, parseCaption, QUESTION_ATTRIBUTES } from "../../src/vl/Language.ts"
import { judgeCaption, majorityPredictions, scoreVl } from "../../src/vl/Metrics.ts"
import { arrangementKey, type BlockPlace, type SceneFacts, sceneFacts } from "../../src/vl/SceneFacts.ts"
import { generateVlPairs, readVlPairs, type VlPair, type VlPairsSummary } from "../../src/vl/VlPairs.ts"

/** Random facts over every value the generator can state. */
const randomFacts = (rng: Rng): SceneFacts => {
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[rng.int(0, xs.length - 1)]!
  const places: ReadonlyArray<BlockPlace> = ["table", "drawer", "cabinet_left", "cabinet_right", "gripper", "on_red", "on_blue", "on_pink", "floor", "unknown"]
  const blocks = { red: pick(places), blue: pick(places), pink: pick(places) }
  const side = () => pick(["left", "middle", "right"] as const)
  return {
    scene: pick(["A", "B", "C", "D"] as const),
    blocks,
    hidden: { red: blocks.red.startsWith("cabinet") && rng.next() < 0.5, blue: blocks.blue.startsWith("cabinet") && rng.next() < 0.5, pink: blocks.pink.startsWith("cabinet") && rng.next() < 0.5 },
    tableSide: { red: blocks.red === "table" ? side() : undefined, blue: blocks.blue === "table" ? side() : undefined, pink: blocks.pink === "table" ? side() : undefined },
    drawer: pick(["open", "closed", "half_open"] as const),
    slider: pick(["left", "right", "middle"] as const),
    led: pick(["on", "off"] as const),
    lightbulb: pick(["on", "off"] as const),
    button: pick(["pressed", "released"] as const),
    switch: pick(["up", "down"] as const),
    gripper: pick(["open", "closed", "moving"] as const),
    holding: pick(["nothing", "red", "blue", "pink"] as const),
    armSide: side(),
    armHeight: pick(["high", "low"] as const)
  }
}

describe("captions and questions", () => {
  it("every caption parses back to exactly the facts it states, in any phrasing (held-out ones included)", () => {
    const rng = new Rng(1)
    const u = () => rng.next()
    for (let i = 0; i < 400; i++) {
      const f = randomFacts(rng)
      const caption = makeCaption(f, i % 2 === 0, u, i % 3 === 0 ? 0 : 1 + (i % 6))
      expect(parseCaption(caption.text)).toEqual(caption.stated)
      for (const [k, v] of Object.entries(caption.stated)) expect(captionFacts(f)[k]).toBe(v)
      if (i % 3 === 0) expect(caption.stated).toEqual(captionFacts(f))
    }
    // Unknown places and moving fingers are never stated.
    const f = { ...randomFacts(rng), blocks: { red: "unknown", blue: "table", pink: "cabinet_left" }, hidden: { red: false, blue: false, pink: true }, tableSide: { red: undefined, blue: "left", pink: undefined }, gripper: "moving" } as SceneFacts
    expect(captionFacts(f)).not.toHaveProperty("block.red")
    expect(captionFacts(f)).not.toHaveProperty("block.pink")
    for (let i = 0; i < 50; i++) for (const q of makeQuestions(f, 30, true, u)) expect(q.attribute).not.toMatch(/red|pink|which_cabinet/)
    expect(captionFacts(f)).not.toHaveProperty("gripper")
    expect(captionFacts(f)["block.blue"]).toBe("table:left")
  })

  it("training draws only seen phrasings; validation also the held-out ones; answers follow the facts", () => {
    const rng = new Rng(2)
    const u = () => rng.next()
    const phrasings = { train: new Set<string>(), val: new Set<string>() }
    const attributes = new Set<string>()
    for (let i = 0; i < 600; i++) {
      const f = randomFacts(rng)
      for (const [split, heldOut] of [["train", false], ["val", true]] as const) {
        for (const q of makeQuestions(f, 4, heldOut, u)) {
          phrasings[split].add(q.phrasing)
          attributes.add(q.attribute)
          if (q.attribute === "drawer") expect(q.answer).toBe(f.drawer === "half_open" ? "half open" : f.drawer)
          if (q.attribute === "holding") expect(q.answer).toBe(f.holding === "nothing" ? "nothing" : `${f.holding} block`)
          if (q.attribute === "where.red") expect(f.blocks.red !== "unknown" && !f.hidden.red).toBe(true)
          if (q.attribute === "count_table") expect(q.answer).toBe(["zero", "one", "two", "three"][Object.values(f.blocks).filter((p) => p === "table").length])
        }
        phrasings[split].add(makeCaption(f, heldOut, u, 4).phrasing)
      }
    }
    expect([...phrasings.train]).toEqual(["seen"])
    expect(phrasings.val).toEqual(new Set(["seen", "held-out"]))
    expect(attributes).toEqual(new Set(QUESTION_ATTRIBUTES))
  })

  it("scores answers by exact match and captions by judged statements", () => {
    const facts = { drawer: "open", led: "on", "block.red": "drawer" }
    const base = { split: "val", image: "i.png", gripperImage: "g.png", scene: "A", episode: 0, step: 0, phrasing: "seen", facts, arrangement: "x" } as const
    const pairs: Array<VlPair> = [
      { ...base, id: "q1", kind: "qa", attribute: "drawer", prompt: "is the drawer open or closed?", target: "open" },
      { ...base, id: "q2", kind: "qa", attribute: "holding", prompt: "what is the robot holding?", target: "red block", phrasing: "held-out" },
      { ...base, id: "q3", kind: "qa", attribute: "led", prompt: "is the green light on?", target: "yes" },
      { ...base, id: "c1", kind: "caption", attribute: "caption", prompt: "describe the scene.", target: "The drawer is open and the green light is on.", stated: ["drawer", "led"] }
    ]
    const perfect = new Map(pairs.map((p) => [p.id, p.target]))
    const best = scoreVl(pairs, perfect)
    expect(best.answers).toMatchObject({ correct: 3, total: 3, accuracy: 1 })
    expect(best.captions).toMatchObject({ correct: 2, total: 2, accuracy: 1, recall: 1, stated: 2 })
    const wrong = scoreVl(pairs, new Map([["q1", " Open. "], ["q2", "The red block"], ["c1", "The drawer is closed, the led is lit and the red block is in the drawer."]]))
    expect(wrong.answers).toMatchObject({ correct: 2, total: 3 }) // q3 missing
    expect(wrong.answers.byPhrasing["held-out"]).toMatchObject({ correct: 1, total: 1 })
    expect(wrong.captions).toMatchObject({ correct: 2, total: 3, recall: 0.5, stated: 3 })
    expect(judgeCaption(facts, "the drawer is open and the drawer is shut")).toEqual({ drawer: false }) // a conflict is wrong
    expect(normalizeAnswer("  The Red-block! ")).toBe("red block")
    // The blind baseline answers each attribute with its most frequent training answer.
    const train = [pairs[0]!, { ...pairs[0]!, id: "t2", target: "closed" }, { ...pairs[0]!, id: "t3", target: "closed" }, pairs[2]!]
    const blind = majorityPredictions(train, pairs)
    expect(blind).toEqual(new Map([["q1", "closed"], ["q3", "yes"]]))
    expect(scoreVl(pairs, blind).answers).toMatchObject({ correct: 1, total: 3 })
  })
})

describe("scene facts from the simulator", () => {
  it("a reset to a symbolic state reads back as that state", async () => {
    const table = await PlayTable.load("B")
    try {
      const states = [INITIAL_STATES[0]!, INITIAL_STATES[77]!, INITIAL_STATES[191]!, INITIAL_STATES.find((s) => s.blue_block === "slider_left" && s.drawer === "open")!]
      const expected = { table: "table", slider_left: "cabinet_left", slider_right: "cabinet_right" } as Record<string, string>
      for (const state of states) {
        table.reset({ robotObs: NEUTRAL_ROBOT_OBS, sceneObs: sceneObsForState(state, "B") })
        for (let i = 0; i < 3; i++) table.step([0, 0, 0, 0, 0, 0, 1], "relative")
        const f = sceneFacts(table.info(), "B")
        expect(f.blocks).toEqual({ red: expected[state.red_block], blue: expected[state.blue_block], pink: expected[state.pink_block] })
        // The door covers the compartment on its side: slider "right" hides cabinet_right, "left" cabinet_left.
        for (const c of ["red", "blue", "pink"] as const) expect(f.hidden[c]).toBe(f.blocks[c] === `cabinet_${state.slider}`)
        expect(f).toMatchObject({ drawer: state.drawer, slider: state.slider, led: state.led === 1 ? "on" : "off", lightbulb: state.lightbulb === 1 ? "on" : "off", switch: state.lightbulb === 1 ? "up" : "down", button: "released", gripper: "open", holding: "nothing", armHeight: "high", armSide: "middle" })
        expect(arrangementKey(f)).not.toContain("B")
      }
    } finally {
      table.dispose()
    }
  })
})

describe("robovla vl-pairs (2 scenes × 1 episode)", () => {
  let out: string
  let summary: VlPairsSummary
  const options = () => ({ out, scenes: ["A", "D"] as const, episodes: 1, stride: 20, questions: 3, heldOut: 0.3, seed: 4 })
  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-vl-"))
    fs.rmdirSync(out)
    summary = await generateVlPairs({ ...options(), scenes: ["A", "D"] })
  })
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }))

  it("writes frames and pairs.jsonl splits; val arrangements never occur in train; train never uses held-out phrasings", () => {
    const train = readVlPairs(path.join(out, "train.jsonl"))
    const val = readVlPairs(path.join(out, "val.jsonl"))
    expect(train.length).toBe(summary.pairs.train)
    expect(val.length).toBe(summary.pairs.val)
    expect(summary.frames.train + summary.frames.val).toBeGreaterThan(10)
    expect(train.length + val.length).toBe(4 * (summary.frames.train + summary.frames.val))
    for (const p of [...train, ...val]) {
      expect(fs.existsSync(path.join(out, p.image))).toBe(true)
      expect(fs.existsSync(path.join(out, p.gripperImage))).toBe(true)
      if (p.kind === "caption") expect(parseCaption(p.target)).toEqual(Object.fromEntries(p.stated!.map((k) => [k, p.facts[k]])))
    }
    const trainArrangements = new Set(train.map((p) => p.arrangement))
    for (const p of val) expect(trainArrangements.has(p.arrangement)).toBe(false)
    expect(train.every((p) => p.phrasing === "seen")).toBe(true)
    expect(new Set(train.map((p) => p.scene))).toEqual(new Set(["A", "D"]))
    // The reference answers score perfectly.
    const score = scoreVl(val.length > 0 ? val : train, new Map((val.length > 0 ? val : train).map((p) => [p.id, p.target])))
    expect(score.answers.accuracy).toBe(1)
    expect(score.captions.recall).toBe(1)
  })

  it("checks options, refuses foreign folders and other options, resumes", async () => {
    await expect(generateVlPairs({ ...options(), scenes: ["A", "D"] })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "InvalidInput")
    await expect(generateVlPairs({ ...options(), scenes: ["A", "D"], resume: true, seed: 5 })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && /different options/.test(e.message))
    await expect(generateVlPairs({ ...options(), scenes: ["E" as "A"], out: path.join(out, "x") })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "InvalidInput")
    const before = fs.readFileSync(path.join(out, "train.jsonl"), "utf8")
    fs.rmSync(path.join(out, ".parts", "D_00000.jsonl"))
    const again = await generateVlPairs({ ...options(), scenes: ["A", "D"], resume: true })
    expect(again.pairs).toEqual(summary.pairs)
    expect(fs.readFileSync(path.join(out, "train.jsonl"), "utf8")).toBe(before)
    fs.appendFileSync(path.join(out, "val.jsonl"), '{"id": 3}\n')
    expect(() => readVlPairs(path.join(out, "val.jsonl"))).toThrow(TrainError)
  })
})
