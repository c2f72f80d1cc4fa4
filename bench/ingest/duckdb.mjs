// DuckDB peer of the ingest benchmark: read_csv into a typed table of a new database file.
// usage: node duckdb.mjs CSV DBFILE KIND   (KIND: stays | arrivals | residences); prints seconds
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';

const [csv, db, kind] = process.argv.slice(2);
for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
const q = (s) => "'" + String(s).replaceAll("'", "''") + "'";
const columns = kind === 'stays'
  ? "{'mobile':'VARCHAR','carrier':'VARCHAR','cell_id':'VARCHAR','t_start':'BIGINT','t_end':'BIGINT','lon':'DOUBLE','lat':'DOUBLE'}"
  : kind === 'arrivals'
  ? "{'mobile':'VARCHAR','carrier':'VARCHAR','arrival_time':'BIGINT','arrival_division':'VARCHAR','origin_province':'VARCHAR','origin_city':'VARCHAR','risk_area':'VARCHAR'}"
  : "{'date':'VARCHAR','district':'VARCHAR','address':'VARCHAR'}";
const t0 = process.hrtime.bigint();
const inst = await DuckDBInstance.create(db);
const con = await inst.connect();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv(${q(csv)}, header = true, delim = ',', columns = ${columns})`);
await con.run('CHECKPOINT');
con.closeSync(); inst.closeSync();
console.log((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3));
