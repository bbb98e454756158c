-- rows_in_their_partition: each row's _healpix_29 lies in the HEALPix pixel of its Npix folder
SELECT Norder, Npix, _healpix_29
FROM {catalog}
WHERE (_healpix_29 >> (2 * (29 - Norder))) <> Npix
