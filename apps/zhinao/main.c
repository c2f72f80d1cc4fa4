/* zhinao: the command-line program. `zhinao help` lists the commands. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const zn_cli_command commands[] = {
    {"demo", "build zhinao.db from the bundled real data and print a summary (make run)", zn_cmd_demo},
    {"divisions", "division registry: show, children, search, locate, diff, load (行政区划)", zn_cmd_divisions},
    {"feeds", "the feed catalogue: list feeds, show one feed's columns (数据目录)", zn_cmd_feeds},
    {"gen", "generate the demo city: synthetic Hangzhou, all feeds, an outbreak, dirt (演示城市)", zn_cmd_gen},
    {"ingest", "load feed files (CSV/NDJSON, gzip, UTF-8/GBK): validate, quarantine, dedupe (数据归集)", zn_cmd_ingest},
    {"quarantine", "list or count the rows ingest refused, with reason codes", zn_cmd_quarantine},
    {"rt", "reproduction number Rt by sliding windows (Cori et al. 2013, as EpiEstim) (有效再生数)", zn_cmd_rt},
    {"serve", "HTTP API and cockpit with users, roles, division scopes and an audit log (驾驶舱)", zn_cmd_serve},
    {"tasks", "closed-loop command: issue, receive, report, verify, close, transfer, stats (指令闭环)", zn_cmd_tasks},
    {"trace", "close and secondary contacts from co-presence (密接 / 次密接; benchmark mode)", zn_cmd_trace},
    {"users", "server accounts: add, list, disable, passwd; the audit log (用户与审计)", zn_cmd_users},
    {"warn", "early-warning detectors: EARS, CUSUM, Farrington, Noufaily, CIDARS (预警)", zn_cmd_warn},
    {"zones", "zones and risk areas day by day, maps, overrides, person measures; Shanghai 2022 replay (三区)", zn_cmd_zones},
    {"version", "print the version", zn_cmd_version},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *f)
{
    fprintf(f, "zhinao %s: the public-data brain (数据归集, 精密智控, 指令闭环, 驾驶舱)\n\n", zn_version());
    fprintf(f, "usage: zhinao <command> [options]      zhinao <command> --help\n\ncommands:\n");
    for (size_t i = 0; i < ncommands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nenvironment: ZHINAO_DB (default store, zhinao.db), ZHINAO_DATA (shipped data folder),\n"
               "             ZHINAO_LOG (debug|info|warn|error)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc >= 3) {
            for (size_t i = 0; i < ncommands; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, hargv);
                }
        }
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version"))
        return zn_cmd_version(1, argv + 1);
    for (size_t i = 0; i < ncommands; i++)
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "zhinao: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
