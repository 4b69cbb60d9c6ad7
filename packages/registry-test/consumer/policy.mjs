// Run with plain `node` in a folder that installed the plugins from a registry: the SDK's loader finds them by
// package name, the policy is assembled from them, and one action chunk is printed as JSON on the last line.
import { loadPolicyModel } from "@robovla/sdk"
import { Effect } from "effect"

const [backbone, head] = process.argv.slice(2)

const image = (size) => ({ data: new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 256), height: size, width: size })
const observation = {
  rgbStatic: image(200),
  rgbGripper: image(84),
  robotObs: [0.02, -0.23, 0.57, Math.PI, 0, Math.PI / 2, 0.08, -1.21, 1.04, 2.11, -2.56, -0.73, 1.58, 0.5, 1],
  sceneObs: new Array(24).fill(0)
}

const result = await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function*() {
      const model = yield* loadPolicyModel({ backbone, head, from: process.cwd() })
      const policy = yield* model.policy()
      const chunk = yield* policy.act(observation, "open the drawer")
      return { metadata: model.metadata, chunk }
    })
  )
)
console.log(JSON.stringify(result))
