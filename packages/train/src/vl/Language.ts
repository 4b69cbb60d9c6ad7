/**
 * Words for scene facts: caption clauses and question/answer templates with many phrasings, and the parser that
 * reads the facts back out of a caption (for the caption attribute accuracy of `Metrics.ts`).
 *
 * Every attribute has several phrasings; the last phrasing of each list is held out: only the validation split
 * uses it, so a pre-training run can report accuracy on unseen wordings separately. Answers are short canonical
 * strings (exact match after `normalizeAnswer`).
 *
 * @since 0.1.0
 */
import type { BlockColor } from "@robovla/sim"
import { BLOCK_COLORS } from "@robovla/sim"
import type { BlockPlace, SceneFacts } from "./SceneFacts.ts"

/** A random source in [0, 1). @since 0.1.0 @category models */
export type Uniform = () => number

/** A stated fact: attribute name (e.g. `block.red`, `drawer`) and its value. @since 0.1.0 @category models */
export type Facts = Record<string, string>

/** @since 0.1.0 @category models */
export type Phrasing = "seen" | "held-out"

/** One question with its canonical answer. @since 0.1.0 @category models */
export interface Question {
  readonly attribute: string
  readonly prompt: string
  readonly answer: string
  readonly phrasing: Phrasing
}

/** One caption with the facts it states (a subset of the frame's `captionFacts`). @since 0.1.0 @category models */
export interface Caption {
  readonly prompt: string
  readonly text: string
  readonly stated: Facts
  readonly phrasing: Phrasing
}

const pick = <A>(xs: ReadonlyArray<A>, u: Uniform): A => xs[Math.min(xs.length - 1, Math.floor(u() * xs.length))]!

/** A phrasing from `forms`: training never draws the last (held-out) one; validation draws any. */
const phrase = (forms: ReadonlyArray<string>, heldOut: boolean, u: Uniform): { text: string; phrasing: Phrasing } => {
  const pool = heldOut || forms.length === 1 ? forms : forms.slice(0, -1)
  const i = Math.min(pool.length - 1, Math.floor(u() * pool.length))
  return { text: pool[i]!, phrasing: forms.length > 1 && i === forms.length - 1 ? "held-out" : "seen" }
}

const fill = (template: string, slots: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? `{${k}}`)

// ---------------------------------------------------------------------------------------------------------------
// Values and their surface forms
// ---------------------------------------------------------------------------------------------------------------

/** Caption value of a block: its place, with the side for blocks on the table (`table:left`). */
const blockValue = (f: SceneFacts, c: BlockColor): string | undefined => {
  const place = f.blocks[c]
  if (place === "unknown" || f.hidden[c]) return undefined
  return place === "table" ? `table:${f.tableSide[c]}` : place
}

/** Surface forms per block caption value (the first is canonical). */
const BLOCK_FORMS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "table:left": ["on the left side of the table", "on the table to the left", "on the left of the desk"],
  "table:middle": ["in the middle of the table", "on the table in the middle", "in the centre of the desk"],
  "table:right": ["on the right side of the table", "on the table to the right", "on the right of the desk"],
  drawer: ["in the drawer", "inside the drawer", "lying in the drawer"],
  cabinet_left: ["in the left compartment of the cabinet", "on the left shelf of the cabinet", "in the cabinet on the left"],
  cabinet_right: ["in the right compartment of the cabinet", "on the right shelf of the cabinet", "in the cabinet on the right"],
  gripper: ["in the gripper", "held by the robot", "in the robot's hand"],
  on_red: ["on top of the red block", "stacked on the red block", "resting on the red block"],
  on_blue: ["on top of the blue block", "stacked on the blue block", "resting on the blue block"],
  on_pink: ["on top of the pink block", "stacked on the pink block", "resting on the pink block"],
  floor: ["on the floor", "fallen on the floor", "down on the floor"]
}

/** Canonical short answer to "where is the X block?". */
const PLACE_ANSWER: Readonly<Record<Exclude<BlockPlace, "unknown">, string>> = {
  table: "on the table",
  drawer: "in the drawer",
  cabinet_left: "in the left compartment",
  cabinet_right: "in the right compartment",
  gripper: "in the gripper",
  on_red: "on the red block",
  on_blue: "on the blue block",
  on_pink: "on the pink block",
  floor: "on the floor"
}

/** Caption clauses per non-block attribute: value → templates (last = held out). */
const CLAUSES: Readonly<Record<string, Readonly<Record<string, ReadonlyArray<string>>>>> = {
  drawer: {
    open: ["the drawer is open", "the drawer is pulled out", "the drawer stands open"],
    closed: ["the drawer is closed", "the drawer is pushed in", "the drawer is shut"],
    half_open: ["the drawer is half open", "the drawer is partly open", "the drawer is ajar"]
  },
  slider: {
    left: ["the sliding door is on the left", "the sliding door has been moved to the left", "the sliding door sits at its left end"],
    right: ["the sliding door is on the right", "the sliding door has been moved to the right", "the sliding door sits at its right end"],
    middle: ["the sliding door is in the middle", "the sliding door is half way", "the sliding door stands between its ends"]
  },
  led: {
    on: ["the green light is on", "the led is lit", "the green lamp glows"],
    off: ["the green light is off", "the led is dark", "the green lamp is out"]
  },
  lightbulb: {
    on: ["the light bulb is on", "the yellow bulb is lit", "the bulb glows yellow"],
    off: ["the light bulb is off", "the yellow bulb is dark", "the bulb is out"]
  },
  switch: {
    up: ["the switch is up", "the switch is pushed up", "the switch points up"],
    down: ["the switch is down", "the switch is pushed down", "the switch points down"]
  },
  button: {
    pressed: ["the button is pressed", "the button is pushed down", "the button is held down"],
    released: ["the button is up", "the button is released", "the button is not pressed"]
  },
  gripper: {
    open: ["the gripper is open", "the fingers of the gripper are open", "the gripper's fingers are apart"],
    closed: ["the gripper is closed", "the fingers of the gripper are closed", "the gripper's fingers are together"]
  },
  holding: {
    nothing: ["the robot holds nothing", "the robot is not holding anything", "the hand is empty"],
    red: ["the robot holds the red block", "the robot is holding the red block", "the hand carries the red block"],
    blue: ["the robot holds the blue block", "the robot is holding the blue block", "the hand carries the blue block"],
    pink: ["the robot holds the pink block", "the robot is holding the pink block", "the hand carries the pink block"]
  },
  arm: {
    "left:high": ["the arm is high on the left", "the gripper is raised over the left side", "the hand hovers high on the left"],
    "left:low": ["the arm is low on the left", "the gripper is down on the left side", "the hand is near the table on the left"],
    "middle:high": ["the arm is high in the middle", "the gripper is raised over the middle", "the hand hovers high in the middle"],
    "middle:low": ["the arm is low in the middle", "the gripper is down in the middle", "the hand is near the table in the middle"],
    "right:high": ["the arm is high on the right", "the gripper is raised over the right side", "the hand hovers high on the right"],
    "right:low": ["the arm is low on the right", "the gripper is down on the right side", "the hand is near the table on the right"]
  }
}

const BLOCK_CLAUSE = ["the {c} block is {place}", "there is a {c} block {place}", "a {c} block can be seen {place}", "{place} is the {c} block"]

/** Caption values of the non-block attributes (undefined: not decidable, not stated). */
const attributeValues = (f: SceneFacts): Facts => {
  const out: Facts = { drawer: f.drawer, slider: f.slider, led: f.led, lightbulb: f.lightbulb, switch: f.switch, button: f.button, holding: f.holding, arm: `${f.armSide}:${f.armHeight}` }
  if (f.gripper !== "moving") out["gripper"] = f.gripper
  return out
}

/**
 * Every fact of a frame a caption may state: `block.<color>` (with the table side), drawer, slider, led, lightbulb,
 * switch, button, gripper, holding, arm.
 *
 * @since 0.1.0
 * @category facts
 */
export const captionFacts = (f: SceneFacts): Facts => {
  const facts: Facts = {}
  for (const c of BLOCK_COLORS) {
    const v = blockValue(f, c)
    if (v !== undefined) facts[`block.${c}`] = v
  }
  return { ...facts, ...attributeValues(f) }
}

const CAPTION_PROMPTS = ["describe the scene.", "what do you see?", "describe the image.", "what does the table look like?", "give a description of the picture."]

/**
 * A caption stating `count` random decidable facts (0 = all of them) in random order and phrasing.
 *
 * @since 0.1.0
 * @category generation
 */
export const makeCaption = (f: SceneFacts, heldOut: boolean, u: Uniform, count = 0): Caption => {
  const all = Object.entries(captionFacts(f))
  // A random subset of `count` facts (partial Fisher–Yates).
  const n = count <= 0 ? all.length : Math.min(count, all.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(u() * (all.length - i))
    ;[all[i], all[j]] = [all[j]!, all[i]!]
  }
  const facts: Facts = Object.fromEntries(all.slice(0, n))
  const clauses: Array<string> = []
  let phrasing: Phrasing = "seen"
  const note = (p: Phrasing) => {
    if (p === "held-out") phrasing = "held-out"
  }
  for (const [attribute, value] of Object.entries(facts)) {
    if (attribute.startsWith("block.")) {
      const color = attribute.slice(6)
      const template = phrase(BLOCK_CLAUSE, heldOut, u)
      const place = phrase(BLOCK_FORMS[value]!, heldOut, u)
      note(template.phrasing)
      note(place.phrasing)
      clauses.push(fill(template.text, { c: color, place: place.text }))
    } else {
      const clause = phrase(CLAUSES[attribute]![value]!, heldOut, u)
      note(clause.phrasing)
      clauses.push(clause.text)
    }
  }
  // Shuffle the clauses (Fisher–Yates), then join them as a few sentences.
  for (let i = clauses.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1))
    ;[clauses[i], clauses[j]] = [clauses[j]!, clauses[i]!]
  }
  const sentences: Array<string> = []
  for (let i = 0; i < clauses.length; ) {
    const n = 1 + Math.floor(u() * 3)
    const part = clauses.slice(i, i + n)
    sentences.push(part.length === 1 ? part[0]! : `${part.slice(0, -1).join(", ")} and ${part.at(-1)}`)
    i += n
  }
  const text = sentences.map((s) => s.charAt(0).toUpperCase() + s.slice(1) + ".").join(" ")
  const prompt = phrase(CAPTION_PROMPTS, heldOut, u)
  note(prompt.phrasing)
  return { prompt: prompt.text, text, stated: facts, phrasing }
}

// ---------------------------------------------------------------------------------------------------------------
// Questions
// ---------------------------------------------------------------------------------------------------------------

interface QuestionKind {
  readonly attribute: string
  /** The forms (last held out) and the answer, or undefined when the frame cannot answer it. */
  readonly make: (f: SceneFacts, u: Uniform) => { forms: ReadonlyArray<string>; answer: string; slots?: Record<string, string> } | undefined
}

const yesNo = (b: boolean) => (b ? "yes" : "no")
const PLACES_ASKED: ReadonlyArray<Exclude<BlockPlace, "unknown" | "floor" | "on_red" | "on_blue" | "on_pink">> = ["table", "drawer", "cabinet_left", "cabinet_right", "gripper"]
const PLACE_QUESTION_FORM: Readonly<Record<(typeof PLACES_ASKED)[number], string>> = {
  table: "on the table",
  drawer: "in the drawer",
  cabinet_left: "in the left compartment of the cabinet",
  cabinet_right: "in the right compartment of the cabinet",
  gripper: "in the gripper"
}
const known = (f: SceneFacts) => BLOCK_COLORS.every((c) => f.blocks[c] !== "unknown")
const visible = (f: SceneFacts, c: BlockColor) => f.blocks[c] !== "unknown" && !f.hidden[c]
const colorList = (cs: ReadonlyArray<BlockColor>) => (cs.length === 0 ? "none" : cs.length === 1 ? cs[0]! : `${cs.slice(0, -1).join(", ")} and ${cs.at(-1)}`)
const COUNT_WORDS = ["zero", "one", "two", "three"]

const QUESTION_KINDS: ReadonlyArray<QuestionKind> = [
  ...BLOCK_COLORS.map((c): QuestionKind => ({
    attribute: `where.${c}`,
    make: (f) =>
      !visible(f, c)
        ? undefined
        : { forms: [`where is the ${c} block?`, `where can the ${c} block be found?`, `in which place is the ${c} block?`, `what is the location of the ${c} block?`], answer: PLACE_ANSWER[f.blocks[c] as Exclude<BlockPlace, "unknown">] }
  })),
  ...BLOCK_COLORS.map((c): QuestionKind => ({
    attribute: `is_at.${c}`,
    make: (f, u) => {
      if (!visible(f, c)) return undefined
      // Half the time ask about the true place (when it is one of the asked places), else about another.
      const truth = (PLACES_ASKED as ReadonlyArray<string>).includes(f.blocks[c]) ? (f.blocks[c] as (typeof PLACES_ASKED)[number]) : undefined
      const place = truth !== undefined && u() < 0.5 ? truth : pick(PLACES_ASKED.filter((p) => p !== truth), u)
      const where = PLACE_QUESTION_FORM[place]
      return { forms: [`is the ${c} block ${where}?`, `is there a ${c} block ${where}?`, `can you see the ${c} block ${where}?`, `does the ${c} block lie ${where}?`], answer: yesNo(place === truth) }
    }
  })),
  ...BLOCK_COLORS.map((c): QuestionKind => ({
    attribute: `table_side.${c}`,
    make: (f) =>
      f.tableSide[c] === undefined
        ? undefined
        : { forms: [`on which side of the table is the ${c} block?`, `is the ${c} block on the left, in the middle or on the right of the table?`, `where on the table is the ${c} block: left, middle or right?`, `which part of the table holds the ${c} block?`], answer: f.tableSide[c]! }
  })),
  { attribute: "drawer", make: (f) => ({ forms: ["is the drawer open or closed?", "what state is the drawer in?", "open, closed or half open: the drawer?", "how is the drawer?"], answer: f.drawer === "half_open" ? "half open" : f.drawer }) },
  { attribute: "drawer_open", make: (f) => (f.drawer === "half_open" ? undefined : { forms: ["is the drawer open?", "has the drawer been pulled out?", "is the drawer standing open?"], answer: yesNo(f.drawer === "open") }) },
  { attribute: "slider", make: (f) => ({ forms: ["where is the sliding door?", "is the sliding door on the left or on the right?", "which way has the sliding door been moved?", "at which end is the sliding door?"], answer: f.slider }) },
  { attribute: "led", make: (f) => ({ forms: ["is the green light on?", "is the led on or off?", "is the green lamp lit?", "does the led glow?"], answer: f.led === "on" ? "yes" : "no" }) },
  { attribute: "lightbulb", make: (f) => ({ forms: ["is the light bulb on?", "is the yellow bulb lit?", "is the lamp switched on?", "does the bulb glow?"], answer: f.lightbulb === "on" ? "yes" : "no" }) },
  { attribute: "switch", make: (f) => ({ forms: ["is the switch up or down?", "which way does the switch point?", "is the switch pushed up or down?", "what position is the switch in?"], answer: f.switch }) },
  { attribute: "button", make: (f) => ({ forms: ["is the button pressed?", "is the button pushed down?", "is someone pressing the button?", "is the button held down?"], answer: yesNo(f.button === "pressed") }) },
  { attribute: "gripper", make: (f) => (f.gripper === "moving" ? undefined : { forms: ["is the gripper open or closed?", "are the gripper's fingers open or closed?", "is the hand open or closed?", "what state is the gripper in?"], answer: f.gripper }) },
  { attribute: "holding", make: (f) => ({ forms: ["what is the robot holding?", "which block does the robot hold?", "what is in the gripper?", "what does the hand carry?"], answer: f.holding === "nothing" ? "nothing" : `${f.holding} block` }) },
  { attribute: "holds_any", make: (f) => ({ forms: ["is the robot holding a block?", "does the gripper hold something?", "is there a block in the hand?", "has the robot grasped a block?"], answer: yesNo(f.holding !== "nothing") }) },
  { attribute: "arm_side", make: (f) => ({ forms: ["is the gripper on the left, in the middle or on the right?", "where is the robot's hand, left, middle or right?", "on which side is the arm?", "which side of the table is the gripper over?"], answer: f.armSide }) },
  { attribute: "arm_height", make: (f) => ({ forms: ["is the gripper high or low?", "is the arm raised high or low near the table?", "how high is the hand: high or low?", "is the gripper up high or down low?"], answer: f.armHeight }) },
  { attribute: "count_table", make: (f) => (known(f) ? { forms: ["how many blocks are on the table?", "count the blocks on the table.", "what number of blocks stand on the table?", "how many blocks lie on the desk?"], answer: COUNT_WORDS[BLOCK_COLORS.filter((c) => f.blocks[c] === "table").length]! } : undefined) },
  { attribute: "which_drawer", make: (f) => (known(f) && BLOCK_COLORS.every((c) => !f.hidden[c]) ? { forms: ["which blocks are in the drawer?", "what is inside the drawer?", "name the blocks in the drawer.", "which colours lie in the drawer?"], answer: colorList(BLOCK_COLORS.filter((c) => f.blocks[c] === "drawer")) } : undefined) },
  { attribute: "which_cabinet", make: (f) => (known(f) && BLOCK_COLORS.every((c) => !f.hidden[c]) ? { forms: ["which blocks are in the cabinet?", "what is on the cabinet's shelf?", "name the blocks in the cabinet.", "which colours sit in the cabinet?"], answer: colorList(BLOCK_COLORS.filter((c) => f.blocks[c] === "cabinet_left" || f.blocks[c] === "cabinet_right")) } : undefined) }
]

/** Names of every question attribute, for reports. @since 0.1.0 @category constants */
export const QUESTION_ATTRIBUTES: ReadonlyArray<string> = QUESTION_KINDS.map((k) => k.attribute)

/**
 * `count` questions about distinct attributes the frame can answer, in random order and phrasing.
 *
 * @since 0.1.0
 * @category generation
 */
export const makeQuestions = (f: SceneFacts, count: number, heldOut: boolean, u: Uniform): Array<Question> => {
  const kinds = [...QUESTION_KINDS]
  const out: Array<Question> = []
  while (out.length < count && kinds.length > 0) {
    const kind = kinds.splice(Math.floor(u() * kinds.length), 1)[0]!
    const made = kind.make(f, u)
    if (made === undefined) continue
    const form = phrase(made.forms, heldOut, u)
    out.push({ attribute: kind.attribute, prompt: form.text, answer: made.answer, phrasing: form.phrasing })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing captions back into facts
// ---------------------------------------------------------------------------------------------------------------

/**
 * Lower case, punctuation to spaces, one space, no leading article: "The Red block." → "red block".
 *
 * @since 0.1.0
 * @category metrics
 */
export const normalizeAnswer = (text: string): string =>
  text.toLowerCase().replace(/[^a-z0-9' ]+/g, " ").replace(/\s+/g, " ").trim().replace(/^(the|a|an) /, "")

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

interface Matcher {
  readonly attribute: string
  readonly pattern: RegExp
  /** Surface form (normalised) → value. */
  readonly values: ReadonlyMap<string, string>
}

/** One regex per clause template, with the value forms as an alternation (longest first). */
const MATCHERS: ReadonlyArray<Matcher> = (() => {
  const out: Array<Matcher> = []
  const norm = (s: string) => normalizeAnswer(s)
  for (const c of BLOCK_COLORS) {
    const values = new Map<string, string>()
    for (const [value, forms] of Object.entries(BLOCK_FORMS)) for (const form of forms) values.set(norm(form), value)
    const alt = [...values.keys()].sort((a, b) => b.length - a.length).map(escape).join("|")
    for (const template of BLOCK_CLAUSE) {
      const [before, after] = norm(template.replace("{c}", c).replace("{place}", "qqplaceqq")).split("qqplaceqq")
      out.push({ attribute: `block.${c}`, pattern: new RegExp(`(?:^| )${escape(before ?? "")}(${alt})${escape(after ?? "")}(?= |$)`, "g"), values })
    }
  }
  for (const [attribute, byValue] of Object.entries(CLAUSES)) {
    // Each clause is a whole phrase: match it literally.
    const values = new Map<string, string>()
    for (const [value, forms] of Object.entries(byValue)) for (const form of forms) values.set(norm(form), value)
    const alt = [...values.keys()].sort((a, b) => b.length - a.length).map(escape).join("|")
    out.push({ attribute, pattern: new RegExp(`(?:^| )(${alt})(?= |$)`, "g"), values })
  }
  return out
})()

/**
 * The facts a caption states, read with the clause vocabulary of `makeCaption` (any order, any of its phrasings,
 * held-out ones included). An attribute stated twice with different values is reported as `"conflict"`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const parseCaption = (text: string): Facts => {
  const normalized = normalizeAnswer(text)
  const facts: Facts = {}
  for (const m of MATCHERS) {
    for (const match of normalized.matchAll(m.pattern)) {
      const value = m.values.get(match[1]!)
      if (value === undefined) continue
      const previous = facts[m.attribute]
      facts[m.attribute] = previous === undefined || previous === value ? value : "conflict"
    }
  }
  return facts
}
