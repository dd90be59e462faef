-- metrics.sql -- the metric catalogue (analysis/METRICS.md) as SQL views over
-- the tables of analysis/schema.sql, for BI tools and notebooks.
--
-- The same definitions as analysis/metrics.c; tests/test_metrics.c runs both
-- on the same logs and requires equal results.  Bots are always excluded here
-- (metrics.c's default).  Only runs with start_ts and days set are measured.
-- `day` is the local day index (0 = the local date of runs.start_ts); its date
-- is date(s0 + 86400 * day + utc_offset, 'unixepoch') with s0 from v_run.
-- Undefined ratios are NULL.  Needs SQLite >= 3.25 (window functions).
--
-- Main views:  v_daily(run_id, group_id, day, metric, value)      long form
--              v_summary(run_id, group_id, metric, value)         long form
--              v_daily_wide, v_summary_wide                       one column a metric
-- group_id 0 is the whole run, each person (member_id) counted once.

-- Runs with their day grid: day0 = local day number of start_ts, s0 = unix
-- time of the local midnight starting day 0, nd = number of days.
-- floor(x / 86400) is written (x - ((x % 86400) + 86400) % 86400) / 86400 so
-- that it also holds for negative x.
CREATE VIEW IF NOT EXISTS v_run AS
SELECT run_id, utc_offset AS off, days AS nd,
       ((start_ts + utc_offset) - (((start_ts + utc_offset) % 86400) + 86400) % 86400) / 86400 AS day0,
       ((start_ts + utc_offset) - (((start_ts + utc_offset) % 86400) + 86400) % 86400) - utc_offset AS s0
FROM runs
WHERE start_ts IS NOT NULL AND days > 0;

-- Days 0..nd-1 of every run.
CREATE VIEW IF NOT EXISTS v_days AS
WITH RECURSIVE d(run_id, day, nd) AS (
    SELECT run_id, 0, nd FROM v_run
    UNION ALL
    SELECT run_id, day + 1, nd FROM d WHERE day + 1 < nd)
SELECT run_id, day FROM d;

-- Counted events: inside the window, with an actor, not system notices, not
-- by a bot (an actor without a membership row counts).
CREATE VIEW IF NOT EXISTS v_ev AS
SELECT e.run_id, e.group_id, e.member_id, e.ts, e.kind, e.value, e.msg_id, e.ref_id, r.s0, r.nd,
       ((e.ts - r.s0) - (((e.ts - r.s0) % 86400) + 86400) % 86400) / 86400 AS day,
       e.kind IN ('message', 'reply', 'question', 'answer', 'checkin', 'announce', 'post',
                  'submission') AS is_msg,
       e.kind IN ('message', 'reply', 'question', 'answer', 'checkin', 'announce', 'post',
                  'submission', 'vote', 'reaction', 'share') AS is_int
FROM events e
JOIN v_run r ON r.run_id = e.run_id
LEFT JOIN members m ON m.run_id = e.run_id AND m.group_id = e.group_id AND m.member_id = e.member_id
WHERE e.member_id IS NOT NULL AND e.member_id >= 0 AND e.kind <> 'system'
  AND COALESCE(m.role, 'member') <> 'bot'
  AND e.ts >= r.s0 AND e.ts < r.s0 + 86400 * r.nd;

-- Groups measured: 0, every group with a membership, every group with an
-- event (of any kind) inside the window.
CREATE VIEW IF NOT EXISTS v_groups AS
SELECT run_id, 0 AS group_id FROM v_run
UNION
SELECT m.run_id, m.group_id FROM members m JOIN v_run r ON r.run_id = m.run_id
UNION
SELECT e.run_id, e.group_id FROM events e JOIN v_run r ON r.run_id = e.run_id
WHERE e.ts >= r.s0 AND e.ts < r.s0 + 86400 * r.nd;

-- Non-bot membership spells (table spells: one row per join-leave interval)
-- on the day grid: present at the end of day d iff lo <= d and (hi IS NULL or
-- d < hi).  left_ts NULL (or -1) = still a member.  founder = 1 for a spell
-- of source 'seed' (present at the start): not a join.  This is the view to
-- read presence from (one row per spell; a rejoiner has several).
CREATE VIEW IF NOT EXISTS v_membership AS
SELECT p.run_id, p.group_id, p.member_id, p.spell, p.source, p.inviter_id, p.joined_ts,
       NULLIF(p.left_ts, -1) AS left_ts, r.s0, r.nd, p.source = 'seed' AS founder,
       ((p.joined_ts - r.s0) - (((p.joined_ts - r.s0) % 86400) + 86400) % 86400) / 86400 AS lo,
       CASE WHEN p.left_ts IS NULL OR p.left_ts = -1 THEN NULL
            ELSE ((p.left_ts - r.s0) - (((p.left_ts - r.s0) % 86400) + 86400) % 86400) / 86400
       END AS hi
FROM spells p
JOIN members m ON m.run_id = p.run_id AND m.group_id = p.group_id AND m.member_id = p.member_id
JOIN v_run r ON r.run_id = p.run_id
WHERE m.role <> 'bot' AND p.member_id >= 0;

-- Messages per member and day; group 0 rows per person over all groups.
CREATE VIEW IF NOT EXISTS v_speaker_days AS
SELECT run_id, group_id, member_id, day, COUNT(*) AS n
FROM v_ev WHERE is_msg GROUP BY run_id, group_id, member_id, day
UNION ALL
SELECT run_id, 0, member_id, day, COUNT(*)
FROM v_ev WHERE is_msg GROUP BY run_id, member_id, day;

-- Event counts per group and day (group 0: sums; dau: distinct persons).
CREATE VIEW IF NOT EXISTS v_event_days AS
SELECT run_id, group_id, day,
       COUNT(DISTINCT CASE WHEN is_msg THEN member_id END) AS dau,
       SUM(is_msg) AS messages, SUM(is_int) AS interactions,
       SUM(kind = 'mute') AS mutes, SUM(kind = 'question') AS questions,
       SUM(kind = 'invite') AS invites, SUM(kind = 'share') AS shares,
       SUM(kind = 'submission') AS ugc, SUM(kind = 'purchase') AS purchases,
       SUM(kind IN ('post', 'announce', 'submission')) AS items,
       TOTAL(CASE WHEN kind = 'purchase' THEN value END) AS order_value
FROM v_ev GROUP BY run_id, group_id, day
UNION ALL
SELECT run_id, 0, day,
       COUNT(DISTINCT CASE WHEN is_msg THEN member_id END),
       SUM(is_msg), SUM(is_int), SUM(kind = 'mute'), SUM(kind = 'question'),
       SUM(kind = 'invite'), SUM(kind = 'share'), SUM(kind = 'submission'),
       SUM(kind = 'purchase'), SUM(kind IN ('post', 'announce', 'submission')),
       TOTAL(CASE WHEN kind = 'purchase' THEN value END)
FROM v_ev GROUP BY run_id, day;

-- Members present at the end of each day.
CREATE VIEW IF NOT EXISTS v_member_days AS
SELECT d.run_id, m.group_id, d.day, COUNT(*) AS members
FROM v_days d JOIN v_membership m
  ON m.run_id = d.run_id AND m.lo <= d.day AND (m.hi IS NULL OR d.day < m.hi)
GROUP BY d.run_id, m.group_id, d.day
UNION ALL
SELECT d.run_id, 0, d.day, COUNT(DISTINCT m.member_id)
FROM v_days d JOIN v_membership m
  ON m.run_id = d.run_id AND m.lo <= d.day AND (m.hi IS NULL OR d.day < m.hi)
GROUP BY d.run_id, d.day;

-- Joins in the window: spells starting inside it, founders' excluded (one
-- row per spell; group 0: per person and day).
CREATE VIEW IF NOT EXISTS v_joiners AS
SELECT run_id, group_id, member_id, lo AS day, source IN ('invite', 'qr') AS referral
FROM v_membership WHERE lo >= 0 AND lo < nd AND NOT founder
UNION ALL
SELECT run_id, 0, member_id, lo, MAX(source IN ('invite', 'qr'))
FROM v_membership WHERE lo >= 0 AND lo < nd AND NOT founder GROUP BY run_id, member_id, lo;

CREATE VIEW IF NOT EXISTS v_join_leave_days AS
SELECT run_id, group_id, day, COUNT(*) AS joins, 0 AS leaves
FROM v_joiners GROUP BY run_id, group_id, day
UNION ALL
SELECT run_id, group_id, hi, 0, COUNT(*)
FROM v_membership WHERE hi >= 0 AND hi < nd GROUP BY run_id, group_id, hi
UNION ALL
SELECT run_id, 0, hi, 0, COUNT(DISTINCT member_id)
FROM v_membership WHERE hi >= 0 AND hi < nd GROUP BY run_id, hi;

-- Speaker cohorts: for each speaker-day, the next day the member speaks.
CREATE VIEW IF NOT EXISTS v_retention_days AS
SELECT run_id, group_id, day, COUNT(*) AS cohort,
       SUM(nxt IS NOT NULL AND nxt - day <= 1) AS r1,
       SUM(nxt IS NOT NULL AND nxt - day <= 7) AS r7,
       SUM(nxt IS NOT NULL AND nxt - day <= 30) AS r30
FROM (SELECT run_id, group_id, member_id, day,
             LEAD(day) OVER (PARTITION BY run_id, group_id, member_id ORDER BY day) AS nxt
      FROM v_speaker_days)
GROUP BY run_id, group_id, day;

-- Joiner cohorts: first message on the join day or within the next 7 days
-- (one per membership and join day).
CREATE VIEW IF NOT EXISTS v_new_retention_days AS
SELECT run_id, group_id, day, COUNT(*) AS cohort,
       SUM(f IS NOT NULL AND f - day <= 1) AS n1, SUM(f IS NOT NULL) AS n7
FROM (SELECT j.run_id, j.group_id, j.member_id, j.day, MIN(s.day) AS f
      FROM v_joiners j
      LEFT JOIN v_speaker_days s
        ON s.run_id = j.run_id AND s.group_id = j.group_id AND s.member_id = j.member_id
       AND s.day BETWEEN j.day AND j.day + 7
      GROUP BY j.run_id, j.group_id, j.member_id, j.day)
GROUP BY run_id, group_id, day;

-- 30-day windows d-29..d a membership was present for as a whole (group 0:
-- through any membership), and the messages sent in them (a running sum over
-- a dense member x day grid).
CREATE VIEW IF NOT EXISTS v_heavy_days AS
WITH u(run_id, group_id, member_id, day) AS (
    SELECT d.run_id, m.group_id, m.member_id, d.day
    FROM v_days d JOIN v_membership m ON m.run_id = d.run_id
    WHERE d.day >= 29 AND m.joined_ts <= m.s0 + 86400 * (d.day - 29)
      AND (m.left_ts IS NULL OR m.left_ts >= m.s0 + 86400 * (d.day + 1))),
uu(run_id, group_id, member_id, day) AS (
    SELECT run_id, group_id, member_id, day FROM u
    UNION
    SELECT run_id, 0, member_id, day FROM u),
units AS (SELECT DISTINCT run_id, group_id, member_id FROM uu),
w AS (
    SELECT x.run_id, x.group_id, x.member_id, d.day,
           SUM(COALESCE(s.n, 0)) OVER (PARTITION BY x.run_id, x.group_id, x.member_id ORDER BY d.day
                                       ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS msgs
    FROM units x JOIN v_days d ON d.run_id = x.run_id
    LEFT JOIN v_speaker_days s
      ON s.run_id = x.run_id AND s.group_id = x.group_id AND s.member_id = x.member_id AND s.day = d.day)
SELECT uu.run_id, uu.group_id, uu.day, COUNT(*) AS eligible, SUM(w.msgs > 50) AS heavy
FROM uu JOIN w ON w.run_id = uu.run_id AND w.group_id = uu.group_id AND w.member_id = uu.member_id
              AND w.day = uu.day
GROUP BY uu.run_id, uu.group_id, uu.day;

CREATE VIEW IF NOT EXISTS v_daily_wide AS
SELECT g.run_id, g.group_id, d.day,
       COALESCE(e.dau, 0) AS dau,
       COALESCE(e.messages, 0) AS messages,
       COALESCE(e.interactions, 0) AS interactions,
       COALESCE(md.members, 0) AS members,
       COALESCE(jl.joins, 0) AS joins,
       COALESCE(jl.leaves, 0) AS leaves,
       COALESCE(e.mutes, 0) AS mutes,
       CASE WHEN d.day + 1 <= r.nd - 1 AND rt.cohort > 0 THEN CAST(rt.r1 AS REAL) / rt.cohort END AS retention_1d,
       CASE WHEN d.day + 7 <= r.nd - 1 AND rt.cohort > 0 THEN CAST(rt.r7 AS REAL) / rt.cohort END AS retention_7d,
       CASE WHEN d.day + 30 <= r.nd - 1 AND rt.cohort > 0 THEN CAST(rt.r30 AS REAL) / rt.cohort END AS retention_30d,
       CASE WHEN d.day + 1 <= r.nd - 1 AND nr.cohort > 0 THEN CAST(nr.n1 AS REAL) / nr.cohort END AS new_retention_1d,
       CASE WHEN d.day + 7 <= r.nd - 1 AND nr.cohort > 0 THEN CAST(nr.n7 AS REAL) / nr.cohort END AS new_retention_7d,
       CASE WHEN hv.eligible > 0 THEN CAST(hv.heavy AS REAL) / hv.eligible END AS heavy_30d,
       COALESCE(e.questions, 0) AS questions,
       COALESCE(e.invites, 0) AS invites,
       COALESCE(e.shares, 0) AS shares,
       COALESCE(e.ugc, 0) AS ugc,
       COALESCE(e.purchases, 0) AS purchases
FROM v_groups g
JOIN v_run r ON r.run_id = g.run_id
JOIN v_days d ON d.run_id = g.run_id
LEFT JOIN v_event_days e ON e.run_id = g.run_id AND e.group_id = g.group_id AND e.day = d.day
LEFT JOIN v_member_days md ON md.run_id = g.run_id AND md.group_id = g.group_id AND md.day = d.day
LEFT JOIN (SELECT run_id, group_id, day, SUM(joins) AS joins, SUM(leaves) AS leaves
           FROM v_join_leave_days GROUP BY run_id, group_id, day) jl
       ON jl.run_id = g.run_id AND jl.group_id = g.group_id AND jl.day = d.day
LEFT JOIN v_retention_days rt ON rt.run_id = g.run_id AND rt.group_id = g.group_id AND rt.day = d.day
LEFT JOIN v_new_retention_days nr ON nr.run_id = g.run_id AND nr.group_id = g.group_id AND nr.day = d.day
LEFT JOIN v_heavy_days hv ON hv.run_id = g.run_id AND hv.group_id = g.group_id AND hv.day = d.day;

-- Response: each eligible question (24 h follow-up inside the window) and the
-- time to the first message by someone else at a later second, within 24 h
-- (the answer is inside the window then; written over `events` directly so
-- the index on (run_id, group_id, ts) bounds the search to those 24 h).
CREATE VIEW IF NOT EXISTS v_response AS
SELECT q.run_id, q.group_id, q.member_id, q.ts,
       (SELECT MIN(a.ts) FROM events a
        LEFT JOIN members am
          ON am.run_id = a.run_id AND am.group_id = a.group_id AND am.member_id = a.member_id
        WHERE a.run_id = q.run_id AND a.group_id = q.group_id
          AND a.ts > q.ts AND a.ts <= q.ts + 86400
          AND a.kind IN ('message', 'reply', 'question', 'answer', 'checkin', 'announce', 'post',
                         'submission')
          AND a.member_id >= 0 AND a.member_id <> q.member_id
          AND COALESCE(am.role, 'member') <> 'bot') - q.ts AS rt
FROM v_ev q
WHERE q.kind = 'question' AND q.ts + 86400 < q.s0 + 86400 * q.nd;

-- Linked answers: each eligible question that has a msg_id and the time to
-- the first answer/reply by someone else whose ref_id is that msg_id (at the
-- same second or later, within 24 h).
CREATE VIEW IF NOT EXISTS v_answer AS
SELECT q.run_id, q.group_id, q.member_id, q.ts,
       (SELECT MIN(a.ts) FROM events a
        LEFT JOIN members am
          ON am.run_id = a.run_id AND am.group_id = a.group_id AND am.member_id = a.member_id
        WHERE a.run_id = q.run_id AND a.group_id = q.group_id
          AND a.ts >= q.ts AND a.ts <= q.ts + 86400
          AND a.kind IN ('answer', 'reply') AND a.ref_id = q.msg_id
          AND a.member_id >= 0 AND a.member_id <> q.member_id
          AND COALESCE(am.role, 'member') <> 'bot') - q.ts AS rt
FROM v_ev q
WHERE q.kind = 'question' AND q.msg_id IS NOT NULL AND q.msg_id >= 0
  AND q.ts + 86400 < q.s0 + 86400 * q.nd;

-- Nearest-rank median and 90th percentile (x[ceil(p n)]) per group; group 0
-- pools.  rule 'first' = v_response, 'linked' = v_answer.
CREATE VIEW IF NOT EXISTS v_response_summary AS
WITH r AS (SELECT 'first' AS rule, run_id, group_id, rt FROM v_response
           UNION ALL SELECT 'first', run_id, 0, rt FROM v_response
           UNION ALL SELECT 'linked', run_id, group_id, rt FROM v_answer
           UNION ALL SELECT 'linked', run_id, 0, rt FROM v_answer),
a AS (SELECT rule, run_id, group_id, rt,
             ROW_NUMBER() OVER (PARTITION BY rule, run_id, group_id ORDER BY rt) AS rn,
             COUNT(*) OVER (PARTITION BY rule, run_id, group_id) AS n
      FROM r WHERE rt IS NOT NULL)
SELECT c.rule, c.run_id, c.group_id, c.eligible, c.answered, q.median, q.p90
FROM (SELECT rule, run_id, group_id, COUNT(*) AS eligible, COUNT(rt) AS answered
      FROM r GROUP BY rule, run_id, group_id) c
LEFT JOIN (SELECT rule, run_id, group_id,
                  MAX(CASE WHEN rn = (n + 1) / 2 THEN rt END) AS median,
                  MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN rt END) AS p90
           FROM a GROUP BY rule, run_id, group_id) q
  ON q.rule = c.rule AND q.run_id = c.run_id AND q.group_id = c.group_id;

-- Distinct members' campaign flags over the window (group 0: per person).
CREATE VIEW IF NOT EXISTS v_member_flags AS
SELECT run_id, group_id, member_id,
       MAX(kind IN ('exposure', 'participate')) AS exposed, MAX(kind = 'participate') AS part,
       MAX(kind = 'complete') AS complete, MAX(kind = 'share') AS shared,
       MAX(kind = 'purchase') AS purchased
FROM v_ev GROUP BY run_id, group_id, member_id
UNION ALL
SELECT run_id, 0, member_id,
       MAX(kind IN ('exposure', 'participate')), MAX(kind = 'participate'),
       MAX(kind = 'complete'), MAX(kind = 'share'), MAX(kind = 'purchase')
FROM v_ev GROUP BY run_id, member_id;

-- Presence over the window: present at some day's end (ever) and at the end
-- of the last day (at_end), with the last day the member spoke.
CREATE VIEW IF NOT EXISTS v_member_window AS
WITH p AS (
    SELECT run_id, group_id, member_id,
           MAX(max(lo, 0) < min(COALESCE(hi, nd), nd)) AS ever,
           MAX(lo <= nd - 1 AND (hi IS NULL OR hi > nd - 1)) AS at_end
    FROM v_membership GROUP BY run_id, group_id, member_id
    UNION ALL
    SELECT run_id, 0, member_id,
           MAX(max(lo, 0) < min(COALESCE(hi, nd), nd)),
           MAX(lo <= nd - 1 AND (hi IS NULL OR hi > nd - 1))
    FROM v_membership GROUP BY run_id, member_id),
s AS (SELECT run_id, group_id, member_id, MAX(day) AS last_day
      FROM v_speaker_days GROUP BY run_id, group_id, member_id)
SELECT p.run_id, p.group_id, p.member_id, p.ever, p.at_end, s.last_day
FROM p LEFT JOIN s ON s.run_id = p.run_id AND s.group_id = p.group_id AND s.member_id = p.member_id;

-- r_eff per group: cases = spells starting on day j <= nd-31 (founders too:
-- they invite); secondary cases = referral joins from a case within days
-- j..j+30 (each join once, whichever of the inviter's spells).  Group 0 pools
-- the groups.
CREATE VIEW IF NOT EXISTS v_reff AS
WITH c AS (SELECT run_id, group_id, COUNT(*) AS cases
           FROM v_membership WHERE lo >= 0 AND lo <= nd - 31 GROUP BY run_id, group_id),
s AS (SELECT x.run_id, x.group_id, COUNT(*) AS secondary
      FROM v_membership x
      WHERE x.source IN ('invite', 'qr') AND x.lo >= 0 AND x.lo < x.nd
        AND EXISTS (SELECT 1 FROM v_membership i
                    WHERE i.run_id = x.run_id AND i.group_id = x.group_id AND i.member_id = x.inviter_id
                      AND i.lo >= 0 AND i.lo <= i.nd - 31 AND x.lo BETWEEN i.lo AND i.lo + 30)
      GROUP BY x.run_id, x.group_id),
g AS (SELECT c.run_id, c.group_id, c.cases, COALESCE(s.secondary, 0) AS secondary
      FROM c LEFT JOIN s ON s.run_id = c.run_id AND s.group_id = c.group_id)
SELECT run_id, group_id, cases, secondary FROM g
UNION ALL
SELECT run_id, 0, SUM(cases), SUM(secondary) FROM g GROUP BY run_id;

CREATE VIEW IF NOT EXISTS v_summary_wide AS
WITH dd AS (
    SELECT w.run_id, w.group_id,
           SUM(w.dau) AS dau, SUM(w.messages) AS messages, SUM(w.interactions) AS interactions,
           SUM(CASE WHEN w.day = r.nd - 1 THEN w.members END) AS members_end,
           SUM(w.joins) AS joins, SUM(w.leaves) AS leaves, SUM(w.mutes) AS mutes,
           SUM(w.questions) AS questions, SUM(w.invites) AS invites, SUM(w.shares) AS shares,
           SUM(w.ugc) AS ugc, SUM(w.purchases) AS purchases,
           MAX(CASE WHEN w.day = r.nd - 1 THEN w.heavy_30d END) AS heavy_last,
           AVG(w.heavy_30d) AS heavy_mean
    FROM v_daily_wide w JOIN v_run r ON r.run_id = w.run_id
    GROUP BY w.run_id, w.group_id),
ev AS (SELECT run_id, group_id, SUM(items) AS items, TOTAL(order_value) AS order_value
       FROM v_event_days GROUP BY run_id, group_id),
rt AS (SELECT t.run_id, t.group_id,
              SUM(CASE WHEN t.day + 1 <= r.nd - 1 THEN t.r1 END) AS r1,
              SUM(CASE WHEN t.day + 1 <= r.nd - 1 THEN t.cohort END) AS c1,
              SUM(CASE WHEN t.day + 7 <= r.nd - 1 THEN t.r7 END) AS r7,
              SUM(CASE WHEN t.day + 7 <= r.nd - 1 THEN t.cohort END) AS c7,
              SUM(CASE WHEN t.day + 30 <= r.nd - 1 THEN t.r30 END) AS r30,
              SUM(CASE WHEN t.day + 30 <= r.nd - 1 THEN t.cohort END) AS c30
       FROM v_retention_days t JOIN v_run r ON r.run_id = t.run_id
       GROUP BY t.run_id, t.group_id),
nr AS (SELECT t.run_id, t.group_id,
              SUM(CASE WHEN t.day + 1 <= r.nd - 1 THEN t.n1 END) AS n1,
              SUM(CASE WHEN t.day + 1 <= r.nd - 1 THEN t.cohort END) AS c1,
              SUM(CASE WHEN t.day + 7 <= r.nd - 1 THEN t.n7 END) AS n7,
              SUM(CASE WHEN t.day + 7 <= r.nd - 1 THEN t.cohort END) AS c7
       FROM v_new_retention_days t JOIN v_run r ON r.run_id = t.run_id
       GROUP BY t.run_id, t.group_id),
mw AS (SELECT w.run_id, w.group_id, SUM(w.ever) AS ever, SUM(w.at_end) AS at_end,
              SUM(w.at_end AND w.last_day IS NOT NULL) AS active,
              SUM(w.at_end AND w.last_day >= r.nd - 365) AS active_year
       FROM v_member_window w JOIN v_run r ON r.run_id = w.run_id
       GROUP BY w.run_id, w.group_id),
fl AS (SELECT run_id, group_id, SUM(exposed) AS exposed, SUM(part) AS part,
              SUM(part AND complete) AS completed, SUM(part AND shared) AS shared,
              SUM(purchased) AS purchasers
       FROM v_member_flags GROUP BY run_id, group_id),
jn AS (SELECT run_id, group_id, COUNT(*) AS joiners, SUM(referral) AS referred
       FROM (SELECT run_id, group_id, member_id, MAX(referral) AS referral
             FROM v_joiners GROUP BY run_id, group_id, member_id)
       GROUP BY run_id, group_id)
SELECT g.run_id, g.group_id,
       CAST(COALESCE(dd.dau, 0) AS REAL) / r.nd AS dau_mean,
       CAST(COALESCE(dd.messages, 0) AS REAL) / r.nd AS messages_per_day,
       CAST(COALESCE(dd.interactions, 0) AS REAL) / r.nd AS interactions_per_day,
       COALESCE(dd.members_end, 0) AS members_end,
       COALESCE(mw.ever, 0) AS members_ever,
       COALESCE(dd.joins, 0) AS joins,
       COALESCE(dd.leaves, 0) AS leaves,
       COALESCE(dd.mutes, 0) AS mutes,
       CASE WHEN rt.c1 > 0 THEN CAST(rt.r1 AS REAL) / rt.c1 END AS retention_1d,
       CASE WHEN rt.c7 > 0 THEN CAST(rt.r7 AS REAL) / rt.c7 END AS retention_7d,
       CASE WHEN rt.c30 > 0 THEN CAST(rt.r30 AS REAL) / rt.c30 END AS retention_30d,
       CASE WHEN nr.c1 > 0 THEN CAST(nr.n1 AS REAL) / nr.c1 END AS new_retention_1d,
       CASE WHEN nr.c7 > 0 THEN CAST(nr.n7 AS REAL) / nr.c7 END AS new_retention_7d,
       dd.heavy_last AS heavy_speakers,
       dd.heavy_mean AS heavy_speakers_mean,
       CASE WHEN mw.at_end > 0 THEN CAST(mw.active AS REAL) / mw.at_end END AS active_share,
       CASE WHEN r.nd >= 365 AND mw.at_end > 0 THEN CAST(mw.active_year AS REAL) / mw.at_end END
           AS annual_activity,
       COALESCE(dd.questions, 0) AS questions,
       rs.median AS response_median,
       rs.p90 AS response_p90,
       CASE WHEN rs.eligible > 0 THEN CAST(rs.eligible - rs.answered AS REAL) / rs.eligible END
           AS unanswered_24h,
       ra.median AS answer_median,
       ra.p90 AS answer_p90,
       CASE WHEN ra.eligible > 0 THEN CAST(ra.eligible - ra.answered AS REAL) / ra.eligible END
           AS unanswered_answer_24h,
       COALESCE(fl.exposed, 0) AS exposed,
       COALESCE(fl.part, 0) AS participants,
       CASE WHEN fl.exposed > 0 THEN CAST(fl.part AS REAL) / fl.exposed END AS participation,
       CASE WHEN fl.part > 0 THEN CAST(fl.completed AS REAL) / fl.part END AS completion,
       CASE WHEN fl.part > 0 THEN CAST(fl.shared AS REAL) / fl.part END AS share_rate,
       COALESCE(fl.purchasers, 0) AS purchasers,
       CASE WHEN mw.ever > 0 THEN CAST(COALESCE(fl.purchasers, 0) AS REAL) / mw.ever END
           AS purchase_rate,
       COALESCE(dd.purchases, 0) AS purchases,
       CASE WHEN dd.purchases > 0 THEN ev.order_value / dd.purchases END AS order_value,
       COALESCE(dd.shares, 0) AS shares,
       CASE WHEN ev.items > 0 THEN CAST(dd.shares AS REAL) / ev.items END AS shares_per_item,
       COALESCE(dd.invites, 0) AS invites,
       CASE WHEN jn.joiners > 0 THEN CAST(jn.referred AS REAL) / jn.joiners END AS referral_share,
       CASE WHEN rf.cases > 0 THEN CAST(rf.secondary AS REAL) / rf.cases END AS r_eff,
       COALESCE(dd.ugc, 0) AS ugc,
       CAST(COALESCE(dd.ugc, 0) AS REAL) / r.nd AS ugc_per_day
FROM v_groups g
JOIN v_run r ON r.run_id = g.run_id
LEFT JOIN dd ON dd.run_id = g.run_id AND dd.group_id = g.group_id
LEFT JOIN ev ON ev.run_id = g.run_id AND ev.group_id = g.group_id
LEFT JOIN rt ON rt.run_id = g.run_id AND rt.group_id = g.group_id
LEFT JOIN nr ON nr.run_id = g.run_id AND nr.group_id = g.group_id
LEFT JOIN mw ON mw.run_id = g.run_id AND mw.group_id = g.group_id
LEFT JOIN fl ON fl.run_id = g.run_id AND fl.group_id = g.group_id
LEFT JOIN jn ON jn.run_id = g.run_id AND jn.group_id = g.group_id
LEFT JOIN v_response_summary rs
       ON rs.rule = 'first' AND rs.run_id = g.run_id AND rs.group_id = g.group_id
LEFT JOIN v_response_summary ra
       ON ra.rule = 'linked' AND ra.run_id = g.run_id AND ra.group_id = g.group_id
LEFT JOIN v_reff rf ON rf.run_id = g.run_id AND rf.group_id = g.group_id;

-- Long forms, one row a metric, as metrics.c emits them.
CREATE VIEW IF NOT EXISTS v_daily AS
SELECT w.run_id, w.group_id, w.day, n.metric,
       CASE n.metric
         WHEN 'dau' THEN w.dau WHEN 'messages' THEN w.messages
         WHEN 'interactions' THEN w.interactions WHEN 'members' THEN w.members
         WHEN 'joins' THEN w.joins WHEN 'leaves' THEN w.leaves WHEN 'mutes' THEN w.mutes
         WHEN 'retention_1d' THEN w.retention_1d WHEN 'retention_7d' THEN w.retention_7d
         WHEN 'retention_30d' THEN w.retention_30d
         WHEN 'new_retention_1d' THEN w.new_retention_1d
         WHEN 'new_retention_7d' THEN w.new_retention_7d
         WHEN 'heavy_30d' THEN w.heavy_30d WHEN 'questions' THEN w.questions
         WHEN 'invites' THEN w.invites WHEN 'shares' THEN w.shares WHEN 'ugc' THEN w.ugc
         WHEN 'purchases' THEN w.purchases
       END AS value
FROM v_daily_wide w CROSS JOIN (
    SELECT 'dau' AS metric UNION ALL SELECT 'messages' UNION ALL SELECT 'interactions'
    UNION ALL SELECT 'members' UNION ALL SELECT 'joins' UNION ALL SELECT 'leaves'
    UNION ALL SELECT 'mutes' UNION ALL SELECT 'retention_1d' UNION ALL SELECT 'retention_7d'
    UNION ALL SELECT 'retention_30d' UNION ALL SELECT 'new_retention_1d'
    UNION ALL SELECT 'new_retention_7d' UNION ALL SELECT 'heavy_30d'
    UNION ALL SELECT 'questions' UNION ALL SELECT 'invites' UNION ALL SELECT 'shares'
    UNION ALL SELECT 'ugc' UNION ALL SELECT 'purchases') n;

CREATE VIEW IF NOT EXISTS v_summary AS
SELECT w.run_id, w.group_id, n.metric,
       CASE n.metric
         WHEN 'dau_mean' THEN w.dau_mean WHEN 'messages_per_day' THEN w.messages_per_day
         WHEN 'interactions_per_day' THEN w.interactions_per_day
         WHEN 'members_end' THEN w.members_end WHEN 'members_ever' THEN w.members_ever
         WHEN 'joins' THEN w.joins WHEN 'leaves' THEN w.leaves WHEN 'mutes' THEN w.mutes
         WHEN 'retention_1d' THEN w.retention_1d WHEN 'retention_7d' THEN w.retention_7d
         WHEN 'retention_30d' THEN w.retention_30d
         WHEN 'new_retention_1d' THEN w.new_retention_1d
         WHEN 'new_retention_7d' THEN w.new_retention_7d
         WHEN 'heavy_speakers' THEN w.heavy_speakers
         WHEN 'heavy_speakers_mean' THEN w.heavy_speakers_mean
         WHEN 'active_share' THEN w.active_share WHEN 'annual_activity' THEN w.annual_activity
         WHEN 'questions' THEN w.questions WHEN 'response_median' THEN w.response_median
         WHEN 'response_p90' THEN w.response_p90 WHEN 'unanswered_24h' THEN w.unanswered_24h
         WHEN 'answer_median' THEN w.answer_median WHEN 'answer_p90' THEN w.answer_p90
         WHEN 'unanswered_answer_24h' THEN w.unanswered_answer_24h
         WHEN 'exposed' THEN w.exposed WHEN 'participants' THEN w.participants
         WHEN 'participation' THEN w.participation WHEN 'completion' THEN w.completion
         WHEN 'share_rate' THEN w.share_rate WHEN 'purchasers' THEN w.purchasers
         WHEN 'purchase_rate' THEN w.purchase_rate WHEN 'purchases' THEN w.purchases
         WHEN 'order_value' THEN w.order_value WHEN 'shares' THEN w.shares
         WHEN 'shares_per_item' THEN w.shares_per_item WHEN 'invites' THEN w.invites
         WHEN 'referral_share' THEN w.referral_share WHEN 'r_eff' THEN w.r_eff
         WHEN 'ugc' THEN w.ugc WHEN 'ugc_per_day' THEN w.ugc_per_day
       END AS value
FROM v_summary_wide w CROSS JOIN (
    SELECT 'dau_mean' AS metric UNION ALL SELECT 'messages_per_day'
    UNION ALL SELECT 'interactions_per_day' UNION ALL SELECT 'members_end'
    UNION ALL SELECT 'members_ever' UNION ALL SELECT 'joins' UNION ALL SELECT 'leaves'
    UNION ALL SELECT 'mutes' UNION ALL SELECT 'retention_1d' UNION ALL SELECT 'retention_7d'
    UNION ALL SELECT 'retention_30d' UNION ALL SELECT 'new_retention_1d'
    UNION ALL SELECT 'new_retention_7d' UNION ALL SELECT 'heavy_speakers'
    UNION ALL SELECT 'heavy_speakers_mean' UNION ALL SELECT 'active_share'
    UNION ALL SELECT 'annual_activity' UNION ALL SELECT 'questions'
    UNION ALL SELECT 'response_median' UNION ALL SELECT 'response_p90'
    UNION ALL SELECT 'unanswered_24h' UNION ALL SELECT 'answer_median'
    UNION ALL SELECT 'answer_p90' UNION ALL SELECT 'unanswered_answer_24h' UNION ALL SELECT 'exposed' UNION ALL SELECT 'participants'
    UNION ALL SELECT 'participation' UNION ALL SELECT 'completion' UNION ALL SELECT 'share_rate'
    UNION ALL SELECT 'purchasers' UNION ALL SELECT 'purchase_rate' UNION ALL SELECT 'purchases'
    UNION ALL SELECT 'order_value' UNION ALL SELECT 'shares' UNION ALL SELECT 'shares_per_item'
    UNION ALL SELECT 'invites' UNION ALL SELECT 'referral_share' UNION ALL SELECT 'r_eff'
    UNION ALL SELECT 'ugc' UNION ALL SELECT 'ugc_per_day') n;
