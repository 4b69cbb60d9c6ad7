/**
 * MJCF for the Franka Panda of CALVIN (§2.1): the public Panda chain (`PANDA_CHAIN`), primitive collision/visual
 * shapes (capsules, boxes), CALVIN's longer fingers, the TCP site (hand + 0.14 m) and the gripper camera site.
 *
 * Geom names follow `robot/base/<part>` so the contact code maps every robot geom to the body "robot".
 *
 * @since 0.1.0
 */
import { eulerToQuat, FINGER_Z, PANDA_BASE, PANDA_CHAIN, PANDA_HAND, Q_LOWER, Q_UPPER, TCP_OFFSET } from "./PandaKinematics.ts"

const f = (x: number): string => (Math.abs(x) < 1e-12 ? "0" : Number(x.toFixed(6)).toString())
const v = (xs: ReadonlyArray<number>): string => xs.map(f).join(" ")

/** Panda white and the dark joint caps. */
const WHITE = "0.93 0.93 0.93 1"
const DARK = "0.2 0.2 0.22 1"

/**
 * Shapes per link (in that link's frame): capsules from the link origin to the next joint, so the arm has a
 * collision outline without meshes.
 */
const LINK_GEOMS: ReadonlyArray<string> = [
  // link1: the shoulder column
  `<geom name="robot/base/link1" type="capsule" fromto="0 0 -0.2 0 0 0" size="0.06" rgba="${WHITE}"/>`,
  // link2: upper arm toward link3
  `<geom name="robot/base/link2" type="capsule" fromto="0 0 0 0 -0.27 0" size="0.06" rgba="${WHITE}"/>`,
  // link3: elbow offset
  `<geom name="robot/base/link3" type="capsule" fromto="0 0 -0.08 0 0 0" size="0.055" rgba="${WHITE}"/>` +
    `<geom name="robot/base/link3b" type="capsule" fromto="0 0 0 0.0825 0 0" size="0.05" rgba="${DARK}"/>`,
  // link4: forearm
  `<geom name="robot/base/link4" type="capsule" fromto="0 0 0 -0.0825 0.1 0" size="0.055" rgba="${WHITE}"/>`,
  // link5: forearm to wrist (the link5 frame sits at the wrist; the forearm runs along its −z)
  `<geom name="robot/base/link5" type="capsule" fromto="0 0 -0.24 0 0 -0.02" size="0.05" rgba="${WHITE}"/>`,
  // link6: wrist block
  `<geom name="robot/base/link6" type="capsule" fromto="0 0 -0.01 0.088 0 0" size="0.045" rgba="${DARK}"/>`,
  // link7: flange
  `<geom name="robot/base/link7" type="cylinder" fromto="0 0 -0.03 0 0 0.1" size="0.045" rgba="${WHITE}"/>`
]

/** Arm servo gains (N·m/rad, N·m·s/rad): stiff, near-critically damped at 240 Hz with implicit damping. */
const ARM_KP = [13500, 13500, 10500, 10500, 6000, 6000, 6000]
const ARM_KV = [135, 135, 105, 105, 60, 60, 60]

/** Menagerie-like masses (kg) of link1…link7. */
const LINK_MASS = [4.97, 0.65, 3.23, 3.59, 1.23, 1.67, 0.74]

/**
 * The robot's `<body>` tree as an MJCF string (goes inside `<worldbody>`), plus actuators and equality.
 *
 * @since 0.1.0
 * @category mjcf
 */
export const pandaXml = (): { readonly body: string; readonly actuators: string; readonly equality: string } => {
  let body = `<body name="link0" childclass="robot" pos="${v(PANDA_BASE)}" gravcomp="1">
  <geom name="robot/base/link0" type="cylinder" fromto="0 0 0 0 0 0.14" size="0.075" rgba="${WHITE}"/>
  <inertial pos="0 0 0.05" mass="0.63" diaginertia="0.003 0.003 0.003"/>`
  let close = "</body>"
  PANDA_CHAIN.forEach((link, i) => {
    body += `
  <body name="link${i + 1}" pos="${v(link.pos)}" quat="${v(link.quat)}" gravcomp="1">
    <joint name="joint${i + 1}" type="hinge" axis="0 0 1" range="${f(Q_LOWER[i]!)} ${f(Q_UPPER[i]!)}" armature="0.1" damping="1"/>
    <inertial pos="0 0 0" mass="${LINK_MASS[i]}" diaginertia="0.02 0.02 0.02"/>
    ${LINK_GEOMS[i]}`
    close += "</body>"
  })
  const camQuat = eulerToQuat(1.3, 0, -1.57)
  // hand (the TCP frame: hand + 0.14 along z, no rotation)
  body += `
    <body name="hand" pos="${v(PANDA_HAND.pos)}" quat="${v(PANDA_HAND.quat)}" gravcomp="1">
      <inertial pos="0 0 0.03" mass="0.73" diaginertia="0.001 0.0025 0.0017"/>
      <geom name="robot/base/hand" type="box" pos="0 0 0.035" size="0.03 0.1 0.032" rgba="${WHITE}"/>
      <geom name="robot/base/palm" type="box" pos="0 0 0.062" size="0.022 0.045 0.006" rgba="${DARK}"/>
      <site name="tcp" pos="0 0 ${f(TCP_OFFSET)}" size="0.005"/>
      <site name="gripper_cam" pos="-0.1 0 0" quat="${v(camQuat)}" size="0.005"/>
      <body name="left_finger" pos="0 0 ${f(FINGER_Z)}" gravcomp="1">
        <joint name="finger_left" type="slide" axis="0 1 0" range="0 0.04" armature="0.05" damping="2"/>
        <inertial pos="0 0.01 0.05" mass="0.05" diaginertia="0.0001 0.0001 0.00002"/>
        <geom name="robot/base/finger_left" type="box" pos="0 0.0115 0.0536" size="0.0105 0.0115 0.048" rgba="${DARK}" friction="1 0.01 0.0001" condim="4"/>
      </body>
      <body name="right_finger" pos="0 0 ${f(FINGER_Z)}" quat="0 0 0 1" gravcomp="1">
        <joint name="finger_right" type="slide" axis="0 1 0" range="0 0.04" armature="0.05" damping="2"/>
        <inertial pos="0 0.01 0.05" mass="0.05" diaginertia="0.0001 0.0001 0.00002"/>
        <geom name="robot/base/finger_right" type="box" pos="0 0.0115 0.0536" size="0.0105 0.0115 0.048" rgba="${DARK}" friction="1 0.01 0.0001" condim="4"/>
      </body>
    </body>`
  body += close
  let actuators = ""
  for (let i = 0; i < 7; i++) {
    actuators += `<position name="act${i + 1}" joint="joint${i + 1}" kp="${ARM_KP[i]}" kv="${ARM_KV[i]}" forcerange="-200 200" ctrlrange="${f(Q_LOWER[i]!)} ${f(Q_UPPER[i]!)}"/>\n`
  }
  actuators += `<position name="act_finger_left" joint="finger_left" kp="4000" kv="40" forcerange="-200 200" ctrlrange="0 0.04"/>\n`
  actuators += `<position name="act_finger_right" joint="finger_right" kp="4000" kv="40" forcerange="-200 200" ctrlrange="0 0.04"/>\n`
  const equality = `<joint name="finger_gear" joint1="finger_right" joint2="finger_left" polycoef="0 1 0 0 0" solref="0.01 1"/>`
  return { body: body.replace(/^/gm, "    "), actuators, equality }
}
