-- The leader's lease (docs/architecture.md, "Leader lease"). The node agent next to the leader renews it
-- while its server answers as the writable leader; a failover promotes another node only after it has run
-- out on this database's clock (plus a margin for the agent's own fence), or at once when the agent gave it
-- up because its server is gone. From the moment a failover of that leader is on record no renewal is
-- granted, so the wait is bounded by one lease. Leases are measured on one clock: this database's.
CREATE TABLE leader_lease (
    cluster_id varchar(63)  PRIMARY KEY REFERENCES cluster (id) ON DELETE CASCADE,
    node       varchar(63)  NOT NULL,
    epoch      bigint       NOT NULL,
    holder     varchar(200) NOT NULL,
    expires_at timestamptz  NOT NULL
);
