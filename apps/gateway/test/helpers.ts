import { resolveConfig } from "../src/Config.ts"
import { startGateway, type RunningGateway } from "../src/Server.ts"

export const FAULTY = new URL("./fixtures/FaultyPolicy.ts", import.meta.url).href

export const robotObs = (seed = 0): Array<number> => Array.from({ length: 15 }, (_, i) => Math.sin(i + seed) * 0.5)

export const validBody = (seed = 0, instruction = "open the drawer") => ({ observation: { robot_obs: robotObs(seed) }, instruction })

/** Starts a gateway on 127.0.0.1 and an ephemeral port, collecting its log lines. */
export const start = async (config: Record<string, unknown>): Promise<RunningGateway & { logs: Array<string> }> => {
  const logs: Array<string> = []
  const running = await startGateway(resolveConfig({ host: "127.0.0.1", port: 0, ...config }, {}), { log: (l) => logs.push(l), awaitPreload: true })
  return Object.assign(running, { logs })
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) })

export const json = async (response: Response): Promise<any> => JSON.parse(await response.text())
