/**
 * CSV import of leads. Per-row reporting: every good row is imported (matched with the form's
 * function, so against existing contacts and students and against earlier rows of the same
 * file) in one transaction; bad rows are skipped and reported with their line numbers and
 * reasons. A file that is not a lead CSV at all (no header, no name column, too big) is refused
 * whole.
 */

import { sql } from "drizzle-orm";
import Papa from "papaparse";
import { isUniqueViolation } from "../../../db/client";
import { type ContactSource, contactSources } from "../../../db/schema";
import { runAs } from "../../../db/transaction";
import { recordAudit } from "../../../lib/audit";
import {
  findOrCreateContact,
  normalizeContactEmail,
  normalizeContactPhone,
} from "../../../lib/contacts";
import { AppError, conflict, validationFailed } from "../../../lib/errors";
import type { ServiceContext } from "../../../lib/service-context";
import type { ImportResult } from "../schemas";

export const IMPORT_MAX_BYTES = 1_000_000;
export const IMPORT_MAX_ROWS = 5_000;

const TEXT_LIMITS = {
  name: 120,
  course_interest: 200,
  utm_source: 200,
  utm_medium: 200,
  utm_campaign: 200,
  utm_term: 200,
  utm_content: 200,
  message: 2000,
} as const;
export const IMPORT_COLUMNS = [
  "name",
  "email",
  "phone",
  "course_interest",
  "source",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "message",
] as const;
type Column = (typeof IMPORT_COLUMNS)[number];
const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;

interface GoodRow {
  line: number;
  name: string;
  email: string | null;
  phone: string | null;
  source: ContactSource;
  courseInterest: string | null;
  message: string | null;
  utm: Record<string, string>;
}
type RowError = ImportResult["errors"][number];

const tooLarge = (detail: string) => new AppError({ code: "PAYLOAD_TOO_LARGE", detail });

export async function importLeads(ctx: ServiceContext, csv: string): Promise<ImportResult> {
  if (new TextEncoder().encode(csv).byteLength > IMPORT_MAX_BYTES) {
    throw tooLarge(`The CSV file must be at most ${IMPORT_MAX_BYTES} bytes.`);
  }
  const { header, rows } = parseCsv(csv.replace(/^\uFEFF/, ""));
  if (rows.length > IMPORT_MAX_ROWS) {
    throw tooLarge(`The CSV file may have at most ${IMPORT_MAX_ROWS} rows after its header.`);
  }
  const columns = header.map((h) => h.trim().toLowerCase());
  const known = new Set<string>(IMPORT_COLUMNS);
  const missing = !columns.includes("name")
    ? "name"
    : !columns.includes("email") && !columns.includes("phone")
      ? "email or phone"
      : null;
  if (missing) {
    throw validationFailed(
      [{ path: "header", message: `The header row needs a ${missing} column` }],
      `Line 1 must be a header row naming the columns (${IMPORT_COLUMNS.join(", ")}).`,
    );
  }
  const duplicate = columns.find((c, i) => known.has(c) && columns.indexOf(c) !== i);
  if (duplicate) {
    throw validationFailed([{ path: "header", message: `The column ${duplicate} appears twice` }]);
  }

  const errors: RowError[] = [];
  const good: GoodRow[] = [];
  for (const row of rows) {
    const checked = checkRow(columns, row.fields, row.line);
    if ("errors" in checked) errors.push(...checked.errors);
    else good.push(checked);
  }

  try {
    return await runAs(ctx.db, ctx.actor, async (tx) => {
      // One import at a time; rows skip the per-address locks (see FindOrCreateOptions).
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('contacts:import', 0))`);
      const results: ImportResult["results"] = [];
      for (const row of good) {
        const match = await findOrCreateContact(
          tx,
          {
            name: row.name,
            email: row.email,
            phone: row.phone,
            source: row.source,
            courseInterest: row.courseInterest,
            utm: row.utm,
            lead: true,
            activity: { kind: "lead_imported", data: { line: row.line, message: row.message } },
          },
          ctx.audit,
          { lock: false },
        );
        results.push({
          line: row.line,
          contactId: match.contact.id,
          outcome: match.created ? "created" : "merged",
        });
      }
      const result: ImportResult = {
        rows: rows.length,
        created: results.filter((r) => r.outcome === "created").length,
        merged: results.filter((r) => r.outcome === "merged").length,
        rejected: new Set(errors.map((e) => e.line)).size,
        errors,
        results,
        ignoredColumns: [...new Set(columns.filter((c) => !known.has(c)))],
      };
      await recordAudit(tx, ctx.audit, {
        action: "lead.imported",
        entityType: "contact",
        after: {
          rows: result.rows,
          created: result.created,
          merged: result.merged,
          rejected: result.rejected,
        },
      });
      await ctx.idempotency?.complete(tx, { status: 200, body: result });
      return result;
    });
  } catch (err) {
    // A form submission filled the same address meanwhile: nothing was imported; retry.
    if (isUniqueViolation(err)) {
      throw conflict("A concurrent change touched the same contacts. Nothing was imported; retry.");
    }
    throw err;
  }
}

/** Rows with the line each starts on (quoted fields may span lines). */
function parseCsv(text: string): { header: string[]; rows: { line: number; fields: string[] }[] } {
  const parsed: { line: number; fields: string[] }[] = [];
  let line = 1;
  let offset = 0;
  let failure: string | null = null;
  Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: "greedy",
    step: (result) => {
      const end = result.meta.cursor;
      // The row starts after any blank lines skipped since the previous row.
      let start = offset;
      while (start < end && (text[start] === "\n" || text[start] === "\r")) {
        if (text[start] === "\n") line++;
        start++;
      }
      if (result.errors.length > 0 && !failure) {
        failure = `Line ${line}: ${result.errors[0]?.message ?? "unreadable"}`;
      }
      parsed.push({ line, fields: result.data });
      for (let i = start; i < end; i++) if (text[i] === "\n") line++;
      offset = end;
    },
  });
  if (failure) {
    throw validationFailed([{ path: "csv", message: failure }], "The CSV file could not be read.");
  }
  const [first, ...rows] = parsed;
  if (!first) {
    throw validationFailed(
      [{ path: "header", message: "The file is empty" }],
      "Line 1 must be a header row.",
    );
  }
  return { header: first.fields, rows };
}

function checkRow(
  columns: string[],
  fields: string[],
  line: number,
): GoodRow | { errors: RowError[] } {
  const errors: RowError[] = [];
  if (fields.length !== columns.length) {
    return {
      errors: [
        {
          line,
          field: "(row)",
          message: `Expected ${columns.length} fields, got ${fields.length}`,
        },
      ],
    };
  }
  const value = (c: Column) => {
    const i = columns.indexOf(c);
    const v = i >= 0 ? (fields[i] ?? "").trim() : "";
    return v === "" ? null : v;
  };
  for (const [i, raw] of fields.entries()) {
    if (raw.includes("\u0000"))
      errors.push({ line, field: columns[i] ?? "(row)", message: "Contains NUL" });
  }
  for (const [c, max] of Object.entries(TEXT_LIMITS)) {
    const v = value(c as Column);
    if (v && v.length > max) errors.push({ line, field: c, message: `At most ${max} characters` });
  }
  const name = value("name");
  if (!name) errors.push({ line, field: "name", message: "Required" });
  const rawEmail = value("email");
  const email = rawEmail ? normalizeContactEmail(rawEmail) : null;
  if (rawEmail && !email)
    errors.push({ line, field: "email", message: "Not a valid email address" });
  const rawPhone = value("phone");
  const phone = rawPhone ? normalizeContactPhone(rawPhone) : null;
  if (rawPhone && !phone)
    errors.push({ line, field: "phone", message: "Not a valid phone number" });
  if (!rawEmail && !rawPhone) {
    errors.push({
      line,
      field: "email",
      message: "An email address or a phone number is required",
    });
  }
  const source = (value("source")?.toLowerCase() ?? "import") as ContactSource;
  if (!contactSources.includes(source)) {
    errors.push({ line, field: "source", message: `One of ${contactSources.join(", ")}` });
  }
  if (errors.length > 0 || !name) return { errors };
  const utm = Object.fromEntries(
    UTM.map((k) => [k, value(k)] as const).filter(
      (e): e is [(typeof UTM)[number], string] => e[1] !== null,
    ),
  );
  return {
    line,
    name,
    email,
    phone,
    source,
    courseInterest: value("course_interest"),
    message: value("message"),
    utm,
  };
}
