-- metrics.sql -- the metric catalogue as SQL views (see METRICS.md).
-- Filled in with the catalogue; kept in step with analysis/metrics.c by tests.
SELECT 1;
