-- flag_inputs: the values flag rules may test, one row per source and quantity (long
-- form, so a rule names its column as data). is_upper_limit marks values that are upper
-- limits (log_lx / lx / flux of an upper-limit flux). The interval bounds (_lo/_hi: 68%
-- for CSC) are inputs too, so a rule can ask for a confident cut (hr1_hi <= -0.75); a
-- bound is a plain number, except that an upper limit's flux_hi/log_lx_hi is the limit
-- itself (marked is_upper_limit like flux/log_lx) and its _lo is NULL.
-- upper_limit is 1 for an upper-limit flux, else 0. Columns in the sibling .toml.
-- depends: xray_sources, luminosities
CREATE OR REPLACE VIEW flag_inputs AS
WITH wide AS (
    SELECT s.catalog, s.kind, s.source_key, s.name, l.band, s.hr1, s.hr2, s.hr3, s.detection,
           s.hr1_lo, s.hr1_hi, s.hr2_lo, s.hr2_hi, s.hr3_lo, s.hr3_hi,
           s.var_prob, s.pos_err_r95, l.flux, l.lx, l.log_lx, l.distance_mpc,
           l.flux_lo, l.flux_hi, l.log_lx_lo, l.log_lx_hi,
           coalesce(l.lx_upper_limit, FALSE) AS ul
    FROM xray_sources AS s
    JOIN luminosities AS l USING (catalog, source_key)
), long AS (
    SELECT catalog, kind, source_key, name, band, unnest([
        {'column_name': 'hr1', 'value': hr1, 'is_upper_limit': FALSE},
        {'column_name': 'hr2', 'value': hr2, 'is_upper_limit': FALSE},
        {'column_name': 'hr3', 'value': hr3, 'is_upper_limit': FALSE},
        {'column_name': 'hr1_lo', 'value': hr1_lo, 'is_upper_limit': FALSE},
        {'column_name': 'hr1_hi', 'value': hr1_hi, 'is_upper_limit': FALSE},
        {'column_name': 'hr2_lo', 'value': hr2_lo, 'is_upper_limit': FALSE},
        {'column_name': 'hr2_hi', 'value': hr2_hi, 'is_upper_limit': FALSE},
        {'column_name': 'hr3_lo', 'value': hr3_lo, 'is_upper_limit': FALSE},
        {'column_name': 'hr3_hi', 'value': hr3_hi, 'is_upper_limit': FALSE},
        {'column_name': 'flux_lo', 'value': flux_lo, 'is_upper_limit': FALSE},
        {'column_name': 'flux_hi', 'value': flux_hi, 'is_upper_limit': ul},
        {'column_name': 'log_lx_lo', 'value': log_lx_lo, 'is_upper_limit': FALSE},
        {'column_name': 'log_lx_hi', 'value': log_lx_hi, 'is_upper_limit': ul},
        {'column_name': 'upper_limit', 'value': CAST(ul AS INTEGER), 'is_upper_limit': FALSE},
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
