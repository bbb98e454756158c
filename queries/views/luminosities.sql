-- luminosities: one row per X-ray source. L = 4 pi d^2 F with d the adopted distance of
-- the source's primary host in cm (cm_per_mpc(): astropy's IAU parsec, never rounded). Fluxes are the catalog's, or
-- count_rate x ECF for catalogs whose kind has a factor in ecf_choice (the factor's name
-- is in flux_origin). For upper limits lx is the upper limit (from flux_hi) and lx_lo is
-- NULL. lx_lo/lx_hi combine the flux interval with the distance error (d -/+ err).
-- Columns documented in the sibling .toml file.
-- depends: xray_sources, hosts_adopted, source_hosts
CREATE OR REPLACE VIEW luminosities AS
WITH ecf AS (
    SELECT c.kind, e.name AS ecf_name, e.hr1_slope, e.constant, e.scale,
           e.emin_kev AS ecf_emin_kev, e.emax_kev AS ecf_emax_kev
    FROM ecf_choice AS c
    JOIN energy_conversion_factors AS e ON e.name = c.ecf_name
), fx AS (
    SELECT s.catalog, s.kind, s.source_key, s.name, s.flux_upper_limit,
           s.flux IS NULL AND s.count_rate IS NOT NULL AND e.ecf_name IS NOT NULL AS use_ecf,
           (e.hr1_slope * CASE WHEN e.hr1_slope = 0 THEN 0.0 ELSE s.hr1 END + e.constant)
               * e.scale AS ecf_value,
           s.flux, s.flux_lo, s.flux_hi, s.count_rate, s.count_rate_lo, s.count_rate_hi,
           s.band, s.emin_kev, s.emax_kev, e.ecf_name, e.ecf_emin_kev, e.ecf_emax_kev
    FROM xray_sources AS s
    LEFT JOIN ecf AS e ON e.kind = s.kind
), f AS (
    SELECT catalog, kind, source_key, name, flux_upper_limit,
           CASE WHEN use_ecf THEN ecf_emin_kev ELSE emin_kev END AS emin_kev,
           CASE WHEN use_ecf THEN ecf_emax_kev ELSE emax_kev END AS emax_kev,
           band,
           CASE WHEN use_ecf THEN count_rate * ecf_value ELSE flux END AS flux,
           CASE WHEN use_ecf THEN count_rate_lo * ecf_value ELSE flux_lo END AS flux_lo,
           CASE WHEN use_ecf THEN count_rate_hi * ecf_value ELSE flux_hi END AS flux_hi,
           CASE WHEN use_ecf THEN 'ecf:' || ecf_name
                WHEN flux IS NOT NULL THEN 'catalog' END AS flux_origin,
           CASE WHEN use_ecf THEN ecf_value END AS ecf
    FROM fx
), d AS (
    SELECT sh.catalog, sh.source_key, sh.host, sh.sep_arcmin AS host_sep_arcmin,
           ha.distance_id, ha.distance_mpc, ha.distance_err_mpc, ha.distance_method,
           ha.distance_ref
    FROM source_hosts AS sh
    JOIN hosts_adopted AS ha USING (host_id)
    WHERE sh.is_primary
), l AS (
    SELECT f.*, d.host, d.host_sep_arcmin, d.distance_id, d.distance_mpc, d.distance_err_mpc,
           d.distance_method, d.distance_ref,
           4.0 * pi() * pow(d.distance_mpc * cm_per_mpc(), 2) AS area_cm2,
           4.0 * pi() * pow(greatest(d.distance_mpc - coalesce(d.distance_err_mpc, 0.0), 0.0)
                            * cm_per_mpc(), 2) AS area_lo_cm2,
           4.0 * pi() * pow((d.distance_mpc + coalesce(d.distance_err_mpc, 0.0))
                            * cm_per_mpc(), 2) AS area_hi_cm2
    FROM f
    LEFT JOIN d USING (catalog, source_key)
)
SELECT
    catalog, kind, source_key, name, host, host_sep_arcmin,
    distance_id, distance_mpc, distance_err_mpc, distance_method, distance_ref,
    band, emin_kev, emax_kev,
    flux, flux_lo, flux_hi, flux_upper_limit, flux_origin, ecf,
    area_cm2 * CASE WHEN flux_upper_limit THEN flux_hi ELSE flux END AS lx,
    CASE WHEN NOT flux_upper_limit THEN area_lo_cm2 * flux_lo END AS lx_lo,
    area_hi_cm2 * flux_hi AS lx_hi,
    CASE WHEN area_cm2 * CASE WHEN flux_upper_limit THEN flux_hi ELSE flux END > 0
         THEN log10(area_cm2 * CASE WHEN flux_upper_limit THEN flux_hi ELSE flux END) END
        AS log_lx,
    CASE WHEN NOT flux_upper_limit AND area_lo_cm2 * flux_lo > 0
         THEN log10(area_lo_cm2 * flux_lo) END AS log_lx_lo,
    CASE WHEN area_hi_cm2 * flux_hi > 0 THEN log10(area_hi_cm2 * flux_hi) END AS log_lx_hi,
    flux_upper_limit AS lx_upper_limit
FROM l
