-- 020: per-source data products (light curves, spectra, responses, regions, sensitivity maps) found through a product service, the files fetched, and computed products made from them
CREATE SEQUENCE source_product_ids START 1;

-- One row per product link a service listed for a source (one file: a light curve of one
-- observation in one band, a spectrum, its ARF/RMF, ...). Rows are added by
-- 'xcat products find'; path/sha256/fetched_* are filled by 'xcat products fetch' only
-- once the whole file is on disk and its checksum is verified.
CREATE TABLE source_products (
    product_id     BIGINT PRIMARY KEY DEFAULT nextval('source_product_ids'),
    catalog        VARCHAR NOT NULL,   -- catalog of the source (e.g. csc)
    source_key     VARCHAR NOT NULL,   -- the source's key in that catalog (e.g. 2CXO J140312.5+542056)
    obsid          BIGINT,             -- Chandra ObsID of a per-observation product (NULL: master/stack level)
    obi            INTEGER,            -- observation interval
    region_id      INTEGER,            -- the detection's region id in that observation
    product_type   VARCHAR NOT NULL,   -- xcat's type: lc, pha, arf, rmf, region, sensmap, evt, ...
    service_type   VARCHAR NOT NULL,   -- the service's own name for it (CSC: lightcurve, spectrum, srcreg, sensity, ...)
    band           VARCHAR,            -- energy band letter (CSC: b, s, m, h, u, w); NULL when the product has none
    url            VARCHAR NOT NULL,   -- where the file is (DataLink access_url)
    file_name      VARCHAR NOT NULL,   -- the file's own name (from the URL), used under products/
    content_type   VARCHAR,            -- media type the service states (application/fits, ...)
    size_bytes     BIGINT,             -- size the service states, bytes (NULL: unknown)
    checksum       VARCHAR,            -- checksum the service states, 'sha256:<hex>' or 'md5:<hex>' (NULL: none)
    description    VARCHAR,            -- the service's description of the link
    service        VARCHAR NOT NULL,   -- service name and URL it was found with
    found_at       TIMESTAMP NOT NULL, -- UTC, when the link was recorded
    path           VARCHAR,            -- fetched file, relative to the store (products/<catalog>/<source>/<file>)
    sha256         VARCHAR,            -- SHA-256 of the fetched file
    fetched_bytes  BIGINT,             -- its size, bytes
    fetched_at     TIMESTAMP           -- UTC, when it was registered
);

-- Computed products (table products: srcflux, spectral fits, ...) made from a fetched
-- file: the chain source -> product file (SHA-256 at the time) -> fit is queryable.
CREATE TABLE source_product_uses (
    product_name   VARCHAR NOT NULL,   -- products.name (the computed product's table)
    product_id     BIGINT NOT NULL,    -- source_products.product_id of the file it was computed from
    file_sha256    VARCHAR NOT NULL,   -- source_products.sha256 when the use was recorded
    note           VARCHAR,
    recorded_at    TIMESTAMP NOT NULL  -- UTC
);
