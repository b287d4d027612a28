-- `sweep query` through the owner's login (no reader login: only DATABASE_URL). It used to
-- run the statement after SET LOCAL ROLE sweep_reader, which the statement itself could undo
-- (set_config('role', 'none', true)) and then read anything with the owner's rights. This
-- function runs the statement as its owner, sweep_reader (SECURITY DEFINER), and PostgreSQL
-- refuses to change the role or session authorization inside such a function, so the
-- statement keeps the reader's rights to its end. Only the database's owner may call it.
-- Each row comes back as one json object (row_to_json), in the statement's order.
CREATE FUNCTION sweep.reader_query(statement text) RETURNS SETOF json
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $function$
BEGIN
    RETURN QUERY EXECUTE 'SELECT row_to_json(q) FROM (' || statement || E'\n) q';
END
$function$;
REVOKE ALL ON FUNCTION sweep.reader_query(text) FROM PUBLIC;

-- Hand the function to sweep_reader (which needs CREATE on the schema for that moment
-- only), then let the owner call it. Where that is not allowed, the function is dropped
-- rather than left running with the owner's rights: `sweep query` then needs a reader login.
DO $$
DECLARE
    caller text := current_user;
BEGIN
    GRANT CREATE ON SCHEMA sweep TO sweep_reader;
    ALTER FUNCTION sweep.reader_query(text) OWNER TO sweep_reader;
    REVOKE CREATE ON SCHEMA sweep FROM sweep_reader;
    EXECUTE format('GRANT EXECUTE ON FUNCTION sweep.reader_query(text) TO %I', caller);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not give sweep.reader_query to sweep_reader (sweep query will need a reader login): %', SQLERRM;
    DROP FUNCTION sweep.reader_query(text);
END
$$;

