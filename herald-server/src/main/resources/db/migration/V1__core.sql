-- Herald core schema. Portable SQL: runs on H2 (embedded default) and PostgreSQL.

-- Every configuration element, of every type. Keys are unique across all types (SMC does the same).
CREATE TABLE element (
    element_key  BIGINT        NOT NULL PRIMARY KEY,
    domain_key   BIGINT        NOT NULL,
    type         VARCHAR(64)   NOT NULL,
    name         VARCHAR(1024) NOT NULL,
    -- lower-cased name and string fields, for case-insensitive `filter` searches
    search_text  VARCHAR(8000) NOT NULL,
    body         VARCHAR(1000000) NOT NULL,
    version      BIGINT        NOT NULL,
    trashed      BOOLEAN       NOT NULL DEFAULT FALSE,
    system_elem  BOOLEAN       NOT NULL DEFAULT FALSE,
    CONSTRAINT element_name_unique UNIQUE (domain_key, type, name)
);
CREATE INDEX element_type ON element (type, domain_key);

-- References from one element to another (group members, ...): a referenced element cannot be deleted.
CREATE TABLE element_ref (
    from_key BIGINT NOT NULL,
    to_key   BIGINT NOT NULL,
    PRIMARY KEY (from_key, to_key)
);
CREATE INDEX element_ref_to ON element_ref (to_key);

-- Element key allocation (one counter for all types).
CREATE TABLE key_counter (
    id   INT    NOT NULL PRIMARY KEY,
    next_key BIGINT NOT NULL
);
INSERT INTO key_counter (id, next_key) VALUES (1, 1000);

-- The change log. seq order equals commit order: a writer takes the change_head row lock
-- (UPDATE) as the last step of its transaction and holds it until commit, so no transaction
-- can commit a smaller seq after a larger one became visible.
CREATE TABLE change_log (
    seq         BIGINT        NOT NULL PRIMARY KEY,
    domain_key  BIGINT        NOT NULL,
    type        VARCHAR(64)   NOT NULL,
    element_key BIGINT        NOT NULL,
    name        VARCHAR(1024) NOT NULL,
    action      VARCHAR(16)   NOT NULL,
    at_millis   BIGINT        NOT NULL,
    actor       VARCHAR(1024) NOT NULL
);
CREATE INDEX change_log_at ON change_log (at_millis);

CREATE TABLE change_head (
    id  INT    NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO change_head (id, seq) VALUES (1, 0);

-- Secrets of users (api_client API keys, admin_user passwords) as salted slow hashes.
CREATE TABLE credential (
    element_key BIGINT        NOT NULL PRIMARY KEY,
    kind        VARCHAR(16)   NOT NULL,
    secret_hash VARCHAR(512)  NOT NULL
);

-- Sessions: only the SHA-256 of the session id is stored.
CREATE TABLE web_session (
    id_hash      VARCHAR(64) NOT NULL PRIMARY KEY,
    user_key     BIGINT      NOT NULL,
    domain_key   BIGINT      NOT NULL,
    created_ms   BIGINT      NOT NULL,
    last_seen_ms BIGINT      NOT NULL
);
