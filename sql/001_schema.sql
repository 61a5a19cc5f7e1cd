-- 001_schema.sql: the district's copy of every community's committed events.
--
-- Applied by `doorstep-ship --migrate` (once per database, in a transaction, recorded in
-- district.schema_migrations). Written by doorstep-ship only: one row per event, keyed by
-- (community, seq, idx), so a batch shipped twice is stored once.

CREATE SCHEMA IF NOT EXISTS district;

-- One row per community that has shipped: its name (the key of its rows), its time zone (where
-- its days begin, for the views), whether it ships personal data, and its partition.
CREATE TABLE district.communities (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    timezone    text NOT NULL,
    personal    boolean NOT NULL DEFAULT false,
    partition   text NOT NULL DEFAULT '',
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- Where each community's stream stands: every event with seq < cursors.seq is in
-- district.events, and those of seq = cursors.seq that the shipper had read when it committed
-- (a record's events may straddle two batches; the next batch starts at that record again).
-- Moved in the same transaction as the rows it covers.
CREATE TABLE district.cursors (
    community   text PRIMARY KEY REFERENCES district.communities (name),
    seq         bigint NOT NULL DEFAULT 0,
    shipped     bigint NOT NULL DEFAULT 0,
    batches     bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every event shipped, partitioned by community (a partition per community, created by
-- district.register_community when it first ships).
--   seq          the daemon's journal sequence number (shared by the events one change announces)
--   idx          the event's place among those events (0, 1, …)
--   occurred_at  the time of the change, as the daemon recorded it (second precision)
--   data         the event's data after the privacy filter ([ship] personal = false: ids,
--                counts, kinds, times; docs/district.md)
--   withheld     the paths of data the filter kept at home (note, phone, …)
--   shipped_at   when the row was written (the transaction's clock): lag = shipped_at - occurred_at
CREATE TABLE district.events (
    community    text NOT NULL,
    seq          bigint NOT NULL,
    idx          integer NOT NULL,
    name         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    data         jsonb NOT NULL,
    withheld     text[] NOT NULL DEFAULT '{}',
    shipped_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (community, seq, idx)
) PARTITION BY LIST (community);

CREATE INDEX events_by_name ON district.events (community, name, seq);

-- Ranges of a community's stream the district will never have: the daemon had compacted them
-- away before they were shipped, and `doorstep-ship --resume-from-oldest` went on without them.
CREATE TABLE district.gaps (
    community   text NOT NULL REFERENCES district.communities (name),
    from_seq    bigint NOT NULL,
    to_seq      bigint NOT NULL,
    noted_at    timestamptz NOT NULL DEFAULT now()
);

-- Registers a community (or updates its time zone and personal flag), creates its partition
-- on first use, and returns its cursor. SECURITY DEFINER: the shipper's role needs no right to
-- create tables (docs/district.md, "Roles").
CREATE FUNCTION district.register_community(p_name text, p_timezone text, p_personal boolean)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c_id   integer;
    c_part text;
    c_seq  bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p_timezone) THEN
        RAISE EXCEPTION 'community %: time zone "%" is unknown to this PostgreSQL', p_name, p_timezone;
    END IF;
    -- One registration at a time: creating a partition locks the parent table.
    PERFORM pg_advisory_xact_lock(hashtext('doorstep-ship: register_community'));
    INSERT INTO district.communities AS c (name, timezone, personal)
    VALUES (p_name, p_timezone, p_personal)
    ON CONFLICT (name) DO UPDATE SET timezone = EXCLUDED.timezone, personal = EXCLUDED.personal, last_seen = now()
    RETURNING c.id INTO c_id;
    c_part := 'events_' || c_id;
    IF to_regclass('district.' || quote_ident(c_part)) IS NULL THEN
        EXECUTE format('CREATE TABLE district.%I PARTITION OF district.events FOR VALUES IN (%L)', c_part, p_name);
        UPDATE district.communities SET partition = c_part WHERE id = c_id;
    END IF;
    INSERT INTO district.cursors (community) VALUES (p_name) ON CONFLICT (community) DO NOTHING;
    -- FOR UPDATE: waits for a batch still being committed (by a shipper that was just stopped)
    -- and reads the cursor it leaves.
    SELECT seq INTO c_seq FROM district.cursors WHERE community = p_name FOR UPDATE;
    RETURN c_seq;
END
$$;

