-- Login finds an API key's credential with one hash instead of trying every api_client:
-- lookup = PBKDF2(key, the installation's lookup salt). NULL for passwords (found by user name)
-- and for keys stored before this version (found the old way once, then given their lookup).
ALTER TABLE credential ADD COLUMN lookup VARCHAR(128);
CREATE INDEX credential_lookup ON credential (lookup);

-- Settings of the installation shared by every node (the lookup salt).
CREATE TABLE server_setting (
    name  VARCHAR(64)   NOT NULL PRIMARY KEY,
    setting_value VARCHAR(1024) NOT NULL
);

-- Sessions are ended by user (a changed, disabled or deleted credential) and by domain.
CREATE INDEX web_session_user ON web_session (user_key);
CREATE INDEX web_session_domain ON web_session (domain_key);
