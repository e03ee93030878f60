// Copies Swagger UI's browser files into public/docs/vendor so /docs is served by Workers static
// assets: no CDN, so it renders offline and under a strict Content-Security-Policy.
// Runs on `npm install` (postinstall) and before dev, tests and builds.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const out = join(root, "public", "docs", "vendor");
mkdirSync(out, { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"]) {
  copyFileSync(join(dist, file), join(out, file));
}
