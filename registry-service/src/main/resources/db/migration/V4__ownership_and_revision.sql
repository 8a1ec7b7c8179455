-- Safety of leader changes (DESIGN.md invariant 1).
--
-- revision: the topology document's version. Every published snapshot of a cluster takes the next
-- one, so consumers can order snapshots without comparing clocks; the leader epoch moves only when
-- the leader changes.
ALTER TABLE cluster ADD COLUMN revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0);

-- Who carries an operation out: a failover-service instance (owner) with a fencing token that grows
-- with every claim, and a lease on the database's clock. Another instance may claim the operation
-- only once the lease has run out; every step is checked against the token first.
CREATE SEQUENCE operation_owner_token;
ALTER TABLE operation ADD COLUMN owner varchar(200);
ALTER TABLE operation ADD COLUMN owner_token bigint;
ALTER TABLE operation ADD COLUMN lease_expires_at timestamptz;
