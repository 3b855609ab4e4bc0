DROP INDEX rsvps_person;
DROP TABLE calendar_secrets;
