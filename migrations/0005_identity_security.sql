-- Ownership, grants, row-level security and append-only guarantees for the identity tables.
-- Request context reaches Postgres only through set_config(..., true) inside a transaction:
--   app.user_id  the caller's user id (empty when anonymous)
--   app.role     student | admin | super_admin | system (trusted server internals) | anonymous
CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('app.role', true), ''), 'anonymous')
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT app_role() IN ('admin', 'super_admin')
$$;
--> statement-breakpoint
ALTER FUNCTION app_user_id() OWNER TO app_owner;
--> statement-breakpoint
ALTER FUNCTION app_role() OWNER TO app_owner;
--> statement-breakpoint
ALTER FUNCTION app_is_admin() OWNER TO app_owner;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'sessions', 'refresh_tokens', 'one_time_tokens',
    'admin_requests', 'audit_logs', 'audit_checkpoints', 'email_outbox', 'rate_limit_counters']
  LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO app_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    -- Trusted server internals (auth flows, retention, sealing) act as app.role = system.
    EXECUTE format(
      'CREATE POLICY %I ON %I FOR ALL TO app_runtime USING (app_role() = ''system'') WITH CHECK (app_role() = ''system'')',
      t || '_system', t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Least privilege: what the Worker may do at all; policies then decide which rows.
GRANT SELECT, INSERT, UPDATE ON users TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, refresh_tokens, one_time_tokens TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON admin_requests TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_logs, audit_checkpoints TO app_runtime;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON email_outbox, rate_limit_counters TO app_runtime;
--> statement-breakpoint
-- users: everyone sees and edits themselves; admins see and edit everyone.
CREATE POLICY users_self_select ON users FOR SELECT TO app_runtime USING (id = app_user_id());
--> statement-breakpoint
CREATE POLICY users_self_update ON users FOR UPDATE TO app_runtime
  USING (id = app_user_id()) WITH CHECK (id = app_user_id());
--> statement-breakpoint
CREATE POLICY users_admin_select ON users FOR SELECT TO app_runtime USING (app_is_admin());
--> statement-breakpoint
CREATE POLICY users_admin_update ON users FOR UPDATE TO app_runtime
  USING (app_is_admin()) WITH CHECK (app_is_admin());
--> statement-breakpoint
-- Role and status changes are privileged whatever the row policy allowed. Applies to the
-- Worker's role; operators connected as the owner or a superuser act outside the app.
CREATE OR REPLACE FUNCTION users_guard_privileged_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'app_runtime' THEN
    RETURN NEW;
  END IF;
  IF NEW.role IS DISTINCT FROM OLD.role AND app_role() NOT IN ('super_admin', 'system') THEN
    RAISE EXCEPTION 'only a super admin may change a role' USING ERRCODE = '42501';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND app_role() NOT IN ('admin', 'super_admin', 'system') THEN
    RAISE EXCEPTION 'only an admin may change a status' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION users_guard_privileged_columns() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER users_guard_privileged_columns BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_guard_privileged_columns();
--> statement-breakpoint
CREATE POLICY sessions_self_select ON sessions FOR SELECT TO app_runtime USING (user_id = app_user_id());
--> statement-breakpoint
CREATE POLICY refresh_tokens_self_select ON refresh_tokens FOR SELECT TO app_runtime USING (user_id = app_user_id());
--> statement-breakpoint
CREATE POLICY admin_requests_self_select ON admin_requests FOR SELECT TO app_runtime USING (user_id = app_user_id());
--> statement-breakpoint
CREATE POLICY admin_requests_self_insert ON admin_requests FOR INSERT TO app_runtime WITH CHECK (user_id = app_user_id());
--> statement-breakpoint
CREATE POLICY admin_requests_super_select ON admin_requests FOR SELECT TO app_runtime USING (app_role() = 'super_admin');
--> statement-breakpoint
CREATE POLICY admin_requests_super_update ON admin_requests FOR UPDATE TO app_runtime
  USING (app_role() = 'super_admin') WITH CHECK (app_role() = 'super_admin');
--> statement-breakpoint
-- audit: any context may append (security events happen before anyone is known); admins read.
CREATE POLICY audit_logs_append ON audit_logs FOR INSERT TO app_runtime WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY audit_logs_admin_select ON audit_logs FOR SELECT TO app_runtime USING (app_is_admin());
--> statement-breakpoint
CREATE POLICY audit_checkpoints_admin_select ON audit_checkpoints FOR SELECT TO app_runtime USING (app_is_admin());
--> statement-breakpoint
CREATE POLICY email_outbox_admin_select ON email_outbox FOR SELECT TO app_runtime USING (app_is_admin());
--> statement-breakpoint
CREATE POLICY rate_limit_counters_admin_select ON rate_limit_counters FOR SELECT TO app_runtime USING (app_is_admin());
--> statement-breakpoint
-- error_logs (foundation) now follows the same helpers.
DROP POLICY IF EXISTS error_logs_read ON error_logs;
--> statement-breakpoint
DROP POLICY IF EXISTS error_logs_retention ON error_logs;
--> statement-breakpoint
CREATE POLICY error_logs_read ON error_logs FOR SELECT TO app_runtime
  USING (app_is_admin() OR app_role() = 'system');
--> statement-breakpoint
CREATE POLICY error_logs_retention ON error_logs FOR DELETE TO app_runtime USING (app_role() = 'system');
--> statement-breakpoint
-- Audit rows: content hash set by the database, never by the application.
CREATE OR REPLACE FUNCTION audit_row_hash(r audit_logs) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s',
    r.id,
    (extract(epoch FROM r.occurred_at) * 1000000)::bigint,
    quote_nullable(r.actor_id::text), quote_nullable(r.actor_role), quote_literal(r.action),
    quote_literal(r.entity_type), quote_nullable(r.entity_id),
    quote_nullable(r.before::text), quote_nullable(r.after::text),
    quote_nullable(r.request_id), quote_nullable(r.ip), quote_nullable(r.user_agent)), 'UTF8')), 'hex')
$$;
--> statement-breakpoint
ALTER FUNCTION audit_row_hash(audit_logs) OWNER TO app_owner;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_logs_set_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.row_hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION audit_logs_set_hash() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER audit_logs_set_hash BEFORE INSERT ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_set_hash();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP USING ERRCODE = '42501';
END
$$;
--> statement-breakpoint
ALTER FUNCTION audit_reject_change() OWNER TO app_owner;
--> statement-breakpoint
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();
--> statement-breakpoint
-- Seals rows older than `settle` (so no in-flight transaction can still add a lower id) into
-- the next checkpoint. Only sealers serialise (advisory lock); audit writers never wait.
CREATE OR REPLACE FUNCTION audit_seal(settle interval DEFAULT interval '5 minutes')
RETURNS SETOF audit_checkpoints LANGUAGE plpgsql AS $$
DECLARE
  last_cp audit_checkpoints;
  first_id bigint;
  last_id bigint;
  n integer;
  chain text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit_seal'));
  SELECT * INTO last_cp FROM audit_checkpoints ORDER BY id DESC LIMIT 1;
  first_id := coalesce(last_cp.to_id, 0) + 1;
  SELECT max(id), count(*) INTO last_id, n FROM audit_logs
    WHERE id >= first_id AND occurred_at < now() - settle;
  IF last_id IS NULL THEN
    RETURN;
  END IF;
  SELECT count(*), encode(sha256(convert_to(coalesce(last_cp.chain_hash, 'genesis')
           || string_agg(row_hash, '' ORDER BY id), 'UTF8')), 'hex')
    INTO n, chain
    FROM audit_logs WHERE id BETWEEN first_id AND last_id;
  RETURN QUERY INSERT INTO audit_checkpoints (from_id, to_id, row_count, prev_hash, chain_hash)
    VALUES (first_id, last_id, n, coalesce(last_cp.chain_hash, 'genesis'), chain)
    RETURNING *;
END
$$;
--> statement-breakpoint
ALTER FUNCTION audit_seal(interval) OWNER TO app_owner;
--> statement-breakpoint
-- Recomputes row hashes and the checkpoint chain; reports the first problem found.
CREATE OR REPLACE FUNCTION audit_verify()
RETURNS TABLE (ok boolean, problem text, first_bad_id bigint, checked_rows bigint, checkpoints bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  cp audit_checkpoints;
  prev text := 'genesis';
  expected_from bigint := 1;
  n integer;
  chain text;
  bad bigint;
  total bigint;
  cps bigint := 0;
BEGIN
  SELECT count(*) INTO total FROM audit_logs;
  SELECT min(l.id) INTO bad FROM audit_logs l WHERE l.row_hash <> audit_row_hash(l);
  IF bad IS NOT NULL THEN
    RETURN QUERY SELECT false, 'altered'::text, bad, total, cps;
    RETURN;
  END IF;
  FOR cp IN SELECT * FROM audit_checkpoints ORDER BY id LOOP
    cps := cps + 1;
    IF cp.prev_hash <> prev OR cp.from_id <> expected_from THEN
      RETURN QUERY SELECT false, 'checkpoint chain broken'::text, cp.from_id, total, cps;
      RETURN;
    END IF;
    SELECT count(*), encode(sha256(convert_to(prev || coalesce(string_agg(l.row_hash, '' ORDER BY l.id), ''), 'UTF8')), 'hex')
      INTO n, chain FROM audit_logs l WHERE l.id BETWEEN cp.from_id AND cp.to_id;
    IF n < cp.row_count THEN
      -- First id of the range whose row is gone: the lowest id not present.
      SELECT min(g) INTO bad FROM generate_series(cp.from_id, cp.to_id) g
        WHERE NOT EXISTS (SELECT 1 FROM audit_logs l WHERE l.id = g);
      RETURN QUERY SELECT false, 'deleted'::text, coalesce(bad, cp.from_id), total, cps;
      RETURN;
    ELSIF n > cp.row_count THEN
      RETURN QUERY SELECT false, 'inserted out of order'::text, cp.from_id, total, cps;
      RETURN;
    ELSIF chain <> cp.chain_hash THEN
      RETURN QUERY SELECT false, 'altered'::text, cp.from_id, total, cps;
      RETURN;
    END IF;
    prev := cp.chain_hash;
    expected_from := cp.to_id + 1;
  END LOOP;
  RETURN QUERY SELECT true, NULL::text, NULL::bigint, total, cps;
END
$$;
--> statement-breakpoint
ALTER FUNCTION audit_verify() OWNER TO app_owner;
