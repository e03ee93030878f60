-- The roles the product uses (cluster-wide, so created only when missing).
--   app_owner   owns every table; migrations transfer ownership to it. NOLOGIN: people and
--               the Worker never act as the owner.
--   app_runtime the role the Worker connects as: owns nothing, NOBYPASSRLS, so row-level
--               security applies to it. LOGIN and its password are set per environment
--               (see README "Database roles"), never in a migration.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_owner') THEN
    CREATE ROLE app_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_runtime') THEN
    CREATE ROLE app_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
-- Re-assert the safety attributes even if the role pre-existed with other settings.
ALTER ROLE app_runtime NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
--> statement-breakpoint
-- The migrating user must be able to hand tables to app_owner.
GRANT app_owner TO CURRENT_USER;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO app_runtime;
