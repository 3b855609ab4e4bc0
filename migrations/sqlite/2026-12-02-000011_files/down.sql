DROP INDEX files_community;
DROP INDEX files_sha256;
DROP TABLE files;
