DROP INDEX communities_parent;
DROP TABLE community_interest;
DROP TABLE community_objectives;
DROP TABLE community_tags;
DROP TABLE community_profiles;
