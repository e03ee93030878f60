/**
 * Which font draws which characters: text is split into runs by script so a name like
 * "Priya தமிழ்செல்வி" is drawn with Noto Sans for the Latin part and Noto Sans Tamil for the
 * Tamil part, each run shaped as a whole (conjuncts, reordered vowel signs) by fontkit.
 */
export type Script = "latin" | "devanagari" | "tamil";
export type Weight = "regular" | "bold";

export interface ScriptRun {
  script: Script;
  text: string;
}

/** The script a character belongs to, or null for neutral characters (spaces, digits, punctuation, joiners). */
export function strongScript(cp: number): Script | null {
  if (
    (cp >= 0x0900 && cp <= 0x097f) ||
    (cp >= 0xa8e0 && cp <= 0xa8ff) ||
    (cp >= 0x1cd0 && cp <= 0x1cff)
  )
    return "devanagari";
  if ((cp >= 0x0b80 && cp <= 0x0bff) || (cp >= 0x11fc0 && cp <= 0x11fff)) return "tamil";
  if (/\p{L}/u.test(String.fromCodePoint(cp))) return "latin";
  return null;
}

const JOINERS = new Set([0x200c, 0x200d]);

/** The Indic scripts a text needs a font for (Latin is always loaded). */
export function scriptsIn(text: string): Set<Script> {
  const out = new Set<Script>();
  for (const ch of text) {
    const s = strongScript(ch.codePointAt(0) ?? 0);
    if (s && s !== "latin") out.add(s);
  }
  return out;
}

/**
 * Splits text into runs. Neutral characters stay in the current run when its font has them (so
 * a space or ZWJ inside a Devanagari name is shaped with it), otherwise they go to Latin; a
 * character no loaded font can draw becomes "?".
 */
export function splitRuns(
  text: string,
  covers: (script: Script, cp: number) => boolean,
): ScriptRun[] {
  const runs: ScriptRun[] = [];
  let current: ScriptRun | undefined;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    let script: Script;
    let out = ch;
    const strong = strongScript(cp);
    if (strong) script = strong;
    else if (
      current &&
      (covers(current.script, cp) || (JOINERS.has(cp) && current.script !== "latin"))
    )
      script = current.script;
    else script = "latin";
    if (!JOINERS.has(cp) && !covers(script, cp)) {
      script = "latin";
      if (!covers("latin", cp)) out = "?";
    }
    if (JOINERS.has(cp) && script === "latin") continue; // nothing to join in Latin
    if (current && current.script === script) current.text += out;
    else {
      current = { script, text: out };
      runs.push(current);
    }
  }
  return runs;
}
