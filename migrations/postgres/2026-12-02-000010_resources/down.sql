DROP TABLE resource_versions;
DROP TABLE resources;
DROP TABLE resource_folders;
