/* app/lungtrust.c — main() of the workstation: a GtkApplication ("org.lungtrust.LungTrust")
 * with one LtWindow per open. `lungtrust STUDY` opens that folder; without one, the default
 * study: LT_DEFAULT_STUDY (set by the build) when run from the build tree, else the installed
 * demo study (ui/lt-paths.h). */
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>

#include "lt-data-dir.h"
#include "lt-paths.h"
#include "lt-window.h"

#ifndef LT_LOCALEDIR
#define LT_LOCALEDIR "/usr/local/share/locale"
#endif

#ifndef LT_DEFAULT_STUDY
#error "LT_DEFAULT_STUDY must be defined by the build"
#endif

/* The study opened when none is given: the build's LT_DEFAULT_STUDY from the build tree, the
 * installed demo otherwise (lt-paths.h; LUNGTRUST_DATADIR relocates it). */
static const char *default_study(void) {
  if (lt_data_from_build_tree() && !g_getenv("LUNGTRUST_DATADIR")) return LT_DEFAULT_STUDY;
  return lt_paths_demo_study();
}

static void activate(GApplication *app) {
  LtWindow *w = lt_window_new(GTK_APPLICATION(app));
  gtk_window_present(GTK_WINDOW(w));
  lt_window_open(w, default_study());
}

static void open_files(GApplication *app, GFile **files, int n, const char *hint) {
  (void)hint;
  for (int i = 0; i < n; i++) {
    LtWindow *w = lt_window_new(GTK_APPLICATION(app));
    gtk_window_present(GTK_WINDOW(w));
    char *p = g_file_get_path(files[i]);
    if (p)
      lt_window_open(w, p);
    else
      lt_window_show_error(w, _("Only local folders can be opened"));
    g_free(p);
  }
}

static void quit_action(GSimpleAction *a, GVariant *param, gpointer app) {
  (void)a;
  (void)param;
  g_application_quit(G_APPLICATION(app)); /* windows are disposed: the engine thread joins */
}

/* Ctrl+Q quits (app.quit). */
static void startup(GApplication *app) {
  GSimpleAction *q = g_simple_action_new("quit", NULL);
  g_signal_connect(q, "activate", G_CALLBACK(quit_action), app);
  g_action_map_add_action(G_ACTION_MAP(app), G_ACTION(q));
  g_object_unref(q);
  static const char *const accels[] = {"<Primary>q", NULL};
  gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", accels);
}

int main(int argc, char **argv) {
  /* Translations: the installed locale dir, or LUNGTRUST_LOCALEDIR (the build's po/ folder
   * for an uninstalled run). */
  setlocale(LC_ALL, "");
  const char *localedir = g_getenv("LUNGTRUST_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LT_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
  g_set_prgname("lungtrust");
  GtkApplication *app = gtk_application_new("org.lungtrust.LungTrust",
                                            G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_signal_connect(app, "startup", G_CALLBACK(startup), NULL);
  g_signal_connect(app, "activate", G_CALLBACK(activate), NULL);
  g_signal_connect(app, "open", G_CALLBACK(open_files), NULL);
  int rc = g_application_run(G_APPLICATION(app), argc, argv);
  g_object_unref(app);
  return rc;
}
