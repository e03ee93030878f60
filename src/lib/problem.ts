import { type AppError, type ErrorCode, errorCatalog } from "./errors";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export const problemType = (code: ErrorCode) =>
  `urn:coaching-api:problem:${code.toLowerCase().replaceAll("_", "-")}`;

export function problemBody(err: AppError, instance: string, requestId: string): ProblemBody {
  const { status, title } = errorCatalog[err.code];
  return {
    ...err.extensions,
    type: problemType(err.code),
    title,
    status,
    detail: err.detail,
    instance,
    code: err.code,
    requestId,
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

export function problemResponse(err: AppError, instance: string, requestId: string): Response {
  const headers = new Headers(err.headers);
  headers.set("Content-Type", "application/problem+json");
  headers.set("X-Request-Id", requestId);
  return new Response(JSON.stringify(problemBody(err, instance, requestId)), {
    status: err.status,
    headers,
  });
}
