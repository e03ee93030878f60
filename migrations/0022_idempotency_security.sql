-- idempotency_keys (src/lib/idempotency): owner, grants, row-level security, and the one
-- statement a service uses to record its response in its own transaction.
--
-- Which actor runs what:
--   * The middleware claims a key, replays a record, releases a failed claim and stores the
--     response of a route whose service did not: as `system`, on the HTTP path. The scope it
--     writes (`user:<id>` from the verified principal, or `ip:<address>` from CF-Connecting-IP)
--     is decided in the Worker, never taken from the client, and `anonymous` has no notion of an
--     address the database could check: so these statements need the system context.
--   * The service records its response with idempotency_complete() INSIDE ITS OWN TRANSACTION,
--     as the caller (student, admin, anonymous), so the record commits or rolls back with the
--     effect. The caller may read and update only rows of its own scope: a user's `user:<id>`
--     rows; an anonymous context's `ip:` rows (the database cannot tell addresses apart, so the
--     claim token is what singles out the row). They never insert or delete: only `system`
--     claims and releases.
--   * A trigger lets non-system contexts do only that: complete a row (state, response,
--     completed_at, lease cleared); scope, key, token, fingerprint and expiry stay as claimed.
--   * SQL without a verified context (no DB_CONTEXT_SECRET): nothing, as for every other table.
ALTER TABLE idempotency_keys OWNER TO app_owner;
--> statement-breakpoint
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO app_runtime;
--> statement-breakpoint
CREATE POLICY idempotency_keys_system ON idempotency_keys FOR ALL TO app_runtime
  USING ((SELECT app_role()) = 'system') WITH CHECK ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE POLICY idempotency_keys_self_select ON idempotency_keys FOR SELECT TO app_runtime
  USING (scope = 'user:' || (SELECT app_user_id())::text);
--> statement-breakpoint
CREATE POLICY idempotency_keys_self_update ON idempotency_keys FOR UPDATE TO app_runtime
  USING (scope = 'user:' || (SELECT app_user_id())::text)
  WITH CHECK (scope = 'user:' || (SELECT app_user_id())::text);
--> statement-breakpoint
CREATE POLICY idempotency_keys_anonymous_select ON idempotency_keys FOR SELECT TO app_runtime
  USING ((SELECT app_context_verified()) AND (SELECT app_role()) = 'anonymous' AND scope LIKE 'ip:%');
--> statement-breakpoint
CREATE POLICY idempotency_keys_anonymous_update ON idempotency_keys FOR UPDATE TO app_runtime
  USING ((SELECT app_context_verified()) AND (SELECT app_role()) = 'anonymous' AND scope LIKE 'ip:%')
  WITH CHECK ((SELECT app_context_verified()) AND (SELECT app_role()) = 'anonymous' AND scope LIKE 'ip:%');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION idempotency_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' OR (SELECT app_role()) = 'system' THEN
    RETURN NEW;
  END IF;
  IF NEW.state <> 'completed'
     OR NEW.locked_until IS NOT NULL
     OR (NEW.scope, NEW.key, NEW.token, NEW.fingerprint, NEW.created_at, NEW.expires_at)
        IS DISTINCT FROM
        (OLD.scope, OLD.key, OLD.token, OLD.fingerprint, OLD.created_at, OLD.expires_at) THEN
    RAISE EXCEPTION 'only the system context claims or releases an idempotency key'
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION idempotency_keys_guard() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER idempotency_keys_guard BEFORE UPDATE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION idempotency_keys_guard();
--> statement-breakpoint
-- Records the response of the claim `p_token` holds, in the caller's transaction and with the
-- caller's rights (SECURITY INVOKER: RLS applies). One statement on either path, so an HTTP
-- `batch([...])` can carry it next to the effect. When the claim is no longer this request's
-- (its lease ran out and a retry claimed the key again) it raises SQLSTATE IK409, which fails
-- the transaction, effect included: the retry's effect is then the only one. The Worker maps
-- IK409 to 409 IDEMPOTENCY_KEY_IN_USE.
CREATE OR REPLACE FUNCTION idempotency_complete(
  p_scope text, p_key text, p_token uuid, p_status integer, p_headers jsonb, p_body text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE public.idempotency_keys
     SET state = 'completed', locked_until = NULL, completed_at = now(),
         response_status = p_status, response_headers = p_headers, response_body = p_body
   WHERE scope = p_scope AND key = p_key AND token = p_token;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the idempotency key is no longer held by this request' USING ERRCODE = 'IK409';
  END IF;
END
$$;
--> statement-breakpoint
ALTER FUNCTION idempotency_complete(text, text, uuid, integer, jsonb, text) OWNER TO app_owner;
