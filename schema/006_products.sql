-- 006: registry of computed products (srcflux, spectral fits, SNR, rates, classifications) linked to sources
-- Each product is a DuckDB table named after it. Every product table starts with
-- _row (1-based row of the input), _source_key (the linked source's key in
-- link_catalog, NULL when the row links to nothing) and _link_sep_arcsec (the
-- separation for a positional link, NULL for a key link); its own columns follow.
-- Column units and descriptions go to view_columns (view = product name).
CREATE TABLE products (
    name                VARCHAR NOT NULL,   -- product name = DuckDB table name
    kind                VARCHAR NOT NULL,   -- srcflux, spectral_fit, snr, rates, classification, xrbid, generic
    n_rows              BIGINT  NOT NULL,
    source              VARCHAR NOT NULL,   -- input file (absolute path)
    source_detail       VARCHAR,            -- options (JSON) and the linked catalog's SHA-256
    sha256              VARCHAR NOT NULL,   -- SHA-256 of the input bytes
    created             TIMESTAMP NOT NULL, -- UTC
    xcat_version        VARCHAR NOT NULL,
    schema_version      INTEGER NOT NULL,
    link_catalog        VARCHAR,            -- catalog the rows are linked to (NULL: not linked)
    link_rule           VARCHAR NOT NULL,   -- e.g. "key 'CSC ID' = csc.name", "nearest csc source within 1 arcsec"
    link_key            VARCHAR,            -- the product column holding the source key
    link_radius_arcsec  DOUBLE,             -- positional links: the radius
    n_linked            BIGINT  NOT NULL,   -- input rows linked to a source
    n_unlinked          BIGINT  NOT NULL,   -- input rows linked to nothing (kept, _source_key NULL)
    wide_view           VARCHAR             -- spectral fits: the one-row-per-source view
);
