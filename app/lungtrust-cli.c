/* app/lungtrust-cli.c — main() of the headless program: dispatches to a subcommand.
 * Every capability of the workstation is reachable from here (DESIGN section 5). */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
  const char *name;
  lt_cli_fn fn;
  const char *summary;
} lt_cli_entry;

static const lt_cli_entry commands[] = {
#define LT_CLI_COMMAND(name, fn, summary) {#name, fn, summary},
#include "cli-commands.def"
#undef LT_CLI_COMMAND
    {NULL, NULL, NULL},
};

static void print_help(FILE *f) {
  fputs("Usage: lungtrust-cli COMMAND [ARGS...]\n\n"
        "LungTrust, headless: every job of the workstation from the shell.\n"
        "A research and teaching tool, not a certified medical device.\n\nCommands:\n", f);
  for (size_t i = 0; commands[i].name; i++)
    fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
  fputs("\n'lungtrust-cli COMMAND --help' describes one command.\n"
        "Exit status: 0 success, 1 bad input, 2 usage error.\n", f);
}

int main(int argc, char **argv) {
  /* Every number this program prints is machine output (--json, CSV, files) and every number it
   * reads is an option or a file: LC_NUMERIC stays "C" even when a library loaded before main
   * took the locale from the environment. The engine and db do not rely on this (lt-locale.h):
   * the workstation runs them under the user's locale. */
  setlocale(LC_NUMERIC, "C");
  if (argc < 2) {
    print_help(stderr);
    return LT_EXIT_USAGE;
  }
  if (lt_cli_is_help(argv[1])) {
    print_help(stdout);
    return LT_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("lungtrust-cli %s\n", LT_VERSION);
    return LT_EXIT_OK;
  }
  for (size_t i = 0; commands[i].name; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "lungtrust-cli: unknown command '%s'\nTry 'lungtrust-cli --help'.\n", argv[1]);
  return LT_EXIT_USAGE;
}
