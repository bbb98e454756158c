-- 007: science layer: hosts and distances, energy-conversion factors, flag rules, footprints, classification events
CREATE SEQUENCE host_ids START 1;
CREATE SEQUENCE host_distance_ids START 1;
CREATE SEQUENCE classification_event_ids START 1;
CREATE SEQUENCE distance_adoption_ids START 1;

-- Host galaxies. Membership of X-ray sources (view source_hosts) uses the ellipse when
-- it is given, else the circle radius_arcmin; a host with neither has no members.
CREATE TABLE hosts (
    host_id          BIGINT PRIMARY KEY DEFAULT nextval('host_ids'),
    name             VARCHAR NOT NULL UNIQUE,  -- the name queries use (e.g. M101)
    ra               DOUBLE,                   -- deg, ICRS centre
    dec              DOUBLE,                   -- deg
    ellipse_a_arcmin DOUBLE,                   -- semi-major axis, arcmin
    ellipse_b_arcmin DOUBLE,                   -- semi-minor axis, arcmin
    ellipse_pa_deg   DOUBLE,                   -- position angle of the major axis, N through E
    radius_arcmin    DOUBLE,                   -- membership radius when there is no ellipse
    origin           VARCHAR,                  -- where the row came from (manual, 50MGC, LEGUS)
    added_at         TIMESTAMP NOT NULL        -- UTC
);

-- Every name a host is known by (the host's own name included). alias_key is the name
-- upper-cased without spaces, so "M 101", "m101" and "M101" resolve alike.
CREATE TABLE host_aliases (
    alias_key VARCHAR PRIMARY KEY,
    alias     VARCHAR NOT NULL,
    host_id   BIGINT NOT NULL
);

-- Every distance estimate ever recorded (append-only; several per host).
CREATE TABLE host_distances (
    distance_id      BIGINT PRIMARY KEY DEFAULT nextval('host_distance_ids'),
    host_id          BIGINT NOT NULL,
    distance_mpc     DOUBLE NOT NULL,          -- Mpc
    distance_err_mpc DOUBLE,                   -- Mpc, 1-sigma (NULL when unknown)
    method           VARCHAR,                  -- Cepheid, TRGB, TF, SBF, 50MGC bestdist ...
    reference        VARCHAR,                  -- bibcode or citation
    origin           VARCHAR,                  -- manual, or the file it was loaded from
    added_at         TIMESTAMP NOT NULL        -- UTC
);

-- Which distance is adopted for a host: the newest row (highest adoption_id) per host wins (older rows are
-- the adoption history). Luminosities are views over the adopted distance.
CREATE TABLE distance_adoptions (
    adoption_id BIGINT PRIMARY KEY DEFAULT nextval('distance_adoption_ids'),
    host_id     BIGINT NOT NULL,
    distance_id BIGINT NOT NULL,
    adopted_at  TIMESTAMP NOT NULL,            -- UTC
    note        VARCHAR
);

-- Count-rate to energy-flux conversion factors:
-- ECF = (hr1_slope * hr1 + constant) * scale  [erg cm^-2 ct^-1], flux = count_rate * ECF.
CREATE TABLE energy_conversion_factors (
    name      VARCHAR PRIMARY KEY,
    hr1_slope DOUBLE NOT NULL,
    constant  DOUBLE NOT NULL,
    scale     DOUBLE NOT NULL,
    emin_kev  DOUBLE NOT NULL,
    emax_kev  DOUBLE NOT NULL,
    reference VARCHAR,
    note      VARCHAR
);
INSERT INTO energy_conversion_factors VALUES
  ('sfg95_coronal', 5.30, 8.31, 1e-12, 0.1, 2.4,
   'Schmitt, Fleming & Giampapa 1995, ApJ 450, 392',
   'Coronal sources (M dwarfs): (5.30 HR1 + 8.31) 1e-12 erg/cm2/ct; some code uses 8.7'),
  ('mpe_powerlaw_gamma1', 0.0, 10.4, 1e-12, 0.1, 2.4,
   'MPE RASS (HEASARC rassfsc)', 'Unabsorbed power law, photon index 1'),
  ('mpe_powerlaw_gamma2', 0.0, 5.6, 1e-12, 0.1, 2.4,
   'MPE RASS (HEASARC rassfsc)', 'Unabsorbed power law, photon index 2');

-- Which factor converts each catalog kind's count rates (one row per kind).
CREATE TABLE ecf_choice (
    kind     VARCHAR PRIMARY KEY,              -- xray_sources.kind (rxs2, erass1 ...)
    ecf_name VARCHAR NOT NULL                  -- energy_conversion_factors.name
);
INSERT INTO ecf_choice VALUES ('rxs2', 'mpe_powerlaw_gamma2');

-- Flag rules: a rule is true when all its conditions are, false when any is false, and
-- unknown otherwise (a needed value is missing). Conditions compare a column of the
-- flag_inputs view (hr1, hr2, hr3, log_lx, ...) with a threshold.
CREATE TABLE flag_rules (
    rule        VARCHAR PRIMARY KEY,
    kind        VARCHAR,                       -- catalog kind it applies to (NULL: all)
    band        VARCHAR,                       -- luminosity band it applies to (NULL: any)
    proposes    VARCHAR,                       -- class proposed by 'xcat flags apply' (NULL: none)
    reference   VARCHAR,
    description VARCHAR,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE flag_rule_conditions (
    rule      VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,              -- a column of flag_inputs
    op        VARCHAR NOT NULL CHECK (op IN ('<=', '<', '>=', '>', '=')),
    threshold DOUBLE NOT NULL
);
INSERT INTO flag_rules VALUES
  ('snr_hr_lx', 'csc', '0.5-7.0 keV', '(SNR)',
   'Hunt et al. 2021, ApJ 912, 31 (doi:10.3847/1538-4357/abe531)',
   'Supernova-remnant candidate: soft (hard_hs <= -0.75) and faint (log Lx <= 37.5), both inclusive',
   TRUE);
INSERT INTO flag_rule_conditions VALUES
  ('snr_hr_lx', 1, 'hr1', '<=', -0.75),
  ('snr_hr_lx', 2, 'log_lx', '<=', 37.5);

-- Image footprints (XRBID's Bounds In/Out): polygons on the sky with great-circle edges.
CREATE TABLE footprints (
    name       VARCHAR PRIMARY KEY,
    ra         DOUBLE NOT NULL,                -- deg, tangent point used for the test
    dec        DOUBLE NOT NULL,
    radius_deg DOUBLE NOT NULL,                -- largest vertex distance from (ra, dec)
    origin     VARCHAR,                        -- FITS file/HDU or 'polygon'
    added_at   TIMESTAMP NOT NULL
);
CREATE TABLE footprint_vertices (
    footprint VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    ra        DOUBLE NOT NULL,
    dec       DOUBLE NOT NULL
);

-- Controlled classification vocabulary (DOMAIN.md section 3, XRBID after Long+14, plus
-- the MUWCLASS classes so a catalog classification keeps its label).
CREATE TABLE classification_classes (
    class       VARCHAR PRIMARY KEY,
    vocabulary  VARCHAR NOT NULL,
    description VARCHAR
);
INSERT INTO classification_classes VALUES
  ('AGN', 'XRBID', 'Background AGN'), ('SS', 'XRBID', 'Supersoft source'),
  ('SNR', 'XRBID', 'Supernova remnant (catalogue-confirmed)'),
  ('(SNR)', 'XRBID', 'X-ray-selected supernova-remnant candidate (HR/Lx rule)'),
  ('XRB', 'XRBID', 'X-ray binary'), ('GAL', 'XRBID', 'Background galaxy'),
  ('Star', 'XRBID', 'Foreground star'), ('AGN/GAL', 'XRBID', 'AGN or galaxy'),
  ('AGN/XRB', 'XRBID', 'AGN or X-ray binary'), ('None', 'XRBID', 'No counterpart'),
  ('HMXB', 'XRBID', 'High-mass X-ray binary'), ('IMXB', 'XRBID', 'Intermediate-mass X-ray binary'),
  ('LMXB', 'XRBID', 'Low-mass X-ray binary'), ('Cluster', 'XRBID', 'Star cluster'),
  ('Quasar', 'XRBID', 'Quasar'), ('Unknown', 'XRBID', 'Unknown'), ('N/A', 'XRBID', 'Not applicable'),
  ('Nucleus', 'XRBID', 'Galaxy nucleus'),
  ('CV', 'MUWCLASS', 'Cataclysmic variable'), ('NS', 'MUWCLASS', 'Isolated neutron star'),
  ('YSO', 'MUWCLASS', 'Young stellar object'), ('HM-STAR', 'MUWCLASS', 'High-mass star'),
  ('LM-STAR', 'MUWCLASS', 'Low-mass star');

-- Append-only log of classification decisions and proposals (never updated or deleted).
CREATE TABLE classification_events (
    event_id        BIGINT PRIMARY KEY DEFAULT nextval('classification_event_ids'),
    catalog         VARCHAR NOT NULL,          -- catalog of the source
    source_key      VARCHAR NOT NULL,          -- the source's key there (CSC name)
    class           VARCHAR NOT NULL,          -- classification_classes.class
    best_counterpart VARCHAR,                  -- id of the best counterpart (XRBID "Best Star")
    donor_class     VARCHAR,                   -- LMXB, IMXB, HMXB (donor mass class)
    probability     DOUBLE,                    -- classifier probability (catalog method)
    method          VARCHAR NOT NULL CHECK (method IN ('visual', 'rule', 'catalog', 'import')),
    rule            VARCHAR,                   -- flag rule that proposed it (method rule)
    author          VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,        -- UTC
    note            VARCHAR,
    supersedes      BIGINT,                    -- event it replaced as current (NULL: none)
    origin          VARCHAR                    -- imported file name, when imported
);

-- Derived views (hosts_adopted, source_hosts, luminosities, flag_inputs, source_flags,
-- source_footprints, classification_current) are created by xcat/science_views.py after
-- xray_sources. Dropping xray_sources here makes the next open rebuild all derived views
-- in stores created before this migration.
DROP VIEW IF EXISTS xray_sources;
