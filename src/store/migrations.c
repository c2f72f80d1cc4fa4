/*
 * Numbered schema migrations. Append only: never edit a migration that has shipped; add a new one.
 * Feed tables (feed_<name>) are not here: the hub creates them from the feed catalogue (data).
 */
#include "store_int.h"

const zn__migration zn__migrations[] = {
    {1, "core: divisions, feed lineage, quarantine",
     "CREATE TABLE division (\n"
     "  edition INTEGER NOT NULL,        -- NBS edition year (2021, 2023)\n"
     "  code TEXT NOT NULL,              -- 12-digit NBS statistical code\n"
     "  level INTEGER NOT NULL,          -- 1 province .. 5 village\n"
     "  name TEXT NOT NULL,\n"
     "  parent_code TEXT,\n"
     "  PRIMARY KEY (edition, code)\n"
     ");\n"
     "CREATE INDEX division_parent ON division(edition, parent_code);\n"
     "CREATE INDEX division_name ON division(name);\n"
     "CREATE TABLE lineage (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  feed TEXT NOT NULL,\n"
     "  source_unit TEXT NOT NULL,\n"
     "  path TEXT NOT NULL,\n"
     "  sha256 TEXT NOT NULL,\n"
     "  bytes INTEGER NOT NULL,\n"
     "  encoding TEXT NOT NULL,\n"
     "  rows_read INTEGER NOT NULL DEFAULT 0,\n"
     "  accepted INTEGER NOT NULL DEFAULT 0,\n"
     "  quarantined INTEGER NOT NULL DEFAULT 0,\n"
     "  duplicates INTEGER NOT NULL DEFAULT 0,\n"
     "  status TEXT NOT NULL,            -- loaded | aborted\n"
     "  message TEXT,\n"
     "  started_at INTEGER NOT NULL,     -- UTC seconds\n"
     "  finished_at INTEGER\n"
     ");\n"
     "CREATE INDEX lineage_feed ON lineage(feed, sha256);\n"
     "CREATE TABLE quarantine (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  lineage_id INTEGER NOT NULL REFERENCES lineage(id),\n"
     "  feed TEXT NOT NULL,\n"
     "  file TEXT NOT NULL,\n"
     "  line INTEGER NOT NULL,           -- 1-based physical line where the record starts\n"
     "  field TEXT,\n"
     "  reason_code TEXT NOT NULL,       -- stable machine code, e.g. bad_check_digit\n"
     "  reason TEXT NOT NULL,            -- words for people\n"
     "  raw TEXT                         -- the record as read (may be truncated to 64 KiB)\n"
     ");\n"
     "CREATE INDEX quarantine_feed ON quarantine(feed, reason_code);\n"},
};

const int zn__migration_count = (int)(sizeof zn__migrations / sizeof zn__migrations[0]);
