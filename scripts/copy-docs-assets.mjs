// Copies third-party browser and font files from node_modules into public/ so Workers static
// assets serve them: no CDN, so they work offline and under a strict Content-Security-Policy.
// - Swagger UI for /docs → public/docs/vendor
// - Noto Sans (Latin), Noto Sans Devanagari and Noto Sans Tamil TTFs → public/fonts, which the
//   certificate PDF renderer loads at render time through the ASSETS binding
//   (src/lib/certificates/pdf.ts), so hundreds of KB of fonts stay out of the Worker bundle.
// Runs on `npm install` (postinstall) and before dev, tests and builds.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

const swagger = packageDir("swagger-ui-dist");
const vendor = join(root, "public", "docs", "vendor");
mkdirSync(vendor, { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"]) {
  copyFileSync(join(swagger, file), join(vendor, file));
}

// [package, file inside it, name under public/fonts] — names must match
// src/lib/certificates/pdf/fonts.ts.
const FONTS = [
  ["@expo-google-fonts/noto-sans", "400Regular/NotoSans_400Regular.ttf", "NotoSans-Regular.ttf"],
  ["@expo-google-fonts/noto-sans", "700Bold/NotoSans_700Bold.ttf", "NotoSans-Bold.ttf"],
  [
    "@expo-google-fonts/noto-sans-devanagari",
    "400Regular/NotoSansDevanagari_400Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
  ],
  [
    "@expo-google-fonts/noto-sans-devanagari",
    "700Bold/NotoSansDevanagari_700Bold.ttf",
    "NotoSansDevanagari-Bold.ttf",
  ],
  [
    "@expo-google-fonts/noto-sans-tamil",
    "400Regular/NotoSansTamil_400Regular.ttf",
    "NotoSansTamil-Regular.ttf",
  ],
  [
    "@expo-google-fonts/noto-sans-tamil",
    "700Bold/NotoSansTamil_700Bold.ttf",
    "NotoSansTamil-Bold.ttf",
  ],
];
const fonts = join(root, "public", "fonts");
mkdirSync(fonts, { recursive: true });
for (const [pkg, file, name] of FONTS) copyFileSync(join(packageDir(pkg), file), join(fonts, name));
