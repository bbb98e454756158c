-- flag_inputs: the values flag rules may test, one row per source and quantity (long
-- form, so a rule names its column as data). is_upper_limit marks values that are upper
-- limits (log_lx / lx / flux of an upper-limit flux). Columns in the sibling .toml.
-- depends: xray_sources, luminosities
CREATE OR REPLACE VIEW flag_inputs AS
WITH wide AS (
    SELECT s.catalog, s.kind, s.source_key, s.name, l.band, s.hr1, s.hr2, s.hr3, s.detection,
           s.var_prob, s.pos_err_r95, l.flux, l.lx, l.log_lx, l.distance_mpc,
           coalesce(l.lx_upper_limit, FALSE) AS ul
    FROM xray_sources AS s
    JOIN luminosities AS l USING (catalog, source_key)
), long AS (
    SELECT catalog, kind, source_key, name, band, unnest([
        {'column_name': 'hr1', 'value': hr1, 'is_upper_limit': FALSE},
        {'column_name': 'hr2', 'value': hr2, 'is_upper_limit': FALSE},
        {'column_name': 'hr3', 'value': hr3, 'is_upper_limit': FALSE},
        {'column_name': 'detection', 'value': detection, 'is_upper_limit': FALSE},
        {'column_name': 'var_prob', 'value': var_prob, 'is_upper_limit': FALSE},
        {'column_name': 'pos_err_r95', 'value': pos_err_r95, 'is_upper_limit': FALSE},
        {'column_name': 'distance_mpc', 'value': distance_mpc, 'is_upper_limit': FALSE},
        {'column_name': 'flux', 'value': flux, 'is_upper_limit': ul},
        {'column_name': 'lx', 'value': lx, 'is_upper_limit': ul},
        {'column_name': 'log_lx', 'value': log_lx, 'is_upper_limit': ul}
    ]) AS v
    FROM wide
)
SELECT catalog, kind, source_key, name, band, v.column_name AS column_name,
       CAST(v.value AS DOUBLE) AS value, v.is_upper_limit AS is_upper_limit
FROM long
