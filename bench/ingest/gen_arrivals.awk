# Deterministic roaming arrivals for the ingest benchmark (not shipped data: generated at bench time).
# usage: awk -v n=1000000 -f gen_arrivals.awk > arrivals.csv
# Columns follow the hub catalogue's roaming_arrival feed, whose index (arrival_division,
# arrival_time) the rows reach in random order: the arrivals of Hangzhou's districts over 14 days.
BEGIN {
    srand(20220402)
    split("china_mobile china_unicom china_telecom china_broadnet", carrier, " ")
    split("330102 330105 330106 330108 330109 330110 330111 330112 330113 330114 330122 330127 330182", div, " ")
    split("上海市 江苏省 安徽省 江西省 福建省 广东省 北京市 吉林省", prov, " ")
    split("none none none none none none medium high", risk, " ")
    print "mobile,carrier,arrival_time,arrival_division,origin_province,origin_city,risk_area"
    t0 = 1648771200 - 28800   # 2022-04-01 00:00 Asia/Shanghai
    for (i = 0; i < n; i++) {
        p = 1 + int(rand() * 8)
        printf "15%09d,%s,%d,%s,%s,%s%d,%s\n", i, carrier[1 + i % 4], t0 + int(rand() * 14 * 86400), \
            div[1 + int(rand() * 13)], prov[p], "城市", 1 + int(rand() * 20), risk[1 + int(rand() * 8)]
    }
}
