-- schema.sql -- the qunsim results / live-log schema, version 2.
--
-- The contract between the simulator (qunsim run), the importers of real chat
-- logs (qunsim import), the metrics (analysis/metrics.c and metrics.sql) and
-- users' BI tools.  The simulator and the importers write the same tables, so
-- one set of metric definitions measures forecasts and real groups alike.
-- Versioned with PRAGMA user_version; qunsim refuses a database of another
-- version rather than guess.
--
-- Conventions
--   * ts: unix seconds (INTEGER).  Simulated runs use the scenario's start
--     date (local midnight at its UTC offset) plus simulated time.
--   * day: the group's local date 'YYYY-MM-DD' (runs.utc_offset).
--   * member_id: an integer unique within a run (a person; the same person in
--     several groups of one community has one member_id).
--   * group_id: 1.. within a run; 0 in daily/summary means the whole run
--     (community totals, each member counted once).
--   * kind (events.kind): message, reply, question, answer, checkin, announce,
--     post, vote, reaction, share, invite, join, leave, mute, silent,
--     violation, participate, complete, reward, purchase, exposure,
--     submission, system, recall.  Messages (count as speaking): message,
--     reply, question, answer, checkin, announce, post, submission.
--   * role (members.role): owner, admin, kol, bot, member.
--   * source (members.source, spells.source): seed, organic, invite, qr.
--     'seed' = a founder: present when the run (or the imported log) starts,
--     never counted as a join.
--   * Membership spells (version 2): a member who leaves and rejoins has one
--     `spells` row per join-leave interval; `members` keeps one row per
--     (group, member) with the person's role and name.  Read presence from
--     `spells` (or the view v_membership of metrics.sql), not from members.
--   * Version 1 databases (no spells) are upgraded in place when qunsim opens
--     them (store.c: one spell per membership, in one transaction).

PRAGMA user_version = 2;

-- One row per batch (a `qunsim run`/`sweep` invocation, or one import): the manifest.
CREATE TABLE IF NOT EXISTS batches (
  batch_id      INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,          -- 'run', 'sweep', 'import'
  scenario      TEXT,                   -- scenario name (or import format)
  scenario_path TEXT,                   -- file as given
  scenario_text TEXT,                   -- full text of the scenario file(s)
  seed          INTEGER,                -- master seed
  reps          INTEGER,                -- replications per arm and point
  days          INTEGER,                -- simulated days
  command       TEXT,                   -- command line
  version       TEXT NOT NULL,          -- qunsim version
  created_at    TEXT NOT NULL           -- UTC ISO-8601
);

-- One row per point of a sweep (point 0 for a plain run): settings varied.
CREATE TABLE IF NOT EXISTS points (
  batch_id INTEGER NOT NULL REFERENCES batches(batch_id),
  point    INTEGER NOT NULL,
  settings TEXT NOT NULL,               -- 'path=value' lines of the varied settings
  PRIMARY KEY (batch_id, point)
);

-- One row per batch of `qunsim run`/`sweep`: its task plan.  Task t (order in
-- docs/experiments.md: arm x point x replication) is stored as run_id
-- run_base + 1 + t, so the ids do not depend on threads, ranks, shards or
-- interruptions; `--resume` finds the batch by (scenario_text, key).
CREATE TABLE IF NOT EXISTS plans (
  batch_id INTEGER PRIMARY KEY REFERENCES batches(batch_id),
  run_base INTEGER NOT NULL,            -- run ids run_base+1 .. run_base+ntasks are this batch's
  ntasks   INTEGER NOT NULL,            -- arms x points x reps
  key      TEXT NOT NULL                -- kind, version, seed, reps, arms with effective settings, points
);

-- One row per replication (or per imported log).
CREATE TABLE IF NOT EXISTS runs (
  run_id     INTEGER PRIMARY KEY,
  batch_id   INTEGER REFERENCES batches(batch_id),
  scenario   TEXT,
  arm        TEXT,                      -- arm name ('live' for an imported log)
  point      INTEGER NOT NULL DEFAULT 0,
  rep        INTEGER NOT NULL DEFAULT 0,
  seed       INTEGER,                   -- master seed (streams mix seed, rep, stream)
  settings   TEXT,                      -- effective settings, libconfig syntax
  version    TEXT,
  created_at TEXT,
  source     TEXT NOT NULL DEFAULT 'sim', -- 'sim' or the import format
  start_ts   INTEGER,                   -- unix seconds of local midnight of day 0
  utc_offset INTEGER NOT NULL DEFAULT 28800, -- seconds east of UTC
  days       INTEGER                    -- number of local days covered
);
CREATE INDEX IF NOT EXISTS runs_batch ON runs(batch_id, arm, point, rep);

CREATE TABLE IF NOT EXISTS groups (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  group_id INTEGER NOT NULL,
  name     TEXT,
  PRIMARY KEY (run_id, group_id)
);

-- One row per membership (a member in a group).  source, inviter_id and
-- joined_ts are those of the first spell, left_ts that of the last (NULL while
-- the member is in the group), spells the number of spells: a summary kept
-- for readers of version 1; presence is in `spells`.
CREATE TABLE IF NOT EXISTS members (
  run_id     INTEGER NOT NULL REFERENCES runs(run_id),
  group_id   INTEGER NOT NULL,
  member_id  INTEGER NOT NULL,
  role       TEXT NOT NULL DEFAULT 'member',
  source     TEXT NOT NULL DEFAULT 'seed',
  inviter_id INTEGER,                   -- member_id of the inviter, for source 'invite'/'qr'
  joined_ts  INTEGER NOT NULL,
  left_ts    INTEGER,                   -- NULL while a member
  name       TEXT,                      -- nickname (imported logs)
  spells     INTEGER NOT NULL DEFAULT 1, -- number of rows in spells
  PRIMARY KEY (run_id, group_id, member_id)
);

-- One row per spell: a join-leave interval of a membership.  spell 0, 1, ...
-- in time order; spell k+1 joins at or after spell k left.  A spell of
-- source 'seed' is a founder's (present at the start), not a join.
CREATE TABLE IF NOT EXISTS spells (
  run_id     INTEGER NOT NULL REFERENCES runs(run_id),
  group_id   INTEGER NOT NULL,
  member_id  INTEGER NOT NULL,
  spell      INTEGER NOT NULL,          -- 0, 1, ... within the membership
  source     TEXT NOT NULL DEFAULT 'seed',
  inviter_id INTEGER,                   -- member_id of the inviter of this join
  joined_ts  INTEGER NOT NULL,
  left_ts    INTEGER,                   -- NULL while in the group
  PRIMARY KEY (run_id, group_id, member_id, spell)
);

-- The event log (optional per run; on by default for small runs).
CREATE TABLE IF NOT EXISTS events (
  run_id    INTEGER NOT NULL REFERENCES runs(run_id),
  group_id  INTEGER NOT NULL,
  msg_id    INTEGER,                    -- id of this message/event within the run (NULL if none)
  ts        INTEGER NOT NULL,
  member_id INTEGER,
  kind      TEXT NOT NULL,
  ref_id    INTEGER,                    -- msg_id of the message answered/replied to, campaign id, invitee, ...
  value     REAL
);
CREATE INDEX IF NOT EXISTS events_run_ts ON events(run_id, group_id, ts);

-- Daily metrics, long form.
CREATE TABLE IF NOT EXISTS daily (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  group_id INTEGER NOT NULL,
  day      TEXT NOT NULL,               -- local date YYYY-MM-DD
  metric   TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (run_id, group_id, day, metric)
);

-- Whole-run metrics (window averages, retention, response times, ...).
CREATE TABLE IF NOT EXISTS summary (
  run_id   INTEGER NOT NULL REFERENCES runs(run_id),
  group_id INTEGER NOT NULL,
  metric   TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (run_id, group_id, metric)
);
