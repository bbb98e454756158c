-- 010: chance coincidences: the density behind each run, expected unrelated counterparts per pair
-- How the counterpart density of a run was obtained: 'annulus' (right catalog around each
-- left source), 'given' (--density), 'catalog' (--density-from CATALOG --area REGION),
-- 'refused: truncated list' (annulus density refused, p_chance left NULL) or NULL (none).
ALTER TABLE xmatch_runs ADD COLUMN density_method VARCHAR;
ALTER TABLE xmatch_runs ADD COLUMN density_arcsec2 DOUBLE;   -- the field density used (NULL: per source)

-- Per pair: n_exp = rho * A, the expected number of unrelated right sources in the pair's
-- match region (A = pi r^2, or pi k^2 a b for an error ellipse), and 1 - exp(-n_exp).
ALTER TABLE xmatch_pairs ADD COLUMN n_exp DOUBLE;
ALTER TABLE xmatch_pairs ADD COLUMN p_any_unrelated DOUBLE;
