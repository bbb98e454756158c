-- stg_xray__<catalog>: one X-ray catalog mapped onto the canonical xray_sources columns.
-- Template filled by xcat/xray_views.py from the [xray] section of ingest/<kind>.toml:
-- view and catalog names are quoted identifiers, catalog and kind labels quoted literals,
-- the other fields SQL expressions from the definition (NULL where the catalog lacks them).
CREATE OR REPLACE VIEW {view} AS
WITH __frame AS (
    SELECT coalesce(arg_max(sigma_ast_arcsec, set_at), 0.0) AS sigma_ast
    FROM astrometric_frames WHERE catalog = {catalog_lit}
)
SELECT
    {catalog_lit}::VARCHAR                AS catalog,
    {kind_lit}::VARCHAR                   AS kind,
    CAST({key} AS VARCHAR)                AS source_key,
    CAST({name} AS VARCHAR)               AS name,
    CAST({ra} AS DOUBLE)                  AS ra,
    CAST({dec} AS DOUBLE)                 AS dec,
    _healpix_29,
    CAST({pos_err_1sigma} AS DOUBLE)      AS pos_err_1sigma,
    CAST({pos_err_r68} AS DOUBLE)         AS pos_err_r68,
    CAST({pos_err_r95} AS DOUBLE)         AS pos_err_r95,
    CAST({pos_err_rule} AS VARCHAR)       AS pos_err_rule,
    CAST({ellipse_a} AS DOUBLE)           AS ellipse_a,
    CAST({ellipse_b} AS DOUBLE)           AS ellipse_b,
    CAST({ellipse_pa} AS DOUBLE)          AS ellipse_pa,
    CAST({ellipse_conf} AS DOUBLE)        AS ellipse_conf,
    CAST({band} AS VARCHAR)               AS band,
    CAST({emin_kev} AS DOUBLE)            AS emin_kev,
    CAST({emax_kev} AS DOUBLE)            AS emax_kev,
    CAST({flux} AS DOUBLE)                AS flux,
    CAST({flux_lo} AS DOUBLE)             AS flux_lo,
    CAST({flux_hi} AS DOUBLE)             AS flux_hi,
    CAST({flux_conf} AS DOUBLE)           AS flux_conf,
    CAST(coalesce({flux_upper_limit}, FALSE) AS BOOLEAN) AS flux_upper_limit,
    CAST({count_rate} AS DOUBLE)          AS count_rate,
    CAST({count_rate_lo} AS DOUBLE)       AS count_rate_lo,
    CAST({count_rate_hi} AS DOUBLE)       AS count_rate_hi,
    CAST({hr1} AS DOUBLE)                 AS hr1,
    CAST({hr1_lo} AS DOUBLE)              AS hr1_lo,
    CAST({hr1_hi} AS DOUBLE)              AS hr1_hi,
    CAST({hr1_bands} AS VARCHAR)          AS hr1_bands,
    CAST({hr2} AS DOUBLE)                 AS hr2,
    CAST({hr2_lo} AS DOUBLE)              AS hr2_lo,
    CAST({hr2_hi} AS DOUBLE)              AS hr2_hi,
    CAST({hr2_bands} AS VARCHAR)          AS hr2_bands,
    CAST({hr3} AS DOUBLE)                 AS hr3,
    CAST({hr3_lo} AS DOUBLE)              AS hr3_lo,
    CAST({hr3_hi} AS DOUBLE)              AS hr3_hi,
    CAST({hr3_bands} AS VARCHAR)          AS hr3_bands,
    CAST({detection} AS DOUBLE)           AS detection,
    CAST({detection_kind} AS VARCHAR)     AS detection_kind,
    CAST({likelihood_class} AS VARCHAR)   AS likelihood_class,
    CAST({extent_likelihood} AS DOUBLE)   AS extent_likelihood,
    CAST({var_prob} AS DOUBLE)            AS var_prob,
    CAST({quality_flags} AS VARCHAR[])    AS quality_flags
FROM {catalog} AS c
{position_errors_join}
CROSS JOIN __frame
