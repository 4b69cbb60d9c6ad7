import { defineProject } from "vitest/config"

/**
 * The export condition under which every @robovla package resolves to its TypeScript source (`src/`) instead of
 * its build (`dist/`): the repository runs and tests without a build step. `.npmrc` sets it for npm scripts.
 */
export const SOURCE_CONDITION = "@robovla/source"

// Node's own resolution (plugin loader entries, child processes and worker threads that tests start) reads
// NODE_OPTIONS; set it here too so that `vitest` run outside npm resolves the same way.
const sourceFlag = `--conditions=${SOURCE_CONDITION}`
if (!(process.env.NODE_OPTIONS ?? "").includes(sourceFlag)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${sourceFlag}`.trim()
}

/** Shared vitest settings: every package's vitest.config.ts spreads this. */
export const sharedTestConfig = defineProject({
  resolve: { conditions: [SOURCE_CONDITION, "module", "browser", "development|production"] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, "module", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"]
  }
})
