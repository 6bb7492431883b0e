/* ui/lt-paths.h — where the workstation's bundled data lies: the demo study and the LIDC
 * tables, under the data folder of engine/lt-data-dir.h (the rule the CLI uses too: the source
 * tree's resources/ from the build tree, <datadir>/lungtrust/ installed, LUNGTRUST_DATADIR over
 * either). The default model comes from lt_default_model there.
 * Returns paths only: nothing is opened or checked here beyond the executable's location. */
#ifndef LT_PATHS_H
#define LT_PATHS_H

#include <glib.h>

G_BEGIN_DECLS

/* The LIDC tables' folder and the demo study under lt_data_dir() (static storage). */
const char *lt_paths_ratings_dir(void);
const char *lt_paths_demo_study(void);

G_END_DECLS

#endif
