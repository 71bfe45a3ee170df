-- Rules of policies. A rule is an element (body, references, events, history); its place in
-- its policy's collection is its rank here (a number: inserting between two rules takes a
-- rank between theirs, so no other rule is rewritten).
CREATE TABLE rule_order (
    rule_key    BIGINT           NOT NULL PRIMARY KEY,
    policy_key  BIGINT           NOT NULL,
    collection  VARCHAR(64)      NOT NULL,
    rank_value  DOUBLE PRECISION NOT NULL
);
CREATE INDEX rule_order_place ON rule_order (policy_key, collection, rank_value);

-- Rule names are not unique (many rules have none): an element's name is unique per domain and
-- type through name_key, which is its name, or for a rule "@" and its key.
ALTER TABLE element ADD COLUMN name_key VARCHAR(1100);
UPDATE element SET name_key = name;
ALTER TABLE element ALTER COLUMN name_key SET NOT NULL;
ALTER TABLE element DROP CONSTRAINT element_name_unique;
ALTER TABLE element ADD CONSTRAINT element_name_unique UNIQUE (domain_key, type, name_key);

-- A change of an element that lives under another (a rule under its policy) names that parent
-- as the start of its href ("fw_policy/1234"); NULL for the others.
ALTER TABLE change_log ADD COLUMN parent VARCHAR(200);
