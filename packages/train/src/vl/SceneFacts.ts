/**
 * What is true in one play-table frame, in discrete words: where each block is, the doors, the lights, the button
 * and switch, and where the gripper is and what it holds. Facts are read from the simulator's privileged snapshot
 * (`SimInfo`: contacts, joint values, light logic, robot_obs), never from the plan, so they hold for every frame
 * of an expert's motion, not only at the symbolic states between tasks. A value the snapshot cannot decide (a
 * block in the air after a release, a door half way) is reported as such and never stated in a caption or asked.
 *
 * Left/right are the desk's: world −x is left, the direction of CALVIN's "push left" and "move the slider left",
 * and the left of the static camera's picture at the desk's depth (the camera looks from the front left, so the
 * arm, nearer to it, appears further left in the picture than the spot of the desk it is over). A block in the
 * cabinet behind the sliding door, in the closed drawer or on the floor is marked hidden: true, but not (reliably)
 * visible, so nothing is said or asked about it.
 *
 * @since 0.1.0
 */
import { BLOCK_COLORS, type BlockColor, type ContactPair, type SceneId, SceneLayout, type SimInfo } from "@robovla/sim"

/** Where a block is. `on_<color>`: stacked on that block. @since 0.1.0 @category models */
export type BlockPlace =
  | "table"
  | "drawer"
  | "cabinet_left"
  | "cabinet_right"
  | "gripper"
  | "on_red"
  | "on_blue"
  | "on_pink"
  | "floor"
  | "unknown"

/** @since 0.1.0 @category models */
export interface SceneFacts {
  readonly scene: SceneId
  readonly blocks: Readonly<Record<BlockColor, BlockPlace>>
  /**
   * Blocks in the cabinet behind the sliding door, in the closed drawer or fallen to the floor (mostly under the
   * desk or out of the picture): not (reliably) visible in the static camera.
   */
  readonly hidden: Readonly<Record<BlockColor, boolean>>
  /** Where across the desk a block on the table stands (image left / middle / right); undefined off the table. */
  readonly tableSide: Readonly<Record<BlockColor, "left" | "middle" | "right" | undefined>>
  readonly drawer: "open" | "closed" | "half_open"
  /** Where the sliding door is: "left" / "right" end of its travel, or in between. */
  readonly slider: "left" | "right" | "middle"
  readonly led: "on" | "off"
  readonly lightbulb: "on" | "off"
  readonly button: "pressed" | "released"
  readonly switch: "up" | "down"
  /** Gripper fingers: open, closed, or moving between (undecided). */
  readonly gripper: "open" | "closed" | "moving"
  /** The block the gripper holds, or "nothing". */
  readonly holding: BlockColor | "nothing"
  /** TCP across the table (image left / middle / right) and its height above the desk. */
  readonly armSide: "left" | "middle" | "right"
  readonly armHeight: "high" | "low"
}

/** Drawer joint (m, 0 … 0.22): closed below, open above. */
const DRAWER_CLOSED_BELOW = 0.03
const DRAWER_OPEN_ABOVE = 0.15
/** TCP height above the desk top (m) that counts as "high". */
const ARM_HIGH_ABOVE = 0.12
/** |x| (m) from the desk's centre (x = 0) that counts as left / right, for the TCP and for blocks. */
const SIDE_BEYOND = 0.1
/** Finger width (m): open above, closed below (a held block keeps it near 0.04). */
const GRIPPER_OPEN_ABOVE = 0.065
const GRIPPER_CLOSED_BELOW = 0.055

const blockBody = (c: BlockColor) => `block_${c}`
const touches = (contacts: ReadonlyArray<ContactPair>, body: string, link?: string) =>
  contacts.some((p) => p.body === body && (link === undefined || p.link === link))

const placeOf = (info: SimInfo, color: BlockColor, scene: SceneId): BlockPlace => {
  const block = info.blocks[color]
  const contacts = block.contacts
  const others = BLOCK_COLORS.filter((c) => c !== color)
  const support = contacts.filter((p) => p.body !== "robot")
  // Held: touched by the robot and by nothing but other blocks (a block being stacked or unstacked is in the hand).
  if (touches(contacts, "robot") && support.every((p) => p.body.startsWith("block_"))) return "gripper"
  if (touches(contacts, "floor")) return "floor"
  if (touches(contacts, "table", "drawer_link")) return "drawer"
  if (touches(contacts, "table", "plank_link")) {
    const slots = SceneLayout.blockSlots(scene)
    const middle = (slots.sliderLeft[0] + slots.sliderRight[0]) / 2
    return block.position[0] < middle ? "cabinet_left" : "cabinet_right"
  }
  if (touches(contacts, "table", "base_link")) return "table"
  // Resting on another block only, and above it.
  const below = others.find((c) => touches(support, blockBody(c)) && info.blocks[c].position[2] < block.position[2] - 0.02)
  if (below !== undefined && support.every((p) => p.body.startsWith("block_"))) return `on_${below}` as BlockPlace
  return "unknown"
}

/**
 * The facts of one frame.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sceneFacts = (info: SimInfo, scene: SceneId): SceneFacts => {
  const layout = SceneLayout.SCENES[scene]
  const side = (x: number) => (x < -SIDE_BEYOND ? "left" : x > SIDE_BEYOND ? "right" : "middle")
  const blocks = {} as Record<BlockColor, BlockPlace>
  const hidden = {} as Record<BlockColor, boolean>
  const tableSide = {} as Record<BlockColor, "left" | "middle" | "right" | undefined>
  const [doorX0, doorX1] = SceneLayout.doorSpanX(scene, info.doors.slider)
  for (const c of BLOCK_COLORS) {
    blocks[c] = placeOf(info, c, scene)
    const x = info.blocks[c].position[0]
    hidden[c] = ((blocks[c] === "cabinet_left" || blocks[c] === "cabinet_right") && x > doorX0 && x < doorX1) || (blocks[c] === "drawer" && info.doors.drawer < DRAWER_CLOSED_BELOW) || blocks[c] === "floor"
    tableSide[c] = blocks[c] === "table" ? side(x) : undefined
  }
  const q = info.doors
  const robot = info.robotObs
  const width = robot[6]!
  const held = BLOCK_COLORS.find((c) => blocks[c] === "gripper")
  const tcpX = robot[0]!
  return {
    scene,
    blocks,
    hidden,
    tableSide,
    drawer: q.drawer < DRAWER_CLOSED_BELOW ? "closed" : q.drawer > DRAWER_OPEN_ABOVE ? "open" : "half_open",
    slider: q.slider < 0.25 * layout.doorTravel ? "right" : q.slider > 0.75 * layout.doorTravel ? "left" : "middle",
    led: info.lights.led === 1 ? "on" : "off",
    lightbulb: info.lights.lightbulb === 1 ? "on" : "off",
    button: q.button > SceneLayout.BUTTON_THRESHOLD ? "pressed" : "released",
    switch: q.switch > SceneLayout.SWITCH_THRESHOLD ? "up" : "down",
    gripper: held !== undefined ? "closed" : width > GRIPPER_OPEN_ABOVE ? "open" : width < GRIPPER_CLOSED_BELOW ? "closed" : "moving",
    holding: held ?? "nothing",
    armSide: side(tcpX),
    armHeight: robot[2]! - SceneLayout.DESK_TOP_Z > ARM_HIGH_ABOVE ? "high" : "low"
  }
}

/**
 * The symbolic part of the facts (no arm, no scene), as a stable key: frames with the same key show the same
 * arrangement, in any scene.
 * The held-out split is drawn over these keys.
 *
 * @since 0.1.0
 * @category utils
 */
export const arrangementKey = (f: SceneFacts): string =>
  [f.led, f.lightbulb, f.slider, f.drawer, ...BLOCK_COLORS.map((c) => `${c}:${f.blocks[c]}`)].join("|")
