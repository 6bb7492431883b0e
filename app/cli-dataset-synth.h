/* app/cli-dataset-synth.h — `lungtrust-cli dataset --synth DIR --out DS`: a data set from a
 * synthetic manifest (engine/synth/manifest.h). See cli-dataset-synth.c. */
#ifndef LT_CLI_DATASET_SYNTH_H
#define LT_CLI_DATASET_SYNTH_H

int lt_cli_dataset_synth(int argc, char **argv);

#endif
