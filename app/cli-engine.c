/* app/cli-engine.c — `lungtrust-cli engine`: which backend the engine runs on and why, the
 * device, oneDNN's version and cuDNN's (when built). Probes the GPU once; never fails. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lt-log.h"
#include "nn/backend-select.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli engine [--json]\n\n"
        "Says which backend the engine uses (cuda when built in and a GPU answers, else cpu),\n"
        "the device, the oneDNN and cuDNN versions, and why cuda is not used.\n"
        "LT_BACKEND=cpu|cuda|ref overrides the automatic choice.\n"
        "  --json  one JSON object on stdout\n",
        f);
}

/* The report says why cuda is not used; the engine's own log line would repeat it. */
static void quiet(const char *line, void *user) {
  (void)line;
  (void)user;
}

static void json_str(const char *key, const char *v, int last) {
  printf("\"%s\":", key);
  lt_cli_print_json_string(stdout, v);
  printf("%s", last ? "}\n" : ",");
}

int lt_cli_engine(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else {
      return lt_cli_usage_error("engine", "unexpected argument '%s'", argv[i]);
    }
  }
  lt_engine_info info;
  lt_engine_set_log(quiet, NULL);
  lt_engine_describe(&info);
  lt_engine_set_log(NULL, NULL);
  if (json) {
    putchar('{');
    json_str("backend", info.backend, 0);
    json_str("device", info.device, 0);
    json_str("onednn", info.onednn, 0);
    printf("\"cuda_built\":%s,", lt_engine_cuda_built() ? "true" : "false");
    json_str("cudnn", info.cudnn, 0);
    json_str("cuda_not_used", info.cuda_why, 1);
  } else {
    printf("backend: %s\ndevice: %s\noneDNN: %s\ncuDNN: %s\n", info.backend, info.device,
           info.onednn, info.cudnn);
    if (info.cuda_why[0]) printf("cuda not used: %s\n", info.cuda_why);
  }
  return LT_EXIT_OK;
}
