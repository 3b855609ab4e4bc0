DROP TABLE weave_travels;
DROP TABLE weaves;
