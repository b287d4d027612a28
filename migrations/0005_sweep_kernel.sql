-- The built-in kernel a sweep's jobs run (NULL for command jobs), as a column of its own:
-- claims offer a worker only jobs whose kernel it has, and reading it from the spec's jsonb
-- for every candidate row would cost a detoast per row.
ALTER TABLE sweep.sweeps ADD COLUMN kernel text;
UPDATE sweep.sweeps SET kernel = spec -> 'kernel' ->> 'name' WHERE spec ? 'kernel';
