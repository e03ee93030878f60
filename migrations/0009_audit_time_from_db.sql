-- The Worker cannot backdate audit rows: for its role, occurred_at is the database's clock.
CREATE OR REPLACE FUNCTION audit_logs_set_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'app_runtime' THEN
    NEW.occurred_at := now();
  END IF;
  NEW.row_hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;
