/* ui/lt-paths.h — where the workstation's bundled data lies: the demo study, the LIDC tables
 * and the model folder (a weights file and its README.md card). Run from the build tree (the
 * executable sits in this build's folder) they are the source tree's resources/; installed,
 * <datadir>/lungtrust/ as `meson install` lays it out (demo/, lidc-ratings/, models/).
 * LUNGTRUST_DATADIR, when set, replaces either (a relocated or staged install).
 * Returns paths only: nothing is opened or checked here beyond the executable's location. */
#ifndef LT_PATHS_H
#define LT_PATHS_H

#include <glib.h>

G_BEGIN_DECLS

/* The folder holding demo/, lidc-ratings/ and models/ (static storage). */
const char *lt_paths_data_dir(void);
/* TRUE when the running executable is this build's (an uninstalled run). */
gboolean lt_paths_from_build_tree(void);
/* The folders and the demo study under lt_paths_data_dir() (static storage). */
const char *lt_paths_models_dir(void);
const char *lt_paths_ratings_dir(void);
const char *lt_paths_demo_study(void);

G_END_DECLS

#endif
