/**
 * Collection worker thread: one PlayTable per scene, episodes on request; frame counts are emitted as progress.
 *
 * @since 0.1.0
 */
import { serveWorkerTasks } from "@robovla/sdk"
import type { CollectRequest } from "./Collector.ts"
import { type EpisodeRecord, runEpisode } from "./Episode.ts"
import { PlayTable, type SceneId } from "./SimApi.ts"

await serveWorkerTasks<Record<string, never>, CollectRequest, EpisodeRecord, number>(() => {
  /** One table per scene seen (episodes of several scenes are interleaved). */
  const tables = new Map<SceneId, PlayTable>()
  return {
    run: async (request, emitFrames) => {
      let table = tables.get(request.plan.scene)
      if (table === undefined) {
        table = await PlayTable.load(request.plan.scene)
        tables.set(request.plan.scene, table)
      }
      let reported = 0
      const record = runEpisode(table, request.plan, request.dir, (frames) => {
        if (frames - reported >= 10) {
          emitFrames(frames - reported)
          reported = frames
        }
      })
      emitFrames(record.frames - reported)
      return record
    },
    close: () => {
      for (const table of tables.values()) table.dispose()
    }
  }
})
