/**
 * The privileged state snapshot of the play table that task checks, experts and symbolic resets work on.
 * It is plain data (copied out of MuJoCo), so the task oracle and the experts never touch WASM objects.
 *
 * Contact rule (reference/calvin.md §4.1 "touching"): two geoms touch when MuJoCo reports a contact between
 * them after the last substep with distance ≤ `CONTACT_DISTANCE` metres. Each geom belongs to one
 * (body, link) pair below; contacts are reported as the set of distinct pairs a block or the robot touches.
 *
 * @since 0.1.0
 */

/** Distance (m) under which a MuJoCo contact counts as touching. @since 0.1.0 @category constants */
export const CONTACT_DISTANCE = 0.002

/** Bodies in CALVIN's sense. The whole table (desk, cabinet, doors, drawer, buttons) is one body. @since 0.1.0 @category models */
export type ContactBody = "robot" | "table" | "block_red" | "block_blue" | "block_pink" | "floor"

/**
 * Links of the table. `base_link` = desk top, legs and cabinet shell; `plank_link` = the shelf inside the
 * cabinet behind the sliding door ("slider" tasks); `drawer_link` = the drawer; `slide_link` = the sliding
 * door; `button_link`, `switch_link` = the light controls. Non-table bodies use link `"base"`.
 *
 * @since 0.1.0
 * @category models
 */
export type ContactLink = "base_link" | "plank_link" | "drawer_link" | "slide_link" | "button_link" | "switch_link" | "base"

/** @since 0.1.0 @category models */
export interface ContactPair {
  readonly body: ContactBody
  readonly link: ContactLink
}

/** @since 0.1.0 @category models */
export type BlockColor = "red" | "blue" | "pink"

/** @since 0.1.0 @category constants */
export const BLOCK_COLORS: ReadonlyArray<BlockColor> = ["red", "blue", "pink"]

/** @since 0.1.0 @category models */
export interface BlockInfo {
  /** World position (m). */
  readonly position: readonly [number, number, number]
  /** Orientation quaternion (w, x, y, z). */
  readonly quaternion: readonly [number, number, number, number]
  readonly linearVelocity: readonly [number, number, number]
  readonly angularVelocity: readonly [number, number, number]
  /** Distinct (body, link) pairs this block touches (never itself). */
  readonly contacts: ReadonlyArray<ContactPair>
}

/** @since 0.1.0 @category models */
export interface SimInfo {
  /** 15 values, CALVIN layout (reference/calvin.md §3.1). */
  readonly robotObs: ReadonlyArray<number>
  /** 24 values, CALVIN layout (reference/calvin.md §3.2). */
  readonly sceneObs: ReadonlyArray<number>
  /** Distinct (body, link) pairs the robot (arm + hand + fingers) touches. */
  readonly robotContacts: ReadonlyArray<ContactPair>
  readonly blocks: Readonly<Record<BlockColor, BlockInfo>>
  /** Joint values (m): sliding door, drawer, button, switch. */
  readonly doors: { readonly slider: number; readonly drawer: number; readonly button: number; readonly switch: number }
  /** Logical light states. */
  readonly lights: { readonly led: 0 | 1; readonly lightbulb: 0 | 1 }
}
