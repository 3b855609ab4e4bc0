DROP TABLE bridges;
