/* tests/gui/make-test-model.c — writes an UNTRAINED model (seeded initialisation, config
 * "default" at width 8 and input 32 so a CPU forward pass is quick) to the path given, for the GUI
 * tests of the analysis pipeline (patch -> engine thread -> result panel -> outline and heatmap
 * in the views). Its outputs mean nothing medically; the tests check plumbing and placement.
 * With --full: the default configuration itself (width 16, input 64), for timing the real cost.
 * With --resnet: the ResNet baseline (Table 1 row 1) at width 8 and input 32, which has no
 * segmentation head.
 * Usage: make-test-model [--full | --resnet] OUT.safetensors */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/params.h"
#include "model/weights.h"

int main(int argc, char **argv) {
  int full = argc == 3 && strcmp(argv[1], "--full") == 0;
  int resnet = argc == 3 && strcmp(argv[1], "--resnet") == 0;
  if (argc != 2 + full + resnet) {
    fprintf(stderr, "usage: make-test-model [--full | --resnet] OUT.safetensors\n");
    return 2;
  }
  const char *out = argv[argc - 1];
  lt_model_config c;
  lt_error err = {{0}};
  lt_model_config_default(&c);
  if (resnet && lt_model_config_preset(&c, "resnet-tiny", &err) != 0) {
    fprintf(stderr, "make-test-model: %s\n", err.msg);
    return 1;
  }
  if (!full) {
    c.width = 8;
    c.input_size = 32;
  }
  if (lt_model_config_validate(&c, &err) != 0) {
    fprintf(stderr, "make-test-model: %s\n", err.msg);
    return 1;
  }
  lt_param_table t;
  if (lt_param_table_build(&t, &c, &err) != 0) {
    fprintf(stderr, "make-test-model: %s\n", err.msg);
    return 1;
  }
  float *p = lt_param_block_new(&t);
  lt_param_init(&t, p, 12345);
  int rc = lt_weights_save(out, &c, &t, p, NULL, "{\"note\": \"untrained test model\"}", &err);
  if (rc != 0) fprintf(stderr, "make-test-model: %s\n", err.msg);
  free(p);
  lt_param_table_free(&t);
  return rc != 0;
}
