-- Which registry instance relays the outbox, and until when (the database's clock). A relay that was
-- paused or cut off loses it after the lease; the next one fences it in Kafka (same transactional id)
-- before it publishes, so an older event can never land after a newer one.
CREATE TABLE outbox_relay (
    id         integer      PRIMARY KEY CHECK (id = 1),
    holder     varchar(63)  NOT NULL,
    expires_at timestamptz  NOT NULL
);
