DROP TABLE directory_sources;
DROP TABLE constellation_members;
DROP TABLE constellations;
DROP TABLE directory_entries;
