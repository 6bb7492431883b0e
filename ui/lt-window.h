/* ui/lt-window.h — LtWindow: the workstation's main window. Header bar (Open Folder, the study
 * as its pseudonymous PatientID, the series), an in-window error banner, the three planes
 * (axial large, coronal and sagittal beside it) sharing crosshair and window/level, and a status
 * line with HU and mm under the pointer; a right column with the nodule list, the overlay
 * switches (bound to the preferences), the result panel and the similar-nodule cards. Loading
 * goes through lt-study-loader (a thread), analyses and retrieval through the engine thread
 * (engine/worker.h), so the window never blocks; a second open while one runs supersedes the
 * first and cancels the old study's analyses. */
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
