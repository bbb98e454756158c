-- xray_sources, last step: count rates become 0.1-2.4 keV fluxes for catalogs that give
-- no flux (2RXS), per source, through the energy-conversion factor chosen for the kind
-- (ecf_choice; `xcat ecf rxs2 sfg95_coronal`):
--   ECF = (hr1_slope * HR1 + constant) * scale,  F = CR * ECF,
-- with the first-order error of both measured inputs (count rate and HR1, independent):
--   sigma_F^2 = (ECF * sigma_CR)^2 + (CR * hr1_slope * scale * sigma_HR1)^2
-- (for SFG95, hr1_slope * scale = 5.30e-12 erg cm-2 ct-1); sigma_CR and sigma_HR1 are the
-- half-widths of count_rate_lo/hi and hr1_lo/hi (2RXS: the catalog's 1-sigma errors).
-- flux_lo/hi = F -/+ sigma_F (flux_conf 0.6827); a factor without an HR1 term ignores HR1.
-- flux_origin names the factor ('ecf:<name>'), or 'catalog' for a catalog's own flux
-- (NULL: no flux); ecf is the factor's value and flux_err sigma_F (converted rows only).
-- The constants' uncertainties are not propagated (the ECF is a model, named instead).
-- The body reads the CTE __union (every staging view) that xcat/store/xray_views.py
-- builds, and continues its WITH clause.
__ecf AS (
    SELECT c.kind, e.name AS ecf_name, e.hr1_slope, e.constant, e.scale,
           e.emin_kev AS ecf_emin_kev, e.emax_kev AS ecf_emax_kev
    FROM ecf_choice AS c
    JOIN energy_conversion_factors AS e ON e.name = c.ecf_name
), __conv AS (
    SELECT u.*, e.ecf_name, e.hr1_slope, e.scale AS ecf_scale, e.ecf_emin_kev, e.ecf_emax_kev,
           u.flux IS NULL AND u.count_rate IS NOT NULL AND e.ecf_name IS NOT NULL AS __use_ecf,
           (e.hr1_slope * CASE WHEN e.hr1_slope = 0 THEN 0.0 ELSE u.hr1 END + e.constant)
               * e.scale AS __ecf_value,
           (u.count_rate_hi - u.count_rate_lo) / 2.0 AS __sigma_cr,
           CASE WHEN e.hr1_slope = 0 THEN 0.0 ELSE (u.hr1_hi - u.hr1_lo) / 2.0 END
               AS __sigma_hr1
    FROM __union AS u
    LEFT JOIN __ecf AS e ON e.kind = u.kind
), __flux AS (
    SELECT *,
           count_rate * __ecf_value AS __f,
           sqrt(pow(__ecf_value * __sigma_cr, 2)
                + pow(count_rate * hr1_slope * ecf_scale * __sigma_hr1, 2)) AS __sigma_f
    FROM __conv
)
SELECT * EXCLUDE (ecf_name, hr1_slope, ecf_scale, ecf_emin_kev, ecf_emax_kev, __use_ecf,
                  __ecf_value, __sigma_cr, __sigma_hr1, __f, __sigma_f)
    REPLACE (
        CASE WHEN __use_ecf THEN ecf_emin_kev ELSE emin_kev END AS emin_kev,
        CASE WHEN __use_ecf THEN ecf_emax_kev ELSE emax_kev END AS emax_kev,
        CASE WHEN __use_ecf THEN __f ELSE flux END AS flux,
        CASE WHEN __use_ecf THEN __f - __sigma_f ELSE flux_lo END AS flux_lo,
        CASE WHEN __use_ecf THEN __f + __sigma_f ELSE flux_hi END AS flux_hi,
        CASE WHEN __use_ecf AND __sigma_f IS NOT NULL THEN 0.6827 ELSE flux_conf END
            AS flux_conf),
    CASE WHEN __use_ecf AND __f IS NOT NULL THEN 'ecf:' || ecf_name
         WHEN flux IS NOT NULL THEN 'catalog' END AS flux_origin,
    CASE WHEN __use_ecf AND __f IS NOT NULL THEN __ecf_value END AS ecf,
    CASE WHEN __use_ecf AND __f IS NOT NULL THEN __sigma_f END AS flux_err
FROM __flux
