-- SMC's asynchronous operations (export, import, ...): polled through their follower href on any
-- node, so they live in the database, with the file they produce (BYTEA: H2 and PostgreSQL).
CREATE TABLE task (
    task_id         BIGINT         NOT NULL PRIMARY KEY,
    domain_key      BIGINT         NOT NULL,
    user_key        BIGINT         NOT NULL,
    task_type       VARCHAR(64)    NOT NULL,
    in_progress     BOOLEAN        NOT NULL,
    success         BOOLEAN        NOT NULL,
    progress        INT            NOT NULL,
    last_message    VARCHAR(4000)  NOT NULL,
    abort_requested BOOLEAN        NOT NULL,
    start_ms        BIGINT         NOT NULL,
    end_ms          BIGINT,
    resources       VARCHAR(100000) NOT NULL,
    result_type     VARCHAR(100),
    result          BYTEA
);
CREATE INDEX task_domain_start ON task (domain_key, start_ms);
