-- fluxes_nonnegative: energy-flux columns (unit erg/(s cm2)) are >= 0 where present
SELECT {flux_columns}
FROM {catalog}
WHERE {any_negative}
