-- 001: registry of loaded catalogs and the unit/UCD/description of every column
CREATE TABLE catalogs (
    name           VARCHAR NOT NULL,   -- catalog name = view name = catalogs/<name>/
    kind           VARCHAR NOT NULL,   -- csc, csc_detections, table, demo ...
    n_rows         BIGINT  NOT NULL,
    source         VARCHAR NOT NULL,   -- input file (absolute path) or service URL
    source_detail  VARCHAR,            -- e.g. the ADQL sent, or the parent catalog
    sha256         VARCHAR NOT NULL,   -- SHA-256 of the input bytes
    created        TIMESTAMP NOT NULL, -- UTC
    xcat_version   VARCHAR NOT NULL,
    schema_version INTEGER NOT NULL,
    ra_column      VARCHAR NOT NULL,
    dec_column     VARCHAR NOT NULL,
    key_columns    VARCHAR[],          -- the unique key (audited by xcat verify)
    parent         VARCHAR,            -- csc_detections -> csc
    n_partitions   INTEGER NOT NULL,
    path           VARCHAR NOT NULL    -- relative to the store root
);

CREATE TABLE catalog_columns (
    catalog       VARCHAR NOT NULL,
    position      INTEGER NOT NULL,
    name          VARCHAR NOT NULL,
    type          VARCHAR NOT NULL,
    unit          VARCHAR,            -- canonical unit on disk (astropy string)
    ucd           VARCHAR,
    description   VARCHAR,
    source_column VARCHAR,            -- name in the input
    source_unit   VARCHAR             -- unit the input declared (or 'assumed')
);
