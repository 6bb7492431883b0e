/* render/lt-offscreen.h — a GL 3.3 core context with no window: EGL on Mesa's surfaceless
 * platform (eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA), found through
 * eglGetProcAddress), drawing into an RGBA8 framebuffer object of a given size, read back as
 * top-down RGBA rows. For tests, benchmarks and thumbnails; no GTK, no X. */
#ifndef LT_OFFSCREEN_H
#define LT_OFFSCREEN_H

#include <stdint.h>

#include "lt-error.h"

typedef struct lt_offscreen lt_offscreen;

/* Makes the context current with the framebuffer bound. NULL (err) when no EGL display,
 * config or GL 3.3 core context can be made: callers that test skip on that. */
lt_offscreen *lt_offscreen_new(int width, int height, lt_error *err);
void lt_offscreen_free(lt_offscreen *o);
/* Re-binds the context and framebuffer (after another context was current). */
void lt_offscreen_make_current(lt_offscreen *o);
/* glFinish, then WIDTH*HEIGHT*4 bytes, row 0 = top of the screen. */
void lt_offscreen_read(lt_offscreen *o, uint8_t *rgba);
/* A short description: "GL_RENDERER (GL_VERSION)". */
const char *lt_offscreen_renderer(lt_offscreen *o);

#endif
