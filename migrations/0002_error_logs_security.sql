-- error_logs: owned by app_owner; the Worker may insert faults, admins read them, the
-- scheduled retention job (app.role = 'system') deletes old rows. Nothing updates them.
ALTER TABLE error_logs OWNER TO app_owner;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON error_logs TO app_runtime;
--> statement-breakpoint
ALTER TABLE error_logs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE error_logs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY error_logs_insert ON error_logs FOR INSERT TO app_runtime WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY error_logs_read ON error_logs FOR SELECT TO app_runtime
  USING (current_setting('app.role', true) IN ('admin', 'super_admin', 'system'));
--> statement-breakpoint
CREATE POLICY error_logs_retention ON error_logs FOR DELETE TO app_runtime
  USING (current_setting('app.role', true) = 'system');
