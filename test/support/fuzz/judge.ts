/**
 * Judging the fuzzer's answers: a server fault, a 4xx that is not a problem+json body agreeing
 * with the error catalog, or a request shape that took a caller past its role. Pure, like
 * generate.ts: shared by test/app/fuzz.test.ts (workerd) and scripts/fuzz.ts (Node).
 */
// `.js` specifiers: they resolve to the .ts files under both tsconfig.json (Bundler) and
// tsconfig.node.json (NodeNext), in Vite and in tsx. errors.ts imports nothing.
import { type ErrorCode, errorCatalog } from "../../../src/lib/errors.js";
import type { AuthMode, Caller, FuzzRequest, Operation } from "./generate.js";

/** What came back. */
export interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

/** The operation a method and path reach, matched the way the router matches (decoded path). */
export function reachedOperation(
  ops: Operation[],
  method: string,
  path: string,
): Operation | undefined {
  let pathname = new URL(path, "http://api.test").pathname;
  try {
    pathname = decodeURI(pathname);
  } catch {
    // malformed escapes stay as they are, as the router leaves them
  }
  const segments = pathname.split("/");
  const params = (op: Operation) => (op.path.match(/\{/g) ?? []).length;
  return ops
    .filter((op) => op.method === method)
    .filter((op) => {
      const template = op.path.split("/");
      return (
        template.length === segments.length &&
        template.every((seg, i) => (seg.startsWith("{") ? segments[i] !== "" : seg === segments[i]))
      );
    })
    .sort((a, b) => params(a) - params(b))[0];
}

/** Sent as a credential a standard-conforming server may accept (RFC 9110: scheme and spaces). */
const CREDENTIAL: ReadonlySet<AuthMode> = new Set(["genuine", "lowercase-scheme", "double-space"]);

/**
 * What is wrong with the answer itself, whoever asked: a 5xx, or a 4xx that is not a
 * problem+json body whose `code`, `status` and `title` agree with the error catalog.
 */
export function judgeAnswer(out: Outcome): string | undefined {
  if (out.status >= 500) return `server fault ${out.status}`;
  if (out.status >= 400) {
    if (!out.contentType.startsWith("application/problem+json")) {
      return `${out.status} without problem+json (Content-Type: ${out.contentType || "none"})`;
    }
    let problem: { code?: unknown; status?: unknown; title?: unknown };
    try {
      problem = JSON.parse(out.text);
    } catch {
      return `${out.status} problem body is not JSON`;
    }
    const entry = errorCatalog[problem?.code as ErrorCode] as { status: number; title: string };
    if (!entry) return `${out.status} problem with unknown code ${String(problem?.code)}`;
    if (problem.status !== out.status) return `problem status ${problem.status} ≠ ${out.status}`;
    if (entry.status !== out.status) return `${problem.code} is ${entry.status}, got ${out.status}`;
    if (problem.title !== entry.title) return `problem title "${problem.title}" (${problem.code})`;
  }
  return undefined;
}

/**
 * What is wrong with this answer, if anything: `judgeAnswer`, then whether the request reached
 * further than the caller may go. `may`: the operations the caller may use; `live`: the
 * caller's identity cannot have been signed out, so its own token must not be refused.
 */
export function judge(
  ops: Operation[],
  may: ReadonlySet<string>,
  caller: Caller,
  req: FuzzRequest,
  out: Outcome,
  live: boolean,
): string | undefined {
  const wrongAnswer = judgeAnswer(out);
  if (wrongAnswer) return wrongAnswer;
  if (req.method === "OPTIONS") return undefined; // CORS preflight, answered before routing
  const reached = reachedOperation(ops, req.method, `${req.path}${req.query}`);
  if (out.status < 300) {
    if (!reached) return `${out.status} on a path that is no operation`;
    if (reached.secured && (caller === "anonymous" || !CREDENTIAL.has(req.auth))) {
      return `${out.status} without a valid token on a secured operation`;
    }
    if (!may.has(reached.id)) {
      return `${out.status}: ${caller} reached ${reached.id}, which the role may not use`;
    }
  }
  // A live identity's own token is never refused (logout-all or a password change end it).
  if (out.status === 401 && live && req.auth === "genuine" && reached?.secured) {
    return "401 for a live identity's genuine token";
  }
  return undefined;
}

export const clip = (text: string, n = 300) =>
  text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text;

/** The request, readable and clipped: method, path and query, auth mode, headers, body. */
export function describeRequest(req: FuzzRequest): string {
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${clip(v, 80)}`);
  const body =
    req.body === undefined
      ? "(no body)"
      : `${req.body.contentType ?? "(no Content-Type)"} ${clip(
          typeof req.body.payload === "string"
            ? req.body.payload
            : new TextDecoder().decode(req.body.payload),
        )}`;
  return [
    `${req.method} ${clip(`${req.path}${req.query}`, 400)}`,
    `auth: ${req.auth}${req.hotIp ? ", shared client address" : ""}`,
    ...headers,
    body,
  ].join("\n    ");
}
