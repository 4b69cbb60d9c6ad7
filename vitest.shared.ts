import { defineProject } from "vitest/config"

/** Shared vitest settings: every package's vitest.config.ts spreads this. */
export const sharedTestConfig = defineProject({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"]
  }
})
