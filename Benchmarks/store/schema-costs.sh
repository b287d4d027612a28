#!/usr/bin/env bash
# What sweep.jobs' indexes and trigger cost a claim-and-complete cycle: pgbench runs
# claim-complete-cycle.sql (claim 100 with SKIP LOCKED, complete them in one statement) on a
# copy of sweep.jobs holding 50,000 queued jobs, with everything sweep.jobs had up to
# migration 0003 (A: unique keys on the table, a per-row trigger looking transitions up),
# with one thing taken away or changed (B to H, W), and as migration 0004 made it (N: keys in
# another table, the check as the trigger's WHEN condition). ROUNDS rounds (5), the variants
# interleaved; prints every round and the median, in jobs/s. VARIANTS="A N" picks some.
#
# usage: Benchmarks/store/schema-costs.sh      (DATABASE_URL, DB_DIR, SKIP_BUILD as for run.sh)
set -euo pipefail
DB_PREFIX=sweep_schema_costs
source "$(dirname "$0")/scratch-db.sh"
DATABASE_URL=$URL "$BIN" submit Benchmarks/expand/grid-100k.yaml --name schema-costs >/dev/null
# G's trigger: the same transitions as sweep.enforce_job_transition, without its table lookup.
psql -q "$URL" <<'SQL'
-- A's trigger: sweep.enforce_job_transition as migration 0001 defined it (0004 replaced it).
CREATE FUNCTION public.enforce_job_transition_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM sweep.job_transitions WHERE from_state = OLD.state AND to_state = NEW.state
    ) THEN
        RAISE EXCEPTION 'job % cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE FUNCTION public.enforce_job_transition_inline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state AND (OLD.state::text || '>' || NEW.state::text) NOT IN (
        'queued>leased', 'queued>cancelled', 'leased>running', 'leased>succeeded', 'leased>failed', 'leased>stopped',
        'leased>cancelled', 'leased>queued', 'running>succeeded', 'running>failed', 'running>stopped', 'running>cancelled',
        'running>queued', 'failed>queued', 'failed>dead', 'failed>cancelled') THEN
        RAISE EXCEPTION 'job % cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE FUNCTION public.enforce_job_transitions_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT o.id, o.state AS from_state, n.state AS to_state INTO bad
    FROM old_rows o JOIN new_rows n USING (id)
    WHERE o.state <> n.state
      AND NOT EXISTS (SELECT 1 FROM sweep.job_transitions t WHERE t.from_state = o.state AND t.to_state = n.state)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'job % cannot go from % to %', bad.id, bad.from_state, bad.to_state USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE FUNCTION public.refuse_job_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job % cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
END;
$$;
SQL

declare -A VARIANT=(
    [A]="as sweep.jobs up to 0003 (all indexes, unique keys, checks, trigger)|"
    [N]="as sweep.jobs since 0004 (no unique keys, trigger's WHEN condition copied from sweep.jobs)|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key; DROP TRIGGER t_transition ON bench_t; DO \$\$ BEGIN EXECUTE replace(replace(pg_get_triggerdef((SELECT oid FROM pg_trigger WHERE tgname = 'jobs_enforce_transition' AND tgrelid = 'sweep.jobs'::regclass)), 'ON sweep.jobs', 'ON bench_t'), 'TRIGGER jobs_enforce_transition', 'TRIGGER t_transition'); END \$\$;"
    [B]="A without the state-machine trigger|DROP TRIGGER t_transition ON bench_t;"
    [C]="A without jobs_by_sweep (sweep_id, state)|DROP INDEX bench_t_sweep_id_state_idx;"
    [D]="A without the unique (sweep_id, config_hash, seed) and (sweep_id, position)|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key;"
    [E]="D with G's inlined check|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key; DROP TRIGGER t_transition ON bench_t; CREATE TRIGGER t_transition BEFORE UPDATE OF state ON bench_t FOR EACH ROW EXECUTE FUNCTION public.enforce_job_transition_inline();"
    [F]="D with one statement-level check over transition tables|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key; DROP TRIGGER t_transition ON bench_t; CREATE TRIGGER t_transition AFTER UPDATE ON bench_t REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.enforce_job_transitions_statement();"
    [H]="D without the trigger|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key; DROP TRIGGER t_transition ON bench_t;"
    [W]="D with the check as the trigger's WHEN condition (no function call unless refused)|ALTER TABLE bench_t DROP CONSTRAINT bench_t_sweep_id_config_hash_seed_key, DROP CONSTRAINT bench_t_sweep_id_position_key; DROP TRIGGER t_transition ON bench_t; CREATE TRIGGER t_transition BEFORE UPDATE OF state ON bench_t FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NOT ((OLD.state = 'queued' AND NEW.state IN ('leased', 'cancelled')) OR (OLD.state = 'leased' AND NEW.state IN ('running', 'succeeded', 'failed', 'stopped', 'cancelled', 'queued')) OR (OLD.state = 'running' AND NEW.state IN ('succeeded', 'failed', 'stopped', 'cancelled', 'queued')) OR (OLD.state = 'failed' AND NEW.state IN ('queued', 'dead', 'cancelled')))) EXECUTE FUNCTION public.refuse_job_transition();"
    [G]="A with the trigger's transition check inlined (no table lookup)|DROP TRIGGER t_transition ON bench_t; CREATE TRIGGER t_transition BEFORE UPDATE OF state ON bench_t FOR EACH ROW EXECUTE FUNCTION public.enforce_job_transition_inline();"
)
ORDER=(${VARIANTS:-A B C D G E F H W N})
declare -A RATES
for round in $(seq 1 "${ROUNDS:-5}"); do
    for key in "${ORDER[@]}"; do
        change=${VARIANT[$key]#*|}
        psql -q "$URL" <<SQL
DROP TABLE IF EXISTS bench_t;
CREATE TABLE bench_t (LIKE sweep.jobs INCLUDING ALL, UNIQUE (sweep_id, config_hash, seed), UNIQUE (sweep_id, position));
CREATE TRIGGER t_transition BEFORE UPDATE OF state ON bench_t FOR EACH ROW EXECUTE FUNCTION public.enforce_job_transition_table();
INSERT INTO bench_t (sweep_id, position, params, config_hash, seed, priority)
    SELECT sweep_id, position, params, config_hash, seed, priority FROM sweep.jobs WHERE position < 50000;
$change
VACUUM ANALYZE bench_t;
CHECKPOINT;
SQL
        rate=$("$PGBENCH" -n -M extended -c 1 -t 500 -f Benchmarks/store/claim-complete-cycle.sql "$URL" 2>&1 | awk '/^tps/ {printf "%.0f", $3 * 100}')
        RATES[$key]="${RATES[$key]:-} $rate"
        echo "round $round $key: $rate jobs/s" >&2
    done
done
for key in "${ORDER[@]}"; do
    median=$(tr ' ' '\n' <<<"${RATES[$key]}" | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    printf "%s  %-80s median %6s jobs/s  (rounds:%s)\n" "$key" "${VARIANT[$key]%%|*}" "$median" "${RATES[$key]}"
done
