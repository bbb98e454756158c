-- 014: facts about the store itself: where its views point, the DuckDB storage format
CREATE TABLE store_info (
    key   VARCHAR PRIMARY KEY,  -- root: absolute path of xcat.duckdb the views read beside;
                                -- storage_version: DuckDB format the file is written in
    value VARCHAR NOT NULL,
    set_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
