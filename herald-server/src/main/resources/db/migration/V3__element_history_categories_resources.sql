-- Who created and last changed an element, and when (an element's history link). NULL for
-- elements from before this version and for built-in ones.
ALTER TABLE element ADD COLUMN created_ms BIGINT;
ALTER TABLE element ADD COLUMN created_by BIGINT;
ALTER TABLE element ADD COLUMN modified_ms BIGINT;
ALTER TABLE element ADD COLUMN modified_by BIGINT;

-- Category tags and the elements put in them (category_add_element / category_remove_element).
CREATE TABLE element_category (
    category_key BIGINT NOT NULL,
    element_key  BIGINT NOT NULL,
    PRIMARY KEY (category_key, element_key)
);
CREATE INDEX element_category_element ON element_category (element_key);

-- Content an element keeps behind a link of its own (an IP list's addresses, ...), as JSON text.
CREATE TABLE element_resource (
    element_key BIGINT        NOT NULL,
    rel         VARCHAR(64)   NOT NULL,
    content     VARCHAR(1000000) NOT NULL,
    PRIMARY KEY (element_key, rel)
);
