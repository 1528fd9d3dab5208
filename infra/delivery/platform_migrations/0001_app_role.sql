-- The application's own database role, `app` (modules/database output app_username names it too).
--
-- It signs in with IAM database authentication: its password is an RDS auth token signed with the
-- ECS task role (rds-db:connect on this user), so there is no password to store, leak or rotate, and
-- the master user's 7-day rotation never reaches running tasks. It may read and write the tables;
-- only the migrations, run as the master user, change the schema.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
        CREATE ROLE app LOGIN;
    END IF;
    -- Aurora's role for IAM authentication; a plain PostgreSQL (local runs, tests) has none.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO app;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO app;
-- Tables and sequences the migrations create later (as the master user, who runs them) too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO app;
