-- Energy-conversion factors, with the catalog kinds that use each
SELECT e.name, e.hr1_slope, e.constant, e.scale, e.emin_kev, e.emax_kev,
       string_agg(c.kind, ', ' ORDER BY c.kind) AS used_for, e.reference, e.note
FROM energy_conversion_factors AS e
LEFT JOIN ecf_choice AS c ON c.ecf_name = e.name
GROUP BY ALL
ORDER BY e.name
