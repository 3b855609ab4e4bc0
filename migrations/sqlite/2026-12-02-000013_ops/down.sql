DROP TABLE blocked_instances;
