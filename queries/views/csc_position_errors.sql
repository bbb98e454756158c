-- <csc>_position_errors: Kim et al. (2007, ApJS 169, 401, Eqs. 12 and 14) 68% and 95%
-- positional uncertainties of every detection of a CSC catalog, from the off-axis angle
-- theta (arcmin) and C = log10(net counts), combined in quadrature with the catalog's
-- astrometric-frame error sigma_ast (astrometric_frames): r68 = sqrt(PU68^2 + s^2),
-- r95 = sqrt(PU95^2 + (2 s)^2), as XRBID defines its 1-sigma and 2-sigma radii.
-- Counts above 10^3.3 are evaluated at C = 3.3 (the error only shrinks with counts);
-- zero/negative/missing counts, counts <= 1 or a missing theta fall back to the CSC 95%
-- ellipse: r95 = r0, r68 = 0.6167 r0 (sigma = 0.40854 r0). `rule` says which applied;
-- `is_best` marks each source's detection with the smallest r95 among those the formula
-- covers (the ellipse only when none does; ties: lowest det_index).
-- The body below reads three CTEs that xcat/store/xray_views.py builds with SQLAlchemy Core
-- for each CSC catalog (identifiers quoted by the library, the catalog name bound as a
-- literal): __frame(s), __det(source_key, det_index, theta, counts) and
-- __master(source_key, err_ellipse_r0). It continues their WITH clause.
__pu AS (
    SELECT *,
        CASE WHEN theta IS NULL OR isnan(theta) OR counts IS NULL OR isnan(counts)
                  OR counts <= 1 THEN NULL
             ELSE least(log10(counts), 3.3) END AS c
    FROM __det
),
__kim AS (
    SELECT *,
        CASE WHEN c IS NULL THEN NULL
             WHEN c <= 2.1227 THEN pow(10, 0.1137 * theta - 0.4600 * c - 0.2398)
             ELSE pow(10, 0.1031 * theta - 0.1945 * c - 0.8034) END AS pu68,
        CASE WHEN c IS NULL THEN NULL
             WHEN c <= 2.1393 THEN pow(10, 0.1145 * theta - 0.4958 * c + 0.1932)
             ELSE pow(10, 0.0968 * theta - 0.2064 * c - 0.4260) END AS pu95,
        CASE WHEN c IS NULL THEN 'csc_ellipse_95'
             WHEN log10(counts) > 3.3 THEN 'kim07_at_C3.3'
             ELSE 'kim07' END AS rule
    FROM __pu
),
__radii AS (
    SELECT k.*, m.err_ellipse_r0, __frame.s AS sigma_ast,
        CASE WHEN k.pu68 IS NULL THEN sqrt(pow(0.6167 * m.err_ellipse_r0, 2) + pow(__frame.s, 2))
             ELSE sqrt(pow(k.pu68, 2) + pow(__frame.s, 2)) END AS r68,
        CASE WHEN k.pu95 IS NULL THEN sqrt(pow(m.err_ellipse_r0, 2) + pow(2 * __frame.s, 2))
             ELSE sqrt(pow(k.pu95, 2) + pow(2 * __frame.s, 2)) END AS r95
    FROM __kim AS k JOIN __master AS m ON m.source_key = k.source_key CROSS JOIN __frame
)
SELECT *,
    row_number() OVER (PARTITION BY source_key
                       ORDER BY rule = 'csc_ellipse_95', r95 NULLS LAST, det_index) = 1
        AS is_best
FROM __radii
