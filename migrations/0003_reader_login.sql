-- `sweep query` connects as sweep_reader itself (over the private server's Unix socket, or
-- SWEEP_READER_URL), so that a statement cannot switch back to the owner's role.
DO $$
BEGIN
    ALTER ROLE sweep_reader LOGIN;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'could not let sweep_reader log in (ask an administrator): %', SQLERRM;
    WHEN OTHERS THEN
        -- Roles belong to the whole server: a migrator of another database may have changed
        -- this one at the same moment ("tuple concurrently updated"). Done if it can log in.
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sweep_reader' AND rolcanlogin) THEN
            RAISE;
        END IF;
END
$$;

-- Unqualified names mean the views, also for a role named like the internal schema.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path TO public', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not set the search_path of the database: %', SQLERRM;
END
$$;
