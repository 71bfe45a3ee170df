-- The element as it was when a change committed (its stored JSON after a create or update; none
-- for a delete, which shows the last body before it, nor for a status change): what
-- GET /herald/changes/{seq} and the console's "as it was" answer. Pruned with its row.
ALTER TABLE change_log ADD COLUMN body VARCHAR(1000000);
