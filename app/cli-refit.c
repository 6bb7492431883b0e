/* app/cli-refit.c — `lungtrust-cli refit DATA --model MODEL --out OUT [--lambda L] [--loss E]`:
 * fits the attribute refit (model/refit.h) of a trained model on the rated samples of a training
 * data set and writes the model with it; the network's weights are copied unchanged. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "train/refit-data.h"
#include "model/weights.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli refit DATA --model MODEL --out OUT [--lambda L] [--loss E]\n\n"
        "Runs MODEL (a weights file written by train, with the six attributes and a\n"
        "segmentation) on every rated sample of DATA (a training data set; an evaluation set\n"
        "is refused) and fits each attribute's readers' mean rating by a penalised linear map of\n"
        "the six scores of the heads, four shape measures of the model's own segmentation (log\n"
        "volume, two ratios of its principal axes, surface over volume^(2/3)), three density\n"
        "measures of the CT inside it (core and peak density in HU, edge sharpness in HU/mm)\n"
        "and five of the CT at the patch's own 0.5 mm around it (contrast and background in\n"
        "HU, the edge's fall, the minor/major ratio of an ellipsoid fitted to the boundary\n"
        "along 400 rays and the rays' residual from it). Writes MODEL with that refit to OUT;\n"
        "analyze, evaluate and the workstation then report the refitted scores. The\n"
        "probability, Grad-CAM and trust check are unchanged.\n"
        "  --lambda L  the ridge penalty on standardised inputs (default 10)\n"
        "  --loss E    what the fit minimises: squared (the default; ridge regression) or\n"
        "              absolute (the error the held-out sets are scored with)\n",
        f);
}

int lt_cli_refit(int argc, char **argv) {
  const char *data = NULL, *model = NULL, *out = NULL;
  double lambda = 10;
  lt_refit_loss loss = LT_REFIT_SQUARED;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
      out = argv[++i];
    } else if (!strcmp(argv[i], "--lambda") && i + 1 < argc) {
      if (!lt_cli_parse_double(argv[++i], 0, 1e6, &lambda))
        return lt_cli_usage_error("refit", "--lambda needs a penalty from 0 to 1e6");
    } else if (!strcmp(argv[i], "--loss") && i + 1 < argc) {
      const char *v = argv[++i];
      if (!lt_refit_loss_parse(v, &loss))
        return lt_cli_usage_error("refit", "--loss needs squared or absolute, not '%s'", v);
    } else if (argv[i][0] == '-') {
      return lt_cli_usage_error("refit", "unknown or incomplete option '%s'", argv[i]);
    } else if (!data) {
      data = argv[i];
    } else {
      return lt_cli_usage_error("refit", "one DATA only");
    }
  }
  if (!data || !model || !out)
    return lt_cli_usage_error("refit", "needs DATA, --model MODEL and --out OUT");
  lt_weights w;
  lt_dataset ds;
  int rc = lt_cli_load_model_and_data(model, data, &w, &ds);
  if (rc)
    return rc;
  lt_error err = {{0}};
  /* the heads' own scores are the refit's inputs: a model without any refit */
  lt_weights plain = w;
  plain.has_refit = false;
  lt_model *m = NULL;
  lt_refit_report rep;
  rc = LT_EXIT_INPUT;
  if (lt_model_create_from_weights(&m, &plain, &err) ||
      lt_attr_refit_on_dataset(&w.refit, m, &ds, lambda, loss, &rep, &err))
    goto done;
  w.has_refit = true;
  if (lt_weights_write(out, &w, &err))
    goto done;
  double b = 0, a = 0;
  printf("refit on %d rated samples of %s (lambda %g, %s error); MAE vs the readers' mean, "
         "heads -> refit:\n",
         rep.n, data, lambda, lt_refit_loss_name(loss));
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    printf("  %-12s %.3f -> %.3f\n", lt_attribute_names[k], rep.mae_before[k], rep.mae_after[k]);
    b += rep.mae_before[k] / LT_N_ATTRIBUTES;
    a += rep.mae_after[k] / LT_N_ATTRIBUTES;
  }
  printf("  %-12s %.3f -> %.3f (the samples fitted on: judge it on held-out data)\nmodel: %s\n",
         "mean", b, a, out);
  rc = LT_EXIT_OK;
done:
  if (rc != LT_EXIT_OK)
    lt_cli_fail(&err);
  lt_model_free(m);
  lt_dataset_free(&ds);
  lt_weights_free(&w);
  return rc;
}
