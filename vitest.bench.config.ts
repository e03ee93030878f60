// Measurements that need workerd but are not tests (`npm run bench:password`).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
          JWT_SECRET: "bench-jwt-secret-0123456789abcdef0123456789abcdef",
          CURSOR_SECRET: "bench-cursor-secret-0123456789abcdef0123456789",
          DB_CONTEXT_SECRET: "bench-db-context-secret-0123456789abcdef012345",
          AUDIT_ANCHOR_SECRET: "bench-audit-anchor-secret-0123456789abcdef0123",
          AUDIT_HASH_SECRET: "bench-audit-hash-secret-0123456789abcdef012345",
        },
      },
    }),
  ],
  test: { include: ["bench/**/*.measure.ts"], testTimeout: 120_000 },
});
