-- luminosities: one row per X-ray source. L = 4 pi d^2 F with d in cm (cm_per_mpc():
-- astropy's IAU parsec, never rounded). d is the source's own adopted distance when it has
-- one (source_distances_adopted: a counterpart's parallax or a distance catalog), else
-- the adopted distance of its primary host; distance_origin says which ('source' or
-- 'host'), distance_ref where it comes from. Fluxes are xray_sources.flux: the catalog's,
-- or count_rate x ECF per source for catalogs without fluxes (flux_origin names the
-- factor; see queries/views/xray_sources_flux.sql). For upper limits lx is the upper
-- limit (from flux_hi) and lx_lo is NULL. lx_lo/lx_hi combine the flux interval with the
-- distance interval (host: d -/+ err; source: its 68% interval).
-- Columns documented in the sibling .toml file.
-- depends: xray_sources, hosts_adopted, source_hosts, source_distances_adopted
CREATE OR REPLACE VIEW luminosities AS
WITH f AS (
    SELECT catalog, kind, source_key, name, flux_upper_limit, emin_kev, emax_kev, band,
           flux, flux_lo, flux_hi, flux_origin, ecf
    FROM xray_sources
), h AS (
    SELECT sh.catalog, sh.source_key, sh.host, sh.sep_arcmin AS host_sep_arcmin,
           ha.distance_id, ha.distance_mpc, ha.distance_err_mpc, ha.distance_method,
           ha.distance_ref,
           greatest(ha.distance_mpc - coalesce(ha.distance_err_mpc, 0.0), 0.0)
               AS distance_lo_mpc,
           ha.distance_mpc + coalesce(ha.distance_err_mpc, 0.0) AS distance_hi_mpc
    FROM source_hosts AS sh
    JOIN hosts_adopted AS ha USING (host_id)
    WHERE sh.is_primary
), s AS (
    SELECT catalog, source_key, distance_id, distance_pc / 1e6 AS distance_mpc,
           (distance_hi_pc - distance_lo_pc) / 2e6 AS distance_err_mpc,
           distance_method, distance_ref,
           coalesce(distance_lo_pc, distance_pc) / 1e6 AS distance_lo_mpc,
           coalesce(distance_hi_pc, distance_pc) / 1e6 AS distance_hi_mpc
    FROM source_distances_adopted
), d AS (
    SELECT f.*, h.host, h.host_sep_arcmin,
           CASE WHEN s.distance_id IS NOT NULL THEN 'source'
                WHEN h.distance_mpc IS NOT NULL THEN 'host' END AS distance_origin,
           s.distance_id IS NOT NULL AS own,
           h.distance_id AS h_id, h.distance_mpc AS h_d, h.distance_err_mpc AS h_err,
           h.distance_method AS h_method, h.distance_ref AS h_ref,
           h.distance_lo_mpc AS h_lo, h.distance_hi_mpc AS h_hi,
           s.distance_id AS s_id, s.distance_mpc AS s_d, s.distance_err_mpc AS s_err,
           s.distance_method AS s_method, s.distance_ref AS s_ref,
           s.distance_lo_mpc AS s_lo, s.distance_hi_mpc AS s_hi
    FROM f
    LEFT JOIN h USING (catalog, source_key)
    LEFT JOIN s USING (catalog, source_key)
), l AS (
    SELECT catalog, kind, source_key, name, flux_upper_limit, emin_kev, emax_kev, band,
           flux, flux_lo, flux_hi, flux_origin, ecf, host, host_sep_arcmin, distance_origin,
           CASE WHEN own THEN s_id ELSE h_id END AS distance_id,
           CASE WHEN own THEN s_d ELSE h_d END AS distance_mpc,
           CASE WHEN own THEN s_err ELSE h_err END AS distance_err_mpc,
           CASE WHEN own THEN s_method ELSE h_method END AS distance_method,
           CASE WHEN own THEN s_ref ELSE h_ref END AS distance_ref,
           CASE WHEN own THEN s_lo ELSE h_lo END AS distance_lo_mpc,
           CASE WHEN own THEN s_hi ELSE h_hi END AS distance_hi_mpc
    FROM d
), a AS (
    SELECT *,
           4.0 * pi() * pow(distance_mpc * cm_per_mpc(), 2) AS area_cm2,
           4.0 * pi() * pow(distance_lo_mpc * cm_per_mpc(), 2) AS area_lo_cm2,
           4.0 * pi() * pow(distance_hi_mpc * cm_per_mpc(), 2) AS area_hi_cm2
    FROM l
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
    flux_upper_limit AS lx_upper_limit,
    distance_origin, distance_lo_mpc, distance_hi_mpc
FROM a
