import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { AppError, errorCatalog, errorCodes, type FieldError } from "./errors";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:coaching-api:problem:not-found" }),
    title: z.string().openapi({ example: "The resource was not found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string(),
    instance: z.string().openapi({ example: "/v1/courses/crs_123" }),
    code: z.enum(errorCodes),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem", { description: "RFC 9457 problem details" });

const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

const descriptions: Record<number, string> = {
  400: "Invalid request (validation failed or malformed body)",
  401: "Missing or invalid credentials",
  403: "Authenticated but not allowed",
  404: "Not found",
  409: "Conflict with the current state",
  410: "Gone (e.g. a revoked certificate's credential)",
  413: "Request body too large",
  415: "Unsupported content type",
  422: "Cannot be carried out as it stands (UNPROCESSABLE), or the Idempotency-Key was used for a different request",
  429: "Rate limited",
  500: "Server fault",
  502: "An upstream provider failed",
  503: "A dependency is unavailable",
};

type Status = keyof typeof descriptions;

/** Error responses for a route's OpenAPI `responses`: the common ones plus any extra statuses. */
export function errorResponses(...extra: Status[]) {
  const statuses = new Set<Status>([400, 413, 415, 429, 500, 503, ...extra]);
  return Object.fromEntries(
    [...statuses].sort().map((s) => [s, problemResponse(descriptions[s] ?? "Error")]),
  );
}

/** A required JSON request body. Use `z.strictObject` for write bodies: unknown keys → 400. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    description,
    content: { "application/json": { schema } },
  };
}

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message:
      issue.code === "unrecognized_keys"
        ? `Unknown field(s): ${issue.keys.join(", ")}`
        : issue.message,
  }));
}

/** Every router: validation failures become one VALIDATION_FAILED problem via handleError. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError({
          code: "VALIDATION_FAILED",
          detail: `The request ${result.target} is invalid.`,
          errors: toFieldErrors(result.error),
        });
      }
    },
  });
}

export { errorCatalog };
