import type { Context } from "hono";
import type { AppConfig } from "../env";
import type { Principal } from "../middleware/auth";
import type { Services } from "../middleware/init";
import type { Idempotency } from "./idempotency";

export interface AppVariables {
  requestId: string;
  config: AppConfig;
  services: Services;
  /** Set by the auth middleware once a caller is identified. */
  userId?: string;
  principal?: Principal;
  /** Set by the idempotency middleware when the request holds a claim on its key. */
  idempotency?: Idempotency;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
