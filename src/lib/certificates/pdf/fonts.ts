import type { Script, Weight } from "./script";

/**
 * Static assets under public/fonts (copied there from the @expo-google-fonts packages by
 * scripts/copy-docs-assets.mjs), read through the ASSETS binding at render time.
 */
export const FONT_PATHS: Record<Script, Record<Weight, string>> = {
  latin: { regular: "/fonts/NotoSans-Regular.ttf", bold: "/fonts/NotoSans-Bold.ttf" },
  devanagari: {
    regular: "/fonts/NotoSansDevanagari-Regular.ttf",
    bold: "/fonts/NotoSansDevanagari-Bold.ttf",
  },
  tamil: { regular: "/fonts/NotoSansTamil-Regular.ttf", bold: "/fonts/NotoSansTamil-Bold.ttf" },
};
