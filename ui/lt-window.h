/* ui/lt-window.h — LtWindow: the workstation's main window. Header bar (Open Folder, the study
 * as its pseudonymous PatientID, the series, the Distance toggle, the main menu with recent
 * studies, Style and About the Model), an in-window error banner, the three planes (axial
 * large, coronal and sagittal beside it) sharing crosshair and window/level, with their
 * right-click menu (Analyse Here, Measure From Here) and the distance tool (M or D, Esc), and a
 * status line with HU and mm under the pointer; a right column with the nodule list (readings
 * and the local database's nodules of the series), the overlay switches (bound to the
 * preferences), the result panel, and below it the similar-nodule cards (a card with images
 * opens its case). Loading goes through lt-study-loader (a thread), analyses, retrieval and
 * database reads through the engine thread (engine/worker.h), so the window never blocks; a
 * second open while one runs supersedes the first and cancels the old study's analyses. */
#ifndef LT_WINDOW_H
#define LT_WINDOW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LT_TYPE_WINDOW (lt_window_get_type())
G_DECLARE_FINAL_TYPE(LtWindow, lt_window, LT, WINDOW, GtkApplicationWindow)

LtWindow *lt_window_new(GtkApplication *app);
/* Starts loading PATH (a folder or a DICOM file); the result or the error shows when ready. */
void lt_window_open(LtWindow *self, const char *path);
/* Shows MSG in the window's banner (also logged with g_warning). */
void lt_window_show_error(LtWindow *self, const char *msg);

G_END_DECLS

#endif
