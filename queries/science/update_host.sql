-- Set a host's name, position and boundary (NULL parameters keep the stored value)
UPDATE hosts SET
    name = coalesce($name, name),
    ra = coalesce($ra, ra),
    dec = coalesce($dec, dec),
    ellipse_a_arcmin = coalesce($ellipse_a_arcmin, ellipse_a_arcmin),
    ellipse_b_arcmin = coalesce($ellipse_b_arcmin, ellipse_b_arcmin),
    ellipse_pa_deg = coalesce($ellipse_pa_deg, ellipse_pa_deg),
    radius_arcmin = coalesce($radius_arcmin, radius_arcmin)
WHERE host_id = $host_id
