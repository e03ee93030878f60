import { existsSync, readFileSync } from "node:fs";

/** One value of a .dev.vars-style file (dotenv: KEY=value, optionally quoted); undefined if absent. */
export function readDevVar(file: string, key: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}=`));
  const value = line
    ?.slice(key.length + 1)
    .trim()
    .replace(/^(["'])(.*)\1$/, "$2");
  return value || undefined;
}
