/* Entry point of the `weir` binary: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: weir COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  broker    run the embedded development Kafka broker (memory only)\n"
    "  topics    list | describe | create | delete topics\n"
    "  produce   send one message per line of stdin or a file\n"
    "  consume   print messages of a topic\n"
    "  run       run a job file of streaming SQL\n"
    "  shell     an interactive prompt: run a job, query its sinks with SQL\n"
    "\n"
    "Run 'weir COMMAND --help' for a command's options. The README is the manual.\n";

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("weir 0.1.0 (librdkafka %s)\n", rd_kafka_version_str());
        return CLI_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"broker", cmd_broker},   {"topics", cmd_topics}, {"produce", cmd_produce},
        {"consume", cmd_consume}, {"run", cmd_run},       {"shell", cmd_shell},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr,
            "weir: unknown command '%s' (commands: broker, topics, produce, consume, run, shell)\n",
            argv[1]);
    return CLI_USAGE;
}
