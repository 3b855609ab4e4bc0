DROP TABLE directory_sources;
DROP TABLE constellation_members;
DROP TABLE constellations;
DROP TRIGGER directory_entries_au;
DROP TRIGGER directory_entries_ad;
DROP TRIGGER directory_entries_ai;
DROP TABLE directory_fts;
DROP TABLE directory_entries;
