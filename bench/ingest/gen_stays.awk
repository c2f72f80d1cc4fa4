# Deterministic telecom grid stays for the ingest benchmark (not shipped data: generated at bench time).
# usage: awk -v n=1000000 -f gen_stays.awk > stays.csv
# Columns follow the hub catalogue's telecom_grid_stay feed.
BEGIN {
    srand(20220401)
    split("china_mobile china_unicom china_telecom china_broadnet", carrier, " ")
    print "mobile,carrier,cell_id,t_start,t_end,lon,lat"
    t0 = 1648771200 - 28800   # 2022-04-01 00:00 Asia/Shanghai
    for (i = 0; i < n; i++) {
        mobile = sprintf("13%09d", i)
        col = int(rand() * 400); row = int(rand() * 400)
        ts = t0 + int(rand() * 14 * 86400)
        te = ts + 600 + int(rand() * 7200)
        printf "%s,%s,G800:%d:%d,%d,%d,%.6f,%.6f\n", mobile, carrier[1 + i % 4], col, row, ts, te, \
            120.0 + col * 0.008, 30.0 + row * 0.007
    }
}
