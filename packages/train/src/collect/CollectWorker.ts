/**
 * Collection worker thread: one PlayTable per scene, episodes on request.
 *
 * @since 0.1.0
 */
import { parentPort } from "node:worker_threads"
import { runEpisode } from "./Episode.ts"
import type { CollectRequest, CollectResponse } from "./Collector.ts"
import { PlayTable, type SceneId } from "./SimApi.ts"

/** One table per scene seen (episodes of several scenes are interleaved). */
const tables = new Map<SceneId, PlayTable>()

parentPort!.on("message", async (request: CollectRequest) => {
  const post = (message: CollectResponse) => parentPort!.postMessage(message)
  try {
    let table = tables.get(request.plan.scene)
    if (table === undefined) {
      table = await PlayTable.load(request.plan.scene)
      tables.set(request.plan.scene, table)
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
