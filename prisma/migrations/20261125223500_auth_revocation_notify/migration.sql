-- API processes cache verified sessions and access tokens for a short time (src/auth/identity-cache.ts).
-- Every revocation, however it is written (signoutUser, `npm run token -- revoke`, a cascade, a
-- hand-written UPDATE), announces itself on commit, so each process drops that entry before its next
-- request. Written by hand: Prisma's diff does not see functions or triggers. \073 is a semicolon
-- (the migration runner splits scripts on every one).
CREATE FUNCTION paygraph_notify_auth_revoked() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''paygraph_auth'', json_build_object(''kind'', TG_ARGV[0], ''id'', OLD.id::text)::text)\073 RETURN NULL\073 END';

CREATE TRIGGER session_revoked AFTER UPDATE OR DELETE ON "Session"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_auth_revoked('session');
CREATE TRIGGER access_token_revoked AFTER UPDATE OR DELETE ON "AccessToken"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_auth_revoked('token');
