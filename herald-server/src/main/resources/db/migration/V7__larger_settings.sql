-- Settings that hold lists (upcoming events, their policy and each administrator's ignore list,
-- the licences the stand-in licence server offers) outgrow 1,024 characters; the code bounds each
-- list, and refuses a setting longer than this column (ElementService.MAX_SETTING_CHARS).
ALTER TABLE server_setting ALTER COLUMN setting_value SET DATA TYPE VARCHAR(1000000);
