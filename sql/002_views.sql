-- 002_views.sql: the district's figures, computed from the shipped events only.
--
-- Each view reads the events one plugin publishes (plugins/NAME/README.md, "Events"); a figure
-- of a day is counted in the community's own time zone (district.communities.timezone), so
-- the district's figures for a day equal the sum of the communities' `report.daily` for that
-- day (DistrictTests checks it on 100 daemons). Functions take the day (a date, NULL: each
-- community's today); the views beside them answer for today.
--
-- Emergencies and reading were being built when this was written: their views follow the event
-- names of those plugins' branches (emergencies.opened / .acknowledged / .closed with
-- `incident`; reading.post.published with `post` and `channel`), and also accept
-- emergencies.acked and an `id` key. Check them against plugins/emergencies/README.md and
-- plugins/reading-promotion/README.md once merged.

-- ---- Days ---------------------------------------------------------------------------------

-- Each community's day p_day (NULL: its today), with its bounds in its own zone.
CREATE FUNCTION district.community_days(p_day date)
RETURNS TABLE (community text, day date, day_start timestamptz, day_end timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.name, d.day, d.day::timestamp AT TIME ZONE c.timezone, (d.day + 1)::timestamp AT TIME ZONE c.timezone
    FROM district.communities c
    CROSS JOIN LATERAL (SELECT COALESCE(p_day, (now() AT TIME ZONE c.timezone)::date) AS day) d
$$;

-- The local date of an instant in a community's zone.
CREATE FUNCTION district.local_date(p_community text, p_at timestamptz)
RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (p_at AT TIME ZONE c.timezone)::date FROM district.communities c WHERE c.name = p_community
$$;

-- ---- Roster: households and residents ------------------------------------------------------

-- Every household with the number of residents living there now (roster.residents.counted;
-- households only announced by roster.households.added have residents NULL: unknown).
CREATE VIEW district.households AS
WITH counted AS (
    SELECT DISTINCT ON (e.community, h->>'id')
           e.community, h->>'id' AS household, COALESCE(h->>'building', split_part(h->>'id', '-', 1)) AS building,
           (h->>'residents')::integer AS residents
    FROM district.events e
    CROSS JOIN LATERAL jsonb_array_elements(e.data->'households') AS h
    WHERE e.name = 'roster.residents.counted'
    ORDER BY e.community, h->>'id', e.seq DESC, e.idx DESC
), added AS (
    SELECT DISTINCT e.community, h->>'id' AS household, COALESCE(h->>'building', split_part(h->>'id', '-', 1)) AS building
    FROM district.events e
    CROSS JOIN LATERAL jsonb_array_elements(e.data->'households') AS h
    WHERE e.name = 'roster.households.added'
)
SELECT community, household, building, residents FROM counted
UNION ALL
SELECT a.community, a.household, a.building, NULL::integer FROM added a
WHERE NOT EXISTS (SELECT 1 FROM counted c WHERE c.community = a.community AND c.household = a.household);

-- Households, residents and vacant households by building (the roster section's table).
CREATE VIEW district.roster_by_building AS
SELECT community, building, count(*)::integer AS households, COALESCE(sum(residents), 0)::integer AS residents,
       count(*) FILTER (WHERE residents = 0)::integer AS vacant
FROM district.households
GROUP BY community, building;

-- ---- Visits, campaigns and coverage ---------------------------------------------------------

-- Every visit (visits.recorded), in the order the community recorded them (seq).
CREATE VIEW district.visits AS
SELECT community, seq, data->>'campaign' AS campaign,
       CASE WHEN jsonb_typeof(data->'also') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(data->'also')) ELSE '{}'::text[] END AS also,
       data->>'household' AS household,
       COALESCE(data->>'building', split_part(data->>'household', '-', 1)) AS building,
       data->>'outcome' AS outcome,
       (data->>'people')::integer AS people,
       COALESCE((data->>'at')::timestamptz, occurred_at) AS visited_at
FROM district.events
WHERE name = 'visits.recorded';

CREATE VIEW district.campaigns AS
SELECT s.community, s.data->>'campaign' AS campaign, (s.data->>'deadline')::timestamptz AS deadline,
       COALESCE((s.data->>'at')::timestamptz, s.occurred_at) AS started_at,
       (SELECT COALESCE((c.data->>'at')::timestamptz, c.occurred_at) FROM district.events c
        WHERE c.community = s.community AND c.name = 'visits.campaign.closed' AND c.data->>'campaign' = s.data->>'campaign'
        ORDER BY c.seq DESC LIMIT 1) AS closed_at
FROM district.events s
WHERE s.name = 'visits.campaign.started';

-- Households each campaign covers, by building (started, plus households the roster added later).
CREATE VIEW district.campaign_households AS
SELECT e.community, e.data->>'campaign' AS campaign, b->>'building' AS building, sum((b->>'households')::integer)::integer AS households
FROM district.events e
CROSS JOIN LATERAL jsonb_array_elements(e.data->'by_building') AS b
WHERE e.name IN ('visits.campaign.started', 'visits.campaign.joined')
GROUP BY e.community, e.data->>'campaign', b->>'building';

-- Coverage by community, open campaign and building at the end of day p_day: households
-- visited (answered or vacant) before it ends, of those the campaign covers.
CREATE FUNCTION district.coverage(p_day date DEFAULT NULL)
RETURNS TABLE (community text, day date, campaign text, building text, households integer, visited integer, percent numeric)
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT * FROM district.community_days(p_day)),
    open_campaigns AS (
        SELECT c.community, c.campaign FROM district.campaigns c JOIN d USING (community)
        WHERE c.closed_at IS NULL AND c.started_at < d.day_end
    ),
    visited AS (
        SELECT DISTINCT o.community, o.campaign, v.building, v.household
        FROM district.visits v
        JOIN d ON d.community = v.community
        JOIN open_campaigns o ON o.community = v.community AND (v.campaign = o.campaign OR o.campaign = ANY (v.also))
        WHERE v.visited_at < d.day_end AND v.outcome IN ('answered', 'vacant')
    )
    SELECT h.community, d.day, h.campaign, h.building, h.households, count(v.household)::integer,
           CASE WHEN h.households = 0 THEN 100 ELSE round(1000.0 * count(v.household) / h.households) / 10 END
    FROM district.campaign_households h
    JOIN open_campaigns o ON o.community = h.community AND o.campaign = h.campaign
    JOIN d ON d.community = h.community
    LEFT JOIN visited v ON v.community = h.community AND v.campaign = h.campaign AND v.building = h.building
    GROUP BY h.community, d.day, h.campaign, h.building, h.households
$$;

CREATE VIEW district.coverage_today AS SELECT * FROM district.coverage(NULL);

-- Each open campaign at the end of p_day: visited, households, percent, and households whose
-- latest visit for it is a refusal (now), as the visits section's campaigns table.
CREATE FUNCTION district.campaign_progress(p_day date DEFAULT NULL)
RETURNS TABLE (community text, day date, campaign text, visited integer, households integer, percent numeric, refused integer,
               deadline timestamptz)
LANGUAGE sql STABLE AS $$
    WITH cov AS (
        SELECT community, day, campaign, sum(visited)::integer AS visited, sum(households)::integer AS households
        FROM district.coverage(p_day) GROUP BY community, day, campaign
    ),
    latest AS (
        SELECT DISTINCT ON (v.community, c.campaign, v.household) v.community, c.campaign, v.household, v.outcome
        FROM district.visits v
        JOIN district.campaigns c ON c.community = v.community AND (v.campaign = c.campaign OR c.campaign = ANY (v.also))
        ORDER BY v.community, c.campaign, v.household, v.seq DESC
    )
    , refused AS (
        SELECT community, campaign, count(*)::integer AS refused FROM latest WHERE outcome = 'refused' GROUP BY community, campaign
    )
    SELECT cov.community, cov.day, cov.campaign, cov.visited, cov.households,
           CASE WHEN cov.households = 0 THEN 100 ELSE round(1000.0 * cov.visited / cov.households) / 10 END,
           COALESCE(r.refused, 0), c.deadline
    FROM cov JOIN district.campaigns c USING (community, campaign)
    LEFT JOIN refused r USING (community, campaign)
$$;

-- ---- Needs ------------------------------------------------------------------------------------

-- Every need found at a door, open or resolved now (the latest of visits.need.resolved and
-- visits.need.reopened decides).
CREATE VIEW district.needs AS
WITH opened AS (
    SELECT community, (data->>'id')::bigint AS need, data->>'household' AS household, data->>'category' AS category,
           COALESCE((data->>'at')::timestamptz, occurred_at) AS opened_at
    FROM district.events WHERE name = 'visits.need.opened'
), last_change AS (
    SELECT DISTINCT ON (community, (data->>'id')::bigint) community, (data->>'id')::bigint AS need, name,
           COALESCE((data->>'at')::timestamptz, occurred_at) AS changed_at
    FROM district.events WHERE name IN ('visits.need.resolved', 'visits.need.reopened')
    ORDER BY community, (data->>'id')::bigint, seq DESC, idx DESC
)
SELECT o.community, o.need, o.household, split_part(o.household, '-', 1) AS building, o.category, o.opened_at,
       CASE WHEN l.name = 'visits.need.resolved' THEN l.changed_at END AS resolved_at
FROM opened o LEFT JOIN last_change l USING (community, need);

-- Needs open at the end of p_day by category and age (under 24 h, 24–72 h, over 72 h).
CREATE FUNCTION district.needs_open_by_age(p_day date DEFAULT NULL)
RETURNS TABLE (community text, day date, category text, under_24h integer, h24_to_72h integer, over_72h integer)
LANGUAGE sql STABLE AS $$
    SELECT n.community, d.day, n.category,
           count(*) FILTER (WHERE d.day_end - n.opened_at < interval '24 hours')::integer,
           count(*) FILTER (WHERE d.day_end - n.opened_at >= interval '24 hours' AND d.day_end - n.opened_at < interval '72 hours')::integer,
           count(*) FILTER (WHERE d.day_end - n.opened_at >= interval '72 hours')::integer
    FROM district.needs n JOIN district.community_days(p_day) d USING (community)
    WHERE n.opened_at < d.day_end AND (n.resolved_at IS NULL OR n.resolved_at >= d.day_end)
    GROUP BY n.community, d.day, n.category
$$;

CREATE VIEW district.needs_open_by_age_today AS SELECT * FROM district.needs_open_by_age(NULL);

-- Needs opened and resolved per community and local day.
CREATE VIEW district.needs_daily AS
SELECT community, day, sum(opened)::integer AS opened, sum(resolved)::integer AS resolved FROM (
    SELECT community, district.local_date(community, opened_at) AS day, 1 AS opened, 0 AS resolved FROM district.needs
    UNION ALL
    SELECT community, district.local_date(community, resolved_at), 0, 1 FROM district.needs WHERE resolved_at IS NOT NULL
) t GROUP BY community, day;

-- ---- Testing (应检尽检) -------------------------------------------------------------------------

-- Each resident's latest test (visits.tested: `residents` are numbers within the household,
-- never names).
CREATE VIEW district.resident_tests AS
SELECT community, household, building, slot, max(tested_at) AS last_tested_at FROM (
    SELECT e.community, e.data->>'household' AS household, COALESCE(e.data->>'building', split_part(e.data->>'household', '-', 1)) AS building,
           r.slot::integer AS slot, COALESCE((e.data->>'at')::timestamptz, e.occurred_at) AS tested_at
    FROM district.events e
    CROSS JOIN LATERAL jsonb_array_elements_text(e.data->'residents') AS r(slot)
    WHERE e.name = 'visits.tested'
) t
GROUP BY community, household, building, slot;

-- Residents and those tested in the 72 hours before the end of p_day, by building; untested =
-- residents - tested. (A household's tested residents are capped at its residents now: exact
-- unless a tested resident has since left the roster.)
CREATE FUNCTION district.untested(p_day date DEFAULT NULL)
RETURNS TABLE (community text, day date, building text, residents integer, tested_72h integer, untested integer)
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT * FROM district.community_days(p_day)),
    tested AS (
        SELECT t.community, t.household, count(*) AS tested
        FROM district.resident_tests t JOIN d USING (community)
        WHERE t.last_tested_at >= d.day_end - interval '72 hours' AND t.last_tested_at < d.day_end
        GROUP BY t.community, t.household
    ),
    per_household AS (
        SELECT h.community, h.building, COALESCE(h.residents, 0) AS residents,
               LEAST(COALESCE(h.residents, 0), COALESCE(t.tested, 0))::integer AS tested
        FROM district.households h LEFT JOIN tested t USING (community, household)
    )
    SELECT p.community, d.day, p.building, sum(p.residents)::integer, sum(p.tested)::integer, (sum(p.residents) - sum(p.tested))::integer
    FROM per_household p JOIN d USING (community)
    GROUP BY p.community, d.day, p.building
$$;

CREATE VIEW district.untested_today AS SELECT * FROM district.untested(NULL);

-- ---- Supplies: requests, deliveries, cash ----------------------------------------------------

-- Every supply request with when it was delivered or cancelled (status now: open covers
-- open, assigned and out for delivery).
CREATE VIEW district.requests AS
WITH opened AS (
    SELECT community, (data->>'id')::bigint AS request, data->>'household' AS household, data->>'category' AS category,
           (data->>'need')::bigint AS need, data->>'priority' AS priority, COALESCE((data->>'at')::timestamptz, occurred_at) AS opened_at
    FROM district.events WHERE name = 'supplies.request.opened'
), ended AS (
    SELECT community, (data->>'id')::bigint AS request,
           min(COALESCE((data->>'at')::timestamptz, occurred_at)) FILTER (WHERE name = 'supplies.request.delivered') AS delivered_at,
           min(COALESCE((data->>'at')::timestamptz, occurred_at)) FILTER (WHERE name = 'supplies.request.cancelled') AS cancelled_at
    FROM district.events WHERE name IN ('supplies.request.delivered', 'supplies.request.cancelled')
    GROUP BY community, (data->>'id')::bigint
)
SELECT o.*, split_part(o.household, '-', 1) AS building, e.delivered_at, e.cancelled_at,
       CASE WHEN e.delivered_at IS NOT NULL THEN 'delivered' WHEN e.cancelled_at IS NOT NULL THEN 'cancelled' ELSE 'open' END AS status
FROM opened o LEFT JOIN ended e USING (community, request);

-- Requests opened and delivered, and needs fulfilled by a delivery, per community and local day.
CREATE VIEW district.deliveries_daily AS
SELECT community, day, sum(opened)::integer AS requests_opened, sum(delivered)::integer AS requests_delivered,
       sum(fulfilled)::integer AS needs_fulfilled FROM (
    SELECT community, district.local_date(community, opened_at) AS day, 1 AS opened, 0 AS delivered, 0 AS fulfilled FROM district.requests
    UNION ALL
    SELECT community, district.local_date(community, delivered_at), 0, 1, 0 FROM district.requests WHERE delivered_at IS NOT NULL
    UNION ALL
    SELECT community, district.local_date(community, occurred_at), 0, 0, 1 FROM district.events WHERE name = 'supplies.need.fulfilled'
) t GROUP BY community, day;

-- The donations ledger without donors or purposes: every entry's kind and amount in fen.
CREATE VIEW district.cash AS
SELECT community, (data->>'entry')::integer AS entry, data->>'kind' AS kind, (data->>'fen')::bigint AS fen,
       CASE WHEN data->>'kind' = 'donation' THEN (data->>'fen')::bigint ELSE -(data->>'fen')::bigint END AS signed_fen,
       COALESCE((data->>'at')::timestamptz, occurred_at) AS moved_at
FROM district.events
WHERE name = 'supplies.cash.moved';

CREATE VIEW district.cash_daily AS
SELECT community, district.local_date(community, moved_at) AS day,
       sum(signed_fen) FILTER (WHERE kind <> 'spend')::bigint AS in_fen,
       sum(fen) FILTER (WHERE kind = 'spend')::bigint AS out_fen
FROM district.cash
GROUP BY community, district.local_date(community, moved_at);

-- ---- Emergencies: incidents and response times -------------------------------------------------

CREATE VIEW district.incidents AS
WITH opened AS (
    SELECT community, COALESCE(data->>'incident', data->>'id')::bigint AS incident, data->>'kind' AS kind,
           NULLIF(data->>'building', '-') AS building, occurred_at AS opened_at
    FROM district.events WHERE name = 'emergencies.opened'
), acked AS (
    SELECT DISTINCT ON (community, COALESCE(data->>'incident', data->>'id')::bigint)
           community, COALESCE(data->>'incident', data->>'id')::bigint AS incident, occurred_at AS acknowledged_at,
           (data->>'seconds')::numeric AS seconds
    FROM district.events WHERE name IN ('emergencies.acknowledged', 'emergencies.acked')
    ORDER BY community, COALESCE(data->>'incident', data->>'id')::bigint, seq
), closed AS (
    SELECT DISTINCT ON (community, COALESCE(data->>'incident', data->>'id')::bigint)
           community, COALESCE(data->>'incident', data->>'id')::bigint AS incident, occurred_at AS closed_at, data->>'outcome' AS outcome
    FROM district.events WHERE name = 'emergencies.closed'
    ORDER BY community, COALESCE(data->>'incident', data->>'id')::bigint, seq DESC
)
SELECT o.community, o.incident, o.kind, o.building, o.opened_at, a.acknowledged_at,
       COALESCE(a.seconds, extract(epoch FROM a.acknowledged_at - o.opened_at)) AS response_seconds,
       c.closed_at, c.outcome
FROM opened o
LEFT JOIN acked a USING (community, incident)
LEFT JOIN closed c USING (community, incident);

-- Incidents per community, local day and kind, with response times (call to acknowledgement).
CREATE VIEW district.incidents_daily AS
SELECT community, district.local_date(community, opened_at) AS day, kind, count(*)::integer AS incidents,
       count(acknowledged_at)::integer AS acknowledged, count(closed_at)::integer AS closed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response_seconds) AS response_seconds_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY response_seconds) AS response_seconds_p90,
       max(response_seconds) AS response_seconds_max
FROM district.incidents
GROUP BY community, district.local_date(community, opened_at), kind;

-- ---- Reading promotion: posts by channel --------------------------------------------------------

CREATE VIEW district.posts AS
SELECT community, COALESCE(data->>'post', data->>'id')::bigint AS post, data->>'channel' AS channel, occurred_at AS published_at
FROM district.events
WHERE name = 'reading.post.published';

CREATE VIEW district.posts_by_channel AS
SELECT community, district.local_date(community, published_at) AS day, channel, count(*)::integer AS posts
FROM district.posts
GROUP BY community, district.local_date(community, published_at), channel;

-- ---- The nightly report ------------------------------------------------------------------------

-- Every community's figures of day p_day (NULL: its today), named as in its own
-- `report.daily` (sections roster, visits, supplies), plus emergencies and reading. Money is
-- in yuan. The district's report is the sum over communities:
--   SELECT section, figure, sum(value) FROM district.nightly('2022-01-12') GROUP BY 1, 2;
CREATE FUNCTION district.nightly(p_day date DEFAULT NULL)
RETURNS TABLE (community text, day date, section text, figure text, value numeric)
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT * FROM district.community_days(p_day)),
    roster AS (
        SELECT h.community, count(DISTINCT h.building) AS buildings, count(*) AS households,
               COALESCE(sum(h.residents), 0) AS residents, count(*) FILTER (WHERE h.residents = 0) AS vacant
        FROM district.households h GROUP BY h.community
    ),
    latest_of_day AS (
        SELECT DISTINCT ON (v.community, v.campaign, v.household) v.community, v.household, v.outcome, v.people
        FROM district.visits v JOIN d USING (community)
        WHERE v.visited_at >= d.day_start AND v.visited_at < d.day_end
        ORDER BY v.community, v.campaign, v.household, v.seq DESC
    ),
    visits AS (
        SELECT community,
               count(DISTINCT household) FILTER (WHERE outcome IN ('answered', 'vacant')) AS households_visited,
               COALESCE(sum(people) FILTER (WHERE outcome = 'answered'), 0) AS people_counted,
               count(DISTINCT household) FILTER (WHERE outcome = 'refused') AS households_refused
        FROM latest_of_day GROUP BY community
    ),
    last_visit AS (
        SELECT DISTINCT ON (community, household) community, household, outcome
        FROM district.visits ORDER BY community, household, seq DESC
    ),
    followups AS (
        SELECT community, count(*) AS followups FROM (
            SELECT community, household FROM last_visit WHERE outcome = 'refused'
            UNION
            SELECT community, household FROM district.needs WHERE resolved_at IS NULL
        ) f GROUP BY community
    ),
    needs AS (
        SELECT n.community,
               count(*) FILTER (WHERE n.opened_at >= d.day_start) AS needs_opened,
               count(*) FILTER (WHERE n.resolved_at >= d.day_start AND n.resolved_at < d.day_end) AS needs_resolved,
               count(*) FILTER (WHERE n.resolved_at IS NULL OR n.resolved_at >= d.day_end) AS needs_open
        FROM district.needs n JOIN d USING (community)
        WHERE n.opened_at < d.day_end
        GROUP BY n.community
    ),
    tested AS (
        SELECT t.community, count(*) FILTER (WHERE t.last_tested_at >= d.day_start AND t.last_tested_at < d.day_end) AS residents_tested
        FROM district.resident_tests t JOIN d USING (community) GROUP BY t.community
    ),
    untested AS (
        SELECT community, sum(residents) AS residents, sum(tested_72h) AS tested_72h, sum(untested) AS untested
        FROM district.untested(p_day) GROUP BY community
    ),
    requests AS (
        SELECT r.community,
               count(*) FILTER (WHERE r.opened_at >= d.day_start) AS requests_opened,
               count(*) FILTER (WHERE r.delivered_at >= d.day_start AND r.delivered_at < d.day_end) AS requests_delivered,
               count(*) FILTER (WHERE r.status = 'open' AND d.day_end - r.opened_at < interval '24 hours') AS open_under_24h,
               count(*) FILTER (WHERE r.status = 'open' AND d.day_end - r.opened_at >= interval '24 hours'
                                AND d.day_end - r.opened_at < interval '72 hours') AS open_24h_to_72h,
               count(*) FILTER (WHERE r.status = 'open' AND d.day_end - r.opened_at >= interval '72 hours') AS open_over_72h
        FROM district.requests r JOIN d USING (community)
        WHERE r.opened_at < d.day_end
        GROUP BY r.community
    ),
    cash AS (
        SELECT c.community,
               COALESCE(sum(c.signed_fen) FILTER (WHERE c.kind <> 'spend' AND c.moved_at >= d.day_start AND c.moved_at < d.day_end), 0) AS in_fen,
               COALESCE(sum(c.fen) FILTER (WHERE c.kind = 'spend' AND c.moved_at >= d.day_start AND c.moved_at < d.day_end), 0) AS out_fen,
               sum(c.signed_fen) AS balance_fen
        FROM district.cash c JOIN d USING (community) GROUP BY c.community
    ),
    incidents AS (
        SELECT i.community,
               count(*) FILTER (WHERE i.opened_at >= d.day_start AND i.opened_at < d.day_end) AS incidents_opened,
               count(*) FILTER (WHERE i.closed_at >= d.day_start AND i.closed_at < d.day_end) AS incidents_closed,
               count(*) FILTER (WHERE i.opened_at < d.day_end AND (i.closed_at IS NULL OR i.closed_at >= d.day_end)) AS incidents_open,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY i.response_seconds)
                   FILTER (WHERE i.opened_at >= d.day_start AND i.opened_at < d.day_end) AS response_seconds_median
        FROM district.incidents i JOIN d USING (community) GROUP BY i.community
    ),
    posts AS (
        SELECT p.community, count(*) AS posts_published
        FROM district.posts p JOIN d USING (community)
        WHERE p.published_at >= d.day_start AND p.published_at < d.day_end
        GROUP BY p.community
    )
    SELECT d.community, d.day, f.section, f.figure, f.value
    FROM d
    LEFT JOIN roster r USING (community)
    LEFT JOIN visits v USING (community)
    LEFT JOIN followups fu USING (community)
    LEFT JOIN needs n USING (community)
    LEFT JOIN tested t USING (community)
    LEFT JOIN untested u USING (community)
    LEFT JOIN requests rq USING (community)
    LEFT JOIN cash c USING (community)
    LEFT JOIN incidents i USING (community)
    LEFT JOIN posts p USING (community)
    CROSS JOIN LATERAL (VALUES
        ('roster', 'buildings', COALESCE(r.buildings, 0)::numeric),
        ('roster', 'households', COALESCE(r.households, 0)),
        ('roster', 'residents', COALESCE(r.residents, 0)),
        ('roster', 'vacant', COALESCE(r.vacant, 0)),
        ('visits', 'households_visited', COALESCE(v.households_visited, 0)),
        ('visits', 'people_counted', COALESCE(v.people_counted, 0)),
        ('visits', 'households_refused', COALESCE(v.households_refused, 0)),
        ('visits', 'followups', COALESCE(fu.followups, 0)),
        ('visits', 'needs_opened', COALESCE(n.needs_opened, 0)),
        ('visits', 'needs_resolved', COALESCE(n.needs_resolved, 0)),
        ('visits', 'needs_open', COALESCE(n.needs_open, 0)),
        ('visits', 'residents_tested', COALESCE(t.residents_tested, 0)),
        ('visits', 'testing_percent', CASE WHEN COALESCE(u.residents, 0) = 0 THEN 100 ELSE round(1000.0 * u.tested_72h / u.residents) / 10 END),
        ('visits', 'untested', COALESCE(u.untested, 0)),
        ('supplies', 'requests_opened', COALESCE(rq.requests_opened, 0)),
        ('supplies', 'requests_delivered', COALESCE(rq.requests_delivered, 0)),
        ('supplies', 'open_under_24h', COALESCE(rq.open_under_24h, 0)),
        ('supplies', 'open_24h_to_72h', COALESCE(rq.open_24h_to_72h, 0)),
        ('supplies', 'open_over_72h', COALESCE(rq.open_over_72h, 0)),
        ('supplies', 'cash_in', COALESCE(c.in_fen, 0) / 100.0),
        ('supplies', 'cash_out', COALESCE(c.out_fen, 0) / 100.0),
        ('supplies', 'balance', COALESCE(c.balance_fen, 0) / 100.0),
        ('emergencies', 'incidents_opened', COALESCE(i.incidents_opened, 0)),
        ('emergencies', 'incidents_closed', COALESCE(i.incidents_closed, 0)),
        ('emergencies', 'incidents_open', COALESCE(i.incidents_open, 0)),
        ('emergencies', 'response_seconds_median', i.response_seconds_median::numeric),
        ('reading', 'posts_published', COALESCE(p.posts_published, 0))
    ) AS f(section, figure, value)
$$;

CREATE VIEW district.nightly_today AS SELECT * FROM district.nightly(NULL);
