-- Demo: detections per likelihood class with the brightest source and the median flux
SELECT likelihood_class, count(*) AS n_sources, median(flux_aper_b) AS median_flux_b,
       arg_max(name, flux_aper_b) AS brightest, count(*) FILTER (WHERE flux_aper_b > $fmin) AS n_above_fmin
FROM demo_csc GROUP BY likelihood_class ORDER BY likelihood_class
