/**
 * `npm run docs:check [-- URL]`: validates /openapi.json as OpenAPI 3.1 (swagger-parser), then
 * renders /docs in headless Chromium (Debian `chromium`) and checks Swagger UI drew the
 * operations. Needs a running API (npm run dev).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";

const url =
  process.argv[2] && !process.argv[2].startsWith("--")
    ? process.argv[2]
    : "http://127.0.0.1:8787/docs";

const specUrl = new URL("/openapi.json", url).toString();
const res = await fetch(specUrl).catch(() => {
  console.error(
    `docs:check: nothing answers at ${specUrl}. It checks a running API: start \`npm run dev\` ` +
      "first (in another terminal), or pass the API's docs URL: npm run docs:check -- URL",
  );
  process.exit(1);
});
try {
  const spec = (await res.json()) as Parameters<typeof SwaggerParser.validate>[0];
  const api = (await SwaggerParser.validate(spec)) as { openapi?: string; paths?: object };
  console.log(
    `${specUrl}: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths ?? {}).length} paths`,
  );
} catch (err) {
  console.error(`${specUrl}: invalid: ${(err as Error).message}`);
  process.exit(1);
}
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!chromium) {
  console.error("chromium not found: apt-get install -y chromium");
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), "docs-check-"));
const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  `--user-data-dir=${profile}`,
  "--virtual-time-budget=10000",
];
try {
  const dom = execFileSync(chromium, [...flags, "--dump-dom", url], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 60_000,
  });
  const operations = (dom.match(/class="opblock opblock-/g) ?? []).length;
  const hasTitle = dom.includes("Coaching API");
  if (process.argv.includes("--screenshot")) {
    execFileSync(
      chromium,
      [...flags, "--window-size=1280,1600", `--screenshot=${join(process.cwd(), "docs.png")}`, url],
      {
        stdio: "ignore",
        timeout: 60_000,
      },
    );
    console.log("screenshot written to docs.png");
  }
  if (operations === 0 || !hasTitle) {
    console.error(`docs did not render: ${operations} operations, title found: ${hasTitle}`);
    process.exit(1);
  }
  console.log(`docs rendered: ${operations} operations listed at ${url}`);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
