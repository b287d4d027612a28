-- Scaling-law fits of ladder sweeps (issue 7). The coordinator refits each metric of a
-- ladder as its rungs finish and appends one row per metric and fit: the newest row of a
-- (sweep, metric) is the current fit, the older ones show how the predictions narrowed.

CREATE TABLE sweep.ladder_fits (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sweep_id       bigint NOT NULL REFERENCES sweep.sweeps (id) ON DELETE CASCADE,
    metric         text NOT NULL,
    -- The loss law's form: joint, parameters, tokens or compute (SweepPrediction's LossLawForm).
    form           text NOT NULL,
    fitted_at      timestamptz NOT NULL DEFAULT now(),
    -- The rungs and jobs whose final metrics were fitted, and how many points that made.
    rungs_used     integer[] NOT NULL,
    jobs_used      bigint[] NOT NULL,
    points         integer NOT NULL CHECK (points >= 0),
    -- The law ({"formula", "form", "irreducibleLoss", "terms": [...]}) and its goodness of
    -- fit (SweepPrediction's LossFitReport: rSquaredLog, maxAbsoluteRelativeError, ...).
    law            jsonb NOT NULL,
    goodness       jsonb NOT NULL,
    -- One element per ladder target: {"target": {size parameters}, "label", "parameters",
    -- "tokens", "value", "low", "high", "relativeWidth", "warnings": [...]}.
    predictions    jsonb NOT NULL DEFAULT '[]',
    interval_level double precision NOT NULL,
    -- Whether every target's interval was narrower than ladder.adaptive.max_interval_width
    -- (relative to the prediction); NULL when the ladder is not adaptive.
    converged      boolean,
    warnings       text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX ladder_fits_by_sweep ON sweep.ladder_fits (sweep_id, metric, fitted_at DESC, id DESC);

-- One row per fit and target (a fit without targets gives one row with NULL target columns).
CREATE VIEW public.ladder_fits AS
SELECT s.name                                                        AS sweep,
       f.sweep_id,
       f.id                                                          AS fit_id,
       f.metric,
       f.fitted_at,
       f.id = (SELECT max(l.id) FROM sweep.ladder_fits l
               WHERE l.sweep_id = f.sweep_id AND l.metric = f.metric)  AS latest,
       f.form,
       f.law ->> 'formula'                                           AS formula,
       cardinality(f.rungs_used)                                     AS rungs,
       f.points,
       (f.goodness ->> 'rSquaredLog')::double precision              AS r_squared_log,
       (f.goodness ->> 'maxAbsoluteRelativeError')::double precision AS max_abs_error,
       p.ordinality::integer                                         AS target_index,
       p.value ->> 'label'                                           AS target,
       p.value -> 'target'                                           AS target_size,
       (p.value ->> 'parameters')::double precision                  AS target_params,
       (p.value ->> 'tokens')::double precision                      AS target_tokens,
       (p.value ->> 'value')::double precision                       AS predicted,
       (p.value ->> 'low')::double precision                         AS interval_low,
       (p.value ->> 'high')::double precision                        AS interval_high,
       (p.value ->> 'relativeWidth')::double precision              AS relative_width,
       f.interval_level,
       f.converged,
       f.warnings || coalesce(ARRAY(SELECT jsonb_array_elements_text(p.value -> 'warnings')), '{}') AS warnings
FROM sweep.ladder_fits f
JOIN sweep.sweeps s ON s.id = f.sweep_id
LEFT JOIN LATERAL jsonb_array_elements(f.predictions) WITH ORDINALITY AS p (value, ordinality) ON true;

GRANT SELECT ON public.ladder_fits TO sweep_reader;
