/**
 * Collection worker thread: one PlayTable (reloaded only when the scene changes), episodes on request.
 *
 * @since 0.1.0
 */
import { parentPort } from "node:worker_threads"
import { runEpisode } from "./Episode.ts"
import type { CollectRequest, CollectResponse } from "./Collector.ts"
import { PlayTable, type SceneId } from "./SimApi.ts"

let table: PlayTable | undefined
let scene: SceneId | undefined

parentPort!.on("message", async (request: CollectRequest) => {
  const post = (message: CollectResponse) => parentPort!.postMessage(message)
  try {
    if (table === undefined || scene !== request.plan.scene) {
      table?.dispose()
      table = await PlayTable.load(request.plan.scene)
      scene = request.plan.scene
    }
    let reported = 0
    const record = runEpisode(table, request.plan, request.dir, (frames) => {
      if (frames - reported >= 10) {
        post({ type: "frames", episode: request.plan.episode, frames: frames - reported })
        reported = frames
      }
    })
    post({ type: "frames", episode: request.plan.episode, frames: record.frames - reported })
    post({ type: "done", record })
  } catch (error) {
    post({ type: "error", episode: request.plan.episode, message: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) })
  }
})
