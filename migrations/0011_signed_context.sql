-- Row-level security as a real boundary: a signed request context.
--
-- Before: every transaction began with set_config('app.role'|'app.user_id', …, true), and the
-- policies trusted those settings. Any SQL that ran as app_runtime (a leaked DATABASE_URL, an
-- injection) could do the same, become `system`, and read everything.
--
-- Now the policies trust only a context that app_enter() established, and app_enter() needs a
-- signature only the Worker can make:
--
--   1. Key. The Worker holds DB_CONTEXT_SECRET. The database holds the same value in app_keys
--      (name 'db_context'): owned by app_owner, RLS forced, no grant to app_runtime. Only the
--      SECURITY DEFINER functions below read it. The owner installs it
--      (app_install_context_key(), called by scripts/lib/db.ts installContextKey); the Worker
--      cannot write it.
--   2. Entry. runAs() runs `select app_enter(user, role, issued_at_ms, signature)` as the first
--      statement of its transaction, the one statement that used to be set_config(…): no extra
--      round trip. signature = hex HMAC-SHA256(key, 'enter|v1|<user>|<role>|<issued_at_ms>').
--      app_enter() recomputes it (pgcrypto hmac()), compares in constant time (HMAC of both
--      sides under the key, so the compared bytes are unknown to the caller), and refuses
--      signatures older than 30 s or more than 5 s in the future (SQLSTATE 28000).
--   3. Binding. app_enter() then sets one transaction-local setting,
--        app.ctx = '<user>|<role>|<mac>',  mac = HMAC(key, 'ctx|v1|<user>|<role>|<backend pid>|
--                                                       <transaction start, µs>')
--      A plain set_config('app.ctx', …) by app_runtime is useless: without the key it cannot
--      produce a mac, and a value copied from another transaction or session does not match
--      this transaction's pid and start time.
--   4. Helpers. app_user_id(), app_role(), app_is_admin() and app_context_verified() re-verify
--      app.ctx on every call (SECURITY DEFINER, to read the key) and otherwise answer
--      "anonymous, nobody". The old app.role / app.user_id settings are ignored. Policies call
--      the helpers as `(SELECT app_role())`, so each query verifies once (an InitPlan), not
--      once per row.
--
-- Cost per transaction: the same one statement as before, plus a few HMACs in the database
-- (app_enter) and a few per query (the helpers' InitPlans); measured in the README.
--
-- Residual: a signed entry (not app.ctx) is a bearer credential for its 30 s window. It travels
-- only as a bind parameter of the Worker's own connection; pg_stat_activity shows `$1…$4`.
--
-- Owner code paths that need a context without the Worker (auth_principal, the test_can_*
-- helpers) call _app_enter_trusted(), which app_runtime may not execute. Every SECURITY
-- DEFINER function pins search_path = pg_catalog, public, pg_temp (temp objects last: a temp
-- table named app_keys cannot stand in for ours) and names tables with their schema.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
--> statement-breakpoint
ALTER TABLE app_keys OWNER TO app_owner;
--> statement-breakpoint
REVOKE ALL ON app_keys FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON app_keys FROM app_runtime;
--> statement-breakpoint
ALTER TABLE app_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE app_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Only code running as app_owner (the SECURITY DEFINER functions below) reaches the keys.
CREATE POLICY app_keys_owner ON app_keys FOR ALL TO app_owner USING (true) WITH CHECK (true);
--> statement-breakpoint
-- The owner installs (or rotates) the context key. Not executable by app_runtime.
CREATE OR REPLACE FUNCTION app_install_context_key(p_key text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF p_key IS NULL OR length(p_key) < 32 THEN
    RAISE EXCEPTION 'the database context key must be at least 32 characters' USING ERRCODE = '22023';
  END IF;
  INSERT INTO public.app_keys (name, key) VALUES ('db_context', p_key)
    ON CONFLICT (name) DO UPDATE SET key = excluded.key, installed_at = now();
END
$$;
--> statement-breakpoint
ALTER FUNCTION app_install_context_key(text) OWNER TO app_owner;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION app_install_context_key(text) FROM PUBLIC;
--> statement-breakpoint
-- What the context mac covers: who, as what, in which backend and which transaction.
CREATE OR REPLACE FUNCTION _app_context_binding(p_user text, p_role text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('ctx|v1|%s|%s|%s|%s', p_user, p_role, pg_backend_pid(),
                (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint)
$$;
--> statement-breakpoint
ALTER FUNCTION _app_context_binding(text, text) OWNER TO app_owner;
--> statement-breakpoint
-- Sets a verified context for the rest of the transaction, no signature asked. For the owner's
-- own code (auth_principal, test and operator helpers); not executable by app_runtime.
CREATE OR REPLACE FUNCTION _app_enter_trusted(p_user uuid, p_role text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  k text;
  u text := coalesce(p_user::text, '');
BEGIN
  IF p_role IS NULL OR p_role NOT IN ('anonymous', 'student', 'admin', 'super_admin', 'system') THEN
    RAISE EXCEPTION 'unknown context role %', p_role USING ERRCODE = '22023';
  END IF;
  IF (p_user IS NULL) <> (p_role IN ('anonymous', 'system')) THEN
    RAISE EXCEPTION 'role % %', p_role,
      CASE WHEN p_user IS NULL THEN 'needs a user' ELSE 'takes no user' END USING ERRCODE = '22023';
  END IF;
  SELECT a.key INTO k FROM public.app_keys a WHERE a.name = 'db_context';
  IF k IS NULL THEN
    RAISE EXCEPTION 'no database context key is installed'
      USING ERRCODE = '55000',
            HINT = 'The owner runs app_install_context_key(<DB_CONTEXT_SECRET>); see README, Deploy.';
  END IF;
  PERFORM set_config('app.ctx',
    format('%s|%s|%s', u, p_role,
           encode(hmac(public._app_context_binding(u, p_role), k, 'sha256'), 'hex')),
    true);
END
$$;
--> statement-breakpoint
ALTER FUNCTION _app_enter_trusted(uuid, text) OWNER TO app_owner;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION _app_enter_trusted(uuid, text) FROM PUBLIC;
--> statement-breakpoint
-- The Worker's way in: a context signed with DB_CONTEXT_SECRET, issued within the last 30 s.
CREATE OR REPLACE FUNCTION app_enter(p_user uuid, p_role text, p_issued_at bigint, p_signature text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  k text;
  expected text;
  age_ms bigint;
BEGIN
  SELECT a.key INTO k FROM public.app_keys a WHERE a.name = 'db_context';
  IF k IS NULL THEN
    RAISE EXCEPTION 'no database context key is installed'
      USING ERRCODE = '55000',
            HINT = 'The owner runs app_install_context_key(<DB_CONTEXT_SECRET>); see README, Deploy.';
  END IF;
  expected := encode(hmac(format('enter|v1|%s|%s|%s', coalesce(p_user::text, ''), p_role, p_issued_at),
                          k, 'sha256'), 'hex');
  -- Constant time: the caller never learns how much of a forged signature matched.
  IF p_signature IS NULL OR p_issued_at IS NULL
     OR hmac(expected, k, 'sha256') <> hmac(p_signature, k, 'sha256') THEN
    RAISE EXCEPTION 'invalid database context signature' USING ERRCODE = '28000';
  END IF;
  age_ms := (extract(epoch FROM clock_timestamp()) * 1000)::bigint - p_issued_at;
  IF age_ms > 30000 OR age_ms < -5000 THEN
    RAISE EXCEPTION 'expired database context signature (issued % ms ago)', age_ms
      USING ERRCODE = '28000';
  END IF;
  PERFORM public._app_enter_trusted(p_user, p_role);
END
$$;
--> statement-breakpoint
ALTER FUNCTION app_enter(uuid, text, bigint, text) OWNER TO app_owner;
--> statement-breakpoint
-- {user, role} of this transaction's verified context, or NULL: app.ctx absent, malformed,
-- forged, or carried over from another transaction or session.
CREATE OR REPLACE FUNCTION _app_context() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  raw text := current_setting('app.ctx', true);
  parts text[];
  k text;
BEGIN
  IF raw IS NULL OR raw = '' THEN
    RETURN NULL;
  END IF;
  parts := string_to_array(raw, '|');
  IF cardinality(parts) <> 3 THEN
    RETURN NULL;
  END IF;
  SELECT a.key INTO k FROM public.app_keys a WHERE a.name = 'db_context';
  IF k IS NULL THEN
    RETURN NULL;
  END IF;
  IF hmac(encode(hmac(public._app_context_binding(parts[1], parts[2]), k, 'sha256'), 'hex'), k, 'sha256')
     <> hmac(parts[3], k, 'sha256') THEN
    RETURN NULL;
  END IF;
  RETURN parts[1:2];
END
$$;
--> statement-breakpoint
ALTER FUNCTION _app_context() OWNER TO app_owner;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif((public._app_context())[1], '')::uuid
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce((public._app_context())[2], 'anonymous')
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_context_verified() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT public._app_context() IS NOT NULL
$$;
--> statement-breakpoint
ALTER FUNCTION app_context_verified() OWNER TO app_owner;
--> statement-breakpoint
-- Policies: the same rules, now over the verified context, evaluated once per query.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'sessions', 'refresh_tokens', 'one_time_tokens',
    'admin_requests', 'audit_logs', 'audit_checkpoints', 'email_outbox', 'rate_limit_counters']
  LOOP
    EXECUTE format(
      'ALTER POLICY %I ON %I USING ((SELECT app_role()) = ''system'') WITH CHECK ((SELECT app_role()) = ''system'')',
      t || '_system', t);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER POLICY users_self_select ON users USING (id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY users_self_update ON users
  USING (id = (SELECT app_user_id())) WITH CHECK (id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY users_admin_select ON users USING ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY users_admin_update ON users
  USING ((SELECT app_is_admin())) WITH CHECK ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY sessions_self_select ON sessions USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY refresh_tokens_self_select ON refresh_tokens USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY admin_requests_self_select ON admin_requests USING (user_id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY admin_requests_self_insert ON admin_requests WITH CHECK (user_id = (SELECT app_user_id()));
--> statement-breakpoint
ALTER POLICY admin_requests_super_select ON admin_requests USING ((SELECT app_role()) = 'super_admin');
--> statement-breakpoint
ALTER POLICY admin_requests_super_update ON admin_requests
  USING ((SELECT app_role()) = 'super_admin') WITH CHECK ((SELECT app_role()) = 'super_admin');
--> statement-breakpoint
-- Appending audit rows and error logs now needs a verified context too (any role, anonymous
-- included): SQL without the Worker's secret can no longer forge or flood them.
ALTER POLICY audit_logs_append ON audit_logs WITH CHECK ((SELECT app_context_verified()));
--> statement-breakpoint
ALTER POLICY audit_logs_admin_select ON audit_logs USING ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY audit_checkpoints_admin_select ON audit_checkpoints USING ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY email_outbox_admin_select ON email_outbox USING ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY rate_limit_counters_admin_select ON rate_limit_counters USING ((SELECT app_is_admin()));
--> statement-breakpoint
ALTER POLICY error_logs_insert ON error_logs WITH CHECK ((SELECT app_context_verified()));
--> statement-breakpoint
ALTER POLICY error_logs_read ON error_logs
  USING ((SELECT app_is_admin()) OR (SELECT app_role()) = 'system');
--> statement-breakpoint
ALTER POLICY error_logs_retention ON error_logs USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
-- auth_principal(): same signature, still one statement. It now runs as app_owner (SECURITY
-- DEFINER) and enters the system context itself; the function's own `SET app.ctx` makes that
-- context end with the call, so it never outlives the statement, even inside a transaction.
CREATE POLICY users_auth_principal ON users FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE POLICY sessions_auth_principal ON sessions FOR SELECT TO app_owner
  USING ((SELECT app_role()) = 'system');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION auth_principal(p_user uuid, p_session uuid)
RETURNS TABLE (
  id uuid, email text, role text, status text, token_version integer,
  last_active_at timestamptz, session_revoked_at timestamptz, session_expires_at timestamptz
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET app.ctx = ''
AS $$
BEGIN
  PERFORM public._app_enter_trusted(NULL, 'system');
  RETURN QUERY
    SELECT u.id, u.email, u.role, u.status, u.token_version, u.last_active_at,
           s.revoked_at, s.expires_at
      FROM public.users u
      JOIN public.sessions s ON s.id = p_session AND s.user_id = u.id
     WHERE u.id = p_user;
END
$$;
--> statement-breakpoint
-- Test and operator helper: act as a user through the Worker's role, with a verified context.
CREATE OR REPLACE FUNCTION _as_user(p_user uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_role text;
BEGIN
  SELECT role INTO v_role FROM users WHERE id = p_user;
  PERFORM _app_enter_trusted(CASE WHEN v_role IS NULL THEN NULL ELSE p_user END,
                             coalesce(v_role, 'anonymous'));
  SET LOCAL ROLE app_runtime;
END
$$;
--> statement-breakpoint
-- What must be fixed for RLS to be real; an empty result means nothing.
CREATE OR REPLACE FUNCTION validate_security_setup()
RETURNS TABLE (issue text, object_name text) LANGUAGE sql STABLE AS $$
  SELECT 'row level security not enabled', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
  UNION ALL
  SELECT 'row level security not forced', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relforcerowsecurity
  UNION ALL
  SELECT 'table has no policies', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname)
  UNION ALL
  SELECT 'table not owned by app_owner', c.relname::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND pg_get_userbyid(c.relowner) <> 'app_owner'
  UNION ALL
  SELECT 'runtime role bypasses row level security', r.rolname::text
    FROM pg_roles r WHERE r.rolname = 'app_runtime' AND (r.rolbypassrls OR r.rolsuper)
  UNION ALL
  SELECT 'runtime role can create objects or roles', r.rolname::text
    FROM pg_roles r WHERE r.rolname = 'app_runtime' AND (r.rolcreatedb OR r.rolcreaterole)
  UNION ALL
  SELECT 'runtime role missing', 'app_runtime'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_runtime')
  UNION ALL
  SELECT 'runtime role can read the key table', 'app_keys'
    WHERE has_table_privilege('app_runtime', 'public.app_keys', 'SELECT')
  UNION ALL
  SELECT 'database context key not installed (app_install_context_key)', 'app_keys'
    WHERE NOT EXISTS (SELECT 1 FROM public.app_keys WHERE name = 'db_context')
  UNION ALL
  SELECT 'runtime role may enter a context without a signature', p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND p.proname IN ('_app_enter_trusted', 'app_install_context_key', '_as_user')
      AND has_function_privilege('app_runtime', p.oid, 'EXECUTE')
  UNION ALL
  SELECT 'security definer function without a pinned search_path', p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prosecdef
      AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) cfg
                       WHERE cfg LIKE 'search_path=%')
$$;
