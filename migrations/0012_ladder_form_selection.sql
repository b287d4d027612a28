-- The ladder_fits view gains a last column, form_selection: how the loss law's form was
-- chosen when the fit weighed joint against equal-exponents (LossLawFormSelection as
-- jsonb: heldOutParameters, heldOutPoints, candidates [{form, heldOutError, note}], chosen);
-- NULL when one form was fitted. The other columns are unchanged (CREATE OR REPLACE VIEW
-- may only add columns at the end).
CREATE OR REPLACE VIEW public.ladder_fits AS
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
       f.warnings || coalesce(ARRAY(SELECT jsonb_array_elements_text(p.value -> 'warnings')), '{}') AS warnings,
       f.law -> 'selection'                                          AS form_selection
FROM sweep.ladder_fits f
JOIN sweep.sweeps s ON s.id = f.sweep_id
LEFT JOIN LATERAL jsonb_array_elements(f.predictions) WITH ORDINALITY AS p (value, ordinality) ON true;

GRANT SELECT ON public.ladder_fits TO sweep_reader;
