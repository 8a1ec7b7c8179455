-- Which registry process wrote an outbox row: the relay passes it on as a Kafka header, so that
-- the writer's own topology view skips the events it already applied.
ALTER TABLE outbox ADD COLUMN origin varchar(63);
