/* Option helpers shared by the subcommands (see cli.h). */
#include <unistd.h>

#include "cli/cli.h"
#include "sinks/wr_sinks.h"
#include "sources/wr_sources.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *cmd, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "weir %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_bad_option(const char *cmd, int c, char *const argv[]) {
    const char *opt = argv[optind - 1];
    if (c == ':')
        return cli_error(cmd, CLI_USAGE, "option %s needs a value (see weir %s --help)", opt, cmd);
    if (optopt)
        return cli_error(cmd, CLI_USAGE, "unknown option '-%c' (see weir %s --help)", optopt, cmd);
    return cli_error(cmd, CLI_USAGE, "unknown option '%s' (see weir %s --help)", opt, cmd);
}

bool cli_int_opt(const char *cmd, const char *opt, const char *val, int64_t min, int64_t max,
                 int64_t *out) {
    if (wr_parse_i64(val, min, max, out)) return true;
    cli_error(cmd, CLI_USAGE, "%s must be a whole number from %lld to %lld, got '%s'", opt,
              (long long)min, (long long)max, val);
    return false;
}

bool cli_bool_value(const char *cmd, const char *prop, const char *val, bool *out) {
    if (!strcmp(val, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(val, "false")) {
        *out = false;
        return true;
    }
    cli_error(cmd, CLI_USAGE, "property %s must be true or false, got '%s'", prop, val);
    return false;
}

bool cli_setting_opt(const char *cmd, const char *kv) {
    char *k, *v, why[700];
    if (!wr_split_kv(kv, '=', &k, &v)) {
        cli_error(cmd, CLI_USAGE, "--set %s: expected key=value", kv);
        return false;
    }
    bool ok = wr_setting_check(k, v, why, sizeof why);
    if (!ok) cli_error(cmd, CLI_USAGE, "--set %s: %s", kv, why);
    free(k), free(v);
    return ok;
}

char *cli_unescape(const char *s) {
    char *out = wr_xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            switch (*s) {
            case 't':
                *o++ = '\t';
                break;
            case 'n':
                *o++ = '\n';
                break;
            case 'r':
                *o++ = '\r';
                break;
            default:
                *o++ = *s;
                break;
            }
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

const wr_kinds cli_kinds = {wr_source_kinds, wr_sink_kinds};
