/**
 * Zoom's REST API with Server-to-Server OAuth (PROVIDERS.md §2): `POST {oauth}/oauth/token`
 * with Basic client_id:client_secret and `grant_type=account_credentials&account_id=…`, then
 * `Authorization: Bearer` on `{api}/users/{userId}/meetings` and `{api}/meetings/{id}`.
 *
 * - The token is cached per isolate until shortly before `expires_in`, and concurrent callers
 *   share one token request. A 401 drops it and retries once with a fresh one.
 * - 429 waits (Retry-After when Zoom sends one, else exponential backoff) within a budget, then
 *   fails. Nothing else is retried: Zoom has no idempotency keys, so a create that timed out or
 *   got a 5xx may exist, and sending it again could make a second meeting.
 * - Every request has a timeout and the whole operation a deadline. Any failure is a 502
 *   EXTERNAL_SERVICE_ERROR whose cause (ZoomError) holds no body, secret or token.
 */
import * as z from "zod";
import type { Logger } from "../../lib/logger";
import { toBase64 } from "../../lib/tokens";
import {
  bearerToken,
  type CachedToken,
  cachedToken,
  fetchWithin,
  forgetToken,
} from "../bearer-tokens";
import {
  assertMeetingId,
  type CreateMeetingInput,
  type MeetingSettings,
  type UpdateMeetingPatch,
  ZoomError,
  type ZoomMeeting,
  type ZoomProvider,
  zoomServiceError,
  zoomUtc,
} from "./types";

export const ZOOM_API_DEFAULT_BASE_URL = "https://api.zoom.us/v2";
export const ZOOM_OAUTH_DEFAULT_BASE_URL = "https://zoom.us";

export interface ZoomHttpOptions {
  accountId: string;
  clientId: string;
  clientSecret: string;
  apiBaseUrl?: string;
  oauthBaseUrl?: string;
  /** Each HTTP request, token or API (default 10 s). */
  timeoutMs?: number;
  /** One operation from start to end: attempts, waits and all (default 25 s). */
  deadlineMs?: number;
  /** Total time one operation may wait out 429s (default 10 s). */
  maxRateLimitWaitMs?: number;
  /** Attempts of one operation when Zoom keeps answering 429 (default 4). */
  maxAttempts?: number;
  logger?: Logger;
  /** Tests: the clock that decides when a cached token is due (default Date.now). */
  clock?: () => number;
  /** Tests: how to wait between attempts (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

type Operation = "token" | "create" | "get" | "update" | "delete";

const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
});

const meetingResponse = z.looseObject({
  id: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String),
  join_url: z.url(),
  start_url: z.string().optional(),
  password: z.string().optional(),
  host_email: z.string().optional(),
  topic: z.string().optional(),
  start_time: z.string().optional(),
  duration: z.number().optional(),
  timezone: z.string().optional(),
});

/** Meeting settings this project wants unless the caller says otherwise. */
const DEFAULT_SETTINGS: MeetingSettings = {
  joinBeforeHost: false,
  participantVideo: false,
  muteUponEntry: true,
  autoRecording: "cloud",
};

export class ZoomHttpProvider implements ZoomProvider {
  readonly kind = "zoom" as const;
  private readonly apiBaseUrl: string;
  private readonly oauthBaseUrl: string;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxWaitMs: number;
  private readonly maxAttempts: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly cacheKey: string;

  constructor(private readonly opts: ZoomHttpOptions) {
    if (!opts.accountId || !opts.clientId || !opts.clientSecret) {
      throw new TypeError("ZoomHttpProvider needs an account id, a client id and a secret");
    }
    this.apiBaseUrl = (opts.apiBaseUrl ?? ZOOM_API_DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.oauthBaseUrl = (opts.oauthBaseUrl ?? ZOOM_OAUTH_DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.deadlineMs = opts.deadlineMs ?? 25_000;
    this.maxWaitMs = opts.maxRateLimitWaitMs ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.clock = opts.clock ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
    this.cacheKey = [
      "zoom",
      this.oauthBaseUrl,
      opts.accountId,
      opts.clientId,
      opts.clientSecret,
    ].join("\n");
  }

  async createMeeting(input: CreateMeetingInput): Promise<ZoomMeeting> {
    const body = {
      topic: input.topic,
      type: 2,
      start_time: zoomUtc(input.startTime),
      duration: input.durationMinutes,
      timezone: input.timezone,
      ...(input.agenda !== undefined ? { agenda: input.agenda } : {}),
      settings: settingsBody({ ...DEFAULT_SETTINGS, ...input.settings }),
    };
    const host = encodeURIComponent(input.hostUserId ?? "me");
    return this.guard(
      "create",
      async () => {
        const res = await this.call("create", "POST", `/users/${host}/meetings`, body);
        if (res.status !== 201 && res.status !== 200) throw await failure("create", res);
        return toMeeting(await readJson("create", res));
      },
      { idempotencyKey: input.idempotencyKey },
    );
  }

  async getMeeting(meetingId: string): Promise<ZoomMeeting | null> {
    assertMeetingId(meetingId);
    return this.guard("get", async () => {
      const res = await this.call("get", "GET", `/meetings/${meetingId}`);
      if (res.status === 200) return toMeeting(await readJson("get", res));
      const err = await failure("get", res);
      if (err.kind === "not_found") return null;
      throw err;
    });
  }

  async updateMeeting(meetingId: string, patch: UpdateMeetingPatch): Promise<void> {
    assertMeetingId(meetingId);
    const body = {
      ...(patch.topic !== undefined ? { topic: patch.topic } : {}),
      ...(patch.startTime !== undefined ? { start_time: zoomUtc(patch.startTime) } : {}),
      ...(patch.durationMinutes !== undefined ? { duration: patch.durationMinutes } : {}),
      ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
      ...(patch.agenda !== undefined ? { agenda: patch.agenda } : {}),
      ...(patch.settings !== undefined ? { settings: settingsBody(patch.settings) } : {}),
    };
    await this.guard("update", async () => {
      const res = await this.call("update", "PATCH", `/meetings/${meetingId}`, body);
      if (res.status === 204 || res.status === 200) return void (await res.body?.cancel());
      throw await failure("update", res);
    });
  }

  async deleteMeeting(meetingId: string): Promise<void> {
    assertMeetingId(meetingId);
    await this.guard("delete", async () => {
      const res = await this.call("delete", "DELETE", `/meetings/${meetingId}`);
      if (res.status === 204 || res.status === 200) return void (await res.body?.cancel());
      const err = await failure("delete", res);
      if (err.kind === "not_found") return; // already gone: what the caller wanted
      throw err;
    });
  }

  /** Runs one operation; whatever fails is logged (safely) and becomes the app's 502. */
  private async guard<T>(
    op: Operation,
    work: () => Promise<T>,
    extra: Record<string, unknown> = {},
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const cause = asZoomError(op, err, this.timeoutMs);
      this.opts.logger?.warn("zoom request failed", {
        provider: "zoom",
        op,
        kind: cause.kind,
        status: cause.status,
        zoomCode: cause.zoomCode,
        ...extra,
      });
      throw zoomServiceError(cause);
    }
  }

  /**
   * One API request with a bearer token, through 401 (once) and 429 (within the budget).
   * Returns any other answer for the operation to judge.
   */
  private async call(
    op: Operation,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const deadline = Date.now() + this.deadlineMs;
    let waited = 0;
    let reauthorised = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      let token: string;
      try {
        token = await this.token(deadline);
        res = await this.fetchWithin(deadline, `${this.apiBaseUrl}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: "application/json",
            ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        const failed = asZoomError(op, err, this.timeoutMs);
        if (failed.kind !== "rate_limited") throw failed;
        // The token endpoint is rate limited too: wait like for the API.
        waited += await this.backOff(op, attempt, waited, deadline, failed.retryAfterMs, failed);
        continue;
      }
      if (res.status === 401) {
        await res.body?.cancel();
        this.forgetToken(token);
        if (reauthorised) {
          throw new ZoomError("auth", `zoom ${op}: 401 even with a fresh token`, { status: 401 });
        }
        reauthorised = true;
        continue;
      }
      if (res.status === 429) {
        const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), Date.now());
        await res.body?.cancel();
        const limited = new ZoomError("rate_limited", `zoom ${op}: 429 rate limited`, {
          status: 429,
          retryAfterMs,
        });
        waited += await this.backOff(op, attempt, waited, deadline, retryAfterMs, limited);
        continue;
      }
      return res;
    }
  }

  /** Waits before the next attempt and says how long, or throws when the budget is spent. */
  private async backOff(
    op: Operation,
    attempt: number,
    waited: number,
    deadline: number,
    retryAfterMs: number | undefined,
    limited: ZoomError,
  ): Promise<number> {
    // Exponential with jitter (250 ms, 500 ms, 1 s, …) when Zoom does not say.
    const base = 250 * 2 ** (attempt - 1);
    const delay = retryAfterMs ?? Math.round(base / 2 + Math.random() * (base / 2));
    if (
      attempt >= this.maxAttempts ||
      waited + delay > this.maxWaitMs ||
      Date.now() + delay >= deadline
    ) {
      throw new ZoomError(
        "rate_limited",
        `zoom ${op}: still rate limited after ${attempt} attempt(s) and ${waited} ms of waiting` +
          (retryAfterMs !== undefined ? ` (Retry-After asked for ${retryAfterMs} ms)` : ""),
        { status: limited.status, retryAfterMs },
      );
    }
    this.opts.logger?.info("zoom rate limited; retrying", { provider: "zoom", op, attempt, delay });
    await this.sleep(delay);
    return delay;
  }

  private token(deadline: number): Promise<string> {
    return bearerToken(
      {
        key: this.cacheKey,
        clock: this.clock,
        request: () => this.requestToken(deadline),
        timeoutMs: this.timeoutMs,
        fail: (message) => new ZoomError("timeout", `zoom token: ${message}`),
      },
      deadline,
    );
  }

  private forgetToken(token: string) {
    forgetToken(this.cacheKey, token);
  }

  private async requestToken(deadline: number): Promise<CachedToken> {
    // Basic credentials are padded base64 (RFC 7617); toBase64 leaves the padding off.
    const unpadded = toBase64(
      new TextEncoder().encode(`${this.opts.clientId}:${this.opts.clientSecret}`),
    );
    const basic = unpadded.padEnd(Math.ceil(unpadded.length / 4) * 4, "=");
    const res = await this.fetchWithin(deadline, `${this.oauthBaseUrl}/oauth/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${basic}`,
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({
        grant_type: "account_credentials",
        account_id: this.opts.accountId,
      }).toString(),
    });
    if (res.status === 429) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), Date.now());
      await res.body?.cancel();
      throw new ZoomError("rate_limited", "zoom token: 429 rate limited", {
        status: 429,
        retryAfterMs,
      });
    }
    if (!res.ok) {
      const body = await res.json().catch(() => undefined);
      const code = (body as { error?: unknown } | undefined)?.error;
      // An OAuth error code (`invalid_client`) names the problem and is never a secret.
      const named = typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? ` ${code}` : "";
      const kind = res.status >= 500 ? "server" : "auth";
      throw new ZoomError(kind, `zoom token request refused (${res.status}${named})`, {
        status: res.status,
      });
    }
    const parsed = tokenResponse.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ZoomError("bad_response", "zoom token response has no access_token", {
        status: res.status,
      });
    }
    // No expires_in: assume Zoom's documented hour; a 401 will still renew it.
    return cachedToken(parsed.data.access_token, parsed.data.expires_in ?? 3600, this.clock());
  }

  private fetchWithin(deadline: number, url: string, init: RequestInit): Promise<Response> {
    return fetchWithin(url, init, {
      deadline,
      timeoutMs: this.timeoutMs,
      fail: (message) => new ZoomError("timeout", `zoom: ${message}`),
    });
  }
}

/**
 * Retry-After in milliseconds from `now`: delta-seconds, an HTTP-date, or the ISO instant
 * Zoom's rate-limit documentation shows for daily limits. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function settingsBody(s: MeetingSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  put("host_video", s.hostVideo);
  put("participant_video", s.participantVideo);
  put("join_before_host", s.joinBeforeHost);
  put("waiting_room", s.waitingRoom);
  put("mute_upon_entry", s.muteUponEntry);
  put("auto_recording", s.autoRecording);
  put("meeting_authentication", s.meetingAuthentication);
  put("alternative_hosts", s.alternativeHosts);
  return out;
}

function toMeeting(body: unknown): ZoomMeeting {
  const parsed = meetingResponse.safeParse(body);
  if (!parsed.success) {
    throw new ZoomError("bad_response", "zoom meeting response lacks id or join_url");
  }
  const m = parsed.data;
  return {
    meetingId: m.id,
    joinUrl: m.join_url,
    startUrl: m.start_url,
    password: m.password,
    hostEmail: m.host_email,
    topic: m.topic,
    startTime: m.start_time,
    durationMinutes: m.duration,
    timezone: m.timezone,
  };
}

async function readJson(op: Operation, res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") throw err;
    throw new ZoomError("bad_response", `zoom ${op}: ${res.status} with a body that is not JSON`, {
      status: res.status,
    });
  }
}

/** The ZoomError for a non-success answer: status and Zoom's numeric code, never its message. */
async function failure(op: Operation, res: Response): Promise<ZoomError> {
  const body = await res.json().catch(() => undefined);
  const code = (body as { code?: unknown } | undefined)?.code;
  const zoomCode = typeof code === "number" && Number.isInteger(code) ? code : undefined;
  const where = `zoom ${op}: ${res.status}${zoomCode !== undefined ? ` (code ${zoomCode})` : ""}`;
  const opts = { status: res.status, zoomCode };
  // 3001 "Meeting does not exist / not found or has expired": some endpoints send it with 400.
  if ((res.status === 404 || zoomCode === 3001) && op !== "create") {
    return new ZoomError("not_found", `${where}: no such meeting`, opts);
  }
  if (res.status >= 500) return new ZoomError("server", `${where}: Zoom failed`, opts);
  if (res.status >= 400)
    return new ZoomError("rejected", `${where}: Zoom refused the request`, opts);
  return new ZoomError("bad_response", `${where}: unexpected status`, opts);
}

function asZoomError(op: Operation, err: unknown, timeoutMs: number): ZoomError {
  if (err instanceof ZoomError) return err;
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return new ZoomError("timeout", `zoom ${op}: no answer within ${timeoutMs} ms`);
  }
  // Network errors may quote the URL (with the account id): keep only their name.
  return new ZoomError(
    "unreachable",
    `zoom ${op}: request failed (${err instanceof Error ? err.name : "unknown"})`,
  );
}
