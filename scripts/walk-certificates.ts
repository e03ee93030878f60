/**
 * `npm run walk:certificates` (with `npm run dev` running in another terminal)
 *
 * Walks certificates over HTTP against the local API, and prints what each step answered:
 *   1. the learning flow to a completed batch: a free course, three students, a class whose
 *      signed Zoom events give them 100%, 25% and 0% attendance, the batch marked completed;
 *   2. the admin issues certificates: one issued, two skipped with their reasons; again:
 *      nothing issued twice;
 *   3. the public verify URL says valid, and the second read is a cache hit;
 *   4. a code with one character changed is reported as mistyped;
 *   5. the PDF renders (its QR code is decoded to the verify URL, through the app, in
 *      test/certificates/pdf.test.ts);
 *   6. the credential verifies with jose against /.well-known/jwks.json, and fails when one
 *      byte of its payload changes;
 *   7. after revocation, the very next verify says revoked.
 * Exits 1 at the first step that does not behave as described. Everything it creates is new.
 * The verify page and the PDF share the `strict` limit (5 a minute per address): wait a minute
 * between two runs.
 */

import { createLocalJWKSet, jwtVerify } from "jose";
import { buildZoomEvent, meetingIdFor, signedZoomWebhook } from "../src/providers/zoom/simulate.ts";
import { DEMO_PASSWORD } from "./lib/seed.ts";
import {
  base,
  call,
  check,
  devSecret,
  expectStatus,
  login,
  publishedCourseWithBatch,
  requireRunningApi,
} from "./lib/walk.ts";

const run = crypto.randomUUID().slice(0, 8);
const MIN = 60_000;

await requireRunningApi("walk:certificates");

console.log(`1. A completed batch with attendance (run ${run})`);
const admin = await login("admin@demo.in");
const { batchId } = await publishedCourseWithBatch(admin, {
  slug: `walk-cert-${run}`,
  title: `Certificate walkthrough ${run}`,
  pricePaise: 0,
  batchName: "Certificate batch",
  capacity: 10,
  startsInDays: 2,
  courseNote: "free; certificates at 75% attendance",
});
const batch = { body: { id: batchId } };
const students = [];
for (const name of ["Asha Rao", "Bala Iyer", "Chitra Nair"]) {
  const email = `walk-cert-${run}-${name.split(" ")[0]?.toLowerCase()}@example.in`;
  const res = expectStatus(
    await call<{ tokens: { accessToken: string } }>("POST", "/v1/auth/signup", {
      body: { email, password: DEMO_PASSWORD, fullName: name },
    }),
    201,
    `sign up ${email}`,
  );
  const token = res.body.tokens.accessToken;
  expectStatus(
    await call("POST", "/v1/enrolments", { token, body: { batchId: batch.body.id } }),
    201,
    `${name} enrols`,
  );
  students.push({ name, email, token });
}
const [asha, bala] = students;
if (!asha || !bala) throw new Error("unreachable");
expectStatus(
  await call("PUT", "/v1/me/certificate-name", { token: asha.token, body: { name: "आशा राव" } }),
  200,
  "Asha sets the name her certificate prints (Devanagari), once",
);
const session = expectStatus(
  await call<{ id: string }>("POST", `/v1/admin/batches/${batch.body.id}/sessions`, {
    token: admin,
    body: {
      title: "The only class",
      startsAt: new Date(Math.ceil((Date.now() + 20 * MIN) / MIN) * MIN).toISOString(),
      durationMinutes: 60,
    },
  }),
  201,
  "POST /v1/admin/batches/{id}/sessions",
);
const meetingId = await meetingIdFor(session.body.id);
const t0 = new Date(Date.now() - 90 * MIN);
const at = (m: number) => new Date(t0.getTime() + m * MIN);
for (const [event, when, email] of [
  ["meeting.started", at(0), undefined],
  ["meeting.participant_joined", at(0), asha.email],
  ["meeting.participant_joined", at(0), bala.email],
  ["meeting.participant_left", at(15), bala.email],
  ["meeting.participant_left", at(60), asha.email],
  ["meeting.ended", at(60), undefined],
] as const) {
  const payload = await buildZoomEvent({ event, meetingId, email, at: when, apiBaseUrl: base });
  const { rawBody, headers } = await signedZoomWebhook(
    payload,
    devSecret("ZOOM_WEBHOOK_SECRET_TOKEN"),
  );
  expectStatus(
    await call("POST", "/v1/webhooks/zoom", { raw: rawBody, headers }),
    200,
    `${event}${email ? ` (${email})` : ""}`,
  );
}
for (const status of ["running", "completed"]) {
  expectStatus(
    await call("PATCH", `/v1/admin/batches/${batch.body.id}`, { token: admin, body: { status } }),
    200,
    `PATCH the batch: ${status}`,
  );
}

console.log("2. The admin issues certificates");
type Issued = {
  issued: {
    id: string;
    code: string;
    name: string;
    attendancePct: number;
    pdfUrl: string;
    credentialUrl: string;
  }[];
  skipped: { reason: string; attendancePct: number | null }[];
};
const issued = expectStatus(
  await call<Issued>("POST", `/v1/admin/batches/${batch.body.id}/certificates`, { token: admin }),
  200,
  "POST /v1/admin/batches/{id}/certificates",
);
const cert = issued.body.issued[0];
check(
  issued.body.issued.length === 1 && cert?.attendancePct === 100 && cert.name === "आशा राव",
  `issued: ${issued.body.issued.map((c) => `${c.name} (${c.attendancePct}%) ${c.code}`).join(", ")}`,
  issued as never,
);
check(
  issued.body.skipped
    .map((s) => `${s.reason}:${s.attendancePct}`)
    .sort()
    .join(",") === "attendance_below_rule:0,attendance_below_rule:25",
  `skipped: ${issued.body.skipped.map((s) => `${s.reason} (${s.attendancePct}%)`).join(", ")}`,
);
const again = await call<Issued>("POST", `/v1/admin/batches/${batch.body.id}/certificates`, {
  token: admin,
});
check(again.body.issued.length === 0, "again: nothing issued twice");
if (!cert) throw new Error("unreachable");

console.log("3. The public verify URL");
const verify = (code: string) =>
  call<{ status: string; reason?: string }>("GET", `/v1/certificates/verify/${code}`);
const first = await verify(cert.code);
check(
  first.status === 200 && first.body.status === "valid",
  `verify → ${first.body.status}`,
  first,
);
const second = await verify(cert.code);
check(
  /;\s*hit/.test(second.headers.get("Cache-Status") ?? ""),
  `second read: Cache-Status: ${second.headers.get("Cache-Status")}`,
  second,
);

console.log("4. One character changed");
const compact = cert.code.replaceAll("-", "");
const typo = `${compact.slice(0, 3)}${compact[3] === "7" ? "8" : "7"}${compact.slice(4)}`;
const mistyped = await verify(typo);
check(
  mistyped.status === 400 && mistyped.body.reason === "mistyped",
  `${typo} → ${mistyped.status}, reason ${mistyped.body.reason}`,
  mistyped,
);

console.log("5. The PDF");
const pdf = await fetch(`${base}${cert.pdfUrl}`);
const bytes = new Uint8Array(await pdf.arrayBuffer());
check(
  pdf.status === 200 && new TextDecoder().decode(bytes.slice(0, 5)) === "%PDF-",
  `GET ${cert.pdfUrl} → ${pdf.status}, ${bytes.length} bytes of ${pdf.headers.get("Content-Type")}`,
);

console.log("6. The credential, offline");
const jwt = await (await fetch(`${base}${cert.credentialUrl}`)).text();
const jwks = createLocalJWKSet(
  (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as Parameters<
    typeof createLocalJWKSet
  >[0],
);
const verified = await jwtVerify(jwt, jwks).then(
  (r) => r.protectedHeader.alg,
  (err: Error) => `failed: ${err.message}`,
);
check(verified === "EdDSA", `jwtVerify with /.well-known/jwks.json: ${verified}`);
const [head, payload, signature] = jwt.split(".");
const flipped = `${head}.${payload?.slice(0, 20)}${payload?.[20] === "A" ? "B" : "A"}${payload?.slice(21)}.${signature}`;
const tampered = await jwtVerify(flipped, jwks).then(
  () => "verified (wrong!)",
  (err: Error) => `refused (${err.name})`,
);
check(tampered.startsWith("refused"), `one payload byte changed: ${tampered}`);

console.log("7. Revocation");
expectStatus(
  await call("POST", `/v1/admin/certificates/${cert.id}/revoke`, {
    token: admin,
    body: { reasonCategory: "issued_in_error", note: "Walkthrough revocation" },
  }),
  200,
  "POST /v1/admin/certificates/{id}/revoke",
);
const after = await verify(cert.code);
check(after.body.status === "revoked", `the very next verify → ${after.body.status}`, after);
console.log("\nwalk:certificates: every step behaved as described.");
