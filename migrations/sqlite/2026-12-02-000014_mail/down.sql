DROP TABLE account_mail;
DROP TABLE mail_tokens;
DROP TABLE mail_jobs;
