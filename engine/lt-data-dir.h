/* engine/lt-data-dir.h — where LungTrust's bundled data lies, one rule for the workstation and the
 * CLI: the folder holding demo/, lidc-ratings/ and models/ (a weights file and its README.md
 * card). Run from the build tree (the executable sits in this build's folder) it is the source
 * tree's resources/; installed, <datadir>/lungtrust/ as `meson install` lays it out.
 * LUNGTRUST_DATADIR, when set, replaces either (a relocated or staged install). And the default
 * model: LUNGTRUST_MODEL, else the alphabetically first weights file in models/.
 * Paths only, and one directory listing: nothing is opened, read or checked here. */
#ifndef LT_DATA_DIR_H
#define LT_DATA_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "lt-error.h"

/* The data folder (static storage; the first call decides, later ones return the same). */
const char *lt_data_dir(void);
/* True when the running executable lies in this build's folder (an uninstalled run). */
bool lt_data_from_build_tree(void);
/* The alphabetically first *.safetensors file in dir, as dir/name, into buf (n bytes); 0, or -1
 * when there is none, the folder cannot be listed or the path does not fit. A listing's order
 * is the file system's, so the first name listed could differ between machines. */
int lt_find_weights(const char *dir, char *buf, size_t n);
/* The model to use when none is named: $LUNGTRUST_MODEL when set and not empty, else
 * lt_find_weights(<data dir>/models). 0 and the path in buf, or -1 with err saying where it
 * looked. */
int lt_default_model(char *buf, size_t n, lt_error *err);

#endif
